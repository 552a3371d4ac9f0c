package monitor

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// unreadable is a MemoryStore whose reads fail while down, counting them.
type unreadable struct {
	*MemoryStore
	mu    sync.Mutex
	down  bool
	reads int
}

func (u *unreadable) read() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.reads++
	if u.down {
		return errors.New("table unreachable")
	}
	return nil
}

func (u *unreadable) setDown(v bool) { u.mu.Lock(); u.down = v; u.mu.Unlock() }

func (u *unreadable) Reads() int { u.mu.Lock(); defer u.mu.Unlock(); return u.reads }

func (u *unreadable) LoadIncidents(ctx context.Context, scope string) ([]IncidentRecord, error) {
	if err := u.read(); err != nil {
		return nil, err
	}
	return u.MemoryStore.LoadIncidents(ctx, scope)
}

func (u *unreadable) LoadRuns(ctx context.Context, cluster string) ([]StoredRun, error) {
	if err := u.read(); err != nil {
		return nil, err
	}
	return u.MemoryStore.LoadRuns(ctx, cluster)
}

// viewSetup is a standby's StoredView over a store the leader (a, holding
// the lease) writes: b stands by.
type viewSetup struct {
	ctx       context.Context
	clock     *testkit.Clock
	store     *unreadable
	a, b      *Leader
	history   *History
	incidents *Incidents
	view      *StoredView
	logs      *bytes.Buffer
}

var viewCluster = config.Cluster{Name: "cron", Region: "ap-northeast-1"}

func newViewSetup(t *testing.T) *viewSetup {
	t.Helper()
	s := &viewSetup{ctx: context.Background(), clock: testkit.NewClock(t0), store: &unreadable{MemoryStore: NewMemoryStore()},
		incidents: NewIncidents(), logs: &bytes.Buffer{}}
	s.history = NewHistory(s.clock.Now)
	s.a, s.b = newTestLeader(s.store, "a", s.clock), newTestLeader(s.store, "b", s.clock)
	s.a.Step(s.ctx)
	s.b.Step(s.ctx)
	if _, ok := s.a.Leading(); !ok || !s.b.Standby() {
		t.Fatal("want a leading, b standing by")
	}
	s.view = NewStoredView(StoredViewOptions{
		Store: s.store, History: s.history, Incidents: s.incidents, Leader: s.b,
		Clusters: func() []config.Cluster { return []config.Cluster{viewCluster} },
		Interval: 10 * time.Second, Timeout: time.Second, Now: s.clock.Now, After: s.clock.After,
		Logger: slog.New(slog.NewJSONHandler(s.logs, nil)),
	})
	return s
}

// limitRecord is the leader's open limit incident as its poller stores it.
func limitRecord(since time.Time) IncidentRecord {
	return IncidentRecord{Obs: Observation{Kind: KindTaskLimit, Severity: SeverityWarning, Cluster: "cron", Region: "ap-northeast-1",
		Value: 8, Limit: 10, Message: "8 of 10 tasks"}, Since: since, Peak: 8, LastNotified: since}
}

func missedRecord(since time.Time) IncidentRecord {
	return IncidentRecord{Obs: Observation{Kind: KindMissedRun, Severity: SeverityWarning, Cluster: "cron", Region: "ap-northeast-1",
		Job: "etl", Message: "no run at 05:00"}, Since: since, LastNotified: since}
}

// A standby shows what the leader stored: its open incidents (the
// poller's and the schedule checks') in place of its own stale ones, and
// its runs merged into the history; a resolution at the leader leaves the
// standby's page too.
func TestStoredViewStandbyFollowsTheLeader(t *testing.T) {
	s := newViewSetup(t)
	fence, _ := s.a.Leading()
	// A stale incident of b's own (from when it led) is not shown.
	s.incidents.Handle(Finding{Kind: KindDuplicateRun, Transition: Opened, Cluster: "cron", Job: "old"})
	if err := s.store.SaveIncidents(s.ctx, pollScope(viewCluster), fence, []IncidentRecord{limitRecord(t0)}); err != nil {
		t.Fatal(err)
	}
	if err := s.store.SaveIncidents(s.ctx, schedulesScope(viewCluster), fence, []IncidentRecord{missedRecord(t0)}); err != nil {
		t.Fatal(err)
	}
	leaderRun := storedRun("etl", 7, t0.Add(-time.Minute))
	if err := s.store.AddRuns(s.ctx, "cron", []StoredRun{leaderRun}); err != nil {
		t.Fatal(err)
	}
	if err := s.view.Refresh(s.ctx); err != nil {
		t.Fatal(err)
	}
	open := s.incidents.Open("cron", "")
	if len(open) != 1 || open[0].Kind != KindTaskLimit || open[0].Message != "8 of 10 tasks" || !open[0].Since.Equal(t0) {
		t.Errorf("cluster incidents on the standby = %+v, want the leader's limit incident", open)
	}
	if jobs := s.incidents.Jobs("cron"); len(jobs) != 1 || jobs[0] != "etl" {
		t.Errorf("jobs with incidents = %v, want etl (the leader's missed run; not b's stale one)", jobs)
	}
	j, ok := s.history.Job("cron", "etl")
	if last, _ := j.Last(); !ok || last.TaskARN != leaderRun.Run.TaskARN {
		t.Errorf("standby's history = %+v, want the leader's run", j)
	}
	if u := s.history.TakeUnsaved(); len(u) != 0 {
		t.Errorf("runs read back to be saved again: %v", u)
	}

	// The leader resolves both.
	_ = s.store.SaveIncidents(s.ctx, pollScope(viewCluster), fence, nil)
	_ = s.store.SaveIncidents(s.ctx, schedulesScope(viewCluster), fence, nil)
	if err := s.view.Refresh(s.ctx); err != nil {
		t.Fatal(err)
	}
	if open, jobs := s.incidents.Open("cron", ""), s.incidents.Jobs("cron"); len(open) != 0 || len(jobs) != 0 {
		t.Errorf("resolved at the leader, still on the standby's page: %+v, jobs %v", open, jobs)
	}
}

