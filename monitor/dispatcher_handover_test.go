package monitor

import (
	"context"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// runAndStop runs d until stop is called, as the daemon does (Run, then
// its context cancelled); stop waits for Run's shutdown.
func runAndStop(t *testing.T, d *Dispatcher) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// storedShares returns the shares waiting in store, leaving them there.
func storedShares(t *testing.T, store *MemoryStore) []WindowShare {
	t.Helper()
	shares, _ := store.TakeWindowShares(t.Context())
	for _, s := range shares {
		if err := store.AddWindowShare(t.Context(), s); err != nil {
			t.Fatal(err)
		}
	}
	return shares
}

// flushOneJobSummary flushes d's summary at end and returns it: the one
// summary n received, of one cluster and one job.
func flushOneJobSummary(t *testing.T, d *Dispatcher, n *captureNotifier, end time.Time) Summary {
	t.Helper()
	if err := d.FlushSummary(t.Context(), end); err != nil {
		t.Fatal(err)
	}
	_, _, sums := n.snapshot()
	if len(sums) != 1 || len(sums[0].Clusters) != 1 || len(sums[0].Clusters[0].Jobs) != 1 {
		t.Fatalf("summaries = %+v, want one of one cluster and job", sums)
	}
	return sums[0]
}

// A leader that stops with a durable store posts no partial summary: it
// hands its window over, and whoever leads next sends one summary for the
// whole window, starting where the stopped leader's did. A standby's share
// that straddles the previous summary does not move the start.
func TestDispatcherStoppingLeaderHandsWindowOver(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	clk := testkit.NewClock(t0)
	store := NewMemoryStore()
	na, nb := &captureNotifier{}, &captureNotifier{}
	a := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: na, Now: clk.Now, SummarySchedule: "@every 1h",
		Leader: leadership(true), Shares: store, Owner: "a"}))
	stopA := runAndStop(t, a)
	a.RecordRun("cron", "etl", RunFailed, time.Minute, t0)
	a.RecordRun("cron", "etl", RunSucceeded, 2*time.Minute, t0)
	a.Handle(Finding{Kind: KindTaskLimit, Severity: SeverityWarning, Transition: Opened, Cluster: "cron", Value: 41, Limit: 50, At: t0})
	clk.Add(10 * time.Minute)
	stopA()

	if _, _, sums := na.snapshot(); len(sums) != 0 {
		t.Fatalf("the stopping leader posted %d summaries, want none (its window is handed over)", len(sums))
	}
	shares := storedShares(t, store)
	if len(shares) != 1 || !shares[0].Handover || !shares[0].From.Equal(t0) || !shares[0].To.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("stored shares = %+v, want a's window from %s to its stop, marked as handed over", shares, t0)
	}
	// A standby's share begun before a's last summary (t0).
	if err := store.AddWindowShare(t.Context(), WindowShare{Owner: "c", From: t0.Add(-time.Minute), To: t0.Add(time.Minute),
		Clusters: map[string]ClusterShare{"cron": {Jobs: map[string]JobShare{"etl": {Runs: 1, Failures: 1}}}}}); err != nil {
		t.Fatal(err)
	}

	// b leads from its start, after a's stop.
	b := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: nb, Now: clk.Now, Leader: leadership(true), Shares: store, Owner: "b"}))
	b.RecordRun("cron", "etl", RunFailed, 3*time.Minute, clk.Now())
	end := t0.Add(25 * time.Minute)
	s := flushOneJobSummary(t, b, nb, end)
	if !s.From.Equal(t0) || !s.To.Equal(end) {
		t.Errorf("summary window %s-%s, want a's start %s to %s: continuous across the stop", s.From, s.To, t0, end)
	}
	c, etl := s.Clusters[0], s.Clusters[0].Jobs[0]
	if c.LimitIncidents != 1 || etl.Runs != 4 || etl.Failures != 3 || etl.Successes != 1 || etl.MaxDuration != 3*time.Minute {
		t.Errorf("cluster %+v, etl %+v: want a's limit incident and runs, the standby's and b's (4 runs, 3 failed)", c, etl)
	}
	if left := storedShares(t, store); len(left) != 0 {
		t.Errorf("%d shares left after the summary", len(left))
	}
}

// A stopping leader whose store refuses the hand-over posts the partial
// summary, as without a store: nothing is lost.
func TestDispatcherStoppingLeaderStoreDownPostsPartialSummary(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	clk := testkit.NewClock(t0)
	store := NewMemoryStore()
	n := &captureNotifier{}
	d := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: n, Now: clk.Now, SummarySchedule: "@every 1h",
		Leader: leadership(true), Shares: refusingShares{store}, Owner: "a"}))
	stop := runAndStop(t, d)
	d.RecordRun("cron", "etl", RunFailed, time.Minute, t0)
	d.RecordRun("cron", "etl", RunFailed, time.Minute, t0)
	clk.Add(10 * time.Minute)
	stop()

	_, _, sums := n.snapshot()
	if len(sums) != 1 || len(sums[0].Clusters) != 1 || sums[0].Clusters[0].Jobs[0].Failures != 2 {
		t.Fatalf("summaries = %+v, want the partial one with both failures", sums)
	}
	if !sums[0].From.Equal(t0) || !sums[0].To.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("partial summary %s-%s, want %s to the stop", sums[0].From, sums[0].To, t0)
	}
	if left := storedShares(t, store); len(left) != 0 {
		t.Errorf("%d shares stored although the store refused them", len(left))
	}
}

