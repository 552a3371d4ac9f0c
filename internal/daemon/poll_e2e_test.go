package daemon

import (
	"strings"
	"testing"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
)

const pollConfig = `
[slack]
token = "${SLACK_BOT_TOKEN}"
channel = "#cron-alerts"
api_url = "{{SLACK}}"

[datadog]
address = "{{STATSD}}"
namespace = "ecs_cron."

[summary]
schedule = "@every 1h"

[health]
listen = ""

[[cluster]]
name = "cron"
region = "ap-northeast-1"
task_limit = 10
warn_percent = 80
critical_percent = 95
max_concurrent = 0
poll_interval = "1s"
renotify_interval = "1h"

  [[cluster.job]]
  rule = "billing-batch-daily"
  max_concurrent = 1
`

func register(t *testing.T, sim *awssim.Server, families ...string) {
	t.Helper()
	for _, f := range families {
		if _, err := sim.RegisterTaskDefinition(f, awssim.ContainerDef{Name: "app", Image: "example/" + f}); err != nil {
			t.Fatal(err)
		}
	}
}

func run(t *testing.T, sim *awssim.Server, cluster, family, startedBy string, n int) []string {
	t.Helper()
	arns, err := sim.RunTasks(cluster, family, startedBy, n)
	if err != nil {
		t.Fatal(err)
	}
	return arns
}

// The limit incident opens at warning, escalates to critical and resolves,
// one Slack message each, with gauges and counters in DogStatsD.
func TestE2ETaskLimitCrossingEscalatingResolving(t *testing.T) {
	e := newEnv(t)
	e.sim.CreateCluster("cron")
	register(t, e.sim, "etl")
	cfg := e.config(pollConfig)
	cfg.Clusters[0].PollInterval.Duration = 50e6 // 50ms
	d := e.start(cfg)

	filler := run(t, e.sim, "cron", "etl", "events-rule/etl-a", 8) // 80%: warning
	eventually(t, "warning alert", func() bool { return e.slack.PostsContaining("warning") >= 1 })
	more := run(t, e.sim, "cron", "etl", "events-rule/etl-b", 2) // 100%: critical
	eventually(t, "escalation", func() bool { return e.slack.PostsContaining("critical") >= 1 })
	if err := e.sim.StopTasks("cron", "done", append(filler[:6], more...)...); err != nil {
		t.Fatal(err)
	}
	// The resolution edits the incident's last alert (bot token).
	eventually(t, "resolution", func() bool { return e.slack.UpdatesContaining("Resolved") >= 1 })
	posts, updates, _ := e.slack.Snapshot()
	if len(posts) != 2 || len(updates) != 1 || updates[0].TS != posts[1].TS {
		t.Errorf("posts = %d, updates = %d, want warning and critical posted and the critical one edited to resolved (no message per poll)", len(posts), len(updates))
	}
	for _, p := range posts {
		if p.Channel != "#cron-alerts" {
			t.Errorf("posted to %q", p.Channel)
		}
	}
	if !strings.Contains(posts[0].Attachments, "8") || !strings.Contains(posts[0].Attachments, "10") {
		t.Errorf("warning should show 8 of 10 tasks: %s", posts[0].Attachments)
	}
	eventually(t, "metrics", func() bool {
		return e.statsd.Has("ecs_cron.cluster.tasks.total:", "cluster:cron") &&
			e.statsd.Has("ecs_cron.cluster.task_limit:10|g") &&
			e.statsd.Has("ecs_cron.cluster.tasks:", "status:running") &&
			e.statsd.Has("ecs_cron.incidents.opened:1|c", "kind:task_limit") &&
			e.statsd.Has("ecs_cron.alerts.sent:1|c", "kind:task_limit") &&
			e.statsd.Has("_sc|ecs_cron.cluster.poll|0")
	})
	if st := d.Health().Snapshot(); !st.Ready {
		t.Errorf("health not ready after polls: %+v", st)
	}
}

// A duplicate seen by many polls is one incident in the summary.
func TestE2EDuplicateSummarisedOnce(t *testing.T) {
	e := newEnv(t)
	e.sim.CreateCluster("cron")
	register(t, e.sim, "billing")
	cfg := e.config(pollConfig)
	cfg.Clusters[0].PollInterval.Duration = 20e6 // 20ms: many polls see the overlap
	// The summary runs in Tokyo time, so every message writes Tokyo time.
	cfg.Summary.Schedule = "CRON_TZ=Asia/Tokyo 0 9 * * *"
	e.start(cfg)
	arns := run(t, e.sim, "cron", "billing", "events-rule/billing-batch-daily", 2)
	eventually(t, "several polls", func() bool { return e.sim.Calls("ecs:ListTasks") >= 15 })
	if err := e.sim.StopTasks("cron", "done", arns[1]); err != nil {
		t.Fatal(err)
	}
	eventually(t, "duplicate resolved", func() bool { return e.statsd.Has("ecs_cron.job.running:1|g", "job:billing-batch-daily") })
	if posts, _, _ := e.slack.Snapshot(); len(posts) != 0 {
		t.Fatalf("duplicates are summary material, got %d immediate posts", len(posts))
	}
	e.stop() // shutdown flushes the partial window
	posts, _, _ := e.slack.Snapshot()
	if len(posts) != 1 {
		t.Fatalf("posts = %d, want the one summary", len(posts))
	}
	s := posts[0].Attachments
	if !strings.Contains(s, "billing-batch-daily") || !strings.Contains(s, "1 duplicate incident, peak 2 copies (max 1)") {
		t.Errorf("summary should report one duplicate incident of billing-batch-daily:\n%s", s)
	}
	if !strings.Contains(s, " JST") || strings.Contains(s, " UTC") {
		t.Errorf("summary times should be in the CRON_TZ zone (JST), zone shown:\n%s", s)
	}
}