// The table failing keeps what was read last, logged once; reading again
// is logged once too.
func TestStoredViewKeepsLastReadWhileStoreFails(t *testing.T) {
	s := newViewSetup(t)
	fence, _ := s.a.Leading()
	_ = s.store.SaveIncidents(s.ctx, pollScope(viewCluster), fence, []IncidentRecord{limitRecord(t0)})
	if err := s.view.Refresh(s.ctx); err != nil {
		t.Fatal(err)
	}
	s.store.setDown(true)
	for range 3 {
		if err := s.view.Refresh(s.ctx); err == nil {
			t.Fatal("a refresh over a failing table reported no error")
		}
	}
	if open := s.incidents.Open("cron", ""); len(open) != 1 {
		t.Errorf("while the table fails the standby shows %+v, want what it read last", open)
	}
	if n := strings.Count(s.logs.String(), "stored state not read"); n != 1 {
		t.Errorf("the failure logged %d times over three refreshes, want once", n)
	}
	s.store.setDown(false)
	_ = s.view.Refresh(s.ctx)
	_ = s.view.Refresh(s.ctx)
	if n := strings.Count(s.logs.String(), "stored state read again"); n != 1 {
		t.Errorf("the recovery logged %d times, want once", n)
	}
}

// Taking the lease over, the replica shows its own incidents again (those
// its trackers carry on), not the stored ones it followed; and a Follow
// that meets a take-over under the lock leaves them alone.
func TestStoredViewLeadingShowsOwnIncidents(t *testing.T) {
	s := newViewSetup(t)
	fence, _ := s.a.Leading()
	_ = s.store.SaveIncidents(s.ctx, pollScope(viewCluster), fence, []IncidentRecord{limitRecord(t0)})
	if err := s.view.Refresh(s.ctx); err != nil {
		t.Fatal(err)
	}
	s.clock.Add(31 * time.Second) // a's lease expired
	s.b.Step(s.ctx)
	if _, ok := s.b.Leading(); !ok {
		t.Fatal("b did not take over")
	}
	// What b's poller carries on, and then finds changed.
	carried := Finding{Kind: KindTaskLimit, Severity: SeverityCritical, Transition: Updated, Cluster: "cron", Message: "10 of 10 tasks"}
	s.incidents.Handle(carried)
	if s.incidents.Follow(nil, s.b.Standby) {
		t.Error("Follow went ahead on a replica that leads")
	}
	if err := s.view.Refresh(s.ctx); err != nil {
		t.Fatal(err)
	}
	open := s.incidents.Open("cron", "")
	if len(open) != 1 || open[0].Message != "10 of 10 tasks" {
		t.Errorf("the new leader shows %+v, want its own (carried) incident", open)
	}
	// Leading, it reads no incidents: one read per cluster (the runs).
	before := s.store.Reads()
	_ = s.view.Refresh(s.ctx)
	if n := s.store.Reads() - before; n != 1 {
		t.Errorf("a leader's refresh made %d reads, want 1 (the run history)", n)
	}
}

// Run refreshes at once and then once per Interval on its clock, not
// more often, and stops with ctx.
func TestStoredViewRunsOncePerInterval(t *testing.T) {
	s := newViewSetup(t)
	ctx, cancel := context.WithCancel(s.ctx)
	refreshed := make(chan error, 10)
	s.view.o.AfterRefresh = func(err error) { refreshed <- err }
	done := make(chan error, 1)
	go func() { done <- s.view.Run(ctx) }()
	waitRefresh := func() {
		t.Helper()
		select {
		case err := <-refreshed:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no refresh")
		}
	}
	waitRefresh() // at once
	if n := s.store.Reads(); n != 3 {
		t.Errorf("a standby's refresh made %d reads, want 3 (runs, two incident snapshots)", n)
	}
	testkit.Eventually(t, "waiting for the interval", func() bool { return s.clock.Waiters() == 1 })
	s.clock.Add(9 * time.Second) // fires the wait if it were shorter than the interval
	if s.clock.Waiters() != 1 {
		t.Fatal("refreshed before its interval")
	}
	s.clock.Add(time.Second)
	waitRefresh()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}
