package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
)

const preflightConfig = `
[slack]
webhook_url = "${SLACK_WEBHOOK_URL}"
[datadog]
address = "${DD_AGENT_ADDRESS}"
[events]
queue_url = %q
region = "ap-northeast-1"
[health]
listen = ""
[[cluster]]
name = "cron"
region = "ap-northeast-1"
task_limit = 10
  [[cluster.job]]
  family = "ledger"
  schedule = "cron(0 4 * * ? *)"
  mention = "${LEDGER_ONCALL}"
  [[cluster.job]]
  family = "invoices"
  schedule = "cron(30 4 * * ? *)"
`

// preflightSim is a cluster with one EventBridge rule and one Scheduler
// schedule starting tasks on it, one task running, and the events queue
// holding two messages.
func preflightSim(t *testing.T) (*awssim.Server, string) {
	t.Helper()
	sim := inProcessAWS(t)
	sim.CreateCluster("cron")
	for _, family := range []string{"report", "export", "etl"} {
		if _, err := sim.RegisterTaskDefinition(family); err != nil {
			t.Fatal(err)
		}
	}
	sim.PutScheduledRule("nightly-report", "cron(0 3 * * ? *)", "cron", "report", 1, true)
	sim.PutSchedule(awssim.ScheduleSpec{Name: "hourly-export", Expr: "rate(1 hour)", Cluster: "cron", Family: "export"})
	if _, err := sim.RunTasks("cron", "etl", "events-rule/etl", 1); err != nil {
		t.Fatal(err)
	}
	queue := sim.CreateQueue("events", nil)
	sim.SendRaw(queue, "{}")
	sim.SendRaw(queue, "{}")
	return sim, queue
}

// findingsJSON decodes `once -o json` and checks that every finding has
// every documented key.
func findingsJSON(t *testing.T, out string) []map[string]any {
	t.Helper()
	var findings []map[string]any
	if err := json.Unmarshal([]byte(out), &findings); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, out)
	}
	for _, f := range findings {
		for _, key := range []string{"kind", "severity", "cluster", "job", "value", "limit", "tasks", "message"} {
			if _, ok := f[key]; !ok {
				t.Errorf("finding lacks %q: %v", key, f)
			}
		}
	}
	return findings
}

func checksOf(findings []map[string]any) map[string]map[string]any {
	checks := map[string]map[string]any{}
	for _, f := range findings {
		if f["kind"] == "check" {
			checks[f["cluster"].(string)] = f // "" is the events queue
		}
	}
	return checks
}

// once is a pre-flight an SRE can run before deploying, with none of the
// notifier secrets set: it polls, says how many rules and schedules it
// discovered for each cluster and that the events queue is reachable, and
// names the notifier settings it left unresolved. Real SDK, simulator.
func TestOncePreflightWithoutSecrets(t *testing.T) {
	sim, queue := preflightSim(t)
	cfg := writeConfig(t, fmt.Sprintf(preflightConfig, queue))

	code, stdout, stderr := runCLI(t, noEnv, "once", cfg, "-o", "json")
	if code != 0 {
		t.Fatalf("once without secrets: exit %d, want 0; stderr:\n%s", code, stderr)
	}
	checks := checksOf(findingsJSON(t, stdout))
	discovery, q := checks["cron"], checks[""]
	if discovery == nil || discovery["severity"] != "info" || discovery["value"] != 4.0 || discovery["job"] != "" ||
		!strings.Contains(discovery["message"].(string), "rule and schedule discovery for cron: 1 EventBridge rule, 1 Scheduler schedule, 2 schedules from config") {
		t.Errorf("discovery check = %v", discovery)
	}
	if q == nil || q["severity"] != "info" || q["value"] != 2.0 ||
		!strings.Contains(q["message"].(string), "events queue events is reachable: about 2 messages waiting, 0 in flight") {
		t.Errorf("queue check = %v", q)
	}
	if n := sim.Calls("sqs:GetQueueAttributes"); n != 1 {
		t.Errorf("GetQueueAttributes calls = %d, want 1", n)
	}
	if n := sim.Calls("sqs:ReceiveMessage"); n != 0 {
		t.Errorf("once received from the queue %d times; it must leave the messages alone", n)
	}
	line := logLine(t, stderr, "notifier settings left unresolved")
	got := fmt.Sprint(line["unresolved"])
	for _, want := range []string{
		"slack.webhook_url: environment variable SLACK_WEBHOOK_URL is not set",
		"datadog.address: environment variable DD_AGENT_ADDRESS is not set",
		"cluster[0].job[0].mention: environment variable LEDGER_ONCALL is not set",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("unresolved = %s, lacks %q", got, want)
		}
	}

	// The table says the same.
	code, stdout, _ = runCLI(t, noEnv, "once", cfg)
	if code != 0 || !strings.Contains(stdout, "info      check  cron") || !strings.Contains(stdout, "events queue events is reachable") {
		t.Errorf("once (text): exit %d\n%s", code, stdout)
	}

	// run, which would deliver, still refuses the unset variables.
	code, _, stderr = runCLI(t, noEnv, "run", cfg)
	if code != 2 || !strings.Contains(stderr, "SLACK_WEBHOOK_URL is not set") {
		t.Errorf("run without secrets: exit %d, want 2; stderr:\n%s", code, stderr)
	}
}

// A failed check fails the pre-flight (exit 1) and says what failed: the
// denied discovery call by operation and AWS code, the missing queue.
func TestOncePreflightFailures(t *testing.T) {
	sim, queue := preflightSim(t)
	sim.InjectFault(awssim.Fault{Op: "events:ListRuleNamesByTarget", Code: "AccessDeniedException",
		Message: "not authorized to perform: events:ListRuleNamesByTarget"})
	cfg := writeConfig(t, fmt.Sprintf(preflightConfig, strings.TrimSuffix(queue, "events")+"no-such-queue"))

	code, stdout, stderr := runCLI(t, noEnv, "once", cfg, "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1 for failed checks; stderr:\n%s", code, stderr)
	}
	checks := checksOf(findingsJSON(t, stdout))
	discovery, q := checks["cron"], checks[""]
	if discovery == nil || discovery["severity"] != "critical" ||
		!strings.Contains(discovery["message"].(string), "discovery for cron failed: ListRuleNamesByTarget: AccessDeniedException: not authorized") ||
		!strings.Contains(discovery["message"].(string), "(found 0 EventBridge rules, 1 Scheduler schedule, 2 schedules from config)") {
		t.Errorf("discovery check = %v", discovery)
	}
	if q == nil || q["severity"] != "critical" || !strings.Contains(q["message"].(string), "events queue no-such-queue is not reachable: GetQueueAttributes: ") {
		t.Errorf("queue check = %v", q)
	}
}
