package daemon

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// launchTOML is the events configuration (events_e2e_test.go) with the
// Scheduler dead-letter queue, a [quota] table and one-second polls.
func launchTOML(q, dlq string, quota bool) string {
	return strings.NewReplacer(
		"{{QUEUE}}", q,
		"[events]\n", "[events]\nscheduler_dlq_url = \""+dlq+"\"\n",
		"[health]\n", fmt.Sprintf("[quota]\nenabled = %v\nrenotify_interval = \"1h\"\n\n[health]\n", quota),
		`poll_interval = "1h"`, `poll_interval = "1s"`,
	).Replace(eventsConfig)
}

// launchEnv is a simulator on a settable clock with the event queue, the
// Scheduler dead-letter queue and the cron cluster; the daemon's account
// checks run every 100 ms of real time.
func launchEnv(t *testing.T, start time.Time) (*env, *testkit.Clock, string, string) {
	clock := testkit.NewClock(start)
	e := newEnvWith(t, envOptions{Now: clock.Now})
	e.accountInterval = 100 * time.Millisecond
	e.sim.CreateCluster("cron")
	q := e.sim.CreateQueue("events", nil)
	dlq := e.sim.CreateQueue("sched-dlq", nil)
	e.sim.RouteTaskEvents(q)
	return e, clock, q, dlq
}

func (e *env) launchConfig(q, dlq string, quota bool) {
	e.t.Helper()
	e.start(e.config(launchTOML(q, dlq, quota)))
}

// postsWith returns the Slack posts whose text holds every one of subs.
func (e *env) postsWith(subs ...string) []testkit.SlackMessage {
	posts, _, _ := e.slack.Snapshot()
	var out []testkit.SlackMessage
next:
	for _, p := range posts {
		for _, s := range subs {
			if !strings.Contains(p.Text+p.Attachments, s) {
				continue next
			}
		}
		out = append(out, p)
	}
	return out
}