// A leader that stops with nothing in its window still hands it over, so
// the next summary's window starts at its last summary, not at the next
// leader's start.
func TestDispatcherStoppingLeaderHandsEmptyWindowOver(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	clk := testkit.NewClock(t0)
	store := NewMemoryStore()
	na, nb := &captureNotifier{}, &captureNotifier{}
	a := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: na, Now: clk.Now, SummarySchedule: "@every 1h", SendEmpty: true,
		Leader: leadership(true), Shares: store, Owner: "a"}))
	stopA := runAndStop(t, a)
	clk.Add(5 * time.Minute)
	stopA()
	if _, _, sums := na.snapshot(); len(sums) != 0 {
		t.Fatalf("the stopping leader posted %d summaries (send_empty), want none", len(sums))
	}

	b := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: nb, Now: clk.Now, SendEmpty: true, Leader: leadership(true), Shares: store, Owner: "b"}))
	if err := b.FlushSummary(t.Context(), t0.Add(15*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, _, sums := nb.snapshot(); len(sums) != 1 || !sums[0].From.Equal(t0) {
		t.Errorf("b's summaries = %+v, want one from a's start %s", sums, t0)
	}
}

// A leader that dies (no stop, nothing handed over at the end) has handed
// its window over at every roll-up tick, one coalesced share: its
// successor's summary counts what it gathered up to its last tick, from
// its window's start. What it gathered after that tick is lost with it.
func TestDispatcherLeaderCheckpointsWindowForItsSuccessor(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	clk := testkit.NewClock(t0)
	store := NewMemoryStore()
	na, nb := &captureNotifier{}, &captureNotifier{}
	a := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: na, Now: clk.Now,
		Leader: leadership(true), Shares: store, Owner: "a"}))
	a.ObserveCount("cron", "ap-northeast-1", 41, 50, t0)
	a.RecordRun("cron", "etl", RunFailed, time.Minute, t0)
	a.Handle(Finding{Kind: KindTaskLimit, Severity: SeverityWarning, Transition: Opened, Cluster: "cron", Value: 41, Limit: 50, At: t0})
	clk.Add(time.Minute)
	a.checkpointWindow(t.Context(), clk.Now())
	a.RecordRun("cron", "etl", RunSucceeded, 2*time.Minute, clk.Now())
	clk.Add(time.Minute)
	a.checkpointWindow(t.Context(), clk.Now())
	clk.Add(time.Minute)
	a.checkpointWindow(t.Context(), clk.Now())                    // nothing new: no write
	a.RecordRun("cron", "etl", RunFailed, time.Minute, clk.Now()) // after the last tick: lost
	shares := storedShares(t, store)
	if len(shares) != 1 || !shares[0].Handover || !shares[0].From.Equal(t0) {
		t.Fatalf("stored shares = %+v, want a's window in one share from %s", shares, t0)
	}

	// a is gone; b leads.
	b := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: nb, Now: clk.Now, Leader: leadership(true), Shares: store, Owner: "b"}))
	end := t0.Add(15 * time.Minute)
	s := flushOneJobSummary(t, b, nb, end)
	c, etl := s.Clusters[0], s.Clusters[0].Jobs[0]
	if !s.From.Equal(t0) || c.LimitIncidents != 1 || c.PeakTasks != 41 || etl.Runs != 2 || etl.Failures != 1 || etl.Successes != 1 {
		t.Errorf("summary from %s: cluster %+v, etl %+v; want from %s a's limit incident, peak 41 and its 2 runs before its last tick", s.From, c, etl, t0)
	}
	if _, _, sums := na.snapshot(); len(sums) != 0 {
		t.Errorf("a posted %d summaries", len(sums))
	}
}

// A standby's tick is its share, as before; without a store a leader
// keeps its window.
func TestDispatcherCheckpointOnlyWithAStore(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	a := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Now: func() time.Time { return t0 }, Leader: leadership(true), Owner: "a"}))
	a.RecordRun("cron", "etl", RunFailed, time.Minute, t0)
	a.checkpointWindow(t.Context(), t0)
	a.mu.Lock()
	runs := a.win.clusters["cron"].jobs["etl"].runs
	a.mu.Unlock()
	if runs != 1 {
		t.Errorf("the window holds %d runs after a tick without a store, want 1", runs)
	}
}
