package daemon

import (
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// viewBound is how soon, in these tests, a standby's page must show what
// the leader stored: the stored view reads once per roll-up interval
// (50ms here), so this leaves some sixty refreshes of slack for a loaded
// machine.
const viewBound = 3 * time.Second

// listen gives the next replica launched a loopback listener for its
// status page and returns the page's base URL.
func (e *env) listen(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.listener = ln
	return "http://" + ln.Addr().String()
}

// A standby's status page shows what the leader's does, within a bound:
// the leader's open limit incident (the standby polls nothing) and the run
// the leader recorded from an event the standby never saw; when the
// incident resolves at the leader it leaves the standby's page too. The
// standby posts nothing to Slack and has nothing for the summary window.
func TestE2EStandbyPageFollowsTheLeader(t *testing.T) {
	clock := testkit.NewClock(time.Date(2026, 3, 9, 5, 0, 0, 0, time.UTC))
	e := stateEnv(t, clock)
	events := eventsConfig[strings.Index(eventsConfig, "[events]"):strings.Index(eventsConfig, "[health]")]
	toml := stateConfig + events
	replicaConfig := func(queue, slackURL string) *config.Config {
		cfg := e.config(strings.NewReplacer("{{QUEUE}}", queue, "{{SLACK}}", slackURL).Replace(toml))
		cfg.Clusters[0].PollInterval.Duration = 20 * time.Millisecond
		cfg.Events.RollupInterval.Duration = 50 * time.Millisecond
		return cfg
	}
	// Each replica its own queue: b's stays empty, so whatever run b shows
	// reached it through the table. And its own Slack, to prove it silent.
	qa, qb := e.sim.CreateQueue("events", nil), e.sim.CreateQueue("events-b", nil)
	standbySlack := testkit.NewSlackServer(t)

	pageA := e.listen(t)
	a := e.launch(replicaConfig(qa, e.slack.URL+"/"), "replica-a")
	t.Cleanup(func() { a.stop(t) })
	eventually(t, "a leads", func() bool { return len(a.logs.logged(`"msg":"leading`)) == 1 })
	pageB := e.listen(t)
	b := e.launch(replicaConfig(qb, standbySlack.URL+"/"), "replica-b")
	t.Cleanup(func() { b.stop(t) })
	e.listener = nil
	eventually(t, "b stands by", func() bool { return len(b.logs.logged(`"msg":"standing by`)) == 1 })

	arns := run(t, e.sim, "cron", "etl", "events-rule/etl", 8) // 80%: warning
	e.sim.SendRaw(qa, withTask(t, sample(t, "stopped-essential-exit1.json"), 0))
	failed := "arn:aws:ecs:ap-northeast-1:123456789012:task/cron/" + strings.Repeat("0", 31) + "1"
	eventually(t, "a alerts the limit and the failure", func() bool {
		return posts(e, "Task limit warning") == 1 && e.slack.PostsContaining(failed[strings.LastIndex(failed, "/")+1:]) == 1
	})
	eventually(t, "a stored both", func() bool {
		it := e.sim.Items("monitor-state")
		return strings.Contains(it["incidents#poll#cron@ap-northeast-1"]["data"], "task_limit") &&
			strings.Contains(it["runs#cron"]["data"], failed)
	})
	limitShown := func(base string) bool {
		return strings.Contains(get(t, base+"/"), "<strong>task_limit</strong> (warning)")
	}
	lastRun := func(base string) string {
		if r := jobFrom(apiJobs(t, base), "billing-batch-daily").LastRun; r != nil {
			return r.TaskARN
		}
		return ""
	}
	if !limitShown(pageA) || lastRun(pageA) != failed {
		t.Fatalf("the leader's own page lacks the incident or the run (last run %q)", lastRun(pageA))
	}
	testkit.EventuallyWithin(t, viewBound, "the incident and the run on the standby's page", func() bool {
		return limitShown(pageB) && lastRun(pageB) == failed
	})
	if j := jobFrom(apiJobs(t, pageB), "billing-batch-daily"); j.Runs != 1 || j.Failures != 1 {
		t.Errorf("the standby shows %d runs, %d failures of billing-batch-daily; want the leader's one", j.Runs, j.Failures)
	}

	if err := e.sim.StopTasks("cron", "done", arns[:6]...); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a resolves the incident", func() bool { return e.slack.UpdatesContaining("Resolved") == 1 })
	eventually(t, "the table no longer holds it", func() bool {
		return !strings.Contains(e.sim.Items("monitor-state")["incidents#poll#cron@ap-northeast-1"]["data"], "task_limit")
	})
	if limitShown(pageA) {
		t.Error("the leader's page still shows the resolved incident")
	}
	testkit.EventuallyWithin(t, viewBound, "the incident gone from the standby's page", func() bool { return !limitShown(pageB) })

	// b stops first: a standby that had counted what it read would hand
	// it to the leader as its part of the window (b's own schedule
	// discovery notes may be there: they are b's).
	b.stop(t)
	for _, sh := range storedShares(t, e) {
		if c := sh.Clusters["cron"]; sh.Owner == "replica-b" && (c.LimitIncidents != 0 || len(c.Jobs) != 0) {
			t.Errorf("the standby counted what it read in its part of the window: %+v", sh)
		}
	}
	if ps, ups, reqs := standbySlack.Snapshot(); len(ps)+len(ups) != 0 || reqs != 0 {
		t.Errorf("the standby called Slack %d times: %d posts, %d updates", reqs, len(ps), len(ups))
	}
	if l := b.logs.logged(`"transition":"opened"`); len(l) != 0 {
		t.Errorf("the standby opened incidents: %v", l)
	}
	// a stops too, handing its window over (no partial summary); the
	// next leader's summary counts the one limit incident, a's.
	a.stop(t)
	if s := summaries(e); len(s) != 0 {
		t.Errorf("the stopping leader posted %q, want its window handed over", s)
	}
	c := e.launch(replicaConfig(qa, e.slack.URL+"/"), "replica-c")
	t.Cleanup(func() { c.stop(t) })
	eventually(t, "c leads", func() bool { return len(c.logs.logged(`"msg":"leading`)) == 1 })
	summarize(t, c, clock.Now())
	if n := e.slack.PostsContaining("1 limit incident"); n != 1 {
		t.Errorf("%d summaries count one limit incident, want the next leader's one, with the leader's window", n)
	}
}

// storedShares are the window shares waiting in the table.
func storedShares(t *testing.T, e *env) []monitor.WindowShare {
	t.Helper()
	raw := e.sim.Items("monitor-state")[windowSharesItem]["data"]
	if raw == "" {
		return nil
	}
	var av struct{ S string }
	var shares []monitor.WindowShare
	if err := json.Unmarshal([]byte(raw), &av); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(av.S), &shares); err != nil {
		t.Fatal(err)
	}
	return shares
}
