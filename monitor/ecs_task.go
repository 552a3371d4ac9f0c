package monitor

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// taskFromECS keeps the fields of a DescribeTasks task the monitor uses.
func taskFromECS(t types.Task) Task {
	out := Task{
		ARN:               aws.ToString(t.TaskArn),
		ClusterARN:        aws.ToString(t.ClusterArn),
		TaskDefinitionARN: aws.ToString(t.TaskDefinitionArn),
		Group:             aws.ToString(t.Group),
		StartedBy:         aws.ToString(t.StartedBy),
		LastStatus:        aws.ToString(t.LastStatus),
		DesiredStatus:     aws.ToString(t.DesiredStatus),
		LaunchType:        string(t.LaunchType),
		Version:           t.Version,
		CreatedAt:         timeOf(t.CreatedAt),
		StartedAt:         timeOf(t.StartedAt),
		StoppingAt:        timeOf(t.StoppingAt),
		StoppedAt:         timeOf(t.StoppedAt),
		StopCode:          string(t.StopCode),
		StoppedReason:     aws.ToString(t.StoppedReason),
	}
	for _, c := range t.Containers {
		var code *int
		if c.ExitCode != nil {
			v := int(*c.ExitCode)
			code = &v
		}
		out.Containers = append(out.Containers, Container{
			Name:       aws.ToString(c.Name),
			Image:      aws.ToString(c.Image),
			LastStatus: aws.ToString(c.LastStatus),
			ExitCode:   code,
			Reason:     aws.ToString(c.Reason),
		})
	}
	return out
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
