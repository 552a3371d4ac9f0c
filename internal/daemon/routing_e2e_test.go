package daemon

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// With incoming webhooks only, each job's alert arrives at its own
// webhook; a job without one uses the global webhook; a job whose webhook
// Slack does not know is refused for good, and its URL appears in no log.
func TestE2EPerJobWebhooks(t *testing.T) {
	e, q := eventsEnv(t)
	global := e.slack.AddWebhook("/services/T0/B0/globalSECRET")
	billing := e.slack.AddWebhook("/services/T0/B1/billingSECRET")
	sync := e.slack.AddWebhook("/services/T0/B2/syncSECRET")
	gone := e.slack.URL + "/services/T0/B3/goneSECRET"
	toml := strings.Replace(eventsConfig, "{{QUEUE}}", q, 1)
	toml = strings.Replace(toml, `token = "${SLACK_BOT_TOKEN}"
channel = "#cron-alerts"
api_url = "{{SLACK}}"`, `webhook_url = "`+global+`"`, 1)
	toml += `
[[cluster.job]]
family = "billing-batch"
slack_webhook_url = "` + billing + `"
[[cluster.job]]
family = "sync-inventory"
slack_webhook_url = "` + sync + `"
[[cluster.job]]
family = "report-export"
slack_webhook_url = "` + gone + `"
`
	e.start(e.config(toml))
	for _, name := range []string{"stopped-essential-exit1.json", "stopped-failed-to-start-pull-error.json", "stopped-oom-137.json"} {
		e.sim.SendRaw(q, sample(t, name))
	}
	// A failed run of report-export, whose webhook Slack does not know.
	e.sim.SendRaw(q, withTask(t, strings.ReplaceAll(sample(t, "stopped-essential-exit1.json"), "billing-batch", "report-export"), 7))
	eventually(t, "queue drained", func() bool { v, in := e.sim.QueueDepth(q); return v+in == 0 })
	eventually(t, "the unknown webhook refused", func() bool {
		return e.statsd.Has("ecs_cron.alerts.rejected:1|c", "reason:http_404")
	})
	if n := len(e.logs.logged("alert dropped", "report-export", "http_404")); n != 1 {
		t.Errorf("%d log lines for the refused webhook, want 1", n)
	}
	posts, _, _ := e.slack.Snapshot()
	at := map[string]string{}
	for _, p := range posts {
		for _, job := range []string{"billing-batch", "sync-inventory", "image-resizer"} {
			if strings.Contains(p.Attachments, job) {
				at[job] += p.Channel
			}
		}
	}
	for job, path := range map[string]string{
		"billing-batch":  "/services/T0/B1/billingSECRET",
		"sync-inventory": "/services/T0/B2/syncSECRET",
		"image-resizer":  "/services/T0/B0/globalSECRET", // no webhook of its own
	} {
		if at[job] != path {
			t.Errorf("%s alerts arrived at %q, want %q only", job, at[job], path)
		}
	}
	for _, secret := range []string{"globalSECRET", "billingSECRET", "syncSECRET", "goneSECRET"} {
		if lines := e.logs.logged(secret); len(lines) > 0 {
			t.Errorf("a webhook URL was logged: %s", lines[0])
		}
	}
}

// A job's missed run open when the daemon restarts with the job's webhook
// changed resolves at the new webhook: the store keeps no route (nor its
// secret URL), the restarted daemon routes by its own configuration.
func TestE2ERestartResolvesAtChangedWebhook(t *testing.T) {
	clock := testkit.NewClock(time.Now().Truncate(time.Minute).Add(30 * time.Second))
	e := stateEnv(t, clock)
	e.sim.PutScheduledRule("every-minute", "cron(* * * * ? *)", "cron", "etl", 1, true)
	global := e.slack.AddWebhook("/services/T0/B0/globalSECRET")
	oldHook := e.slack.AddWebhook("/services/T0/B1/oldSECRET")
	newHook := e.slack.AddWebhook("/services/T0/B2/newSECRET")
	toml := strings.Replace(stateConfig, `token = "${SLACK_BOT_TOKEN}"
channel = "#cron-alerts"
api_url = "{{SLACK}}"`, `webhook_url = "`+global+`"`, 1)
	withHook := func(hook string) *config.Config {
		cfg := e.config(toml + `
  [[cluster.job]]
  rule = "every-minute"
  grace = "2s"
  slack_webhook_url = "` + hook + `"
`)
		cfg.Clusters[0].PollInterval.Duration = 20 * time.Millisecond
		return cfg
	}
	first := e.launch(withHook(oldHook), "replica-a")
	eventually(t, "the rule discovered", func() bool {
		for _, x := range first.d.schedules[0].Expected(clock.Now()) {
			if x.Job == "every-minute" && !x.Next.IsZero() {
				return true
			}
		}
		return false
	})
	clock.Add(35 * time.Second) // the run due at the minute did not start
	eventually(t, "missed-run alert at the old webhook", func() bool {
		return len(e.postsAt("/services/T0/B1/oldSECRET", "every-minute")) == 1
	})
	eventually(t, "incident stored", func() bool {
		item := e.sim.Items("monitor-state")["incidents#schedules#cron@ap-northeast-1"]
		return strings.Contains(fmt.Sprint(item), "missed_run")
	})
	first.stop(t)
	for k, item := range e.sim.Items("monitor-state") {
		if s := fmt.Sprint(item); strings.Contains(s, "Route") || strings.Contains(s, "redacted") || strings.Contains(s, "SECRET") {
			t.Errorf("stored item %s carries the route: %s", k, s)
		}
	}

	second := e.launch(withHook(newHook), "replica-b")
	defer second.stop(t)
	eventually(t, "carried on", func() bool { return len(second.logs.logged("carrying on open incidents")) == 1 })
	run(t, e.sim, "cron", "etl", "events-rule/every-minute", 1) // late, but started
	eventually(t, "resolution posted", func() bool { return len(e.postsWith("a run has started")) == 1 })
	if got := e.postsAt("/services/T0/B2/newSECRET", "a run has started"); len(got) != 1 {
		ps, _, _ := e.slack.Snapshot()
		t.Errorf("resolution not at the job's new webhook: %+v", ps)
	}
	if n := len(e.postsAt("/services/T0/B1/oldSECRET", "every-minute")); n != 1 {
		t.Errorf("%d posts at the old webhook, want the alert only", n)
	}
}

// postsAt returns the posts that arrived at the webhook path and hold sub
// in their text or attachments.
func (e *env) postsAt(path, sub string) []testkit.SlackMessage {
	ps, _, _ := e.slack.Snapshot()
	var out []testkit.SlackMessage
	for _, p := range ps {
		if p.Channel == path && (strings.Contains(p.Text, sub) || strings.Contains(p.Attachments, sub)) {
			out = append(out, p)
		}
	}
	return out
}
