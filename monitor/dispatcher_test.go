package monitor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// captureNotifier records what the dispatcher delivers; fail makes the
// next deliveries fail.
type captureNotifier struct {
	mu        sync.Mutex
	alerts    []Finding
	updates   []Receipt
	summaries []Summary
	fail      bool
	notifyErr error // if set, Notify (only) fails with it
	seq       int
}

func (c *captureNotifier) Notify(_ context.Context, f Finding, update Receipt) (Receipt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail {
		return Receipt{}, errors.New("slack down")
	}
	if c.notifyErr != nil {
		return Receipt{}, c.notifyErr
	}
	c.alerts = append(c.alerts, f)
	c.updates = append(c.updates, update)
	if update != (Receipt{}) {
		return update, nil
	}
	c.seq++
	return Receipt{Channel: "C1", TS: fmt.Sprint(c.seq)}, nil
}

func (c *captureNotifier) Summarize(_ context.Context, s Summary) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail {
		return errors.New("slack down")
	}
	c.summaries = append(c.summaries, s)
	return nil
}

func (c *captureNotifier) setNotifyErr(err error) {
	c.mu.Lock()
	c.notifyErr = err
	c.mu.Unlock()
}

func (c *captureNotifier) setFail(v bool) {
	c.mu.Lock()
	c.fail = v
	c.mu.Unlock()
}

func (c *captureNotifier) snapshot() ([]Finding, []Receipt, []Summary) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Finding(nil), c.alerts...), append([]Receipt(nil), c.updates...), append([]Summary(nil), c.summaries...)
}

func TestDispatcherSummaryCountsIncidentsNotPolls(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	n := &captureNotifier{}
	d := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: n, Now: func() time.Time { return t0 }}))
	tr := NewTracker(0)
	// One overlap of five minutes seen by thirty polls is one incident.
	for i := 0; i <= 30; i++ {
		now := t0.Add(time.Duration(i) * 10 * time.Second)
		var obs []Observation
		if i < 30 {
			obs = []Observation{{Kind: KindDuplicateRun, Severity: SeverityWarning, Cluster: "cron", Job: "etl", Value: 2 + i%2, Limit: 1, Tasks: []string{"t1", "t2"}}}
		}
		for _, f := range tr.Update(now, "cron", []Kind{KindDuplicateRun}, obs) {
			d.Handle(f)
		}
		d.ObserveCount("cron", "ap-northeast-1", 10+i%3, 50, now)
	}
	if err := d.FlushSummary(context.Background(), t0.Add(15*time.Minute)); err != nil {
		t.Fatal(err)
	}
	alerts, _, sums := n.snapshot()
	if len(alerts) != 0 || len(d.queue) != 0 {
		t.Errorf("duplicates must not alert at once; queued %d", len(d.queue))
	}
	if len(sums) != 1 {
		t.Fatalf("summaries = %d, want 1", len(sums))
	}
	c := sums[0].Clusters[0]
	if c.PeakTasks != 12 || c.TaskLimit != 50 {
		t.Errorf("peak %d/%d, want 12/50", c.PeakTasks, c.TaskLimit)
	}
	j := c.Jobs[0]
	if j.Job != "etl" || j.Duplicates != 1 || j.PeakCopies != 3 || j.LongestOverlap != 300*time.Second || len(j.Tasks) != 2 {
		t.Errorf("job summary %+v, want 1 incident, peak 3, overlap 5m, 2 tasks", j)
	}
	// The next window has nothing to say: no message.
	if err := d.FlushSummary(context.Background(), t0.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, _, sums = n.snapshot(); len(sums) != 1 {
		t.Errorf("empty window produced a message")
	}
}

