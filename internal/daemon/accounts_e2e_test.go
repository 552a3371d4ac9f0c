package daemon

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/notifier"
)

const (
	prodRole    = "arn:aws:iam::222222222222:role/ecs-cron-monitor-read"
	stagingRole = "arn:aws:iam::333333333333:role/ecs-cron-monitor-read"
)

const accountsConfig = `
[slack]
token = "${SLACK_BOT_TOKEN}"
channel = "#cron-alerts"
api_url = "{{SLACK}}"

[datadog]
address = "{{STATSD}}"

[summary]
schedule = "@every 1h"

[health]
listen = ""

[[cluster]]
name = "tools"
region = "us-east-1"
account_alias = "tooling"
poll_interval = "1s"

[[cluster]]
name = "prod-us"
region = "us-east-1"
role_arn = "` + prodRole + `"
external_id = "ext-prod"
account_alias = "prod"
task_limit = 10
poll_interval = "1s"

[[cluster]]
name = "prod-eu"
region = "eu-west-1"
role_arn = "` + prodRole + `"
external_id = "ext-prod"
account_alias = "prod"
task_limit = 10
poll_interval = "1s"

[[cluster]]
name = "staging"
region = "us-east-1"
role_arn = "` + stagingRole + `"
account_alias = "staging"
poll_interval = "1s"
`

// One daemon watches clusters in three accounts and two regions through
// one endpoint, reaching the member accounts only by assuming their roles
// (with the external id). Each cluster's tasks are its own account's and
// region's; the role the daemon may not assume gives monitor_errors in
// that account alone (its cluster's, its quota check's); messages and metrics name the account; and the
// assumed credentials, issued for two seconds, are renewed before they
// expire, so no call is ever refused for an expired token.
func TestE2EManyAccountsAndRegions(t *testing.T) {
	cloud := awssim.NewCloud(awssim.CloudOptions{Home: "111111111111", SessionDuration: 3 * time.Second})
	if err := cloud.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cloud.Close() })
	testkit.AWSEnv(t, cloud.URL())
	cloud.AddRole(awssim.Role{ARN: prodRole, Trust: []string{"arn:aws:iam::111111111111:root"}, ExternalID: "ext-prod"})
	// Staging's role trusts another account: AssumeRole is AccessDenied.
	cloud.AddRole(awssim.Role{ARN: stagingRole, Trust: []string{"arn:aws:iam::999999999999:root"}})

	tools := cloud.Server("111111111111", "us-east-1")
	prodUS := cloud.Server("222222222222", "us-east-1")
	prodEU := cloud.Server("222222222222", "eu-west-1")
	tools.CreateCluster("tools")
	prodUS.CreateCluster("prod-us")
	prodEU.CreateCluster("prod-eu")
	cloud.Server("333333333333", "us-east-1").CreateCluster("staging")
	register(t, prodUS, "etl")
	register(t, prodEU, "etl")
	run(t, prodUS, "prod-us", "etl", "events-rule/etl", 2)
	run(t, prodEU, "prod-eu", "etl", "events-rule/etl", 8) // 80% of 10: warning

	e := &env{t: t, slack: testkit.NewSlackServer(t), statsd: testkit.NewStatsdListener(t)}
	cfg := e.config(accountsConfig)
	for i := range cfg.Clusters {
		cfg.Clusters[i].PollInterval.Duration = 100 * time.Millisecond
	}
	e.logs = &testWriter{t: t}
	d, err := New(context.Background(), cfg, Options{
		Logger:                 slog.New(slog.NewJSONHandler(e.logs, nil)),
		SlackOptions:           notifier.SlackOptions{MinInterval: -1, Sleep: shortSleep},
		StatsdOptions:          []statsd.Option{statsd.WithoutTelemetry(), statsd.WithoutClientSideAggregation(), statsd.WithBufferFlushInterval(10 * time.Millisecond)},
		CredentialExpiryWindow: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel, e.done = cancel, make(chan error, 1)
	go func() { e.done <- d.Run(ctx) }()
	t.Cleanup(e.stop)

	eventually(t, "prod-eu warning naming its account", func() bool {
		return postsWith(e, "prod-eu", "prod (222222222222)", "warning") == 1
	})
	eventually(t, "staging's monitor_error", func() bool {
		// The cluster's own; the account's quota check may say the same
		// of the account, now under its alias too.
		return postsWith(e, "Monitor error · staging", "AccessDenied", stagingRole, "staging (333333333333)") == 1
	})
	eventually(t, "account tags on the cluster gauges", func() bool {
		return e.statsd.Has("ecs_cron.cluster.tasks.total:8|g", "cluster:prod-eu", "account:222222222222", "account_alias:prod") &&
			e.statsd.Has("ecs_cron.cluster.tasks.total:2|g", "cluster:prod-us", "account:222222222222") &&
			e.statsd.Has("ecs_cron.cluster.tasks.total:0|g", "cluster:tools", "account:111111111111", "account_alias:tooling")
	})
	// Three-second credentials (two, once the expiry is written in whole
	// seconds), renewed one second before they expire, while the prod
	// clusters are polled every 100ms.
	// Credentials first issued now (the two clusters' and the account
	// checks') must be renewed: two more issues at least.
	first := cloud.Issued(prodRole)
	testkit.EventuallyWithin(t, 10*time.Second, "renewed prod credentials", func() bool { return cloud.Issued(prodRole) >= first+2 })
	if n := cloud.Expired(); n != 0 {
		t.Errorf("%d calls were refused for expired credentials; renewal came too late", n)
	}
	// Renewed a second before expiry: no credential was still in use in
	// its last half second (polls come every 100ms).
	if n := cloud.UsedNearExpiry(500 * time.Millisecond); n != 0 {
		t.Errorf("%d credentials were used in their last half second: not renewed before expiry", n)
	}
	// Staging's cluster, and its account's checks (the Fargate quota), are
	// the only ones that cannot be seen (while running: what shutdown
	// interrupts is not this test's subject).
	posts, _, _ := e.slack.Snapshot()
	for _, p := range posts {
		body := p.Text + " " + p.Attachments
		if strings.HasPrefix(p.Text, "Monitor error") && !strings.Contains(body, "333333333333") {
			t.Errorf("a monitor_error outside staging's account: %s", p.Text)
		}
	}
	if n := postsWith(e, "Monitor error · staging"); n != 1 {
		t.Errorf("%d monitor_error alerts for the staging cluster, want 1", n)
	}
	e.stop()

	// The partial summary at shutdown says where each cluster is.
	if postsWith(e, "ECS cron summary", "prod (222222222222), eu-west-1", "tooling (111111111111), us-east-1") != 1 {
		t.Error("the summary does not name each cluster's account and region")
	}
	if tools.Calls("ecs:ListTasks") == 0 || prodUS.Calls("ecs:ListTasks") == 0 || prodEU.Calls("ecs:ListTasks") == 0 {
		t.Error("a cluster's account and region was never polled")
	}
}

// postsWith counts Slack posts whose text and blocks contain every sub.
func postsWith(e *env, subs ...string) int {
	posts, _, _ := e.slack.Snapshot()
	n := 0
next:
	for _, p := range posts {
		body := p.Text + " " + p.Attachments
		for _, s := range subs {
			if !strings.Contains(body, s) {
				continue next
			}
		}
		n++
	}
	return n
}
