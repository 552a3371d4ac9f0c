package monitor

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
)

// lateSQS is the real SQS client, except that a visibility extension
// (a heartbeat) reaches the server a while after it is sent, and still
// reaches it when the caller stops waiting: as over a real network, a
// cancelled request may already be on its way.
type lateSQS struct {
	*sqs.Client
	delay    time.Duration
	started  chan struct{} // a heartbeat was sent
	inFlight sync.WaitGroup
}

func (l *lateSQS) ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	if in.VisibilityTimeout == 0 {
		return l.Client.ChangeMessageVisibility(ctx, in, opts...)
	}
	select {
	case l.started <- struct{}{}:
	default:
	}
	done := make(chan error, 1)
	l.inFlight.Go(func() {
		time.Sleep(l.delay)
		_, err := l.Client.ChangeMessageVisibility(context.WithoutCancel(ctx), in, opts...)
		done <- err
	})
	select {
	case err := <-done:
		return &sqs.ChangeMessageVisibilityOutput{}, err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Shutdown while failures are being delivered: their messages are neither
// deleted nor left hidden for the visibility timeout, even when a
// visibility heartbeat was on its way at that moment; the next instance
// can receive them at once.
func TestShutdownMakesInFlightMessagesVisible(t *testing.T) {
	sim, sqsClient := simSQS(t)
	qURL := sim.CreateQueue("ecs-events", nil)
	client := &lateSQS{Client: sqsClient, delay: 200 * time.Millisecond, started: make(chan struct{}, 1)}
	env := newTestEnv(t, func(o *EventsOptions, _ *config.Cluster) {
		o.SQS = client
		o.Config.QueueURL = qURL
		o.Config.VisibilityTimeout = config.Duration{Duration: 2 * time.Second} // a heartbeat every second
		o.Config.WaitTime = config.Duration{Duration: time.Second}
		o.DrainTimeout = 10 * time.Millisecond
	})
	waiting := make(chan struct{}, 2)
	env.sink.deliver = func(ctx context.Context, _ Finding) error {
		waiting <- struct{}{}
		<-ctx.Done() // Slack is slow: shutdown comes first
		return ctx.Err()
	}
	sim.SendRaw(qURL, string(readEvent(t, "stopped-essential-exit1.json")))
	sim.SendRaw(qURL, string(readEvent(t, "stopped-oom-137.json")))

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- env.events.Run(ctx) }()
	for range 2 {
		select {
		case <-waiting:
		case <-time.After(10 * time.Second):
			t.Fatal("the failures were not handed to the sink")
		}
	}
	select {
	case <-client.started:
	case <-time.After(10 * time.Second):
		t.Fatal("no visibility heartbeat")
	}
	cancel() // while a heartbeat is on its way
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	client.inFlight.Wait() // every extension sent has reached the server
	if visible, inflight := sim.QueueDepth(qURL); visible != 2 || inflight != 0 {
		t.Errorf("after shutdown: %d visible, %d in flight; want both visible at once", visible, inflight)
	}
	if n := sim.Calls("sqs:DeleteMessage"); n != 0 {
		t.Errorf("%d messages deleted undelivered", n)
	}
}
