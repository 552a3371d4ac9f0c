package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestExpand(t *testing.T) {
	e := env{"A": "alpha", "EMPTY": "", "B_2": "two"}
	tests := []struct {
		in, want string
		changed  bool
		errPart  string
	}{
		{"plain $5 and $HOME", "plain $5 and $HOME", false, ""},
		{"${A}", "alpha", true, ""},
		{"x-${A}-${B_2}-y", "x-alpha-two-y", true, ""},
		{"${EMPTY}", "", true, ""},
		{"$${A} stays", "${A} stays", false, ""},
		{"$$${A}", "$${A}", false, ""},
		{"${MISSING}", "", false, "environment variable MISSING is not set"},
		{"${A", "", false, "unterminated"},
		{"${1A}", "", false, "invalid variable name"},
		{"${}", "", false, "invalid variable name"},
	}
	for _, tt := range tests {
		got, changed, errs := expand(tt.in, e.lookup)
		if tt.errPart != "" {
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.errPart) {
				t.Errorf("expand(%q) errs = %v, want one containing %q", tt.in, errs, tt.errPart)
			}
			continue
		}
		if len(errs) != 0 || got != tt.want || changed != tt.changed {
			t.Errorf("expand(%q) = %q, %v, %v; want %q, %v", tt.in, got, changed, errs, tt.want, tt.changed)
		}
	}
}

func TestEnvExpansionInValues(t *testing.T) {
	c := mustParse(t, `
[slack]
token = "${TOKEN}"
channel = "${CHANNEL}"
[datadog]
address = "${DD_HOST}:8125"
tags = ["env:${ENV}", "literal:$${NOT_A_VAR}"]
[[cluster]]
name = "cron-${ENV}"
region = "us-east-1"
poll_interval = "${POLL}"
sidecars = ["${SIDECAR}"]
`, env{"TOKEN": "xoxb-secret", "CHANNEL": "C1", "DD_HOST": "10.0.0.1", "ENV": "prod", "POLL": "45s", "SIDECAR": "envoy"})
	checks := []struct {
		name      string
		got, want any
	}{
		{"secret", c.Slack.Token.Reveal(), "xoxb-secret"},
		{"channel", c.Slack.Channel, "C1"},
		{"inside a string", c.Datadog.Address, "10.0.0.1:8125"},
		{"array element", c.Datadog.Tags[0], "env:prod"},
		{"escaped", c.Datadog.Tags[1], "literal:${NOT_A_VAR}"},
		{"cluster name", c.Clusters[0].Name, "cron-prod"},
		{"duration", c.Clusters[0].PollInterval.Duration, 45 * time.Second},
		{"nested array", c.Clusters[0].Sidecars[0], "envoy"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
}

func TestUnsetVariablesReportedWithLines(t *testing.T) {
	_, err := parseString(t, `[slack]
webhook_url = "${SLACK_WEBHOOK_URL}"
[datadog]
address = "127.0.0.1:8125"
tags = ["a:b", "env:${DD_ENV}"]
[[cluster]]
name = "cron"
region = "${REGION}"
`, env{"AWS_REGION": "us-east-1"})
	assertProblems(t, err, "test.toml",
		want{2, "slack.webhook_url", "environment variable SLACK_WEBHOOK_URL is not set"},
		want{5, "datadog.tags[1]", "environment variable DD_ENV is not set"},
		// No second "region is required": the key already has its problem.
		want{8, "cluster[0].region", "environment variable REGION is not set"},
	)
}

func TestNoSecretsInProblems(t *testing.T) {
	const (
		hook  = "http://hooks.example.com/services/T0/B0/HOOKSECRET"
		token = "xoxb-TOKENSECRET"
		poll  = "30 DURSECRET"
	)
	_, err := parseString(t, `[slack]
webhook_url = "${HOOK}"
token = "${TOKEN}"
api_url = "${TOKEN}"
[[cluster]]
name = "cron"
region = "us-east-1"
poll_interval = "${POLL}"
role_arn = "${TOKEN}"
[[cluster.job]]
family = "a"
slack_webhook_url = "${HOOK}"
`, env{"HOOK": hook, "TOKEN": token, "POLL": poll})
	assertProblems(t, err, "test.toml",
		want{1, "slack.channel", "required with token"},
		want{2, "slack.webhook_url", "https://"},
		want{3, "slack.token", "mutually exclusive"},
		want{4, "slack.api_url", "http:// or https://"},
		want{8, "cluster[0].poll_interval", "not a valid duration (after ${VAR} expansion)"},
		want{9, "cluster[0].role_arn", "IAM role ARN"},
		want{12, "cluster[0].job[0].slack_webhook_url", "https://"},
	)
	assertNoLeak(t, err, "HOOKSECRET", "TOKENSECRET", "DURSECRET", "hooks.example.com")
}

func TestSecretsRedactedInConfig(t *testing.T) {
	c := mustParse(t, "[slack]\nwebhook_url = \"${HOOK}\"\n"+cluster+"[[cluster.job]]\nfamily = \"a\"\nslack_webhook_url = \"${JOB_HOOK}\"\n",
		env{"HOOK": "https://hooks.slack.com/services/T0/B0/ZZSECRET", "JOB_HOOK": "https://hooks.slack.com/services/T0/B1/ZZSECRET"})
	if c.Clusters[0].Jobs[0].SlackWebhookURL.Reveal() != "https://hooks.slack.com/services/T0/B1/ZZSECRET" {
		t.Fatalf("job webhook not expanded")
	}
	for _, s := range []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c.Slack), fmt.Sprintf("%#v", c.Slack),
		fmt.Sprintf("%+v", c.Clusters[0].Jobs[0]), fmt.Sprintf("%#v", c.Clusters[0].Jobs[0])} {
		if strings.Contains(s, "ZZSECRET") {
			t.Errorf("formatted config leaks the webhook: %s", s)
		}
	}
}

// leakRecorder records failures instead of failing the test.
type leakRecorder struct{ failed bool }

func (r *leakRecorder) Helper()               {}
func (r *leakRecorder) Errorf(string, ...any) { r.failed = true }
func (r *leakRecorder) Fatal(...any)          { r.failed = true }

// assertNoLeak must itself catch a leak, or the tests above prove nothing.
func TestAssertNoLeakCatchesLeak(t *testing.T) {
	var r leakRecorder
	assertNoLeak(&r, errors.Join(&Problem{File: "f", Msg: "bad value s3cr3t"}), "s3cr3t")
	if !r.failed {
		t.Error("assertNoLeak did not fail on a leaked secret")
	}
	r = leakRecorder{}
	assertNoLeak(&r, errors.Join(&Problem{File: "f", Msg: "bad value"}), "s3cr3t")
	if r.failed {
		t.Error("assertNoLeak failed without a leak")
	}
}
