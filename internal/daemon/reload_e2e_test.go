package daemon

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
)

const reloadBefore = `
[slack]
token = "${SLACK_BOT_TOKEN}"
channel = "#cron-alerts"
api_url = "{{SLACK}}"

[summary]
schedule = "@every 1h"

[health]
listen = ""

[[cluster]]
name = "cron"
region = "ap-northeast-1"
task_limit = 10
max_concurrent = 0
poll_interval = "1s"
`

// A reload keeps the open incidents and the summary window: the task
// limit incident opened before it is not alerted again, and resolves
// (one message) when the new limit makes 8 tasks harmless; the summary
// still counts it; a cluster the new configuration adds is polled.
func TestE2EReloadKeepsIncidentsAndSummary(t *testing.T) {
	e := newEnv(t)
	e.sim.CreateCluster("cron")
	e.sim.CreateCluster("batch")
	register(t, e.sim, "etl")
	run(t, e.sim, "cron", "etl", "events-rule/etl", 8) // 80% of 10: warning
	cfg := e.config(reloadBefore)
	cfg.Clusters[0].PollInterval.Duration = 50 * time.Millisecond
	d := e.start(cfg)
	eventually(t, "warning", func() bool { return e.slack.PostsContaining("Task limit warning") == 1 })

	// Same limit first: the incident must stay open, not be alerted anew.
	same := e.config(reloadBefore + `
[[cluster]]
name = "batch"
region = "ap-northeast-1"
poll_interval = "1s"
`)
	for i := range same.Clusters {
		same.Clusters[i].PollInterval.Duration = 50 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Reload(ctx, same); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the added cluster polled", func() bool {
		return e.sim.Calls("ecs:ListTasks") > 0 && len(e.logs.logged("configuration reloaded")) == 1
	})
	calls := e.sim.Calls("ecs:ListTasks")
	eventually(t, "polling goes on after the reload", func() bool { return e.sim.Calls("ecs:ListTasks") > calls+4 })
	if n := e.slack.PostsContaining("Task limit warning"); n != 1 {
		t.Errorf("%d warning posts after the reload, want the first one alone", n)
	}

	// A higher limit: the kept incident resolves.
	higher := e.config(strings.Replace(reloadBefore, "task_limit = 10", "task_limit = 40", 1))
	higher.Clusters[0].PollInterval.Duration = 50 * time.Millisecond
	if err := d.Reload(ctx, higher); err != nil {
		t.Fatal(err)
	}
	// The resolution edits the warning (bot token; its receipt outlived the reloads).
	eventually(t, "resolution of the incident opened before the reloads", func() bool { return e.slack.UpdatesContaining("Resolved") == 1 })
	e.stop()
	if e.slack.PostsContaining("1 task limit incident") != 1 {
		posts, _, _ := e.slack.Snapshot()
		t.Errorf("the summary lost the incident of the window before the reloads: %+v", posts[len(posts)-1].Text)
	}
}

// The rules' FailedInvocations check reads the rules of the clusters that
// run now: after a reload that swaps cluster cron for batch, batch's rule
// is read and cron's no longer.
func TestReloadRulesForFailedInvocations(t *testing.T) {
	e := newEnv(t)
	e.sim.CreateCluster("cron")
	e.sim.CreateCluster("batch")
	e.sim.PutScheduledRule("cron-rule", "cron(0 3 * * ? *)", "cron", "etl", 1, true)
	e.sim.PutScheduledRule("batch-rule", "cron(0 4 * * ? *)", "batch", "etl", 1, true)
	const base = `
[summary]
schedule = "@every 1h"
[health]
listen = ""
`
	cluster := func(name string) string {
		return "[[cluster]]\nname = \"" + name + "\"\nregion = \"ap-northeast-1\"\npoll_interval = \"1s\"\n"
	}
	d := e.start(e.config(base + cluster("cron")))
	names := func() []string {
		var out []string
		for _, r := range d.rulesIn("ap-northeast-1", "") {
			out = append(out, r.Cluster+"/"+r.Rule)
		}
		return out
	}
	eventually(t, "cron's rule", func() bool { return strings.Join(names(), ",") == "cron/cron-rule" })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Reload(ctx, e.config(base+cluster("batch"))); err != nil {
		t.Fatal(err)
	}
	eventually(t, "batch's rule alone", func() bool { return strings.Join(names(), ",") == "batch/batch-rule" })
}