// 250 running tasks: ListTasks pages at 100, DescribeTasks in batches of
// at most 100 on the first poll, and none once every task is known.
func TestE2EPagingAndDescribeBatches(t *testing.T) {
	e := newEnv(t)
	e.sim.CreateCluster("big")
	register(t, e.sim, "etl")
	run(t, e.sim, "big", "etl", "events-rule/etl", 250)
	cfg := e.config(strings.Replace(pollConfig, `name = "cron"`, `name = "big"`, 1))
	cfg.Clusters[0].TaskLimit = 1000
	cfg.Clusters[0].PollInterval.Duration = 3600e9
	d, err := New(t.Context(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.sim.ResetCalls()
	d.Once(t.Context())
	if got := e.sim.Calls("ecs:ListTasks"); got != 3 {
		t.Errorf("first poll ListTasks = %d, want 3 pages", got)
	}
	if got := e.sim.Calls("ecs:DescribeTasks"); got != 3 {
		t.Errorf("first poll DescribeTasks = %d, want 3 batches", got)
	}
	e.sim.ResetCalls()
	d.Once(t.Context())
	if l, dt := e.sim.Calls("ecs:ListTasks"), e.sim.Calls("ecs:DescribeTasks"); l != 3 || dt != 0 {
		t.Errorf("steady poll: ListTasks=%d DescribeTasks=%d, want 3 and 0", l, dt)
	}
}

// An AccessDenied cluster becomes one monitor_error alert; the healthy
// cluster beside it keeps being polled; recovery resolves the error.
func TestE2EAccessDeniedBesideHealthyCluster(t *testing.T) {
	e := newEnv(t)
	e.sim.CreateCluster("cron")
	e.sim.CreateCluster("locked")
	register(t, e.sim, "etl")
	remove := e.sim.InjectFault(awssim.Fault{Op: "ecs:ListTasks", Cluster: "locked", Code: "AccessDeniedException",
		Message: "User: arn:aws:sts::123456789012:assumed-role/monitor is not authorized to perform: ecs:ListTasks"})
	toml := pollConfig + `
[[cluster]]
name = "locked"
region = "ap-northeast-1"
poll_interval = "1s"
`
	cfg := e.config(toml)
	for i := range cfg.Clusters {
		cfg.Clusters[i].PollInterval.Duration = 30e6
	}
	e.start(cfg)
	run(t, e.sim, "cron", "etl", "events-rule/etl", 9)
	eventually(t, "monitor_error alert", func() bool { return e.slack.PostsContaining("not authorized") >= 1 })
	// Start-up says, in one line, what is missing.
	eventually(t, "start-up line naming the missing permission", func() bool {
		return len(e.logs.logged(`"level":"WARN"`, "started with problems", "cluster locked", "ecs:ListTasks")) == 1
	})
	eventually(t, "healthy cluster alert", func() bool { return e.slack.PostsContaining("warning") >= 1 })
	eventually(t, "error metric", func() bool {
		return e.statsd.Has("ecs_cron.poll.errors:1|c", "cluster:locked", "error:AccessDeniedException")
	})
	before := e.sim.Calls("ecs:ListTasks")
	eventually(t, "more polls", func() bool { return e.sim.Calls("ecs:ListTasks") > before+5 })
	if n := e.slack.PostsContaining("not authorized"); n != 1 {
		t.Errorf("monitor_error alerted %d times, want once while it lasts", n)
	}
	// Every denied answer carries a fresh request id, as AWS's do; twenty
	// polls of the locked cluster still log its failure once.
	denied := func() int { return e.sim.Calls("ecs:ListTasks") } // both clusters poll at the same pace
	from := denied()
	eventually(t, "20 more polls of each cluster", func() bool { return denied() >= from+40 })
	if n := len(e.logs.logged(`"msg":"poll failed"`, `"cluster":"locked"`)); n != 1 {
		t.Errorf("poll failed logged %d times for the locked cluster, want 1", n)
	}
	remove()
	eventually(t, "monitor_error resolved (its alert edited)", func() bool { return e.slack.UpdatesContaining("polling works again") >= 1 })
}

// Slack answers 429 then 200: the alert is delivered once, after Retry-After.
func TestE2ESlackRateLimitedThenOK(t *testing.T) {
	e := newEnv(t)
	e.sim.CreateCluster("cron")
	register(t, e.sim, "etl")
	e.slack.Script = []int{429}
	cfg := e.config(pollConfig)
	cfg.Clusters[0].PollInterval.Duration = 50e6
	e.start(cfg)
	run(t, e.sim, "cron", "etl", "events-rule/etl", 9)
	eventually(t, "alert after 429", func() bool { return e.slack.PostsContaining("warning") == 1 })
	_, _, requests := e.slack.Snapshot()
	if requests != 2 {
		t.Errorf("requests = %d, want the 429 and the retry", requests)
	}
}
