package monitor

import (
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
)

func TestJobIdentity(t *testing.T) {
	c := parseConfig(t, `
[slack]
token = "xoxb-test"
channel = "C0"
[events]
storm_threshold = 5
storm_window = "1m"
[[cluster]]
name = "cron"
region = "ap-northeast-1"
max_concurrent = 1
sidecars = ["log-router"]
[[cluster.job]]
rule = "billing-batch-daily"
max_concurrent = 2
slack_channel = "#billing"
storm_threshold = 3
[[cluster.job]]
rule = "gold-coast-data-lake-export" # cut to 36 characters in startedBy
[[cluster.job]]
family = "nightly-report"
max_concurrent = 0
mention = "<!here>"
`)
	jobs := NewJobs(c.Clusters[0], c.Events)
	def := "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/"
	cases := []struct {
		name string
		task Task
		want string
		max  int
	}{
		{"configured rule", Task{StartedBy: "events-rule/billing-batch-daily", TaskDefinitionARN: def + "billing:3"}, "billing-batch-daily", 2},
		{"truncated schedule name", Task{StartedBy: "chronos-schedule/gold-coast-data-lak"}, "gold-coast-data-lake-export", 1},
		{"configured family wins over an unknown rule", Task{StartedBy: "events-rule/other", Group: "family:nightly-report"}, "nightly-report", 0},
		{"unconfigured rule", Task{StartedBy: "events-rule/sync-hourly", TaskDefinitionARN: def + "sync:1"}, "sync-hourly", 1},
		{"group family", Task{Group: "family:etl", TaskDefinitionARN: def + "other:1"}, "etl", 1},
		{"task definition family", Task{TaskDefinitionARN: def + "etl:9"}, "etl", 1},
		{"short startedBy is not a prefix match", Task{StartedBy: "events-rule/billing"}, "billing", 1},
	}
	for _, c := range cases {
		got := jobs.Resolve(c.task)
		if got.Name != c.want || got.MaxConcurrent != c.max {
			t.Errorf("%s: job %q max %d, want %q max %d", c.name, got.Name, got.MaxConcurrent, c.want, c.max)
		}
	}
	if r := jobs.Named("billing-batch-daily"); r.Route.Channel != "#billing" || r.StormThreshold != 3 || r.StormWindow != time.Minute {
		t.Errorf("Named(billing-batch-daily) = %+v, want its channel, its threshold, the default window", r)
	}
	if r := jobs.Named("unknown"); r.Configured || r.StormThreshold != 5 || r.MaxConcurrent != 1 || len(r.Sidecars) != 1 {
		t.Errorf("Named(unknown) = %+v, want the cluster and [events] defaults", r)
	}
}

// A job's max_concurrent as the file states it reaches the duplicate check:
// unset takes the cluster's value (default or explicit), an explicit 0 is
// kept (not checked).
func TestJobsMaxConcurrentFromFile(t *testing.T) {
	cfg, err := config.Parse("jobs.toml", []byte(`
[[cluster]]
name = "defaulted"
region = "us-east-1"
[[cluster.job]]
family = "inherits"
[[cluster.job]]
family = "unchecked"
max_concurrent = 0

[[cluster]]
name = "explicit"
region = "us-east-1"
max_concurrent = 0
[[cluster.job]]
family = "inherits"
[[cluster.job]]
family = "own"
max_concurrent = 2
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		cluster int
		job     string
		want    int
	}{
		{0, "inherits", config.DefaultMaxConcurrent},
		{0, "unchecked", 0},
		{0, "unconfigured", config.DefaultMaxConcurrent},
		{1, "inherits", 0},
		{1, "own", 2},
	}
	for _, c := range cases {
		cl := cfg.Clusters[c.cluster]
		if got := NewJobs(cl, cfg.Events).Named(c.job).MaxConcurrent; got != c.want {
			t.Errorf("cluster %s job %s: max_concurrent %d, want %d", cl.Name, c.job, got, c.want)
		}
	}
}
