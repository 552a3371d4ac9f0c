package monitor

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func run(arn string, stopped time.Time, d time.Duration, ok bool) Run {
	r := Run{TaskARN: arn, StartedAt: stopped.Add(-d), StoppedAt: stopped, Result: ResultSuccess}
	if !ok {
		r.Result, r.Cause = ResultFailure, CauseExit
	}
	return r
}

// 1,000 jobs × 150 runs keep 100 runs each, and the whole stays within a
// few tens of megabytes.
func TestHistoryBoundedByCount(t *testing.T) {
	clock := testkit.NewClock(t0)
	h := NewHistory(clock.Now)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for j := 0; j < 1000; j++ {
		job := fmt.Sprintf("job-%04d", j)
		for i := 0; i < 150; i++ {
			arn := fmt.Sprintf("arn:aws:ecs:ap-northeast-1:123456789012:task/cron/%04d%032d", j, i)
			h.Record("cron", job, run(arn, t0.Add(time.Duration(i)*time.Minute), 30*time.Second, i%7 != 0))
		}
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if n := h.Len(); n != 1000*HistoryRuns {
		t.Errorf("retained %d runs, want %d", n, 1000*HistoryRuns)
	}
	jh, _ := h.Job("cron", "job-0500")
	if len(jh.Runs) != HistoryRuns || !jh.Runs[0].StoppedAt.Equal(t0.Add(50*time.Minute)) {
		t.Errorf("job-0500 keeps %d runs from %s, want the last %d", len(jh.Runs), jh.Runs[0].StoppedAt, HistoryRuns)
	}
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 80<<20 {
		t.Errorf("100,000 retained runs take %d MB of heap, want under 80 MB", grown>>20)
	}
	// A dropped run is forgotten by de-duplication too: recording it
	// again inserts it (and trims it straight away).
	old := fmt.Sprintf("arn:aws:ecs:ap-northeast-1:123456789012:task/cron/%04d%032d", 500, 0)
	if rec := h.Record("cron", "job-0500", run(old, t0, 30*time.Second, false)); rec.Duplicate {
		t.Error("a run trimmed away still counts as recorded")
	}
	if jh, _ := h.Job("cron", "job-0500"); len(jh.Runs) != HistoryRuns {
		t.Errorf("after re-recording an old run: %d runs", len(jh.Runs))
	}
}

func TestHistoryBoundedByAge(t *testing.T) {
	clock := testkit.NewClock(t0)
	h := NewHistory(clock.Now)
	// One run a day for ten days: seven days' worth stay.
	for i := 0; i < 10; i++ {
		h.Record("cron", "daily", run(fmt.Sprint("t", i), t0.Add(time.Duration(i-9)*24*time.Hour), time.Minute, true))
	}
	jh, _ := h.Job("cron", "daily")
	if len(jh.Runs) != 8 { // days -7..0 are within 7×24h of now
		t.Errorf("kept %d daily runs, want 8 (7 days)", len(jh.Runs))
	}
	// Time passes without runs: reads stop showing what aged out.
	clock.Add(3 * 24 * time.Hour)
	jh, _ = h.Job("cron", "daily")
	if len(jh.Runs) != 5 {
		t.Errorf("three days later %d runs are shown, want 5", len(jh.Runs))
	}
	if !jh.LastSuccess.Equal(t0) {
		t.Errorf("last success %s, want %s (it outlives the runs)", jh.LastSuccess, t0)
	}
}

func TestHistoryStreaksAndDuplicates(t *testing.T) {
	h := NewHistory(testkit.NewClock(t0.Add(time.Hour)).Now)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	h.Record("cron", "j", run("ok0", at(0), time.Minute, true))
	for i := 1; i <= 4; i++ {
		rec := h.Record("cron", "j", run(fmt.Sprint("bad", i), at(i), time.Minute, false))
		if rec.Failures != i || rec.RecoveredAfter != 0 {
			t.Errorf("failure %d recorded as %+v", i, rec)
		}
	}
	// A redelivered event of the third failure reports what it did then.
	if rec := h.Record("cron", "j", run("bad3", at(3), time.Minute, false)); !rec.Duplicate || rec.Failures != 3 {
		t.Errorf("redelivered failure = %+v, want duplicate with 3 failures", rec)
	}
	jh, _ := h.Job("cron", "j")
	if len(jh.Runs) != 5 || jh.Streak != 4 || jh.StreakResult != ResultFailure || jh.Failures() != 4 {
		t.Errorf("history = %d runs, streak %d %s, %d failures", len(jh.Runs), jh.Streak, jh.StreakResult, jh.Failures())
	}
	rec := h.Record("cron", "j", run("ok5", at(5), time.Minute, true))
	if rec.RecoveredAfter != 4 || rec.Failures != 0 {
		t.Errorf("recovery recorded as %+v, want recovered after 4", rec)
	}
	if got := h.LastSuccess("cron", "j"); !got.Equal(at(5)) {
		t.Errorf("LastSuccess = %s, want %s", got, at(5))
	}
	// Out-of-order arrival still keeps runs ordered by stop time.
	h.Record("cron", "j", run("late", at(0).Add(-time.Minute), time.Minute, true))
	jh, _ = h.Job("cron", "j")
	if jh.Runs[0].TaskARN != "late" {
		t.Errorf("oldest run is %s, want the late arrival", jh.Runs[0].TaskARN)
	}
	if last, _ := jh.Last(); last.TaskARN != "ok5" {
		t.Errorf("last run is %s, want ok5", last.TaskARN)
	}
}

// Runs arriving out of order (the other replica's, read back from the
// store) count in the streak where they stopped, not as the latest: a
// failure older than the latest success starts no failure streak, and a
// next failure is the first in a row.
func TestHistoryStreakOfRunsArrivingLate(t *testing.T) {
	h := NewHistory(testkit.NewClock(t0.Add(time.Hour)).Now)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	streak := func() (int, Result) { jh, _ := h.Job("cron", "j"); return jh.Streak, jh.StreakResult }
	h.Record("cron", "j", run("ok2", at(2), time.Minute, true))
	h.Restore("cron", []StoredRun{{Job: "j", Run: run("bad1", at(1), time.Minute, false)}})
	if n, r := streak(); n != 1 || r != ResultSuccess {
		t.Errorf("after an older failure: streak %d %s, want 1 success", n, r)
	}
	if rec := h.Record("cron", "j", run("bad3", at(3), time.Minute, false)); rec.Failures != 1 {
		t.Errorf("the failure after a success counts %d in a row, want 1", rec.Failures)
	}
	// bad3 bad5 are the streak; an older failure between them extends it,
	// one just before them (at its start) too.
	h.Record("cron", "j", run("bad5", at(5), time.Minute, false))
	h.Restore("cron", []StoredRun{{Job: "j", Run: run("bad4", at(4), time.Minute, false)}})
	h.Restore("cron", []StoredRun{{Job: "j", Run: run("bad2b", at(2).Add(time.Second), time.Minute, false)}})
	if n, r := streak(); n != 4 || r != ResultFailure {
		t.Errorf("streak %d %s, want 4 failures (bad2b bad3 bad4 bad5)", n, r)
	}
	// A success inside the streak cuts it to the failures after it; one
	// before it changes nothing.
	h.Restore("cron", []StoredRun{{Job: "j", Run: run("ok0", at(0), time.Minute, true)}})
	if n, _ := streak(); n != 4 {
		t.Errorf("an old success changed the streak to %d", n)
	}
	h.Restore("cron", []StoredRun{{Job: "j", Run: run("ok4b", at(4).Add(time.Second), time.Minute, true)}})
	if n, r := streak(); n != 1 || r != ResultFailure {
		t.Errorf("streak %d %s, want 1 failure (bad5 after ok4b)", n, r)
	}
	if rec := h.Record("cron", "j", run("bad6", at(6), time.Minute, false)); rec.Failures != 2 {
		t.Errorf("bad6 counts %d failures in a row, want 2", rec.Failures)
	}
}

func TestHistoryUsualDuration(t *testing.T) {
	h := NewHistory(testkit.NewClock(t0.Add(48 * time.Hour)).Now)
	// 25 successes of 10..34 minutes, and failures that do not count.
	for i := 0; i < 25; i++ {
		h.Record("cron", "j", run(fmt.Sprint("ok", i), t0.Add(time.Duration(i)*time.Hour), time.Duration(10+i)*time.Minute, true))
		h.Record("cron", "j", run(fmt.Sprint("bad", i), t0.Add(time.Duration(i)*time.Hour+time.Minute), time.Second, false))
	}
	rec := h.Record("cron", "j", run("next", t0.Add(30*time.Hour), 2*time.Second, true))
	// The last 20 successes last 15..34 minutes: median 24.5 minutes.
	if rec.KnownSuccesses != 20 || rec.MedianSuccess != 24*time.Minute+30*time.Second {
		t.Errorf("usual duration = %s of %d runs, want 24m30s of 20", rec.MedianSuccess, rec.KnownSuccesses)
	}
}
