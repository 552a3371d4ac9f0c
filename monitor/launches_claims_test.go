package monitor

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Two replicas over one store: the same failed run reported by CloudTrail
// to one and by the Scheduler dead letter to the other alerts once; a
// report arriving while the other replica delivers is kept for later, and
// alerts when that delivery failed.
func TestLaunchesClaimedAcrossReplicas(t *testing.T) {
	store := NewMemoryStore()
	now := time.Date(2026, 3, 9, 2, 1, 0, 0, time.UTC)
	replica := func(owner string, sink *launchSinkFunc) *Launches {
		return NewLaunches(LaunchesOptions{Clusters: []EventCluster{{Name: "cron", Region: "ap-northeast-1"}}, Sink: sink,
			Claims: store, Owner: owner, Now: func() time.Time { return now }})
	}
	sinkA, sinkB := &launchSinkFunc{}, &launchSinkFunc{}
	a, b := replica("a", sinkA), replica("b", sinkB)
	at := time.Date(2026, 3, 9, 2, 0, 1, 0, time.UTC)
	ct := LaunchAttempt{Source: LaunchSourceCloudTrail, ID: "cloudtrail:1", Cluster: "cron",
		Task: Task{StartedBy: "chronos-schedule/report-export"}, At: at, ErrorCode: "InvalidParameterException"}
	dl := ct
	dl.Source, dl.ID, dl.At = LaunchSourceSchedulerDLQ, "scheduler_dlq:9", at.Add(-time.Second)

	if out, err := a.Handle(t.Context(), ct); out != OutcomeAlerted || err != nil {
		t.Fatalf("CloudTrail report to a: %s, %v", out, err)
	}
	if out, err := b.Handle(t.Context(), dl); out != OutcomeDuplicate || err != nil {
		t.Fatalf("dead letter to b: %s, %v; want a duplicate", out, err)
	}
	if len(sinkA.delivered)+len(sinkB.delivered) != 1 || sinkB.recorded != 0 {
		t.Fatalf("delivered by a %d, by b %d; want one in all", len(sinkA.delivered), len(sinkB.delivered))
	}
	if out, _ := b.Handle(t.Context(), dl); out != OutcomeDuplicate {
		t.Errorf("b's redelivered dead letter: %s, want a duplicate", out)
	}

	// The next run: a is delivering (blocked) when b's report arrives.
	next, nextDL := ct, dl
	next.ID, next.At = "cloudtrail:2", at.Add(time.Hour)
	nextDL.ID, nextDL.At = "scheduler_dlq:10", at.Add(time.Hour)
	now = now.Add(time.Hour)
	entered, fail := make(chan struct{}), make(chan struct{})
	sinkA.deliver = func(Finding) error {
		close(entered)
		<-fail
		return context.DeadlineExceeded
	}
	done := make(chan Outcome)
	go func() { out, _ := a.Handle(context.Background(), next); done <- out }()
	<-entered
	if out, err := b.Handle(t.Context(), nextDL); out != OutcomeRetry || !errors.Is(err, errLaunchHeld) {
		t.Fatalf("report while a delivers: %s, %v; want kept for redelivery", out, err)
	}
	close(fail)
	if out := <-done; out != OutcomeRetry {
		t.Fatalf("a's failed delivery: %s, want retry", out)
	}
	if out, err := b.Handle(t.Context(), nextDL); out != OutcomeAlerted || err != nil {
		t.Fatalf("b's redelivered report once a gave up: %s, %v; want alerted", out, err)
	}
	if len(sinkB.delivered) != 1 || sinkB.delivered[0].Source != LaunchSourceSchedulerDLQ {
		t.Errorf("b delivered %+v, want the dead letter's report", sinkB.delivered)
	}
}
