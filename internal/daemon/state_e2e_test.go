package daemon

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// stateConfig is pollConfig with the DynamoDB state store. The lease is
// judged by the injected clock (30s); renewals are tried every 20ms of
// real time, so a test moves the clock to expire a lease and a take-over
// follows at once.
const stateConfig = pollConfig + `
[state]
backend = "dynamodb"
table = "monitor-state"
lease_duration = "30s"
renew_interval = "20ms"
`

func stateEnv(t *testing.T, clock *testkit.Clock) *env {
	t.Helper()
	o := envOptions{}
	if clock != nil {
		o.Now = clock.Now
	}
	e := newEnvWith(t, o)
	e.sim.CreateTable("monitor-state", "pk")
	e.sim.CreateCluster("cron")
	register(t, e.sim, "etl")
	return e
}

// posts counts the alerts posted whose text contains sub (summaries are
// not alerts: they are left out).
func posts(e *env, sub string) int {
	ps, _, _ := e.slack.Snapshot()
	n := 0
	for _, p := range ps {
		if strings.Contains(p.Text, sub) && !strings.Contains(p.Text, "summary") {
			n++
		}
	}
	return n
}

// (1) A limit incident open, the daemon restarted: no second alert, and
// the resolution edits the original message, saying how long it lasted.
func TestE2ERestartCarriesOpenIncident(t *testing.T) {
	e := stateEnv(t, nil)
	cfg := e.config(stateConfig)
	cfg.Clusters[0].PollInterval.Duration = 20 * time.Millisecond
	first := e.launch(cfg, "replica-a")
	arns := run(t, e.sim, "cron", "etl", "events-rule/etl", 8) // 80%: warning
	eventually(t, "warning alert", func() bool { return posts(e, "Task limit warning") == 1 })
	eventually(t, "receipt saved", func() bool {
		_, ok := e.sim.Items("monitor-state")["receipt#task_limit|cron|"]
		return ok
	})
	first.stop(t)

	second := e.launch(cfg, "replica-b")
	defer second.stop(t)
	eventually(t, "the restarted daemon carries the incident on", func() bool {
		return len(second.logs.logged("carrying on open incidents", `"incidents":1`)) == 1
	})
	eventually(t, "the carried incident on the status page", func() bool {
		open := second.d.incidents.Open("cron", "")
		return len(open) == 1 && open[0].Kind == "task_limit"
	})
	before := e.sim.Calls("ecs:ListTasks")
	eventually(t, "polls after the restart", func() bool { return e.sim.Calls("ecs:ListTasks") > before+5 })
	if n := posts(e, "Task limit warning"); n != 1 {
		t.Fatalf("warning posted %d times, want once across the restart", n)
	}
	if err := e.sim.StopTasks("cron", "done", arns[:6]...); err != nil {
		t.Fatal(err)
	}
	eventually(t, "resolution edits the original alert", func() bool { return e.slack.UpdatesContaining("Resolved") == 1 })
	ps, updates, _ := e.slack.Snapshot()
	if updates[0].TS != ps[0].TS || updates[0].Channel != ps[0].Channel {
		t.Errorf("resolution edited %s/%s, want the warning %s/%s", updates[0].Channel, updates[0].TS, ps[0].Channel, ps[0].TS)
	}
	if !strings.Contains(updates[0].Attachments, "Lasted") {
		t.Errorf("resolution does not say how long the incident lasted: %s", updates[0].Attachments)
	}
	if posts(e, "Resolved") != 0 {
		t.Error("resolution posted anew besides editing")
	}
}