// A reload reaches the parts beyond the pollers: refused launches of a
// cluster it adds are alerted (before, they were ignored as an
// unmonitored cluster's), and [quota] turned on by a reload is checked.
// A later reload hands the open quota incident over: it is not alerted
// again, and its resolution edits the original message, once.
func TestE2EReloadReachesLaunchesAndQuota(t *testing.T) {
	e, _, q, dlq := launchEnv(t, time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC))
	e.sim.CreateCluster("batch")
	e.sim.SetFargateQuota(awssim.FargateOnDemand, 10)
	e.sim.SetFargateBaseUsage(awssim.FargateOnDemand, 8.5) // 85%: a warning, once checked
	withBatch := func(toml string) string {
		return toml + "\n[[cluster]]\nname = \"batch\"\nregion = \"ap-northeast-1\"\npoll_interval = \"1s\"\n"
	}
	d := e.start(e.config(launchTOML(q, dlq, false)))
	drained := func() bool { v, in := e.sim.QueueDepth(q); return v+in == 0 }

	// batch is not monitored yet: its refused launch is not alerted.
	refused := strings.ReplaceAll(cloudTrailSample(t, "runtask-fargate-vcpu-quota.json"), "cluster/cron", "cluster/batch")
	e.sim.SendRaw(q, refused)
	eventually(t, "the record before the reload consumed", drained)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Reload(ctx, e.config(withBatch(launchTOML(q, dlq, true)))); err != nil {
		t.Fatal(err)
	}
	eventually(t, "quota warning after the reload turned [quota] on", func() bool {
		return len(e.postsWith("Fargate vCPU quota warning")) == 1
	})
	if n := len(e.postsWith("Launch failed")); n != 0 {
		t.Fatalf("%d launch failures alerted for batch before it was monitored", n)
	}
	e.sim.SendRaw(q, strings.ReplaceAll(refused, "a1b2c3d4-0001", "a1b2c3d4-0002")) // another run's record
	eventually(t, "batch's refused launch alerted", func() bool { return len(e.postsWith("Launch failed", "batch")) == 1 })

	// Another reload (batch's poll interval changes): the open quota
	// incident is handed over, not alerted again.
	// The FailedInvocations check reads GetMetricData too: the quota
	// watcher's own mark is its quota read, which a new watcher makes
	// first; the usage reads after it mean its first check was handed on.
	quotaReads := e.sim.Calls("servicequotas:GetServiceQuota")
	if err := d.Reload(ctx, e.config(strings.Replace(withBatch(launchTOML(q, dlq, true)), `poll_interval = "1s"`+"\n", `poll_interval = "2s"`+"\n", 1))); err != nil {
		t.Fatal(err)
	}
	var checks int
	eventually(t, "the new quota watcher's first check", func() bool {
		if e.sim.Calls("servicequotas:GetServiceQuota") < quotaReads+2 {
			return false
		}
		checks = e.sim.Calls("cloudwatch:GetMetricData")
		return true
	})
	eventually(t, "quota checks after it", func() bool { return e.sim.Calls("cloudwatch:GetMetricData") >= checks+4 })
	if n := len(e.postsWith("Fargate vCPU quota warning")); n != 1 {
		t.Errorf("%d quota warnings after the second reload, want the first alone", n)
	}
	e.sim.SetFargateBaseUsage(awssim.FargateOnDemand, 3)
	eventually(t, "quota resolved", func() bool { return e.slack.UpdatesContaining("Resolved: Fargate vCPU quota") == 1 })
	if n := len(e.postsWith("Fargate vCPU quota", "fargate_quota")); n != 1 {
		t.Errorf("%d quota posts, want the warning alone (its resolution edits it): %+v", n, e.postsWith("Fargate vCPU quota", "fargate_quota"))
	}
}

// The reload's warning names every setting that differs and is read only
// at start, so none is ignored without a word.
func TestReloadNamesStartOnlySettings(t *testing.T) {
	logs := &testWriter{t: t}
	d := &Daemon{log: slog.New(slog.NewJSONHandler(logs, nil))}
	old := &config.Config{}
	cur := &config.Config{}
	cur.State.Backend = "dynamodb"
	cur.Heartbeat.Interval.Duration = time.Minute
	cur.Events.RollupInterval.Duration = time.Minute
	cur.Events.SchedulerDLQURL = "https://sqs.ap-northeast-1.amazonaws.com/123456789012/dlq"
	cur.Quota.Enabled = true // reloadable: not named
	d.logReload(old, cur)
	if got := logs.logged(`"restart_needed":["events.rollup_interval","events.scheduler_dlq_url","heartbeat","state"]`); len(got) != 1 {
		t.Errorf("reload warning = %q, want it to name the four start-only settings that differ", logs.logged("configuration reloaded"))
	}
}
