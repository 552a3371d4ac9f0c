package daemon

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/web"
)

const statusConfig = `
[slack]
token = "${SLACK_BOT_TOKEN}"
channel = "#cron-alerts"
api_url = "{{SLACK}}"
console_url = "https://console.example"

[summary]
schedule = "@every 1h"

[events]
queue_url = "{{QUEUE}}"
region = "ap-northeast-1"
wait_time = "1s"
visibility_timeout = "5s"

[[cluster]]
name = "cron"
region = "ap-northeast-1"
task_limit = 20
poll_interval = "1s"

  [[cluster.job]]
  rule = "billing-batch-daily"
  schedule = "cron(0 3 * * ? *)"

  [[cluster.job]]
  rule = "nightly-report"
  schedule = "rate(1 day)"
`

// scriptJob is a job name a page must show as text, never run.
const scriptJob = "<script>alert(1)</script>"

// statusScenario runs the real daemon against the simulator with its
// status page on a loopback listener and plays: one report-export run
// that stopped before the daemon started (backfilled), then through
// events a billing-batch-daily failure, a second report-export success,
// a success of a job named scriptJob, and a ledger-close task still
// running. It returns the page's base URL once all of it is on the page.
func statusScenario(t *testing.T) string {
	e := newEnv(t)
	e.sim.CreateCluster("cron")
	for _, fam := range []string{"billing-batch", "report-export", "cleanup", "ledger-close"} {
		if _, err := e.sim.RegisterTaskDefinition(fam,
			awssim.ContainerDef{Name: "app", Image: "example/" + fam, LogDriver: "awslogs",
				LogOptions: map[string]string{"awslogs-group": "/ecs/" + fam, "awslogs-stream-prefix": "ecs", "awslogs-region": "ap-northeast-1"}},
			awssim.ContainerDef{Name: "log-router", Image: "fluent-bit", NonEssential: true}); err != nil {
			t.Fatal(err)
		}
	}
	e.sim.SetTaskPlan("report-export", awssim.TaskPlan{RunFor: 40 * time.Millisecond})
	e.sim.SetTaskPlan("cleanup", awssim.TaskPlan{RunFor: 20 * time.Millisecond})
	e.sim.SetTaskPlan("billing-batch", awssim.TaskPlan{RunFor: 30 * time.Millisecond, ExitCodes: map[string]int{"app": 2}})
	run(t, e.sim, "cron", "report-export", "events-rule/report-export", 1)
	stopped := time.Now().Add(100 * time.Millisecond)
	e.sim.Step(stopped)
	// Stopped before the daemon starts: the backfill takes only those when
	// events report the later ones.
	eventually(t, "the stop in the past", func() bool { return time.Now().After(stopped) })

	queue, base := e.statusListener(t)
	e.start(e.config(strings.Replace(statusConfig, "{{QUEUE}}", queue, 1)))
	e.advance(t)

	eventually(t, "backfilled run on the page", func() bool {
		jobs := apiJobs(t, base)
		return len(jobs) > 0 && jobFrom(jobs, "report-export").Runs == 1
	})
	// Runs of different lengths, so the duration charts have a shape:
	// billing-batch-daily succeeds three times, then fails last.
	for _, ms := range []time.Duration{30, 50, 40} {
		e.sim.SetTaskPlan("billing-batch", awssim.TaskPlan{RunFor: ms * time.Millisecond})
		run(t, e.sim, "cron", "billing-batch", "events-rule/billing-batch-daily", 1)
	}
	e.sim.SetTaskPlan("billing-batch", awssim.TaskPlan{RunFor: 90 * time.Millisecond, ExitCodes: map[string]int{"app": 2}})
	run(t, e.sim, "cron", "billing-batch", "events-rule/billing-batch-daily", 1)
	for _, ms := range []time.Duration{60, 20, 120, 80, 100, 70} {
		e.sim.SetTaskPlan("report-export", awssim.TaskPlan{RunFor: ms * time.Millisecond})
		run(t, e.sim, "cron", "report-export", "events-rule/report-export", 1)
	}
	run(t, e.sim, "cron", "cleanup", "events-rule/"+scriptJob, 1)
	run(t, e.sim, "cron", "ledger-close", "events-rule/ledger-close", 1)
	eventually(t, "every run on the page", func() bool {
		jobs := apiJobs(t, base)
		return jobFrom(jobs, "billing-batch-daily").Runs == 4 && jobFrom(jobs, "report-export").Runs == 7 &&
			jobFrom(jobs, scriptJob).LastRun != nil && strings.Contains(get(t, base+"/"), "1 of 20 tasks")
	})
	return base
}

