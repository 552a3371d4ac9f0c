package monitor

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

func missedRun(job string, at time.Time) Finding {
	return Finding{Kind: KindMissedRun, Severity: SeverityCritical, Transition: Opened, Cluster: "cron",
		Job: job, Message: "no run of " + job, Since: at, At: at}
}

// An immediate alert found by polling is not dropped when the notifier
// gives up: it is tried again, with a growing wait on the injected clock,
// until delivered; later alerts wait behind it, in order.
func TestImmediateAlertRetriedUntilDelivered(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	clock := testkit.NewClock(t0)
	n := &captureNotifier{}
	n.setFail(true)
	m := &recMetrics{}
	d := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: n, Metrics: m, Now: clock.Now, After: clock.After}))
	defer runDispatcher(t, d)()
	d.Handle(missedRun("nightly", t0))
	testkit.Eventually(t, "a retry scheduled", func() bool { return clock.Waiters() == 1 })
	d.Handle(missedRun("hourly", t0))
	// Three more failed attempts: 10s, 20s, 40s apart.
	for i, wait := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second} {
		clock.Add(wait - time.Second)
		if alerts, _, _ := n.snapshot(); len(alerts) != 0 {
			t.Fatalf("attempt %d delivered before its time", i+2)
		}
		before := m.get("alerts.failed")
		clock.Add(time.Second)
		testkit.Eventually(t, "the next attempt", func() bool { return m.get("alerts.failed") > before && clock.Waiters() == 1 })
	}
	n.setFail(false)
	clock.Add(80 * time.Second)
	testkit.Eventually(t, "both alerts delivered", func() bool { a, _, _ := n.snapshot(); return len(a) == 2 })
	alerts, _, _ := n.snapshot()
	if alerts[0].Job != "nightly" || alerts[1].Job != "hourly" {
		t.Errorf("delivered %s then %s, want nightly then hourly", alerts[0].Job, alerts[1].Job)
	}
	if m.get("alerts.dropped") != 0 {
		t.Errorf("alerts.dropped = %v, want 0", m.get("alerts.dropped"))
	}
}

// An alert refused for good is not retried; one still undelivered when
// the daemon stops is given up. Both are counted and named in the summary.
func TestUndeliveredAlertsNamedInSummary(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	clock := testkit.NewClock(t0)
	n := &captureNotifier{}
	n.setNotifyErr(&PermanentError{Reason: "channel_not_found", Err: errors.New("post slack message: not retryable")})
	m := &recMetrics{}
	d := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: n, Metrics: m, Now: clock.Now, After: clock.After}))
	stop := runDispatcher(t, d)
	d.Handle(missedRun("nightly", t0))
	testkit.Eventually(t, "the refusal counted", func() bool { return m.get("alerts.dropped") == 1 })
	if m.get("alerts.rejected|kind:missed_run,cluster:cron,reason:channel_not_found") != 1 {
		t.Errorf("alerts.rejected not counted with its reason: %v", m.values)
	}
	if clock.Waiters() != 0 {
		t.Errorf("a permanent refusal was scheduled for a retry")
	}
	n.setNotifyErr(errors.New("slack down"))
	d.Handle(missedRun("hourly", t0))
	d.Handle(missedRun("weekly", t0))
	testkit.Eventually(t, "a retry scheduled", func() bool { return clock.Waiters() == 1 })
	stop() // the last attempt fails too; the final summary names all three
	_, _, sums := n.snapshot()
	if len(sums) != 1 || len(sums[0].Clusters) != 1 {
		t.Fatalf("summaries = %+v, want one naming the undelivered alerts", sums)
	}
	var got []string
	for _, u := range sums[0].Clusters[0].Undelivered {
		got = append(got, u.Job+":"+u.Reason)
	}
	if want := "nightly:channel_not_found hourly:daemon stopping weekly:daemon stopping"; strings.Join(got, " ") != want {
		t.Errorf("undelivered = %q, want %q", got, want)
	}
	if m.get("alerts.dropped") != 3 || m.get("alerts.dropped|kind:missed_run,cluster:cron") != 3 {
		t.Errorf("alerts.dropped = %v, want 3", m.get("alerts.dropped"))
	}
}

// A failed run refused for good is reported to the caller as permanent
// (so the event is deleted) and named in the summary.
func TestPermanentFailureDelivery(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	n := &captureNotifier{}
	n.setNotifyErr(&PermanentError{Reason: "not_in_channel", Err: errors.New("post slack message: not retryable")})
	d := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: n, Now: func() time.Time { return t0 }}))
	f := Finding{Kind: KindFailedTask, Severity: SeverityCritical, Transition: Opened, Cluster: "cron", Job: "etl",
		Tasks: []string{"arn:task/1"}, Message: "etl failed", At: t0, Failure: &Failure{EventID: "e1"}}
	err := d.DeliverFailure(context.Background(), f)
	if reason, ok := Permanent(err); !ok || reason != "not_in_channel" {
		t.Fatalf("DeliverFailure = %v, want a permanent not_in_channel", err)
	}
	if err := d.FlushSummary(context.Background(), t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, _, sums := n.snapshot()
	if len(sums) != 1 || len(sums[0].Clusters[0].Undelivered) != 1 || sums[0].Clusters[0].Undelivered[0].Reason != "not_in_channel" {
		t.Errorf("summaries = %+v, want the refused failure named", sums)
	}
}

// slowNotifier takes each alert as Slack would (it is posted on arrival)
// and answers once released: with the context's error if that ended
// meanwhile, as an HTTP client cut off mid-request does.
type slowNotifier struct {
	captureNotifier
	arrived chan struct{}
	release chan struct{}
}

func (s *slowNotifier) Notify(ctx context.Context, f Finding, update Receipt) (Receipt, error) {
	r, err := s.captureNotifier.Notify(ctx, f, update)
	s.arrived <- struct{}{}
	<-s.release
	if ctx.Err() != nil {
		return Receipt{}, ctx.Err()
	}
	return r, err
}

// An alert being delivered as the daemon stops is let finish (within the
// drain's bound), not cut off and posted again by the last attempt.
func TestAlertInFlightAtStopPostedOnce(t *testing.T) {
	n := &slowNotifier{arrived: make(chan struct{}, 4), release: make(chan struct{})}
	d := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: n, DrainTimeout: 5 * time.Second}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	d.Handle(missedRun("nightly", time.Now()))
	<-n.arrived
	cancel() // the stop begins (a context's cancellation reaches its children at once)
	close(n.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if alerts, _, _ := n.snapshot(); len(alerts) != 1 {
		t.Errorf("posted %d times, want once", len(alerts))
	}
}
