package daemon

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// A storm handled by two replicas is one storm: 50 failures of one job,
// each handled by whichever replica receives it, make the threshold's 5
// single alerts and one roll-up counting all 50. The leader stopping (a
// deploy) leaves the roll-up open: the other replica goes on updating the
// same message, and closes it once, after the window passes quietly.
func TestE2ETwoReplicasOneStorm(t *testing.T) {
	clock := testkit.NewClock(time.Date(2026, 3, 9, 5, 0, 0, 0, time.UTC))
	e, q, a, b := twoReplicasWith(t, clock, "@every 1h", 5, 100*time.Millisecond)
	body := sample(t, "stopped-essential-exit1.json")
	for i := range 50 {
		e.sim.SendRaw(q, withTask(t, body, i))
	}
	drained := func() bool { v, in := e.sim.QueueDepth(q); return v+in == 0 }
	eventually(t, "queue drained", drained)
	rollup := func() (single int, rollups []testkit.SlackMessage, last string) {
		ps, us, _ := e.slack.Snapshot()
		for _, p := range ps {
			switch {
			case strings.Contains(p.Attachments, "still counting") || strings.Contains(p.Attachments, "final count"):
				rollups = append(rollups, p)
				last = p.Attachments
			case strings.Contains(p.Attachments, "exit code") || strings.Contains(p.Text, "failed"):
				single++
			}
		}
		for _, u := range us {
			last = u.Attachments
		}
		return single, rollups, last
	}
	eventually(t, "the roll-up counts 50", func() bool { _, _, last := rollup(); return strings.Contains(last, "50 failures") })
	single, rollups, _ := rollup()
	if single != 5 || len(rollups) != 1 {
		ps, _, _ := e.slack.Snapshot()
		t.Fatalf("%d single alerts and %d roll-up messages, want 5 and 1 (posts: %+v)", single, len(rollups), ps)
	}
	for _, r := range []*replica{a, b} {
		if n := len(r.logs.logged(`"kind":"failed_task"`)); n == 0 {
			t.Logf("one replica handled no failure")
		}
	}

	// The leader stops; b takes the lease and the storm on.
	a.stop(t)
	if _, _, last := rollup(); strings.Contains(last, "final count") {
		t.Fatal("the stopping replica closed the shared roll-up")
	}
	for i := 50; i < 60; i++ {
		e.sim.SendRaw(q, withTask(t, body, i))
	}
	eventually(t, "queue drained again", drained)
	eventually(t, "the roll-up counts 60", func() bool { _, _, last := rollup(); return strings.Contains(last, "60 failures") })
	_, us, _ := e.slack.Snapshot()
	for _, u := range us {
		if u.TS != rollups[0].TS {
			t.Errorf("an update of message %s, want only the roll-up's (%s)", u.TS, rollups[0].TS)
		}
	}
	// Quiet for the window (1m): b closes it, once.
	clock.Add(2 * time.Minute)
	eventually(t, "closed", func() bool { _, _, last := rollup(); return strings.Contains(last, "final count") })
	updates := func() int { _, us, _ := e.slack.Snapshot(); return len(us) }
	closed := updates()
	// Several more roll-up intervals: no further message.
	reads := e.sim.Calls("dynamodb:GetItem")
	eventually(t, "more store reads", func() bool { return e.sim.Calls("dynamodb:GetItem") >= reads+20 })
	if got := updates(); got != closed {
		t.Errorf("%d updates after closing, want none", got-closed)
	}
	if single, rollups, _ := rollup(); single != 5 || len(rollups) != 1 {
		t.Errorf("%d single alerts and %d roll-ups in all, want 5 and 1", single, len(rollups))
	}
	if it, ok := e.sim.Items("monitor-state")["storms"]; ok && strings.Contains(it["data"], "failed_task") {
		t.Errorf("the closed storm is still stored: %v", it["data"])
	}
}

// One replica restarted mid-storm (a deploy): the restarted daemon goes on
// counting into the roll-up the first one posted and edits that message,
// rather than alerting the threshold's failures one by one again.
func TestE2ERestartContinuesStorm(t *testing.T) {
	clock := testkit.NewClock(time.Date(2026, 3, 9, 5, 0, 0, 0, time.UTC))
	e := stateEnv(t, clock)
	q := e.sim.CreateQueue("events", nil)
	events := eventsConfig[strings.Index(eventsConfig, "[events]"):strings.Index(eventsConfig, "[health]")]
	cfg := e.config(stateConfig + strings.ReplaceAll(events, "{{QUEUE}}", q))
	cfg.Events.RollupInterval.Duration = 100 * time.Millisecond
	body := sample(t, "stopped-essential-exit1.json")
	send := func(from, to int) {
		for i := from; i < to; i++ {
			e.sim.SendRaw(q, withTask(t, body, i))
		}
		eventually(t, "queue drained", func() bool { v, in := e.sim.QueueDepth(q); return v+in == 0 })
	}
	counting := func(n int) func() bool {
		return func() bool {
			ps, us, _ := e.slack.Snapshot()
			last := ""
			for _, p := range ps {
				last = p.Attachments
			}
			for _, u := range us {
				last = u.Attachments
			}
			return strings.Contains(last, fmt.Sprintf("%d failures", n))
		}
	}
	first := e.launch(cfg, "replica-a")
	send(0, 10)
	eventually(t, "the roll-up counts 10", counting(10))
	first.stop(t)
	posted := e.slack.Posts()

	second := e.launch(cfg, "replica-a2")
	defer second.stop(t)
	send(10, 15)
	eventually(t, "the restarted daemon's roll-up counts 15", counting(15))
	if got := e.slack.Posts(); got != posted {
		t.Errorf("%d new messages after the restart, want the roll-up edited only", got-posted)
	}
	clock.Add(2 * time.Minute)
	eventually(t, "closed", func() bool { return e.slack.UpdatesContaining("final count") == 1 })
	ps, us, _ := e.slack.Snapshot()
	var rollup string
	for _, p := range ps {
		if strings.Contains(p.Attachments, "still counting") {
			rollup = p.TS
		}
	}
	for _, u := range us {
		if u.TS != rollup {
			t.Errorf("an update of %s, want only the roll-up %s edited", u.TS, rollup)
		}
	}
}
