package daemon

import (
	"strings"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// A cluster named in config, with no task at all, and a configured rule
// that fires every minute and never starts a task: the missed run is
// alerted within the grace after the expected start. Nothing but
// DescribeClusters can reveal the cluster's ARN here, and without it the
// rule would never be read.
func TestE2EIdleClusterMissedRun(t *testing.T) {
	// Shift the clock so that a minute boundary comes 2 s after start.
	real := time.Now()
	offset := real.Truncate(time.Minute).Add(time.Minute - 2*time.Second).Sub(real)
	if offset < 0 {
		offset += time.Minute
	}
	clock := func() time.Time { return time.Now().Add(offset) }
	e := newEnvWith(t, envOptions{Now: clock})
	e.sim.CreateCluster("idle")
	e.sim.PutScheduledRule("every-minute", "cron(* * * * ? *)", "idle", "report", 1, true)
	cfg := e.config(`
[slack]
token = "${SLACK_BOT_TOKEN}"
channel = "#cron-alerts"
api_url = "{{SLACK}}"
[summary]
schedule = "@every 1h"
[health]
listen = ""
[[cluster]]
name = "idle"
region = "ap-northeast-1"
poll_interval = "1s"
  [[cluster.job]]
  rule = "every-minute"
  grace = "2s"
`)
	start := clock()
	due := start.Truncate(time.Minute).Add(time.Minute)
	e.start(cfg)
	testkit.EventuallyWithin(t, 20*time.Second, "missed_run alert", func() bool { return e.slack.PostsContaining("missed") >= 1 })
	if late := clock().Sub(due); late > 2*time.Second+3*time.Second {
		t.Errorf("missed run alerted %s after the expected start, want within grace (2s) plus a check interval", late)
	}
	posts, _, _ := e.slack.Snapshot()
	found := false
	for _, p := range posts {
		found = found || strings.Contains(p.Text+p.Attachments, "every-minute")
	}
	if !found {
		t.Errorf("no missed-run post names every-minute: %+v", posts)
	}
	if n := e.sim.Calls("ecs:DescribeClusters"); n < 1 {
		t.Errorf("DescribeClusters calls = %d, want the ARN resolved through it", n)
	}
	if l := e.logs.logged("ARN is not known"); len(l) != 0 {
		t.Errorf("logged %q, want the ARN resolved", l)
	}
}

// The custom-CA path for real: the simulator serves TLS with a
// certificate from a CA made here, which the daemon trusts only through
// AWS_CA_BUNDLE (the SDK builds its own client for it, which the daemon
// wraps). That the test CA is trusted nowhere else is checked in
// internal/awshttp (TestWrapKeepsCABundleClient), without the SDK's
// seconds of handshake retries.
func TestE2ECustomCABundle(t *testing.T) {
	ca := testkit.NewCA(t)
	e := newEnvWith(t, envOptions{TLS: ca.Server})
	if !strings.HasPrefix(e.sim.URL(), "https://") {
		t.Fatalf("test premise: simulator URL %s is not https", e.sim.URL())
	}
	e.sim.CreateCluster("cron")
	register(t, e.sim, "etl")
	run(t, e.sim, "cron", "etl", "events-rule/etl", 9)
	t.Setenv("AWS_CA_BUNDLE", ca.BundlePath)
	e.start(e.config(pollConfig))
	eventually(t, "limit alert over TLS", func() bool { return e.slack.PostsContaining("warning") >= 1 })
	if n := len(e.logs.logged(`"msg":"poll failed"`)); n != 0 {
		t.Errorf("poll failed %d times with the CA in AWS_CA_BUNDLE", n)
	}
}
