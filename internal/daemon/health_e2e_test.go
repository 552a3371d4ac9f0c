package daemon

import (
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/health"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

func loopStatus(st health.Status, name string) (health.LoopStatus, bool) {
	for _, l := range st.Loops {
		if l.Name == name {
			return l, true
		}
	}
	return health.LoopStatus{}, false
}

// Ready means every loop completed one good cycle: a cluster whose polls
// fail keeps the daemon not ready (while it stays live). Live means every
// loop turns, the dispatcher and the schedule checks included, and a Slack
// outage does not stop the dispatcher's beats. The registry reads the
// injected clock, so staleness is tested by moving it.
func TestE2EHealthReadyAndLive(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	e := newEnvWith(t, envOptions{Now: clock.Now})
	e.sim.CreateCluster("cron")
	e.sim.CreateCluster("locked")
	register(t, e.sim, "etl")
	remove := e.sim.InjectFault(awssim.Fault{Op: "ecs:ListTasks", Cluster: "locked", Code: "AccessDeniedException",
		Message: "not authorized to perform: ecs:ListTasks"})
	cfg := e.config(pollConfig + `
[[cluster]]
name = "locked"
region = "ap-northeast-1"
poll_interval = "1s"
`)
	for i := range cfg.Clusters {
		cfg.Clusters[i].PollInterval.Duration = 30 * time.Millisecond
	}
	cfg.Events.RollupInterval.Duration = 30 * time.Millisecond
	d := e.start(cfg)
	reg := d.Health()

	want := []string{"dispatcher", "poll:cron", "poll:locked", "schedules:cron", "schedules:locked"}
	st := reg.Snapshot()
	for _, name := range want {
		if _, ok := loopStatus(st, name); !ok {
			t.Fatalf("loop %s not registered; loops: %+v", name, st.Loops)
		}
	}
	eventually(t, "the healthy cluster's loops and the dispatcher ready", func() bool {
		st := reg.Snapshot()
		for _, name := range []string{"dispatcher", "poll:cron", "schedules:cron", "schedules:locked"} {
			if l, _ := loopStatus(st, name); !l.Ready {
				return false
			}
		}
		return true
	})
	failed := e.sim.Calls("ecs:ListTasks")
	eventually(t, "several failed polls of locked", func() bool { return e.sim.Calls("ecs:ListTasks") > failed+6 })
	st = reg.Snapshot()
	if l, _ := loopStatus(st, "poll:locked"); l.Ready || st.Ready {
		t.Errorf("after failed polls only: poll:locked ready=%v, daemon ready=%v; want neither", l.Ready, st.Ready)
	}
	if !st.Healthy {
		t.Errorf("a cluster that cannot be polled must not make the daemon unhealthy: %+v", st.Loops)
	}

	// Slack goes down and alerts pile up; an hour passes on the clock.
	e.slack.SetDown(true)
	run(t, e.sim, "cron", "etl", "events-rule/etl", 10)
	eventually(t, "alerts failing", func() bool { return e.slack.PostsContaining("tasks") == 0 && e.sim.Calls("ecs:DescribeTasks") > 0 })
	clock.Add(time.Hour)
	if reg.Snapshot().Healthy {
		t.Fatal("an hour without beats must be unhealthy")
	}
	eventually(t, "every loop beating again although Slack is down", func() bool { return reg.Snapshot().Healthy })

	remove()
	eventually(t, "ready once locked polls well", func() bool { return reg.Snapshot().Ready })
}
