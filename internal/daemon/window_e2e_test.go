package daemon

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// With the dynamodb backend the summary window outlives its leader: a
// leader that stops hands its window to the table instead of posting a
// partial summary, and whoever leads next sends one summary of it. These
// tests fire the summary as its schedule would (summarize): robfig/cron
// times "@every" by the wall clock, not the injected one.

// windowSharesItem is the table's item of the windows handed over.
const windowSharesItem = "window-shares"

// summaries returns the text of every summary posted.
func summaries(e *env) []string {
	ps, _, _ := e.slack.Snapshot()
	var out []string
	for _, p := range ps {
		if strings.Contains(p.Text, "summary") {
			out = append(out, p.Text)
		}
	}
	return out
}

// summarize sends r's summary now, as its schedule does when it fires.
func summarize(t *testing.T, r *replica, now time.Time) {
	t.Helper()
	if err := r.d.dispatcher.FlushSummary(t.Context(), now); err != nil {
		t.Fatal(err)
	}
}

// sendFailures puts failed runs from..to-1 of the sample on queue q.
func sendFailures(t *testing.T, e *env, q string, from, to int) {
	t.Helper()
	body := sample(t, "stopped-essential-exit1.json")
	for i := from; i < to; i++ {
		e.sim.SendRaw(q, withTask(t, body, i))
	}
}

// renewed waits for r to lead again after the injected clock jumped past
// its lease (it renews within renew_interval): a stop then finds it
// leading, as a daemon under a steady clock would.
func renewed(t *testing.T, r *replica) {
	t.Helper()
	eventually(t, "lease renewed", func() bool { return r.d.leading() })
}

// A single replica restarted mid-window (a deploy): the stopping daemon
// posts no partial summary, and the restarted one's next summary is the
// window's only one, from the first daemon's start, counting the failures
// each handled.
func TestE2ERestartCarriesSummaryWindow(t *testing.T) {
	start := time.Date(2026, 3, 9, 5, 0, 0, 0, time.UTC)
	clock := testkit.NewClock(start)
	e := stateEnv(t, clock)
	q := e.sim.CreateQueue("events", nil)
	cfg := e.config(stateEventsConfig(q, 100))
	cfg.Clusters[0].PollInterval.Duration = 20 * time.Millisecond

	first := e.launch(cfg, "replica-a")
	eventually(t, "first leads", func() bool { return len(first.logs.logged(`"msg":"leading`)) == 1 })
	sendFailures(t, e, q, 0, 3)
	eventually(t, "failures before the restart alerted", func() bool { return posts(e, "failed") == 3 })
	clock.Add(10 * time.Minute)
	renewed(t, first)
	first.stop(t)
	if s := summaries(e); len(s) != 0 {
		t.Fatalf("the stopping daemon posted %q, want its window handed over", s)
	}
	if _, ok := e.sim.Items("monitor-state")[windowSharesItem]; !ok {
		t.Fatal("the stopping daemon left no window in the table")
	}

	clock.Add(time.Minute)
	second := e.launch(cfg, "replica-a2")
	t.Cleanup(func() { second.stop(t) })
	eventually(t, "second leads", func() bool { return len(second.logs.logged(`"msg":"leading`)) == 1 })
	sendFailures(t, e, q, 3, 5)
	eventually(t, "failures after the restart alerted", func() bool { return posts(e, "failed") == 5 })
	clock.Add(4 * time.Minute)
	summarize(t, second, clock.Now())

	sums := summaries(e)
	window := start.Format(monitor.TimeLayout) + " – " + clock.Now().Format(monitor.TimeLayout)
	if len(sums) != 1 || !strings.Contains(sums[0], "5 runs, 5 failures") || !strings.Contains(sums[0], window) {
		t.Fatalf("summaries = %q, want one for %s counting the 5 failures of both daemons", sums, window)
	}
	if _, ok := e.sim.Items("monitor-state")[windowSharesItem]; ok {
		t.Error("the handed-over window was left in the table after the summary")
	}
	renewed(t, second)
	second.stop(t)
	if s := summaries(e); len(s) != 1 {
		t.Errorf("%d summaries after the second stop, want still one (its window is handed over too)", len(s))
	}
}

// The table failing as the daemon stops: it cannot hand its window over,
// so it posts the partial summary, as with the memory backend.
func TestE2EStopWithTableDownPostsPartialSummary(t *testing.T) {
	clock := testkit.NewClock(time.Date(2026, 3, 9, 5, 0, 0, 0, time.UTC))
	e := stateEnv(t, clock)
	q := e.sim.CreateQueue("events", nil)
	cfg := e.config(stateEventsConfig(q, 100))
	cfg.Clusters[0].PollInterval.Duration = 20 * time.Millisecond
	r := e.launch(cfg, "replica-a")
	t.Cleanup(func() { r.stop(t) })
	eventually(t, "leads", func() bool { return len(r.logs.logged(`"msg":"leading`)) == 1 })
	sendFailures(t, e, q, 0, 3)
	eventually(t, "failures alerted", func() bool { return posts(e, "failed") == 3 })
	e.sim.InjectFault(awssim.Fault{Body: windowSharesItem, Code: "InternalServerError", Status: 500})
	r.stop(t)
	if sums := summaries(e); len(sums) != 1 || !strings.Contains(sums[0], "3 runs, 3 failures") {
		t.Errorf("summaries = %q, want the partial one counting the 3 failures", sums)
	}
	if len(r.logs.logged("summary window not handed to the next leader")) != 1 {
		t.Error("the failed hand-over is not logged")
	}
}

// Failures handled by both replicas are all in one summary: the standby
// hands its part of the window over through the store as it goes, the
// leader its whole window when it stops (a deploy), and the standby,
// leading then, sends the one summary of them all.
func TestE2ETwoReplicasOneSummaryOfAllRuns(t *testing.T) {
	e, q, a, b := twoReplicas(t, "@every 1h")
	const n = 50
	sendFailures(t, e, q, 0, n)
	eventually(t, "queue drained", func() bool { v, in := e.sim.QueueDepth(q); return v+in == 0 })
	eventually(t, "every failure alerted", func() bool { return posts(e, "failed") >= n })
	handled := func(r *replica) int { return len(r.logs.logged(`"transition":"opened"`, `"kind":"failed_task"`)) }
	if handled(a) == 0 || handled(b) == 0 {
		t.Logf("a handled %d failures, b %d: the test proves less when one took them all", handled(a), handled(b))
	}
	a.stop(t)
	if s := summaries(e); len(s) != 0 {
		t.Fatalf("the stopping leader posted %q, want its window handed over", s)
	}
	eventually(t, "b takes over", func() bool { return len(b.logs.logged(`"msg":"leading`, `"fence":2`)) == 1 })
	summarize(t, b, e.now())
	sums := summaries(e)
	if len(sums) != 1 || !strings.Contains(sums[0], fmt.Sprintf("%d runs, %d failures", n, n)) {
		t.Errorf("summaries = %q, want one counting all %d failures", sums, n)
	}
	if _, ok := e.sim.Items("monitor-state")[windowSharesItem]; ok {
		t.Error("the shares were left in the table after the summary")
	}
}
