package monitor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// A disabled rule is news once: the schedules are re-read every refresh,
// but the windows after the first summary have nothing new, so no message
// is posted; a rule that is disabled again after being enabled is news
// again.
func TestDisabledRuleIsNewsOnce(t *testing.T) {
	ctx := context.Background()
	clock := testkit.NewClock(time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC))
	sim, ecsc, eb, sc := startSchedSim(t, clock)
	sim.CreateCluster("batch")
	sim.PutScheduledRule("nightly", "cron(0 2 * * ? *)", "batch", "report", 1, false)
	n := &captureNotifier{}
	d := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: n, Now: clock.Now}))
	cl := clusterFrom(t, "[[cluster]]\nname = \"batch\"\nregion = \"ap-northeast-1\"\n")
	// A schedule the evaluator refuses (config would reject it; a
	// discovered one can still be like this).
	cl.Jobs = append(cl.Jobs, config.Job{Family: "legacy", Schedule: "cron(0 0 L-3 * ? *)"})
	s := NewSchedules(SchedulesOptions{Cluster: cl, Clusters: ecsc, Events: eb, Scheduler: sc, Notes: d, Now: clock.Now,
		CheckInterval: cl.PollInterval.Duration})
	// window runs refreshes schedule refreshes, 10 minutes apart, then
	// flushes the summary; it returns the notes of the summary posted, nil
	// if none was.
	window := func(refreshes int) []string {
		t.Helper()
		for range refreshes {
			if err := s.Refresh(ctx, clock.Now()); err != nil {
				t.Fatalf("refresh: %v", err)
			}
			clock.Add(10 * time.Minute)
		}
		before := len(summariesOf(n))
		if err := d.FlushSummary(ctx, clock.Now()); err != nil {
			t.Fatal(err)
		}
		sums := summariesOf(n)
		if len(sums) == before {
			return nil
		}
		return sums[len(sums)-1].Clusters[0].Notes
	}
	// Two refreshes per window, as with schedule_refresh 10m and the
	// summary every 15m.
	notes := window(2)
	if len(notes) != 2 || !strings.Contains(strings.Join(notes, "\n"), "nightly: rule cron(0 2 * * ? *) is DISABLED") ||
		!strings.Contains(strings.Join(notes, "\n"), "legacy: cannot evaluate") {
		t.Fatalf("first summary notes = %q, want the disabled rule and the unevaluable schedule, once each", notes)
	}
	// Then windows with two refreshes, with none, with one (a refresh
	// interval longer than the summary's): nothing changed, nothing posted.
	for i, refreshes := range []int{2, 2, 0, 1, 0, 1} {
		if notes := window(refreshes); notes != nil {
			t.Errorf("window %d: a summary repeating %q; nothing changed", i+2, notes)
		}
	}
	sim.PutScheduledRule("nightly", "cron(0 2 * * ? *)", "batch", "report", 1, true)
	if notes := window(2); notes != nil {
		t.Errorf("rule enabled again: summary notes %q, want no summary", notes)
	}
	sim.PutScheduledRule("nightly", "cron(0 2 * * ? *)", "batch", "report", 1, false)
	if notes := window(2); len(notes) != 1 || !strings.Contains(notes[0], "DISABLED") {
		t.Errorf("rule disabled again: notes %q, want it noted again", notes)
	}
}

// Notes repeated in consecutive windows are not news to the dispatcher
// either, whoever adds them.
func TestDispatcherRepeatedNoteIsNotNews(t *testing.T) {
	t0 := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	n := &captureNotifier{}
	d := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: n}))
	for i := range 3 {
		d.Note("batch", "nightly is DISABLED")
		if err := d.FlushSummary(context.Background(), t0.Add(time.Duration(i+1)*15*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if sums := summariesOf(n); len(sums) != 1 {
		t.Errorf("summaries = %d, want 1: a repeated note is not news", len(sums))
	}
	// send_empty still posts an all-clear, without the old note.
	d = NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: n, SendEmpty: true}))
	d.Note("batch", "nightly is DISABLED")
	_ = d.FlushSummary(context.Background(), t0.Add(15*time.Minute))
	d.Note("batch", "nightly is DISABLED")
	_ = d.FlushSummary(context.Background(), t0.Add(30*time.Minute))
	sums := summariesOf(n)
	if len(sums) != 3 || !sums[2].Empty() {
		t.Errorf("send_empty: %d summaries, last %+v; want an empty one", len(sums), sums[len(sums)-1])
	}
}

func summariesOf(n *captureNotifier) []Summary {
	_, _, s := n.snapshot()
	return s
}
