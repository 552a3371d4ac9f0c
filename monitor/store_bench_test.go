package monitor_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// BenchmarkStoreWritesPerPoll5000 polls a cluster of 5,000 running tasks
// (one job over its max_concurrent and the cluster over its warning) with
// the DynamoDB state store, through the real SDK clients and the
// simulator, and reports DynamoDB writes per poll: at most one (the
// cluster's incident snapshot, when it changed), never one per task. A
// task starts between polls, so every poll changes the snapshot.
func BenchmarkStoreWritesPerPoll5000(b *testing.B) {
	const n = 5000
	sim, client := simECS(b, n)
	sim.CreateTable("state", "pk")
	db := dynamodb.New(dynamodb.Options{
		BaseEndpoint: aws.String(sim.URL()),
		Region:       sim.Region(),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		HTTPClient:   awssim.HTTPClient(),
	})
	c := bigCluster()
	c.TaskLimit, c.MaxConcurrent = 5500, 1
	p := monitor.NewPoller(monitor.PollerOptions{Cluster: c, ECS: client, Incidents: monitor.NewDynamoStore(db, "state")})
	ctx := context.Background()
	if err := p.PollAndReport(ctx); err != nil {
		b.Fatal(err)
	}
	sim.ResetCalls()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		if _, err := sim.RunTasks("big", "etl", "events-rule/etl", 1); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := p.PollAndReport(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	writes := float64(sim.Calls("dynamodb:PutItem")+sim.Calls("dynamodb:DeleteItem")) / float64(b.N)
	b.ReportMetric(writes, "dynamodb-writes/poll")
	if writes > 1 {
		b.Errorf("%.2f DynamoDB writes per poll, want at most one", writes)
	}
	if item := sim.Items("state")["incidents#poll#big@ap-northeast-1"]; len(item["data"]) > 100_000 {
		b.Errorf("the snapshot is %d bytes: bounded tasks per incident keep it far below 400 KB", len(item["data"]))
	}
}
