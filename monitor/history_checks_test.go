package monitor

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
)

// handled records the findings the history checks hand on.
type handled struct {
	mu sync.Mutex
	fs []Finding
}

func (h *handled) Handle(f Finding) { h.mu.Lock(); h.fs = append(h.fs, f); h.mu.Unlock() }

func (h *handled) all() []Finding {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Finding(nil), h.fs...)
}

// historyEnv is the event test env with History and a findings recorder,
// and billing-batch-daily configured by job.
func historyEnv(t *testing.T, job config.Job) (*testEnv, *History, *handled) {
	hist, found := NewHistory(nil), &handled{}
	env := newTestEnv(t, func(o *EventsOptions, c *config.Cluster) {
		o.History, o.Findings = hist, found
		job.Rule = "billing-batch-daily"
		c.Jobs = []config.Job{job}
	})
	hist.now = func() time.Time { return env.now }
	return env, hist, found
}

// billingRun is the exit-1 sample as run n of billing-batch-daily: a
// failure, or a success lasting d.
func billingRun(t *testing.T, n int, ok bool, d time.Duration) []byte {
	body := string(variant(readEvent(t, "stopped-essential-exit1.json"), n))
	if ok {
		body = strings.Replace(body, `"exitCode": 1`, `"exitCode": 0`, 1)
	}
	if d > 0 {
		stopped := time.Date(2026, 3, 9, 1, 2, 46, 775e6, time.UTC)
		body = strings.Replace(body, `"startedAt": "2026-03-09T01:00:24.319Z"`,
			fmt.Sprintf(`"startedAt": %q`, stopped.Add(-d).Format(time.RFC3339Nano)), 1)
	}
	return []byte(body)
}

func TestAlertAfterFailures(t *testing.T) {
	env, hist, found := historyEnv(t, config.Job{AlertAfterFailures: 3})
	want := []Outcome{OutcomeHeld, OutcomeHeld, OutcomeAlerted, OutcomeHeld}
	for i, w := range want {
		id := fmt.Sprint("f", i)
		if got := env.events.Handle(t.Context(), message(id, billingRun(t, i, false, 0), 1)); got != w {
			t.Errorf("failure %d: %s, want %s", i+1, got, w)
		}
		if env.sqs.deletes("rh-"+id) != 1 {
			t.Errorf("failure %d: message not deleted", i+1)
		}
	}
	alerts := env.sink.alerts()
	if len(alerts) != 1 || !strings.HasSuffix(alerts[0].Message, "(3 runs in a row failed)") {
		t.Fatalf("alerts = %+v, want one, for the third failure in a row", alerts)
	}
	if len(env.sink.runs) != 4 || env.metrics.get("task.failed") != 4 {
		t.Errorf("runs %d, task.failed %v: held failures must still count", len(env.sink.runs), env.metrics.get("task.failed"))
	}
	if got := env.events.Handle(t.Context(), message("ok", billingRun(t, 10, true, 0), 1)); got != OutcomeSuccess {
		t.Fatalf("success: %s", got)
	}
	fs := found.all()
	if len(fs) != 1 || fs[0].Kind != KindFailedTask || fs[0].Transition != Resolved ||
		fs[0].Message != "recovered after 4 failures" || fs[0].Value != 4 {
		t.Fatalf("findings after the recovery = %+v", fs)
	}
	// The next success recovers nothing.
	env.events.Handle(t.Context(), message("ok2", billingRun(t, 11, true, 0), 1))
	if n := len(found.all()); n != 1 {
		t.Errorf("%d findings after a second success, want 1", n)
	}
	if jh, _ := hist.Job("cron", "billing-batch-daily"); jh.Streak != 2 || jh.StreakResult != ResultSuccess || len(jh.Runs) != 6 {
		t.Errorf("history: %d runs, streak %d %s", len(jh.Runs), jh.Streak, jh.StreakResult)
	}
}