func TestDispatcherCarriesOpenIncidentAcrossWindows(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	n := &captureNotifier{}
	d := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: n, SendEmpty: true}))
	d.Handle(Finding{Kind: KindDuplicateRun, Transition: Opened, Cluster: "cron", Job: "etl", Value: 2, Limit: 1, Since: t0, At: t0})
	_ = d.FlushSummary(context.Background(), t0.Add(15*time.Minute))
	_ = d.FlushSummary(context.Background(), t0.Add(30*time.Minute))
	_, _, sums := n.snapshot()
	if len(sums) != 2 {
		t.Fatalf("summaries = %d", len(sums))
	}
	for i, s := range sums {
		j := s.Clusters[0].Jobs[0]
		if j.Duplicates != 1 || j.LongestOverlap != time.Duration(i+1)*15*time.Minute {
			t.Errorf("window %d: %+v, want the open incident with its overlap so far", i, j)
		}
	}
}

func TestDispatcherImmediateAlertsAndShutdownFlush(t *testing.T) {
	n := &captureNotifier{}
	d := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: n, SummarySchedule: "@every 1h", SendEmpty: true}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	d.Handle(Finding{Kind: KindTaskLimit, Severity: SeverityWarning, Transition: Opened, Cluster: "cron", Value: 41, Limit: 50})
	d.Handle(Finding{Kind: KindTaskLimit, Severity: SeverityWarning, Transition: Updated, Cluster: "cron", Value: 42, Limit: 50})
	d.Handle(Finding{Kind: KindTaskLimit, Severity: SeverityCritical, Transition: Escalated, Cluster: "cron", Value: 48, Limit: 50})
	d.Handle(Finding{Kind: KindTaskLimit, Severity: SeverityCritical, Transition: Resolved, Cluster: "cron"})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	alerts, _, sums := n.snapshot()
	var got []Transition
	for _, a := range alerts {
		got = append(got, a.Transition)
	}
	if fmt.Sprint(got) != "[opened escalated resolved]" {
		t.Errorf("alerts %v, want opened, escalated, resolved (updates are not alerted)", got)
	}
	if len(sums) != 1 || sums[0].Clusters[0].LimitIncidents != 1 {
		t.Errorf("partial window not flushed on shutdown: %+v", sums)
	}
}

func failure(job, event string, code int) Finding {
	return Finding{Kind: KindFailedTask, Severity: SeverityCritical, Transition: Opened, Cluster: "cron", Job: job,
		Tasks: []string{"arn:task/" + event}, Failure: &Failure{Cause: CauseExit, ExitCode: &code, EventID: event}}
}

func TestDispatcherStormRollsUp(t *testing.T) {
	start := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	clk := testkit.NewClock(start)
	n := &captureNotifier{}
	d := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: n, Now: clk.Now, RollupInterval: time.Hour,
		StormPolicy: func(string, string) (int, time.Duration) { return 5, time.Minute }}))
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if err := d.DeliverFailure(ctx, failure("etl", fmt.Sprint("e", i), 1)); err != nil {
			t.Fatal(err)
		}
		clk.Add(100 * time.Millisecond)
	}
	// The next 195 failures block until a roll-up holding them is delivered.
	var wg sync.WaitGroup
	errs := make(chan error, 195)
	for i := 5; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			code := 1
			if i%10 == 0 {
				code = 137
			}
			errs <- d.DeliverFailure(ctx, failure("etl", fmt.Sprint("e", i), code))
		}(i)
	}
	testkit.Eventually(t, "storm waiters", func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		st := d.storms["failed_task|cron|etl"]
		return st != nil && len(st.waiters) == 195
	})
	d.FlushStorms(ctx, clk.Now(), false) // first roll-up: a new message
	clk.Add(2 * time.Minute)
	d.FlushStorms(ctx, clk.Now(), false) // quiet for a window: final update
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	alerts, updates, _ := n.snapshot()
	if len(alerts) != 7 {
		t.Fatalf("deliveries = %d, want 5 single alerts + 1 roll-up posted, then updated once", len(alerts))
	}
	// The roll-up states the job's total since the burst began: the five
	// alerted one by one are in it, so it agrees with the summary.
	if r := alerts[5].Rollup; r == nil || r.Count != 200 || r.Alerted != 5 || r.Final || updates[5] != (Receipt{}) {
		t.Errorf("first roll-up %+v (update %v), want a new message counting 200 (5 alerted before), still open", r, updates[5])
	}
	r := alerts[6].Rollup
	if r == nil || r.Count != 200 || !r.Final || r.ExitCodes[137] != 19 || r.ExitCodes[1] != 181 || !r.First.Equal(start) {
		t.Errorf("final roll-up %+v, want 200 failures (137×19, 1×181) since %s, final", r, start)
	}
	if m := alerts[6].Message; m != "200 failures since 2026-11-22 03:00:00 UTC" {
		t.Errorf("roll-up message %q", m)
	}
	if updates[6] == (Receipt{}) {
		t.Errorf("the closing roll-up should update the first roll-up message")
	}
}

