package daemon

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

const eventsConfig = `
[slack]
token = "${SLACK_BOT_TOKEN}"
channel = "#cron-alerts"
api_url = "{{SLACK}}"

[datadog]
address = "{{STATSD}}"

[summary]
schedule = "@every 1h"

[events]
queue_url = "{{QUEUE}}"
region = "ap-northeast-1"
receivers = 2
wait_time = "1s"
visibility_timeout = "1s"
storm_threshold = 5
storm_window = "1m"
rollup_interval = "5s"

[health]
listen = ""

[[cluster]]
name = "cron"
region = "ap-northeast-1"
poll_interval = "1h"
`

// eventsEnv adds the event queue (with its DLQ after 3 receives) and the
// task definitions the sample events name.
func eventsEnv(t testing.TB) (*env, string) {
	e := newEnv(t)
	e.sim.CreateCluster("cron")
	dlqARN := "arn:aws:sqs:ap-northeast-1:123456789012:events-dlq"
	e.sim.CreateQueue("events-dlq", nil)
	q := e.sim.CreateQueue("events", map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"3"}`, dlqARN),
	})
	// points-expiry:31 marks its Datadog agent non-essential, as the
	// sample event's task definition would.
	for i := 0; i < 31; i++ {
		if _, err := e.sim.RegisterTaskDefinition("points-expiry",
			awssim.ContainerDef{Name: "app", Image: "app"},
			awssim.ContainerDef{Name: "datadog-agent", Image: "datadog/agent", NonEssential: true}); err != nil {
			t.Fatal(err)
		}
	}
	return e, q
}

func (e *env) eventsConfig(queue string, replace ...string) {
	e.t.Helper()
	toml := strings.Replace(eventsConfig, "{{QUEUE}}", queue, 1)
	toml = strings.NewReplacer(replace...).Replace(toml)
	e.start(e.config(toml))
}

// sampleEvents is the one copy of the sample ECS events, at the module root.
const sampleEvents = "../../testdata/events"

func sample(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sampleEvents, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// withTask rewrites a sample event for another task and event id, so one
// sample can stand for many runs.
func withTask(t testing.TB, body string, i int) string {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		t.Fatal(err)
	}
	detail := ev["detail"].(map[string]any)
	arn := fmt.Sprintf("arn:aws:ecs:ap-northeast-1:123456789012:task/cron/%032x", i+1)
	ev["id"] = fmt.Sprintf("00000000-0000-4000-8000-%012x", i+1)
	ev["resources"] = []string{arn}
	detail["taskArn"] = arn
	for _, c := range detail["containers"].([]any) {
		c.(map[string]any)["taskArn"] = arn
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// Each sample event produces exactly the expected alert or none.
func TestE2ESampleEvents(t *testing.T) {
	e, q := eventsEnv(t)
	e.eventsConfig(q)
	for _, name := range []string{"stopped-essential-exit1.json", "stopped-all-exit0.json", "stopped-failed-to-start-pull-error.json",
		"stopped-oom-137.json", "running-events-rule.json", "stopped-sidecar-143-app-0.json"} {
		e.sim.SendRaw(q, sample(t, name))
	}
	eventually(t, "queue drained", func() bool { v, in := e.sim.QueueDepth(q); return v+in == 0 })
	posts, _, _ := e.slack.Snapshot()
	want := map[string]string{
		"billing-batch-daily":    "exit code",     // exit 1
		"sync-inventory-hourly":  "never",         // CannotPullContainerError
		"image-resizer-backfill": "out of memory", // OOM
	}
	if len(posts) != len(want) {
		for _, p := range posts {
			t.Log(p.Text)
		}
		t.Fatalf("posts = %d, want %d", len(posts), len(want))
	}
	for job, cause := range want {
		found := false
		for _, p := range posts {
			if strings.Contains(p.Text+p.Attachments, job) {
				found = true
				if !strings.Contains(strings.ToLower(p.Text+p.Attachments), cause) {
					t.Errorf("%s alert does not say %q:\n%s", job, cause, p.Attachments)
				}
			}
		}
		if !found {
			t.Errorf("no alert for %s", job)
		}
	}
	for _, quiet := range []string{"report-export", "points-expiry"} {
		if e.slack.PostsContaining(quiet) != 0 {
			t.Errorf("%s must not alert (success / non-essential sidecar)", quiet)
		}
	}
	eventually(t, "failure metric", func() bool {
		return e.statsd.Has("ecs_cron.task.failed:1|c", "job:billing-batch-daily", "exit_code:1")
	})
}

// The same event three times alerts once; a malformed message is left to
// the redrive policy and lands in the dead-letter queue.
func TestE2ERedeliveredOnceMalformedToDLQ(t *testing.T) {
	e, q := eventsEnv(t)
	e.eventsConfig(q)
	body := sample(t, "stopped-essential-exit1.json")
	for i := 0; i < 3; i++ {
		e.sim.SendRaw(q, body)
	}
	e.sim.SendRaw(q, `{"version":"0","detail-type":"ECS Task State Change","detail":`)
	eventually(t, "malformed in the DLQ", func() bool { return len(e.sim.Messages("events-dlq")) == 1 })
	eventually(t, "queue drained", func() bool { v, in := e.sim.QueueDepth(q); return v+in == 0 })
	if n := e.slack.PostsContaining("billing-batch-daily"); n != 1 {
		t.Errorf("alerts = %d, want 1 for three copies of one event", n)
	}
	eventually(t, "malformed counted", func() bool { return e.statsd.Has("ecs_cron.events.malformed:1|c") })
}

// Slack down for a while, then back: nothing is deleted while down, and
// every alert is delivered exactly once when it returns.
func TestE2ESlackOutageLosesNothing(t *testing.T) {
	e, q := eventsEnv(t)
	e.slack.SetDown(true)
	e.eventsConfig(q)
	const n = 4
	for i := 0; i < n; i++ {
		e.sim.SendRaw(q, withTask(t, sample(t, "stopped-essential-exit1.json"), i))
	}
	eventually(t, "retries during the outage", func() bool {
		_, _, req := e.slack.Snapshot()
		return req >= 3*n && e.sim.Calls("sqs:ChangeMessageVisibility") >= n
	})
	if d := e.sim.Calls("sqs:DeleteMessage"); d != 0 {
		t.Fatalf("%d messages deleted while Slack was down", d)
	}
	if v, in := e.sim.QueueDepth(q); v+in != n {
		t.Fatalf("queue holds %d messages, want %d", v+in, n)
	}
	e.slack.SetDown(false)
	eventually(t, "every alert delivered", func() bool { return e.slack.PostsContaining("billing-batch-daily") >= n })
	eventually(t, "queue drained", func() bool { v, in := e.sim.QueueDepth(q); return v+in == 0 })
	posts, _, _ := e.slack.Snapshot()
	seen := map[string]int{}
	for _, p := range posts {
		for i := 0; i < n; i++ {
			if strings.Contains(p.Attachments, fmt.Sprintf("%032x", i+1)) {
				seen[fmt.Sprint(i)]++
			}
		}
	}
	for i := 0; i < n; i++ {
		if seen[fmt.Sprint(i)] != 1 {
			t.Errorf("task %d alerted %d times, want once", i, seen[fmt.Sprint(i)])
		}
	}
	if len(e.sim.Messages("events-dlq")) != 0 {
		t.Errorf("a delivery outage must not push events to the DLQ")
	}
}

// A storm of 200 failures of one job: at most 10 Slack messages, and all
// 200 counted in the roll-up and the summary.
func TestE2EStormCollapses(t *testing.T) {
	e, q := eventsEnv(t)
	// Long enough a visibility that no message comes back while its
	// failure waits for the next roll-up.
	e.eventsConfig(q, `visibility_timeout = "1s"`, `visibility_timeout = "30s"`, `rollup_interval = "5s"`, `rollup_interval = "10s"`)
	body := sample(t, "stopped-oom-137.json")
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < 200; i += 4 {
				e.sim.SendRaw(q, withTask(t, body, i))
			}
		}(w)
	}
	wg.Wait()
	testkit.EventuallyWithin(t, 30*time.Second, "queue drained", func() bool { v, in := e.sim.QueueDepth(q); return v+in == 0 })
	e.stop() // closes the roll-up and flushes the summary
	posts, updates, _ := e.slack.Snapshot()
	var alerts, summaries []testkit.SlackMessage
	for _, p := range posts {
		if strings.Contains(p.Attachments, "summary") {
			summaries = append(summaries, p)
		} else {
			alerts = append(alerts, p)
		}
	}
	if got := len(alerts) + len(updates); got > 10 {
		t.Errorf("storm produced %d Slack messages (posts+updates), want at most 10", got)
	}
	last := alerts[len(alerts)-1]
	if len(updates) > 0 {
		last = updates[len(updates)-1]
	}
	// The roll-up states the job's total, the 5 single alerts included, as
	// the summary does.
	if !strings.Contains(last.Attachments, "200 failures") {
		t.Errorf("final roll-up should count all 200 failures, the 5 single alerts included:\n%s", last.Attachments)
	}
	if len(summaries) != 1 || !strings.Contains(summaries[0].Attachments, "failed 200") {
		t.Errorf("summary should count all 200 failures: %+v", summaries)
	}
}

// A job routed to a channel Slack does not know: the refusal is permanent,
// so the event is deleted after one delivery (not received again until
// the dead-letter queue), logged once with Slack's reason, counted, and
// named in the summary.
func TestE2EPermanentSlackErrorDeletesEvent(t *testing.T) {
	e, q := eventsEnv(t)
	e.slack.Refuse("#gone", "channel_not_found")
	e.eventsConfig(q, `poll_interval = "1h"`, `poll_interval = "1h"
[[cluster.job]]
family = "billing-batch"
slack_channel = "#gone"`)
	e.sim.SendRaw(q, sample(t, "stopped-essential-exit1.json"))
	eventually(t, "queue drained", func() bool { v, in := e.sim.QueueDepth(q); return v+in == 0 })
	eventually(t, "refusal counted", func() bool {
		return e.statsd.Has("ecs_cron.alerts.rejected:1|c", "kind:failed_task", "reason:channel_not_found")
	})
	if r := e.sim.Calls("sqs:DeleteMessage"); r != 1 {
		t.Errorf("DeleteMessage calls = %d, want 1", r)
	}
	if len(e.sim.Messages("events-dlq")) != 0 {
		t.Errorf("the event went to the dead-letter queue")
	}
	if _, _, req := e.slack.Snapshot(); req != 1 {
		t.Errorf("Slack requests = %d, want 1: a permanent error is not retried", req)
	}
	if n := len(e.logs.logged("channel_not_found")); n != 1 {
		t.Errorf("%d log lines for the refusal, want 1", n)
	}
	e.stop()
	if n := e.slack.PostsContaining("alert not delivered (channel_not_found"); n != 1 {
		posts, _, _ := e.slack.Snapshot()
		t.Errorf("the summary does not name the refused alert (%d posts): %+v", len(posts), posts)
	}
}