// (1, webhook) With a webhook, which cannot edit, the resolution after a
// restart follows the alert up as a new message, and it is still not
// alerted twice.
func TestE2ERestartWebhookFollowsUp(t *testing.T) {
	e := stateEnv(t, nil)
	toml := strings.Replace(stateConfig, `token = "${SLACK_BOT_TOKEN}"
channel = "#cron-alerts"
api_url = "{{SLACK}}"`, `webhook_url = "{{SLACK}}webhook"`, 1)
	cfg := e.config(toml)
	cfg.Clusters[0].PollInterval.Duration = 20 * time.Millisecond
	first := e.launch(cfg, "replica-a")
	arns := run(t, e.sim, "cron", "etl", "events-rule/etl", 8)
	eventually(t, "warning alert", func() bool { return e.slack.PostsContaining("Task limit warning") == 1 })
	first.stop(t)
	second := e.launch(cfg, "replica-b")
	defer second.stop(t)
	eventually(t, "carried on", func() bool { return len(second.logs.logged("carrying on open incidents")) == 1 })
	if err := e.sim.StopTasks("cron", "done", arns[:6]...); err != nil {
		t.Fatal(err)
	}
	eventually(t, "resolution posted", func() bool { return e.slack.PostsContaining("Lasted") == 1 })
	if n := e.slack.PostsContaining("Task limit warning"); n != 1 {
		t.Errorf("warning posted %d times, want once", n)
	}
}

// stateEventsConfig is stateConfig with eventsConfig's [events] table
// reading queue q, with the given storm threshold (at 100 storms are out
// of the way: each failure is its own alert).
func stateEventsConfig(q string, stormThreshold int) string {
	events := eventsConfig[strings.Index(eventsConfig, "[events]"):strings.Index(eventsConfig, "[health]")]
	return stateConfig + strings.NewReplacer("{{QUEUE}}", q, "storm_threshold = 5", fmt.Sprint("storm_threshold = ", stormThreshold)).Replace(events)
}

// twoReplicas starts replica-a, leading, then replica-b, standing by,
// over one cluster and one event queue (returned), with the summary on
// schedule; the caller stops them.
func twoReplicas(t *testing.T, schedule string) (*env, string, *replica, *replica) {
	t.Helper()
	return twoReplicasWith(t, testkit.NewClock(time.Date(2026, 3, 9, 5, 0, 0, 0, time.UTC)), schedule, 100, 0)
}

// twoReplicasWith is twoReplicas on clock, with the given storm threshold
// and roll-up interval (0: the configuration's).
func twoReplicasWith(t *testing.T, clock *testkit.Clock, schedule string, stormThreshold int, rollup time.Duration) (*env, string, *replica, *replica) {
	t.Helper()
	e := stateEnv(t, clock)
	e.sim.CreateQueue("events-dlq", nil)
	q := e.sim.CreateQueue("events", map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:ap-northeast-1:123456789012:events-dlq","maxReceiveCount":"50"}`,
	})
	cfg := e.config(stateEventsConfig(q, stormThreshold))
	cfg.Clusters[0].PollInterval.Duration = 20 * time.Millisecond
	if rollup > 0 {
		cfg.Events.RollupInterval.Duration = rollup
	}
	cfg.Summary.Schedule, cfg.Summary.SendEmpty = schedule, true
	a := e.launch(cfg, "replica-a")
	t.Cleanup(func() { a.stop(t) })
	eventually(t, "a leads", func() bool { return len(a.logs.logged(`"msg":"leading`)) == 1 })
	b := e.launch(cfg, "replica-b")
	t.Cleanup(func() { b.stop(t) })
	eventually(t, "b stands by", func() bool { return len(b.logs.logged(`"msg":"standing by`)) == 1 })
	return e, q, a, b
}

