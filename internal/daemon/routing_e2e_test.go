package daemon

import (
	"strings"
	"testing"
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