// statusListener routes task events to a new queue and gives the daemon
// a loopback listener for its status page; it returns both addresses.
func (e *env) statusListener(t *testing.T) (queue, base string) {
	queue = e.sim.CreateQueue("events", nil)
	e.sim.RouteTaskEvents(queue)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.listener = ln
	return queue, "http://" + ln.Addr().String()
}

// advance moves the simulator's tasks along in real time until the test ends.
func (e *env) advance(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go e.sim.AdvanceEvery(ctx, 20*time.Millisecond)
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s %v", url, resp.Status, err)
	}
	return string(b)
}

func apiJobs(t *testing.T, base string) []web.APIJob {
	var jobs []web.APIJob
	if err := json.Unmarshal([]byte(get(t, base+"/api/jobs")), &jobs); err != nil {
		t.Fatal(err)
	}
	return jobs
}

func jobFrom(jobs []web.APIJob, name string) web.APIJob {
	for _, j := range jobs {
		if j.Job == name {
			return j
		}
	}
	return web.APIJob{}
}

// The page and /api/jobs of a daemon run against the simulator: every job
// with its result, schedule and links, the cluster's task count, nothing
// secret, the hostile job name as text.
func TestE2EStatusPage(t *testing.T) {
	base := statusScenario(t)
	jobs := apiJobs(t, base)
	names := []string{}
	for _, j := range jobs {
		names = append(names, j.Job)
	}
	want := []string{scriptJob, "billing-batch-daily", "ledger-close", "nightly-report", "report-export"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("jobs %q, want %q", names, want)
	}
	b := jobFrom(jobs, "billing-batch-daily")
	if b.Cluster != "cron" || b.Schedule != "cron(0 3 * * ? *)" || b.LastRun.Result != "failure" || b.LastRun.ExitCode == nil ||
		*b.LastRun.ExitCode != 2 || b.LastRun.Cause != "exit_code" || b.Failures != 1 || b.LastSuccess.IsZero() ||
		b.LastSuccess.After(b.LastRun.StoppedAt.Time) || b.DurationP95Seconds < 0.09 ||
		b.NextExpected.Hour() != 3 || b.NextExpected.Location() != time.UTC {
		t.Errorf("billing-batch-daily = %+v", b)
	}
	r := jobFrom(jobs, "report-export")
	if r.LastRun.Result != "success" || r.Failures != 0 || r.LastSuccess.IsZero() || r.DurationP50Seconds <= 0 {
		t.Errorf("report-export = %+v", r)
	}
	if n := jobFrom(jobs, "nightly-report"); n.LastRun != nil || n.Schedule != "rate(1 day)" {
		t.Errorf("nightly-report (never ran) = %+v", n)
	}

	page := get(t, base+"/")
	billingTask := b.LastRun.TaskARN[strings.LastIndex(b.LastRun.TaskARN, "/")+1:]
	for _, w := range []string{
		`<section class="cluster" id="cluster-cron">`,
		`1 of 20 tasks (5%)`,
		`data-job="billing-batch-daily" data-result="failure"`,
		`data-job="report-export" data-result="success"`,
		`data-job="nightly-report" data-result="none"`,
		`data-job="&lt;script&gt;alert(1)&lt;/script&gt;" data-result="success"`,
		`<span class="name">&lt;script&gt;alert(1)&lt;/script&gt;</span>`,
		`<code>cron(0 3 * * ? *)</code><br>daily at 03:00 (UTC)`,
		`<code>rate(1 day)</code><br>every day`,
		`href="https://console.example/ecs/v2/clusters/cron/tasks/` + billingTask + `/configuration?region=ap-northeast-1">task</a>`,
		`/cloudwatch/home?region=ap-northeast-1#logsV2:log-groups/log-group/$252Fecs$252Fbilling-batch/log-events/ecs$252Fapp$252F` + billingTask + `">logs</a>`,
		`exit code 2`,
		`data-job="ledger-close" data-result="none"`,
		`<strong>1 running now</strong>`,
		`<rect class="failure"`,
		`<rect class="success"`,
	} {
		if !strings.Contains(page, w) {
			t.Errorf("page lacks %s", w)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("the job name became a script element")
	}
	for _, secret := range []string{"xoxb-test-token", "secret", "AKIDTEST"} {
		if strings.Contains(page, secret) || strings.Contains(get(t, base+"/api/jobs"), secret) {
			t.Errorf("the page or the API shows %q", secret)
		}
	}
	if get(t, base+"/healthz") == "" {
		t.Error("/healthz is gone beside the page")
	}
}

// alert_after_failures and suspicious_success end to end: four failures in
// a row alert once (at the third), the success after them posts the
// recovery, and a success under min_duration is in the final summary.
func TestE2EChecksThatNeedHistory(t *testing.T) {
	e := newEnv(t)
	e.sim.CreateCluster("cron")
	register(t, e.sim, "billing-batch", "report-export")
	queue, base := e.statusListener(t)
	cfg := strings.Replace(statusConfig, "{{QUEUE}}", queue, 1) + `
  [[cluster.job]]
  rule = "report-export"
  min_duration = "1s"
`
	cfg = strings.Replace(cfg, `  rule = "billing-batch-daily"
`, `  rule = "billing-batch-daily"
  alert_after_failures = 3
`, 1)
	e.start(e.config(cfg))
	e.advance(t)

	e.sim.SetTaskPlan("billing-batch", awssim.TaskPlan{RunFor: 20 * time.Millisecond, ExitCodes: map[string]int{"app": 1}})
	for i := 1; i <= 4; i++ {
		run(t, e.sim, "cron", "billing-batch", "events-rule/billing-batch-daily", 1)
		eventually(t, "failure recorded", func() bool { return jobFrom(apiJobs(t, base), "billing-batch-daily").Failures == i })
	}
	e.sim.SetTaskPlan("billing-batch", awssim.TaskPlan{RunFor: 20 * time.Millisecond})
	run(t, e.sim, "cron", "billing-batch", "events-rule/billing-batch-daily", 1)
	eventually(t, "recovery posted", func() bool { return e.slack.PostsContaining("recovered after 4 failures") == 1 })
	if n := e.slack.PostsContaining("Task failed"); n != 2 { // the third failure, and the recovery
		t.Errorf("%d posts about billing-batch-daily failures, want 2", n)
	}
	if n := e.slack.PostsContaining("(3 runs in a row failed)"); n != 1 {
		t.Errorf("%d alerts for the third failure in a row, want 1", n)
	}

	e.sim.SetTaskPlan("report-export", awssim.TaskPlan{RunFor: 20 * time.Millisecond})
	run(t, e.sim, "cron", "report-export", "events-rule/report-export", 1)
	eventually(t, "report-export run", func() bool { return jobFrom(apiJobs(t, base), "report-export").Runs == 1 })
	if n := e.slack.PostsContaining("succeeded in"); n != 0 {
		t.Errorf("a suspicious success was alerted at once (%d posts); it is summary material", n)
	}
	e.stop() // flushes the partial summary
	if e.slack.PostsContaining("1 suspiciously short success") != 1 || e.slack.PostsContaining("4 failures in a row") != 0 ||
		e.slack.PostsContaining("success rate 20%") != 1 {
		posts, _, _ := e.slack.Snapshot()
		t.Errorf("final summary lacks the suspicious success or the billing success rate: %+v", posts[len(posts)-1])
	}
}
