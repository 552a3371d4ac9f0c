package monitor

import (
	"context"
	"errors"
	"testing"
	"time"
)

// leadership is a fixed role.
type leadership bool

func (l leadership) Leading() (int64, bool) { return 1, bool(l) }
func (leadership) Deposed(int64)            {}

// refusingShares fails every hand-over.
type refusingShares struct{ WindowShares }

func (refusingShares) AddWindowShare(context.Context, WindowShare) error {
	return errors.New("table unreachable")
}

// Two replicas over one store, each handling some of a job's runs: the
// leader's one summary counts them all; the standby sends none. A share
// the store refused stays with the standby and is handed over later.
func TestDispatcherSummaryHasStandbysShare(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	store := NewMemoryStore()
	na, nb := &captureNotifier{}, &captureNotifier{}
	now := func() time.Time { return t0 }
	a := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: na, Now: now, Leader: leadership(true), Shares: store, Owner: "a"}))
	b := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: nb, Now: now, Leader: leadership(false), Shares: refusingShares{store}, Owner: "b"}))

	a.RecordRun("cron", "etl", RunFailed, time.Minute, t0)
	a.RecordRun("cron", "etl", RunSucceeded, 2*time.Minute, t0)
	b.RecordRun("cron", "etl", RunFailed, 3*time.Minute, t0)
	b.RecordLaunchFailure("cron", "report", CauseAccessDenied)
	b.Handle(Finding{Kind: KindSuspiciousSuccess, Cluster: "cron", Job: "etl", Transition: Opened, At: t0})
	b.shareWindow(t.Context(), t0.Add(time.Minute)) // refused: kept
	b.RecordRun("cron", "etl", RunFailed, 4*time.Minute, t0)
	b.o.Shares = store
	b.shareWindow(t.Context(), t0.Add(2*time.Minute))
	b.shareWindow(t.Context(), t0.Add(3*time.Minute)) // nothing new: no write
	if shares, _ := store.TakeWindowShares(t.Context()); len(shares) != 1 {
		t.Fatalf("%d shares stored, want one (nothing to hand over is not written)", len(shares))
	} else if err := store.AddWindowShare(t.Context(), shares[0]); err != nil {
		t.Fatal(err)
	}

	if err := a.FlushSummary(t.Context(), t0.Add(15*time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, _, sums := na.snapshot()
	if len(sums) != 1 || len(sums[0].Clusters) != 1 {
		t.Fatalf("leader's summaries = %+v, want one of one cluster", sums)
	}
	jobs := map[string]JobSummary{}
	for _, j := range sums[0].Clusters[0].Jobs {
		jobs[j.Job] = j
	}
	etl, report := jobs["etl"], jobs["report"]
	if etl.Runs != 4 || etl.Failures != 3 || etl.Successes != 1 || etl.Suspicious != 1 || etl.MaxDuration != 4*time.Minute {
		t.Errorf("etl = %+v, want both replicas' four runs, three failed, the standby's suspicious success", etl)
	}
	if report.LaunchFailures != 1 {
		t.Errorf("report = %+v, want the standby's launch failure", report)
	}
	if _, _, sb := nb.snapshot(); len(sb) != 0 {
		t.Errorf("the standby sent %d summaries", len(sb))
	}
	if left, _ := store.TakeWindowShares(t.Context()); len(left) != 0 {
		t.Errorf("%d shares left after the summary", len(left))
	}
}
