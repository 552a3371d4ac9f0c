package config

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultsApplied(t *testing.T) {
	c, err := Load("testdata/minimal.toml", env{}.lookup)
	if err != nil {
		t.Fatal(err)
	}
	cl := c.Clusters[0]
	scheduled, unscheduled := cl.Jobs[0], cl.Jobs[1]
	checks := []struct {
		name      string
		got, want any
	}{
		{"summary.schedule", c.Summary.Schedule, "@every 15m"},
		{"slack.api_url", c.Slack.APIURL, "https://slack.com/api/"},
		{"slack.console_url", c.Slack.ConsoleURL, "https://console.aws.amazon.com"},
		{"datadog.namespace without address", c.Datadog.Namespace, ""},
		{"events.receivers", c.Events.Receivers, 2},
		{"events.visibility_timeout", c.Events.VisibilityTimeout.Duration, 60 * time.Second},
		{"events.wait_time", c.Events.WaitTime.Duration, 20 * time.Second},
		{"events.storm_threshold", c.Events.StormThreshold, 5},
		{"events.storm_window", c.Events.StormWindow.Duration, time.Minute},
		{"events.rollup_interval", c.Events.RollupInterval.Duration, 10 * time.Second},
		{"events.failed_invocations", c.Events.FailedInvocations, true},
		{"events.scheduler_dlq_url", c.Events.SchedulerDLQURL, ""},
		{"quota.enabled", c.Quota.Enabled, true},
		{"quota.warn_percent", c.Quota.WarnPercent, 80.0},
		{"quota.critical_percent", c.Quota.CriticalPercent, 95.0},
		{"quota.renotify_interval", c.Quota.RenotifyInterval.Duration, time.Hour},
		{"health.listen", c.Health.Listen, "127.0.0.1:8080"},
		{"shutdown.timeout", c.Shutdown.Timeout.Duration, 25 * time.Second},
		{"state.backend", c.State.Backend, "memory"},
		{"state.lease_duration", c.State.LeaseDuration.Duration, 30 * time.Second},
		{"state.renew_interval", c.State.RenewInterval.Duration, 10 * time.Second},
		{"task_limit", cl.TaskLimit, 50},
		{"warn_percent", cl.WarnPercent, 80.0},
		{"critical_percent", cl.CriticalPercent, 95.0},
		{"max_concurrent", cl.MaxConcurrent, 1},
		{"poll_interval", cl.PollInterval.Duration, 30 * time.Second},
		{"renotify_interval", cl.RenotifyInterval.Duration, time.Hour},
		{"schedule_refresh", cl.ScheduleRefresh.Duration, 10 * time.Minute},
		{"job grace with schedule", scheduled.Grace.Duration, 5 * time.Minute},
		{"cluster grace", cl.Grace.Duration, 5 * time.Minute},
		{"job grace without schedule inherited", unscheduled.Grace.Duration, 5 * time.Minute},
		{"job storm_threshold inherited", scheduled.StormThreshold, 5},
		{"job storm_window inherited", scheduled.StormWindow.Duration, time.Minute},
		{"job alert_after_failures", scheduled.AlertAfterFailures, 1},
		{"job check_duration", scheduled.CheckDuration, true},
		{"job min_duration", scheduled.MinDuration.Duration, time.Duration(0)},
		{"job max_concurrent unset (the cluster's, resolved into the job)", scheduled.MaxConcurrent != nil && *scheduled.MaxConcurrent == DefaultMaxConcurrent, true},
		{"job max_concurrent explicit 0", unscheduled.MaxConcurrent != nil && *unscheduled.MaxConcurrent == 0, true},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
}

func TestExplicitValuesKeptOverDefaults(t *testing.T) {
	c := mustParse(t, `
[datadog]
address = "127.0.0.1:8125"
namespace = ""
[health]
listen = ""
[events]
storm_threshold = 9
storm_window = "3m"
[slack]
api_url = "http://127.0.0.1:9999/api"
[[cluster]]
name = "cron"
region = "us-east-1"
max_concurrent = 0
[[cluster.job]]
family = "a"
[[cluster.job]]
family = "b"
max_concurrent = 2
storm_threshold = 1
check_duration = false
alert_after_failures = 3
[[cluster.job]]
family = "c"
schedule = "@daily"
grace = "0s"
`, nil)
	cl := c.Clusters[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"datadog.namespace explicit empty", c.Datadog.Namespace, ""},
		{"health.listen explicit empty", c.Health.Listen, ""},
		{"slack.api_url gets the slash slack-go needs", c.Slack.APIURL, "http://127.0.0.1:9999/api/"},
		{"cluster max_concurrent explicit 0", cl.MaxConcurrent, 0},
		{"job max_concurrent unset (inherits the cluster's 0)", cl.Jobs[0].MaxConcurrent != nil && *cl.Jobs[0].MaxConcurrent == 0, true},
		{"job own max_concurrent", cl.Jobs[1].MaxConcurrent != nil && *cl.Jobs[1].MaxConcurrent == 2, true},
		{"job inherits [events] storm_threshold", cl.Jobs[0].StormThreshold, 9},
		{"job inherits [events] storm_window", cl.Jobs[1].StormWindow.Duration, 3 * time.Minute},
		{"job own storm_threshold", cl.Jobs[1].StormThreshold, 1},
		{"job grace explicit 0", cl.Jobs[2].Grace.Duration, time.Duration(0)},
		{"job check_duration explicit false", cl.Jobs[1].CheckDuration, false},
		{"job alert_after_failures explicit", cl.Jobs[1].AlertAfterFailures, 3},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
}

func TestDatadogNamespaceDefaultWithAddress(t *testing.T) {
	c := mustParse(t, "[datadog]\naddress = \"127.0.0.1:8125\"\n"+cluster, nil)
	if c.Datadog.Namespace != "ecs_cron." {
		t.Errorf("namespace = %q, want ecs_cron.", c.Datadog.Namespace)
	}
}

func TestRegionFromAWSRegion(t *testing.T) {
	c := mustParse(t, "[events]\nqueue_url = \"http://127.0.0.1:4566/000000000000/q\"\n[[cluster]]\nname = \"a\"\n",
		env{"AWS_REGION": "eu-west-1"})
	if c.Clusters[0].Region != "eu-west-1" || c.Events.Region != "eu-west-1" {
		t.Errorf("regions = %q, %q, want AWS_REGION", c.Clusters[0].Region, c.Events.Region)
	}
}

func TestEventsRegion(t *testing.T) {
	tests := []struct {
		name, queueURL, envRegion string
		clusterRegions            []string
		want                      string
	}{
		{"from AWS queue URL", "https://sqs.ap-northeast-1.amazonaws.com/123456789012/q", "us-east-1", nil, "ap-northeast-1"},
		{"from AWS_REGION", "http://127.0.0.1:1/q", "us-east-1", []string{"eu-west-1"}, "us-east-1"},
		{"clusters share one", "http://127.0.0.1:1/q", "", []string{"eu-west-1", "eu-west-1"}, "eu-west-1"},
		{"clusters differ", "http://127.0.0.1:1/q", "", []string{"eu-west-1", "us-east-1"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cls []Cluster
			for _, r := range tt.clusterRegions {
				cls = append(cls, Cluster{Region: r})
			}
			if got := eventsRegion(tt.queueURL, tt.envRegion, cls); got != tt.want {
				t.Errorf("eventsRegion = %q, want %q", got, tt.want)
			}
		})
	}
}

// A cluster's grace is what its jobs inherit; an explicit 0 is kept at
// both levels (it means "missed as soon as due").
func TestGraceInheritedAndExplicitZeroKept(t *testing.T) {
	c := mustParse(t, `
[[cluster]]
name = "cron"
region = "us-east-1"
grace = "0s"
[[cluster.job]]
family = "a"
schedule = "@daily"
[[cluster.job]]
family = "b"
schedule = "@daily"
grace = "2m"
[[cluster]]
name = "other"
region = "us-east-1"
[[cluster.job]]
rule = "r"
grace = "0s"
`, nil)
	checks := []struct {
		name      string
		got, want time.Duration
	}{
		{"cluster explicit 0", c.Clusters[0].Grace.Duration, 0},
		{"job inherits cluster 0", c.Clusters[0].Jobs[0].Grace.Duration, 0},
		{"job own grace", c.Clusters[0].Jobs[1].Grace.Duration, 2 * time.Minute},
		{"cluster default", c.Clusters[1].Grace.Duration, DefaultJobGrace},
		{"rule job explicit 0", c.Clusters[1].Jobs[0].Grace.Duration, 0},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
	// max_concurrent is inherited the same way, into the job itself.
	if mc := c.Clusters[0].Jobs[0].MaxConcurrent; mc == nil || *mc != DefaultMaxConcurrent {
		t.Errorf("job max_concurrent = %v, want the cluster's %d", mc, DefaultMaxConcurrent)
	}
	if _, err := parseString(t, cluster+"grace = \"-1s\"\n", nil); err == nil || !strings.Contains(err.Error(), "cluster[0].grace: must be 0 or more") {
		t.Errorf("negative cluster grace: %v", err)
	}
}
