package awssim

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// TestECSPollAtScale polls 5,000 running tasks the way the daemon does:
// every ListTasks page, then DescribeTasks in batches of 100.
func TestECSPollAtScale(t *testing.T) {
	s := startSim(t, newSimClock())
	s.CreateCluster("big")
	mustRegister(t, s, "job")
	mustRun(t, s, "big", "job", "events-rule/job", 5000)
	c := ecsClient(s)
	s.ResetCalls()
	described := pollAll(t, c, "big")
	if described != 5000 || s.Calls("ecs:ListTasks") != 50 || s.Calls("ecs:DescribeTasks") != 50 {
		t.Errorf("described %d, ListTasks %d, DescribeTasks %d; want 5000, 50, 50",
			described, s.Calls("ecs:ListTasks"), s.Calls("ecs:DescribeTasks"))
	}
}

func BenchmarkECSPoll5000(b *testing.B) {
	s := startSim(b, newSimClock())
	s.CreateCluster("big")
	mustRegister(b, s, "job")
	mustRun(b, s, "big", "job", "events-rule/job", 5000)
	c := ecsClient(s)
	b.ResetTimer()
	for b.Loop() {
		if n := pollAll(b, c, "big"); n != 5000 {
			b.Fatalf("described %d tasks", n)
		}
	}
}

func pollAll(tb testing.TB, c *ecs.Client, cluster string) int {
	tb.Helper()
	ctx := context.Background()
	var arns []string
	p := ecs.NewListTasksPaginator(c, &ecs.ListTasksInput{Cluster: aws.String(cluster)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			tb.Fatalf("ListTasks: %v", err)
		}
		arns = append(arns, out.TaskArns...)
	}
	n := 0
	for batch := range slices.Chunk(arns, 100) {
		out, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: batch})
		if err != nil {
			tb.Fatalf("DescribeTasks: %v", err)
		}
		n += len(out.Tasks)
	}
	return n
}