// (2) Two daemons over one cluster and one queue: only the leader polls
// (one limit alert), every failure is alerted once although each event
// arrives twice and both replicas consume, and the standby sends no
// summary.
func TestE2ETwoReplicasAlertOnce(t *testing.T) {
	e, q, a, b := twoReplicas(t, "@every 1s")

	run(t, e.sim, "cron", "etl", "events-rule/etl", 9) // 90%: warning
	const n = 50
	body := sample(t, "stopped-essential-exit1.json")
	for i := 0; i < n; i++ {
		e.sim.SendRaw(q, withTask(t, body, i))
	}
	drained := func() bool { v, in := e.sim.QueueDepth(q); return v+in == 0 }
	eventually(t, "queue drained", drained)
	// EventBridge duplicates: other messages, the same events, handed to
	// whichever replica receives first; about half meet a replica that
	// did not handle the original, and only the store can tell it.
	for i := 0; i < n; i++ {
		e.sim.SendRaw(q, withTask(t, body, i))
	}
	eventually(t, "queue drained again", drained)
	eventually(t, "limit alert", func() bool { return posts(e, "Task limit warning") >= 1 })
	ps, _, _ := e.slack.Snapshot()
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("%032x", i+1)
		c := 0
		for _, p := range ps {
			if strings.Contains(p.Attachments, id) {
				c++
			}
		}
		if c != 1 {
			t.Errorf("failure %d alerted %d times, want once", i, c)
		}
	}
	if got := posts(e, "Task limit warning"); got != 1 {
		t.Errorf("limit alerted %d times, want once", got)
	}
	for _, r := range []*replica{a, b} {
		if len(r.logs.logged(`"transition":"opened"`, `"kind":"failed_task"`)) == 0 {
			t.Logf("a replica alerted no failure (the other took them all)")
		}
	}
	if l := b.logs.logged(`"kind":"task_limit"`); len(l) != 0 {
		t.Errorf("the standby polled and found %v", l)
	}
	if len(e.sim.Items("monitor-state")) == 0 {
		t.Error("nothing in the state table")
	}
	// The summary once per window (every second here), from the leader:
	// two senders would post twice a second.
	summaries := func() []time.Time {
		ps, _, _ := e.slack.Snapshot()
		var at []time.Time
		for _, p := range ps {
			if strings.Contains(p.Text, "summary") {
				at = append(at, p.At)
			}
		}
		return at
	}
	eventually(t, "two summaries", func() bool { return len(summaries()) >= 2 })
	at := summaries()
	for i := 1; i < len(at); i++ {
		if gap := at[i].Sub(at[i-1]); gap < 500*time.Millisecond {
			t.Errorf("summaries %s apart: sent by both replicas", gap)
		}
	}
}