func cloudTrailSample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "cloudtrail", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Each launch-failure source produces one launch_failed with the job and
// its cause: a full vCPU quota (CloudTrail), a bad subnet (CloudTrail and
// the Scheduler dead letter: one alert), a rule's role that cannot be
// assumed (FailedInvocations only), a schedule's role that may not run the
// task (the dead letter only). A redelivered record alerts nothing more. The
// missed run of each then names its launch failure.
func TestE2ELaunchFailuresEverySource(t *testing.T) {
	e, clock, q, dlq := launchEnv(t, time.Date(2026, 3, 9, 1, 59, 0, 0, time.UTC))
	for _, f := range []string{"billing", "report", "export", "sync"} {
		if _, err := e.sim.RegisterTaskDefinition(f); err != nil {
			t.Fatal(err)
		}
	}
	e.sim.PutScheduledRule("billing-nightly", "cron(0 2 * * ? *)", "cron", "billing", 1, true)
	e.sim.PutScheduledRule("report-nightly", "cron(0 2 * * ? *)", "cron", "report", 1, true)
	e.sim.PutSchedule(awssim.ScheduleSpec{Name: "export-nightly", Expr: "cron(0 2 * * ? *)", Cluster: "cron", Family: "export", DeadLetterQueue: "sched-dlq"})
	e.sim.PutSchedule(awssim.ScheduleSpec{Name: "sync-nightly", Expr: "cron(0 2 * * ? *)", Cluster: "cron", Family: "sync", DeadLetterQueue: "sched-dlq"})
	e.sim.SetFargateQuota(awssim.FargateOnDemand, 2)
	e.sim.SetFargateBaseUsage(awssim.FargateOnDemand, 1.9) // no room for a 0.25 vCPU task
	e.sim.RefuseLaunches("report-nightly", awssim.LaunchRefusal{BeforeRunTask: true, Code: "AccessDeniedException",
		Message: "EventBridge could not assume the rule's role"})
	// Scheduler's role may not call RunTask: no CloudTrail record of a
	// call, only the dead letter.
	e.sim.RefuseLaunches("sync-nightly", awssim.LaunchRefusal{BeforeRunTask: true, Code: "AccessDeniedException",
		Message: "User: arn:aws:sts::123456789012:assumed-role/schedulerRole/x is not authorized to perform: ecs:RunTask"})
	e.sim.RefuseLaunches("export-nightly", awssim.LaunchRefusal{Code: "InvalidParameterException",
		Message: "Error retrieving subnet information for [subnet-0a1b2c3d4e5f60718]: The subnet ID 'subnet-0a1b2c3d4e5f60718' does not exist"})
	e.launchConfig(q, dlq, false)
	eventually(t, "start-up line", func() bool {
		return len(e.logs.logged("ecs-cron-monitor started", `"launch_sources":["cloudtrail","scheduler_dlq","failed_invocations"]`)) == 1
	})
	eventually(t, "schedules discovered", func() bool {
		return e.sim.Calls("events:ListTargetsByRule") >= 2 && e.sim.Calls("scheduler:GetSchedule") >= 2
	})

	clock.Add(time.Minute) // 02:00: everything fires, nothing starts
	if started, err := e.sim.FireDue(clock.Now()); err != nil || len(started) != 0 {
		t.Fatalf("FireDue started %v (err %v), want nothing", started, err)
	}
	sample := cloudTrailSample(t, "runtask-fargate-vcpu-quota.json")
	e.sim.SendRaw(q, sample)
	e.sim.SendRaw(q, sample) // EventBridge delivered it twice
	eventually(t, "CloudTrail and dead-letter launch failures alerted", func() bool {
		return len(e.postsWith("Launch failed", "billing-nightly")) == 1 && len(e.postsWith("Launch failed", "export-nightly")) == 1 &&
			len(e.postsWith("Launch failed", "billing-batch-daily")) == 1 && len(e.postsWith("Launch failed", "sync-nightly")) == 1
	})
	if p := e.postsWith("Launch failed", "sync-nightly")[0]; !strings.Contains(p.Text, "access denied") ||
		!strings.Contains(p.Attachments, monitor.LaunchSourceSchedulerDLQ) {
		t.Errorf("sync-nightly alert does not name access denied from the dead letter: %s", p.Attachments)
	}
	if p := e.postsWith("Launch failed", "billing-nightly")[0]; !strings.Contains(p.Text, "Fargate vCPU quota reached") {
		t.Errorf("billing-nightly alert does not name the quota: %s", p.Text)
	}
	if p := e.postsWith("Launch failed", "export-nightly")[0]; !strings.Contains(p.Text, "invalid configuration") || !strings.Contains(p.Attachments, "subnet") {
		t.Errorf("export-nightly alert does not name the subnet: %s", p.Text)
	}
	eventually(t, "queues drained", func() bool {
		v, in := e.sim.QueueDepth(q)
		dv, din := e.sim.QueueDepth(dlq)
		return v+in+dv+din == 0
	})

	clock.Add(6 * time.Minute) // 02:06: past the metric's grace and the runs' grace
	eventually(t, "FailedInvocations launch failure and missed runs", func() bool {
		return len(e.postsWith("Launch failed", "report-nightly")) == 1 && len(e.postsWith("Missed run")) == 4
	})
	if p := e.postsWith("Launch failed", "report-nightly")[0]; !strings.Contains(p.Attachments, monitor.LaunchSourceRuleMetric) {
		t.Errorf("report-nightly alert does not name its source: %s", p.Attachments)
	}
	for job, why := range map[string]string{
		"billing-nightly": "did not start: Fargate vCPU quota reached",
		"export-nightly":  "did not start: invalid configuration",
		"report-nightly":  "did not start: launch refused",
		"sync-nightly":    "did not start: access denied",
	} {
		if ps := e.postsWith("Missed run", job); len(ps) != 1 || !strings.Contains(ps[0].Text, why) {
			t.Errorf("missed run of %s = %v, want one naming %q", job, ps, why)
		}
	}
	// Three more FailedInvocations reads of the same minute: nothing new.
	reads := e.sim.Calls("cloudwatch:GetMetricData")
	eventually(t, "more metric reads", func() bool { return e.sim.Calls("cloudwatch:GetMetricData") >= reads+3 })
	if n := len(e.postsWith("Launch failed")); n != 5 {
		t.Errorf("launch_failed alerts = %d, want 5 (one per failed run)", n)
	}
	// Whichever of its two sources came first (CloudTrail or the dead
	// letter), one log line names it and AWS's error code.
	if len(e.logs.logged(`"kind":"launch_failed"`, `"job":"export-nightly"`, `"source":"`, `"error_code":"InvalidParameterException"`)) != 1 {
		t.Error("want one log line of export-nightly's launch failure with its source and error code")
	}
	eventually(t, "job.launch_failed metric", func() bool {
		return e.statsd.Has("ecs_cron.job.launch_failed", "job:billing-nightly", "cause:fargate_vcpu_quota") &&
			e.statsd.Has("ecs_cron.job.launch_failed", "job:export-nightly", "cause:invalid_configuration")
	})
}