func TestDispatcherStormRollupFailureKeepsWaitersRetrying(t *testing.T) {
	clk := testkit.NewClock(time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC))
	n := &captureNotifier{}
	d := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: n, Now: clk.Now,
		StormPolicy: func(string, string) (int, time.Duration) { return 1, time.Minute }}))
	ctx := context.Background()
	if err := d.DeliverFailure(ctx, failure("etl", "a", 1)); err != nil {
		t.Fatal(err)
	}
	n.setFail(true)
	errc := make(chan error, 1)
	go func() { errc <- d.DeliverFailure(ctx, failure("etl", "b", 1)) }()
	testkit.Eventually(t, "storm waiters", func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return len(d.storms["failed_task|cron|etl"].waiters) == 1
	})
	d.FlushStorms(ctx, clk.Now(), false)
	if err := <-errc; !errors.Is(err, errRollupNotDelivered) {
		t.Fatalf("err = %v, want roll-up not delivered", err)
	}
	// The message comes back (SQS redelivery): counted once, delivered now.
	n.setFail(false)
	go func() { errc <- d.DeliverFailure(ctx, failure("etl", "b", 1)) }()
	testkit.Eventually(t, "storm waiters", func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return len(d.storms["failed_task|cron|etl"].waiters) == 1
	})
	d.FlushStorms(ctx, clk.Now(), false)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	alerts, _, _ := n.snapshot()
	// a (alerted alone) and b, the redelivered one counted once.
	if last := alerts[len(alerts)-1]; last.Rollup == nil || last.Rollup.Count != 2 || last.Rollup.Alerted != 1 {
		t.Errorf("roll-up %+v, want a and the redelivered b, each counted once", last.Rollup)
	}
}

func TestImmediate(t *testing.T) {
	cases := []struct {
		kind Kind
		tr   Transition
		want bool
	}{
		{KindTaskLimit, Opened, true}, {KindTaskLimit, Escalated, true}, {KindTaskLimit, Renotify, true},
		{KindTaskLimit, Updated, false}, {KindTaskLimit, Resolved, true},
		{KindDuplicateRun, Opened, false}, {KindDuplicateRun, Resolved, false},
		{KindMonitorError, Opened, true}, {KindMonitorError, Renotify, false}, {KindMonitorError, Resolved, true},
		{KindMissedRun, Opened, true}, {KindOverrun, Resolved, true}, {KindFailedTask, Opened, true},
	}
	for _, c := range cases {
		if got := immediate(Finding{Kind: c.kind, Transition: c.tr}); got != c.want {
			t.Errorf("immediate(%s %s) = %v, want %v", c.kind, c.tr, got, c.want)
		}
	}
}

// With no notifier the log is where findings go: every alert, failures
// included, and the summary, each once.
func TestDispatcherWithoutNotifierLogs(t *testing.T) {
	var buf bytes.Buffer
	d := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Logger: slog.New(slog.NewJSONHandler(&buf, nil)), SendEmpty: true}))
	d.Handle(Finding{Kind: KindTaskLimit, Severity: SeverityWarning, Transition: Opened, Cluster: "cron", Message: "cluster cron has 41 of 50 tasks"})
	if err := d.DeliverFailure(t.Context(), failure("etl", "e1", 3)); err != nil {
		t.Fatal(err)
	}
	if err := d.FlushSummary(t.Context(), time.Now()); err != nil {
		t.Fatal(err)
	}
	logs := buf.String()
	for _, want := range []string{`"msg":"cluster cron has 41 of 50 tasks"`, `"level":"ERROR"`, `"exit_code":3`, `"msg":"summary"`} {
		if strings.Count(logs, want) != 1 {
			t.Errorf("log has %d of %s, want 1:\n%s", strings.Count(logs, want), want, logs)
		}
	}
}

