package monitor

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// TestEventsEndToEndSimulatorSQS runs the consumer with the real SQS client
// against the simulator's queue and dead-letter queue: duplicates alert
// once, a failed delivery is retried through redelivery, a malformed body
// ends in the DLQ, and everything else is deleted.
//
// The queue's visibility timeout is 1s of real time, so the redeliveries
// this test needs take about two seconds.
func TestEventsEndToEndSimulatorSQS(t *testing.T) {
	sim, client := simSQS(t)
	dlqURL := sim.CreateQueue("ecs-events-dlq", nil)
	qURL := sim.CreateQueue("ecs-events", map[string]string{
		"VisibilityTimeout": "1",
		"RedrivePolicy":     `{"deadLetterTargetArn":"arn:aws:sqs:ap-northeast-1:123456789012:ecs-events-dlq","maxReceiveCount":"2"}`,
	})

	env := newTestEnv(t, func(o *EventsOptions, _ *config.Cluster) {
		o.SQS = client
		o.Config.QueueURL = qURL
		o.Config.Receivers = 2
		o.Config.VisibilityTimeout = config.Duration{Duration: time.Second}
		o.Config.WaitTime = config.Duration{Duration: time.Second}
	})
	var oomAttempts atomic.Int32
	env.sink.deliver = func(_ context.Context, f Finding) error {
		if f.Cause == CauseOOM && oomAttempts.Add(1) == 1 {
			return errors.New("slack: 503 service unavailable")
		}
		return nil
	}
	exit1 := string(readEvent(t, "stopped-essential-exit1.json"))
	const malformed = `{"detail-type": "ECS Task State Change", "oops"`
	for _, body := range []string{
		exit1,
		exit1, // EventBridge delivered it twice
		string(readEvent(t, "stopped-all-exit0.json")),
		string(readEvent(t, "stopped-oom-137.json")),
		string(snsWrap(t, readEvent(t, "stopped-failed-to-start-pull-error.json"))),
		strings.ReplaceAll(exit1, "cluster/cron", "cluster/web"),
		malformed,
	} {
		sim.SendRaw(qURL, body)
	}

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- env.events.Run(ctx) }()
	finished := func() bool {
		visible, inflight := sim.QueueDepth(qURL)
		return visible == 0 && inflight == 0 && slices.Contains(sim.Messages(dlqURL), malformed)
	}
	testkit.EventuallyWithin(t, 15*time.Second, "queue drained and the malformed message in the DLQ", finished)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}

	var causes []string
	for _, f := range env.sink.alerts() {
		causes = append(causes, string(f.Cause))
	}
	slices.Sort(causes)
	if want := []string{"exit_code", "never_started", "out_of_memory"}; !slices.Equal(causes, want) {
		t.Errorf("alerts %v, want %v", causes, want)
	}
	if n := oomAttempts.Load(); n != 2 {
		t.Errorf("OOM delivered in %d attempts, want 2 (one failure, one redelivery)", n)
	}
	if len(env.sink.runs) != 4 {
		t.Errorf("runs = %+v, want 4 (three failures, one success)", env.sink.runs)
	}
	if got := sim.Messages(dlqURL); len(got) != 1 {
		t.Errorf("DLQ holds %d messages, want only the malformed one", len(got))
	}
	if env.metrics.get("events.ignored") != 1 || env.metrics.get("events.malformed") < 1 || env.metrics.get("events.redelivered") < 1 {
		t.Errorf("metrics = %v", env.metrics.values)
	}
}

// simSQS starts the simulator and returns it with a real SQS client
// pointed at it.
func simSQS(t *testing.T) (*awssim.Server, *sqs.Client) {
	t.Helper()
	sim := awssim.New(awssim.Options{})
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	return sim, sqs.New(sqs.Options{
		Region:       "ap-northeast-1",
		BaseEndpoint: aws.String(sim.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		HTTPClient:   awssim.HTTPClient(),
	})
}
