package monitor_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// simECS starts the simulator with n running tasks in cluster "big" and
// returns a real SDK client for it.
func simECS(tb testing.TB, n int) (*awssim.Server, *ecs.Client) {
	tb.Helper()
	sim := awssim.New(awssim.Options{})
	if err := sim.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { sim.Close() })
	sim.CreateCluster("big")
	if _, err := sim.RegisterTaskDefinition("etl", awssim.ContainerDef{Name: "app", Image: "etl"}); err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < n; i += 10 {
		if _, err := sim.RunTasks("big", "etl", "events-rule/etl", min(10, n-i)); err != nil {
			tb.Fatal(err)
		}
	}
	client := ecs.New(ecs.Options{
		BaseEndpoint: aws.String(sim.URL()),
		Region:       sim.Region(),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		HTTPClient:   awssim.HTTPClient(),
	})
	return sim, client
}

func bigCluster() config.Cluster {
	return config.Cluster{Name: "big", Region: "ap-northeast-1", TaskLimit: 10000, WarnPercent: 80, CriticalPercent: 95,
		MaxConcurrent: 0, PollInterval: config.Duration{Duration: time.Minute}}
}

// BenchmarkPoll5000 polls a cluster of 5,000 running tasks through the
// real SDK client and the simulator over HTTP. It reports the API cost of
// the first poll and of a steady-state poll, which must be ceil(N/100)
// ListTasks calls and no DescribeTasks.
func BenchmarkPoll5000(b *testing.B) {
	const n = 5000
	sim, client := simECS(b, n)
	p := monitor.NewPoller(monitor.PollerOptions{Cluster: bigCluster(), ECS: client})
	ctx := context.Background()

	sim.ResetCalls()
	if _, err := p.Poll(ctx, time.Now()); err != nil {
		b.Fatal(err)
	}
	firstList, firstDesc := sim.Calls("ecs:ListTasks"), sim.Calls("ecs:DescribeTasks")

	sim.ResetCalls()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.Poll(ctx, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	polls := float64(b.N)
	list, desc := float64(sim.Calls("ecs:ListTasks"))/polls, float64(sim.Calls("ecs:DescribeTasks"))/polls
	b.ReportMetric(float64(firstList), "first-ListTasks")
	b.ReportMetric(float64(firstDesc), "first-DescribeTasks")
	b.ReportMetric(list, "steady-ListTasks/poll")
	b.ReportMetric(desc, "steady-DescribeTasks/poll")
	if list != n/100 || desc != 0 {
		b.Fatalf("steady state: %.1f ListTasks and %.1f DescribeTasks per poll, want %d and 0", list, desc, n/100)
	}
}
