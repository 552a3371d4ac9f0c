package monitor

import (
	"strings"
	"testing"
	"time"
)

// TestFailedRunLogLink: a run that started links its container's logs; a
// task that never started wrote none, so its alert has no logs link.
func TestFailedRunLogLink(t *testing.T) {
	info := TaskDefInfo{region: "ap-northeast-1", containers: map[string]containerDef{
		"app": {essential: true, logGroup: "/ecs/cron", logPrefix: "ecs"},
	}}
	now := time.Date(2026, 3, 9, 5, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		sample  string
		cause   Cause
		logLink bool
	}{
		{"stopped-oom-137.json", CauseOOM, true},
		{"stopped-essential-exit1.json", CauseExit, true},
		{"stopped-failed-to-start-pull-error.json", CauseNeverStarted, false},
	} {
		ev, err := ParseEvent(readEvent(t, c.sample))
		if err != nil {
			t.Fatal(err)
		}
		f := FailedRun("cron", "ap-northeast-1", JobRef{Name: ev.Task.Family()}, ev, info, now)
		if f == nil || f.Cause != c.cause {
			t.Fatalf("%s: %+v, want a %s failure", c.sample, f, c.cause)
		}
		if got := f.LogURL != ""; got != c.logLink {
			t.Errorf("%s: log URL %q, want a link: %v", c.sample, f.LogURL, c.logLink)
		}
		if strings.Contains(f.Message, f.Job) {
			t.Errorf("%s: message %q repeats the job name the alert's title already has", c.sample, f.Message)
		}
	}
}