// (3) The leader dies without releasing its lease: the standby takes over
// once the lease expires (within two lease periods of the last renewal),
// inherits the open incident without alerting it again and resolves it
// once, editing the original alert. In process, on the injected clock: it
// proves the standby does not take the lease before it expires, however
// often it tries. TestSIGKILLLeaderFailover (main_failover_test.go) is the
// same story with two built binaries, a real SIGKILL and real time.
func TestE2ELeaseTakeoverInheritsIncident(t *testing.T) {
	clock := testkit.NewClock(time.Date(2026, 3, 9, 5, 0, 0, 0, time.UTC))
	e := stateEnv(t, clock)
	cfg := e.config(stateConfig)
	cfg.Clusters[0].PollInterval.Duration = 20 * time.Millisecond
	cfg.Events.RollupInterval.Duration = 50 * time.Millisecond // b's page follows the table at this pace
	a := e.launch(cfg, "replica-a")
	eventually(t, "a leads", func() bool { return len(a.logs.logged(`"msg":"leading`)) == 1 })
	b := e.launch(cfg, "replica-b")
	defer b.stop(t)
	arns := run(t, e.sim, "cron", "etl", "events-rule/etl", 8)
	eventually(t, "warning alert", func() bool { return posts(e, "Task limit warning") == 1 })
	eventually(t, "incident and receipt saved", func() bool {
		it := e.sim.Items("monitor-state")
		_, inc := it["incidents#poll#cron@ap-northeast-1"]
		_, rcpt := it["receipt#task_limit|cron|"]
		return inc && rcpt
	})
	limitOnPage := func(r *replica) bool {
		open := r.d.incidents.Open("cron", "")
		return len(open) == 1 && open[0].Kind == "task_limit"
	}
	eventually(t, "the standby's page shows the leader's incident", func() bool { return limitOnPage(b) })

	// a dies: its lease and claim writes (those naming it as an owner
	// attribute) fail from now on, so it can neither renew nor release,
	// and it stops. The window shares name it too, inside their JSON,
	// and stay writable: b writes that item as well.
	e.sim.InjectFault(awssim.Fault{Op: "dynamodb:PutItem", Body: `{"S":"replica-a"}`, Code: "InternalServerError", Status: 500})
	a.stop(t)
	// Several of b's tries (a store read each renew interval; a is gone):
	// still within a's lease.
	reads := e.sim.Calls("dynamodb:GetItem")
	eventually(t, "b tries the lease", func() bool { return e.sim.Calls("dynamodb:GetItem") >= reads+5 })
	if len(b.logs.logged(`"msg":"leading`)) != 0 {
		t.Fatal("b took the lease before it expired")
	}
	clock.Add(31 * time.Second) // a's lease (30s) has expired; two periods are 60s
	eventually(t, "b takes over", func() bool { return len(b.logs.logged(`"msg":"leading`, `"fence":2`)) == 1 })
	eventually(t, "b carries the incident on", func() bool {
		return len(b.logs.logged("carrying on open incidents", `"incidents":1`)) == 1
	})
	if !limitOnPage(b) {
		t.Error("the incident left b's page as b took over")
	}
	if err := e.sim.StopTasks("cron", "done", arns[:6]...); err != nil {
		t.Fatal(err)
	}
	eventually(t, "resolved once", func() bool { return e.slack.UpdatesContaining("Resolved") == 1 })
	eventually(t, "the resolved incident off b's page", func() bool { return len(b.d.incidents.Open("cron", "")) == 0 })
	ps, updates, _ := e.slack.Snapshot()
	if posts(e, "Task limit warning") != 1 || updates[0].TS != ps[0].TS {
		t.Errorf("want the one warning edited to resolved; posts %d, update of %s", len(ps), updates[0].TS)
	}
	// Several more polls by b, the leader now: none resolves it again.
	polls := e.sim.Calls("ecs:ListTasks")
	eventually(t, "more polls", func() bool { return e.sim.Calls("ecs:ListTasks") >= polls+5 })
	if _, updates, _ := e.slack.Snapshot(); len(updates) != 1 {
		t.Errorf("resolved %d times", len(updates))
	}
}

// (4) The table throttled: alerts still flow, one monitor_error says so,
// and when it is back the monitor_error resolves and the table catches up
// with what was written meanwhile.
func TestE2EStoreThrottledDegradesAndHeals(t *testing.T) {
	e := stateEnv(t, nil)
	cfg := e.config(stateConfig)
	cfg.Clusters[0].PollInterval.Duration = 20 * time.Millisecond
	cfg.State.RenewInterval.Duration = 100 * time.Millisecond
	r := e.launch(cfg, "replica-a")
	defer r.stop(t)
	eventually(t, "leading", func() bool { return len(r.logs.logged(`"msg":"leading`)) == 1 })

	remove := e.sim.InjectFault(awssim.Fault{Op: "", Body: "monitor-state", Code: "ThrottlingException", Message: "Rate of requests exceeds the allowed throughput."})
	arns := run(t, e.sim, "cron", "etl", "events-rule/etl", 8)
	eventually(t, "alert while the table is throttled", func() bool { return posts(e, "Task limit warning") == 1 })
	eventually(t, "one monitor_error", func() bool { return e.slack.PostsContaining("state store unavailable") == 1 })
	before := e.sim.Calls("ecs:ListTasks")
	eventually(t, "more polls", func() bool { return e.sim.Calls("ecs:ListTasks") > before+10 })
	if n := e.slack.PostsContaining("state store unavailable"); n != 1 {
		t.Errorf("monitor_error posted %d times, want once", n)
	}
	if _, ok := e.sim.Items("monitor-state")["incidents#poll#cron@ap-northeast-1"]; ok {
		t.Fatal("the incident reached the table while it was throttled")
	}
	remove()
	eventually(t, "monitor_error resolved", func() bool { return e.slack.UpdatesContaining("state store works again") == 1 })
	eventually(t, "the table caught up", func() bool {
		it := e.sim.Items("monitor-state")
		_, inc := it["incidents#poll#cron@ap-northeast-1"]
		_, rcpt := it["receipt#task_limit|cron|"]
		return inc && rcpt
	})
	if err := e.sim.StopTasks("cron", "done", arns[:6]...); err != nil {
		t.Fatal(err)
	}
	eventually(t, "resolution edits the alert", func() bool { return e.slack.UpdatesContaining("Resolved") == 1 })
}