// A stopped run is in the summary as stopped: counted among the runs,
// making the window worth a message, and kept out of the durations.
func TestSummaryCountsStoppedRuns(t *testing.T) {
	t0 := time.Date(2026, 3, 9, 3, 0, 0, 0, time.UTC)
	d := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Now: func() time.Time { return t0 }}))
	d.RecordRun("cron", "etl", RunStopped, 40*time.Minute, t0)
	s := d.win.summary(t0.Add(time.Minute), nil)
	if len(s.Clusters) != 1 || len(s.Clusters[0].Jobs) != 1 {
		t.Fatalf("summary = %+v", s)
	}
	j := s.Clusters[0].Jobs[0]
	if j.Runs != 1 || j.Stopped != 1 || j.Successes != 0 || j.Failures != 0 || j.MaxDuration != 0 {
		t.Errorf("job summary = %+v, want 1 run, stopped, no duration", j)
	}
	if s.Empty() {
		t.Error("a window with a stopped run is not empty")
	}
}

// A stopped run counts among the runs but not in the success rate: one
// success beside one stopped run is 100%, not 50%.
func TestSuccessRateLeavesStoppedRunsOut(t *testing.T) {
	t0 := time.Date(2026, 3, 9, 3, 0, 0, 0, time.UTC)
	d := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Now: func() time.Time { return t0 }}))
	d.RecordRun("cron", "etl", RunStopped, 40*time.Minute, t0)
	d.RecordRun("cron", "etl", RunSucceeded, 10*time.Minute, t0)
	j := d.win.summary(t0.Add(time.Minute), nil).Clusters[0].Jobs[0]
	if j.Runs != 2 || j.SuccessRate != 100 {
		t.Errorf("runs %d, success rate %.0f%%, want 2 runs and 100%%", j.Runs, j.SuccessRate)
	}
}

// Below the threshold a failure delivered again (same event) counts once
// towards it, and one older than the window no longer counts.
func TestDispatcherStormWindowCountsEachFailureOnce(t *testing.T) {
	clk := testkit.NewClock(time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC))
	n := &captureNotifier{}
	d := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: n, Now: clk.Now, RollupInterval: time.Hour,
		StormPolicy: func(string, string) (int, time.Duration) { return 3, time.Minute }}))
	ctx := context.Background()
	deliver := func(event string) {
		t.Helper()
		if err := d.DeliverFailure(ctx, failure("etl", event, 1)); err != nil {
			t.Error(err)
		}
	}
	window := func() (active bool, recent int) {
		d.mu.Lock()
		defer d.mu.Unlock()
		st := d.storms["failed_task|cron|etl"]
		return st.active, len(st.recent)
	}
	deliver("e0")
	clk.Add(50 * time.Second)
	for range 3 {
		deliver("e1") // delivered again: one hit
	}
	deliver("e2")
	clk.Add(20 * time.Second) // e0 leaves the window
	deliver("e3")             // e1, e2, e3: at the threshold, not past it
	if active, recent := window(); active || recent != 3 {
		t.Fatalf("active %v with %d hits in the window, want 3 and no storm", active, recent)
	}
	done := make(chan struct{})
	go func() { defer close(done); deliver("e0") }() // a new hit now: the fourth, a storm
	testkit.Eventually(t, "storm", func() bool { active, recent := window(); return active && recent == 4 })
	d.FlushStorms(ctx, clk.Now(), true)
	<-done
	if alerts, _, _ := n.snapshot(); len(alerts) != 7 || alerts[6].Rollup == nil {
		t.Errorf("%d deliveries, want 6 single alerts and the roll-up", len(alerts))
	}
}
