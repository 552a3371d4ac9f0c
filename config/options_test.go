package config

import (
	"strings"
	"testing"
)

const notifierVars = `
[slack]
token = "${SLACK_BOT_TOKEN}"
channel = "#cron"
[datadog]
address = "${DD_ADDRESS}"
[[cluster]]
name = "cron"
region = "us-east-1"
[[cluster.job]]
family = "etl"
mention = "${ETL_MENTION}"
`

// With NotifierVarsOptional, unset variables in notifier settings leave
// those settings empty (Slack and Datadog off) and are named, with file
// and line, in Unresolved; without it they are problems, as for `run`.
func TestNotifierVarsOptional(t *testing.T) {
	c, err := Parse("n.toml", []byte(notifierVars), nil, NotifierVarsOptional())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if c.Slack.Enabled() || c.Datadog.Address != "" || c.Clusters[0].Jobs[0].Mention != "" {
		t.Errorf("unresolved settings not left empty: slack %v, datadog %q, mention %q", c.Slack.Enabled(), c.Datadog.Address, c.Clusters[0].Jobs[0].Mention)
	}
	var got []string
	for _, p := range c.Unresolved {
		got = append(got, p.Error())
	}
	wantNotes := []string{
		"n.toml:3: slack.token: environment variable SLACK_BOT_TOKEN is not set",
		"n.toml:6: datadog.address: environment variable DD_ADDRESS is not set",
		"n.toml:12: cluster[0].job[0].mention: environment variable ETL_MENTION is not set",
	}
	if strings.Join(got, "\n") != strings.Join(wantNotes, "\n") {
		t.Errorf("Unresolved =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantNotes, "\n"))
	}

	_, err = Parse("n.toml", []byte(notifierVars), nil)
	assertProblems(t, err, "n.toml",
		want{3, "slack.token", "SLACK_BOT_TOKEN is not set"},
		want{6, "datadog.address", "DD_ADDRESS is not set"},
		want{12, "cluster[0].job[0].mention", "ETL_MENTION is not set"},
	)
}

// Only notifier settings may stay unresolved: an unset variable anywhere
// else, or a malformed reference in a notifier setting, is still a problem.
func TestNotifierVarsOptionalKeepsOtherProblems(t *testing.T) {
	doc := `
[slack]
webhook_url = "${HOOK"
[events]
queue_url = "${QUEUE_URL}"
[[cluster]]
name = "cron"
region = "us-east-1"
`
	_, err := Parse("o.toml", []byte(doc), nil, NotifierVarsOptional())
	assertProblems(t, err, "o.toml",
		want{3, "slack.webhook_url", "unterminated"},
		want{5, "events.queue_url", "QUEUE_URL is not set"},
	)
}

func TestIsNotifierKey(t *testing.T) {
	for key, want := range map[string]bool{
		"slack.webhook_url":                   true,
		"datadog.tags[1]":                     true,
		"cluster[0].job[2].slack_channel":     true,
		"cluster[0].job[2].mention":           true,
		"cluster[0].job[2].slack_webhook_url": true,
		"cluster[0].job[2].family":            false,
		"cluster[0].name":                     false,
		"events.queue_url":                    false,
		"summary.schedule":                    false,
		"heartbeat.url":                       true,
		"heartbeat.interval":                  false,
	} {
		if got := isNotifierKey(key); got != want {
			t.Errorf("isNotifierKey(%q) = %v, want %v", key, got, want)
		}
	}
}

// A job's own webhook beside an unresolved global webhook is valid for
// validate; both are named in Unresolved when both are unset.
func TestNotifierVarsOptionalJobWebhook(t *testing.T) {
	doc := `
[slack]
webhook_url = "${SLACK_WEBHOOK_URL}"
[[cluster]]
name = "cron"
region = "us-east-1"
[[cluster.job]]
family = "etl"
slack_webhook_url = "https://hooks.slack.com/services/T0/B1/x"
[[cluster.job]]
family = "billing"
slack_webhook_url = "${BILLING_WEBHOOK_URL}"
`
	c, err := Parse("w.toml", []byte(doc), nil, NotifierVarsOptional())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(c.Unresolved) != 2 || c.Unresolved[1].Key != "cluster[0].job[1].slack_webhook_url" {
		t.Errorf("Unresolved = %v, want the global and billing's webhooks", c.Unresolved)
	}
}

// The heartbeat URL is a secret only `run` uses: validate leaves it
// unresolved, named, not a problem.
func TestNotifierVarsOptionalHeartbeat(t *testing.T) {
	doc := "[heartbeat]\nurl = \"${HEARTBEAT_URL}\"\n[[cluster]]\nname = \"a\"\nregion = \"us-east-1\"\n"
	c, err := Parse("h.toml", []byte(doc), nil, NotifierVarsOptional())
	if err != nil {
		t.Fatalf("validate without HEARTBEAT_URL: %v", err)
	}
	if len(c.Unresolved) != 1 || c.Unresolved[0].Key != "heartbeat.url" || c.Heartbeat.URL != "" {
		t.Errorf("unresolved = %v, url set %v; want heartbeat.url named and the heartbeat off", c.Unresolved, c.Heartbeat.URL != "")
	}
	if _, err := Parse("h.toml", []byte(doc), nil); err == nil {
		t.Error("run's load accepted an unset HEARTBEAT_URL")
	}
}