// Two replicas watch one account's Fargate quota: only the leader alerts
// it, once.
func TestE2ETwoReplicasQuotaAlertedOnce(t *testing.T) {
	e, _, q, dlq := launchEnv(t, time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC))
	e.sim.CreateTable("monitor-state", "pk")
	e.sim.SetFargateQuota(awssim.FargateOnDemand, 10)
	e.sim.SetFargateBaseUsage(awssim.FargateOnDemand, 8.5)
	cfg := e.config(launchTOML(q, dlq, true) + `
[state]
backend = "dynamodb"
table = "monitor-state"
lease_duration = "30s"
renew_interval = "20ms"
`)
	a := e.launch(cfg, "replica-a")
	defer a.stop(t)
	eventually(t, "a leads", func() bool { return len(a.logs.logged(`"msg":"leading`)) == 1 })
	b := e.launch(cfg, "replica-b")
	defer b.stop(t)
	eventually(t, "quota warning", func() bool { return len(e.postsWith("Fargate vCPU quota warning")) >= 1 })
	before := e.sim.Calls("cloudwatch:GetMetricData")
	eventually(t, "more quota checks by both", func() bool { return e.sim.Calls("cloudwatch:GetMetricData") > before+10 })
	if n := len(e.postsWith("Fargate vCPU quota warning")); n != 1 {
		t.Errorf("quota warning posted %d times by two replicas, want once", n)
	}
}

// A restart keeps the run history: a run that stopped longer ago than the
// backfill reaches (its hour) is still on the restarted daemon's page,
// read back from the table, and counted once.
func TestE2ERestartKeepsRunHistory(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	e := stateEnv(t, clock)
	cfg := e.config(stateConfig)
	cfg.Clusters[0].PollInterval.Duration = 20 * time.Millisecond
	e.sim.SetTaskPlan("etl", awssim.TaskPlan{RunFor: 20 * time.Millisecond})
	arns := run(t, e.sim, "cron", "etl", "events-rule/etl", 1)
	stopped := time.Now().Add(50 * time.Millisecond)
	e.sim.Step(stopped)
	eventually(t, "the stop in the past", func() bool { return time.Now().After(stopped) })
	first := e.launch(cfg, "replica-a")
	eventually(t, "the run backfilled", func() bool {
		j, ok := first.d.history.Job("cron", "etl")
		return ok && len(j.Runs) == 1
	})
	first.stop(t)
	if _, ok := e.sim.Items("monitor-state")["runs#cron"]; !ok {
		t.Fatal("no run history stored at stop")
	}

	clock.Add(2 * time.Hour) // past the backfill's hour
	second := e.launch(cfg, "replica-b")
	defer second.stop(t)
	eventually(t, "the stored run restored", func() bool {
		return len(second.logs.logged("run history restored", `"runs":1`)) == 1
	})
	j, ok := second.d.history.Job("cron", "etl")
	if !ok || len(j.Runs) != 1 || j.Runs[0].TaskARN != arns[0] {
		t.Fatalf("restarted history = %+v, want the run of %s once", j, arns[0])
	}
}