// alert_after_failures = 1 (the default) alerts every failure, and a
// success after failures is no news.
func TestAlertEveryFailureByDefault(t *testing.T) {
	env, _, found := historyEnv(t, config.Job{AlertAfterFailures: 1})
	for i := 0; i < 3; i++ {
		if got := env.events.Handle(t.Context(), message(fmt.Sprint("f", i), billingRun(t, i, false, 0), 1)); got != OutcomeAlerted {
			t.Errorf("failure %d: %s, want alerted", i+1, got)
		}
	}
	env.events.Handle(t.Context(), message("ok", billingRun(t, 9, true, 0), 1))
	if n, fs := len(env.sink.alerts()), found.all(); n != 3 || len(fs) != 0 {
		t.Errorf("%d alerts and findings %+v, want 3 alerts and no recovery", n, fs)
	}
	if strings.Contains(env.sink.alerts()[2].Message, "in a row") {
		t.Errorf("default alert mentions a streak: %q", env.sink.alerts()[2].Message)
	}
}

func TestSuspiciousSuccess(t *testing.T) {
	for _, tc := range []struct {
		name    string
		job     config.Job
		usual   int           // successful runs of 20 minutes first
		last    time.Duration // then this one
		suspect bool
	}{
		{"a tenth of the usual", config.Job{CheckDuration: true}, 5, 2 * time.Second, true},
		{"too few known", config.Job{CheckDuration: true}, 4, 2 * time.Second, false},
		{"short but not that short", config.Job{CheckDuration: true}, 5, 3 * time.Minute, false},
		{"check_duration = false", config.Job{}, 5, 2 * time.Second, false},
		{"under min_duration", config.Job{CheckDuration: true, MinDuration: config.Duration{Duration: 5 * time.Minute}}, 0, 4 * time.Minute, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, _, found := historyEnv(t, tc.job)
			for i := 0; i < tc.usual; i++ {
				env.events.Handle(t.Context(), message(fmt.Sprint("u", i), billingRun(t, i, true, 20*time.Minute), 1))
			}
			env.events.Handle(t.Context(), message("last", billingRun(t, 99, true, tc.last), 1))
			fs := found.all()
			if !tc.suspect {
				if len(fs) != 0 {
					t.Errorf("findings %+v, want none", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].Kind != KindSuspiciousSuccess || fs[0].Severity != SeverityWarning ||
				fs[0].Job != "billing-batch-daily" || !strings.HasPrefix(fs[0].Message, "succeeded in "+FormatDuration(tc.last)+", under ") {
				t.Errorf("findings %+v, want one suspicious_success", fs)
			}
		})
	}
}

// Suspicious successes are summary material: counted in the window,
// never alerted on their own.
func TestSuspiciousSuccessIsSummaryMaterial(t *testing.T) {
	f := Finding{Kind: KindSuspiciousSuccess, Severity: SeverityWarning, Transition: Opened, Cluster: "cron", Job: "j"}
	if immediate(f) {
		t.Error("suspicious_success is alerted immediately")
	}
	w := newWindow(t0)
	w.add(f)
	s := w.summary(t0.Add(time.Minute), nil)
	if s.Empty() || s.Clusters[0].Jobs[0].Suspicious != 1 {
		t.Errorf("summary = %+v, want one suspicious success", s)
	}
}

// The summary reads each job's last success and streak from History, and
// gives the window's success rate.
func TestSummaryReadsHistory(t *testing.T) {
	hist := NewHistory(func() time.Time { return t0.Add(time.Hour) })
	n := &captureNotifier{}
	d := NewDispatcher(dispatcherOptions(t, DispatcherOptions{History: hist, Notifier: n, Now: func() time.Time { return t0 }}))
	for i, ok := range []bool{true, false, false, false} {
		r := run(fmt.Sprint("t", i), t0.Add(time.Duration(i)*time.Minute), time.Minute, ok)
		hist.Record("cron", "j", r)
		result := RunFailed
		if ok {
			result = RunSucceeded
		}
		d.RecordRun("cron", "j", result, time.Minute, r.StoppedAt)
	}
	if err := d.FlushSummary(t.Context(), t0.Add(15*time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, _, sums := n.snapshot()
	j := sums[0].Clusters[0].Jobs[0]
	if !j.LastSuccess.Equal(t0) || j.Streak != 3 || j.StreakResult != ResultFailure || j.SuccessRate != 25 {
		t.Errorf("job summary = last success %s, streak %d %s, success rate %v; want %s, 3 failure, 25",
			j.LastSuccess, j.Streak, j.StreakResult, j.SuccessRate, t0)
	}
}
