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

// Reports of one run that straddle a minute (the dead letter names the
// fire time, 05:00:58; CloudTrail the call, 05:01:03) alert once, whether
// two replicas over one store get them or one replica gets both; the next
// run of a job firing every minute alerts again; a rule's failed minute
// (FailedInvocations) and CloudTrail's call late in that minute are one
// run. Over both stores: the claims are the same keys in each.
func TestLaunchClaimsAcrossMinuteBoundary(t *testing.T) {
	_, dyn := dynamoSim(t)
	for name, store := range map[string]EventClaims{"memory": NewMemoryStore(), "dynamodb": dyn, "one replica": nil} {
		t.Run(name, func(t *testing.T) {
			now := time.Date(2026, 3, 9, 5, 3, 0, 0, time.UTC)
			sink := &launchSinkFunc{}
			replica := func(owner string) *Launches {
				return NewLaunches(LaunchesOptions{Clusters: []EventCluster{{Name: "cron", Region: "ap-northeast-1"}}, Sink: sink,
					Claims: store, Owner: owner, Now: func() time.Time { return now }})
			}
			a, b := replica("a"), replica("b")
			if store == nil {
				b = a
			}
			report := func(source, id string, at time.Time, startedBy string) LaunchAttempt {
				return LaunchAttempt{Source: source, ID: id, Cluster: "cron", Task: Task{StartedBy: startedBy}, At: at,
					ErrorCode: "AccessDeniedException", Text: "not authorized to perform iam:PassRole"}
			}
			job := "chronos-schedule/every-minute"
			fire := time.Date(2026, 3, 9, 5, 0, 58, 0, time.UTC)
			steps := []struct {
				to   *Launches
				a    LaunchAttempt
				want Outcome
			}{
				{a, report(LaunchSourceSchedulerDLQ, "scheduler_dlq:1", fire, job), OutcomeAlerted},
				{b, report(LaunchSourceCloudTrail, "cloudtrail:1", fire.Add(5*time.Second), job), OutcomeDuplicate},
				// The next run, a minute later: its reports the other way round.
				{b, report(LaunchSourceSchedulerDLQ, "scheduler_dlq:2", fire.Add(time.Minute), job), OutcomeAlerted},
				{a, report(LaunchSourceCloudTrail, "cloudtrail:2", fire.Add(time.Minute+5*time.Second), job), OutcomeDuplicate},
				// The run after, CloudTrail first this time.
				{a, report(LaunchSourceCloudTrail, "cloudtrail:3", fire.Add(2*time.Minute+2*time.Second), job), OutcomeAlerted},
				{b, report(LaunchSourceSchedulerDLQ, "scheduler_dlq:3", fire.Add(2*time.Minute), job), OutcomeDuplicate},
				// A rule firing late in its minute: the metric names the minute.
				{a, report(LaunchSourceCloudTrail, "cloudtrail:4", time.Date(2026, 3, 9, 5, 0, 49, 0, time.UTC), "events-rule/nightly"), OutcomeAlerted},
				{b, report(LaunchSourceRuleMetric, "failed_invocations:nightly@1", time.Date(2026, 3, 9, 5, 0, 0, 0, time.UTC), "events-rule/nightly"), OutcomeDuplicate},
			}
			for i, s := range steps {
				if out, err := s.to.Handle(t.Context(), s.a); out != s.want || err != nil {
					t.Errorf("step %d (%s at %s): %s, %v; want %s", i, s.a.Source, s.a.At.Format("15:04:05"), out, err, s.want)
				}
			}
			if len(sink.delivered) != 4 {
				t.Errorf("delivered %d alerts, want 4 (three runs of the job, one of the rule)", len(sink.delivered))
			}
		})
	}
}

// A report that took the first bucket of its window and meets the other
// replica's claim on the next gives the first back: no bucket stays held
// for a report that did not alert.
func TestLaunchClaimHeldReleasesBucketsTaken(t *testing.T) {
	store := NewMemoryStore()
	now := time.Date(2026, 3, 9, 3, 0, 30, 0, time.UTC)
	const key = "launch#cron|report-export|"
	if res, _ := store.Claim(t.Context(), key+"2026-03-09T03:00:00Z", "a", now, time.Minute); res != ClaimTaken {
		t.Fatalf("a's claim: %s", res)
	}
	b := NewLaunches(LaunchesOptions{Clusters: []EventCluster{{Name: "cron", Region: "ap-northeast-1"}}, Sink: &launchSinkFunc{},
		Claims: store, Owner: "b", Now: func() time.Time { return now }})
	ct := LaunchAttempt{Source: LaunchSourceCloudTrail, ID: "cloudtrail:1", Cluster: "cron",
		Task: Task{StartedBy: "chronos-schedule/report-export"}, At: time.Date(2026, 3, 9, 3, 0, 1, 0, time.UTC)}
	if out, err := b.Handle(t.Context(), ct); out != OutcomeRetry || !errors.Is(err, errLaunchHeld) {
		t.Fatalf("b's report: %s, %v; want kept for redelivery", out, err)
	}
	if res, _ := store.Claim(t.Context(), key+"2026-03-09T02:59:40Z", "c", now, time.Minute); res != ClaimTaken {
		t.Errorf("the bucket b took first is %s, want given back", res)
	}
}
