package monitor

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
)

// ecsFuncs adapts two functions to ECSAPI.
type ecsFuncs struct {
	list     func(*ecs.ListTasksInput) (*ecs.ListTasksOutput, error)
	describe func(*ecs.DescribeTasksInput) (*ecs.DescribeTasksOutput, error)
}

func (f ecsFuncs) ListTasks(_ context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	return f.list(in)
}

func (f ecsFuncs) DescribeTasks(_ context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	return f.describe(in)
}

func testCluster(t testing.TB) config.Cluster {
	return clusterFrom(t, "[[cluster]]\nname = \"cron\"\nregion = \"ap-northeast-1\"\ntask_limit = 10\n")
}

// A task seen while still starting is described again until it runs;
// after that it costs nothing but its place in ListTasks.
func TestPollerFollowsStartingTasksOnly(t *testing.T) {
	status := map[string]string{"arn:a": "PENDING", "arn:b": "RUNNING"}
	var described [][]string
	api := ecsFuncs{
		list: func(*ecs.ListTasksInput) (*ecs.ListTasksOutput, error) {
			return &ecs.ListTasksOutput{TaskArns: []string{"arn:a", "arn:b"}}, nil
		},
		describe: func(in *ecs.DescribeTasksInput) (*ecs.DescribeTasksOutput, error) {
			described = append(described, in.Tasks)
			var out ecs.DescribeTasksOutput
			for i, arn := range in.Tasks {
				out.Tasks = append(out.Tasks, types.Task{TaskArn: aws.String(arn), LastStatus: aws.String(status[arn]),
					Version: int64(len(described)*10 + i), Group: aws.String("family:" + arn)})
			}
			return &out, nil
		},
	}
	p := NewPoller(PollerOptions{Cluster: testCluster(t), ECS: api})
	now := time.Now()
	for i := 0; i < 3; i++ {
		if _, err := p.Poll(t.Context(), now); err != nil {
			t.Fatal(err)
		}
		status["arn:a"] = "RUNNING"
	}
	if fmt.Sprint(described) != "[[arn:a arn:b] [arn:a]]" {
		t.Errorf("described %v, want both, then only the starting one, then nothing", described)
	}
}

// A throttled poll becomes one monitor_error incident named by its AWS
// code, leaves the cluster's other incidents open, and resolves on the
// next good poll.
func TestPollerErrorIsAnIncidentOfItsOwn(t *testing.T) {
	fail := false
	api := ecsFuncs{
		list: func(*ecs.ListTasksInput) (*ecs.ListTasksOutput, error) {
			if fail {
				return nil, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
			}
			arns := make([]string, 9)
			for i := range arns {
				arns[i] = fmt.Sprint("arn:", i)
			}
			return &ecs.ListTasksOutput{TaskArns: arns}, nil
		},
		describe: func(in *ecs.DescribeTasksInput) (*ecs.DescribeTasksOutput, error) {
			var out ecs.DescribeTasksOutput
			for _, arn := range in.Tasks {
				out.Tasks = append(out.Tasks, types.Task{TaskArn: aws.String(arn), LastStatus: aws.String("RUNNING"), Version: 1,
					Group: aws.String("family:" + arn)})
			}
			return &out, nil
		},
	}
	p := NewPoller(PollerOptions{Cluster: testCluster(t), ECS: api})
	t0 := time.Now()
	fs, _ := p.Poll(t.Context(), t0)
	if len(fs) != 1 || fs[0].Kind != KindTaskLimit || fs[0].Transition != Opened {
		t.Fatalf("first poll: %+v, want the limit warning opened", fs)
	}
	fail = true
	fs, err := p.Poll(t.Context(), t0.Add(time.Second))
	var ae smithy.APIError
	if !errors.As(err, &ae) || len(fs) != 1 || fs[0].Kind != KindMonitorError || fs[0].Transition != Opened ||
		fs[0].Message != "cannot poll: ThrottlingException: Rate exceeded" {
		t.Fatalf("failed poll: %+v (err %v), want one monitor_error opened", fs, err)
	}
	fail = false
	fs, _ = p.Poll(t.Context(), t0.Add(2*time.Second))
	if len(fs) != 1 || fs[0].Kind != KindMonitorError || fs[0].Transition != Resolved {
		t.Fatalf("recovered poll: %+v, want only the monitor_error resolved (the limit incident stays open)", fs)
	}
}