// Usage crossing the quota's thresholds warns, escalates and resolves;
// gauges carry account, region and class; once reports the open incident.
func TestE2EFargateQuota(t *testing.T) {
	e, _, q, dlq := launchEnv(t, time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC))
	e.sim.SetFargateQuota(awssim.FargateOnDemand, 10)
	e.sim.SetFargateBaseUsage(awssim.FargateOnDemand, 8.5)

	cfg := e.config(launchTOML(q, dlq, true))
	d, err := New(t.Context(), cfg, Options{Now: e.now})
	if err != nil {
		t.Fatal(err)
	}
	var once []monitor.Finding
	for _, f := range d.Once(t.Context()) {
		if f.Kind == monitor.KindFargateQuota {
			once = append(once, f)
		}
	}
	if len(once) != 1 || once[0].Severity != monitor.SeverityWarning || once[0].Class != "OnDemand" || once[0].Account != "123456789012" {
		t.Fatalf("once fargate_quota findings = %+v, want one OnDemand warning", once)
	}
	b, _ := json.Marshal(once[0])
	if !strings.Contains(string(b), `"kind":"fargate_quota"`) || !strings.Contains(string(b), `"value":9`) {
		t.Errorf("once JSON = %s", b)
	}

	e.start(cfg)
	eventually(t, "quota warning", func() bool { return len(e.postsWith("Fargate vCPU quota warning")) == 1 })
	e.sim.SetFargateBaseUsage(awssim.FargateOnDemand, 9.7)
	eventually(t, "quota escalated", func() bool { return len(e.postsWith("Fargate vCPU quota escalated to critical")) == 1 })
	e.sim.SetFargateBaseUsage(awssim.FargateOnDemand, 3)
	// The resolution edits the incident's last alert (bot token).
	eventually(t, "quota resolved", func() bool { return e.slack.UpdatesContaining("Resolved: Fargate vCPU quota") == 1 })
	if len(e.logs.logged(`"kind":"fargate_quota"`, `"account":"123456789012"`, `"class":"OnDemand"`)) == 0 {
		t.Error("no log line of the quota incident with its account and class")
	}
	if n := len(e.postsWith("Fargate vCPU quota")); n != 2 {
		t.Errorf("quota posts = %d, want 2 (warn, escalate; the resolution edits the escalation)", n)
	}
	if !e.statsd.Has("ecs_cron.account.fargate_vcpu.utilization", "account:123456789012", "region:ap-northeast-1", "class:OnDemand") {
		t.Error("no account.fargate_vcpu.utilization gauge with account, region and class")
	}
	if n := e.sim.Calls("servicequotas:GetServiceQuota"); n > 4 {
		t.Errorf("GetServiceQuota calls = %d, want the quotas read once per 10 minutes (2 classes, once and run)", n)
	}
}

// Without servicequotas:GetServiceQuota, one monitor_error names the
// action, however many checks fail, and launch failures are still alerted.
func TestE2EQuotaPermissionMissing(t *testing.T) {
	e, _, q, dlq := launchEnv(t, time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC))
	e.sim.InjectFault(awssim.Fault{Op: "servicequotas:GetServiceQuota", Code: "AccessDeniedException",
		Message: "User: arn:aws:sts::123456789012:assumed-role/monitor/x is not authorized to perform: servicequotas:GetServiceQuota"})
	e.launchConfig(q, dlq, true)
	eventually(t, "quota checks keep failing", func() bool { return e.sim.Calls("servicequotas:GetServiceQuota") >= 5 })
	e.sim.SendRaw(q, cloudTrailSample(t, "runtask-access-denied-passrole.json"))
	eventually(t, "launch failure alerted", func() bool { return len(e.postsWith("Launch failed", "sync-inventory-hourly")) == 1 })
	errs := e.postsWith("Monitor error")
	if len(errs) != 1 || !strings.Contains(errs[0].Text, "servicequotas:GetServiceQuota") {
		t.Errorf("monitor_error posts = %v, want one naming servicequotas:GetServiceQuota", errs)
	}
	if p := e.postsWith("Launch failed", "sync-inventory-hourly")[0]; !strings.Contains(p.Text, "access denied") {
		t.Errorf("PassRole failure not classified access_denied: %s", p.Text)
	}
}
