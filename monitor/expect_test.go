package monitor

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// schedNotes records summary notes.
type schedNotes struct{ notes []string }

func (r *schedNotes) Note(cluster, note string) { r.notes = append(r.notes, cluster+": "+note) }

// schedMetrics records counts by name.
type schedMetrics struct {
	NopMetrics
	mu     sync.Mutex
	counts map[string]int64
	gauges map[string]float64
}

func (m *schedMetrics) Count(name string, v int64, tags []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counts[name+"|"+strings.Join(tags, ",")] += v
}

func (m *schedMetrics) Gauge(name string, v float64, tags []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gauges[name+"|"+strings.Join(tags, ",")] = v
}

type schedSuccess map[string]time.Time

func (f schedSuccess) LastSuccess(cluster, job string) time.Time { return f[cluster+"|"+job] }

func startSchedSim(t *testing.T, clock *testkit.Clock) (*awssim.Server, *ecs.Client, *eventbridge.Client, *scheduler.Client) {
	t.Helper()
	s := awssim.New(awssim.Options{Now: clock.Now})
	if err := s.Start(); err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	creds := credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")
	e := ecs.New(ecs.Options{BaseEndpoint: aws.String(s.URL()), Region: s.Region(), Credentials: creds, RetryMaxAttempts: 1, HTTPClient: awssim.HTTPClient()})
	eb := eventbridge.New(eventbridge.Options{BaseEndpoint: aws.String(s.URL()), Region: s.Region(), Credentials: creds, RetryMaxAttempts: 1, HTTPClient: awssim.HTTPClient()})
	sc := scheduler.New(scheduler.Options{BaseEndpoint: aws.String(s.URL()), Region: s.Region(), Credentials: creds, RetryMaxAttempts: 1, HTTPClient: awssim.HTTPClient()})
	return s, e, eb, sc
}

// TestScheduleDay runs a simulated day: rules fire through the simulator,
// the real Poller feeds State over the real ECS client, and Schedules
// discovers rules over the real EventBridge client every 10 minutes and
// checks every minute.
func TestScheduleDay(t *testing.T) {
	ctx := context.Background()
	clock := testkit.NewClock(time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC))
	sim, ecsc, eb, sc := startSchedSim(t, clock)
	clusterARN := sim.CreateCluster("batch")
	for _, f := range []string{"report", "cleanup"} {
		if _, err := sim.RegisterTaskDefinition(f); err != nil {
			t.Fatal(err)
		}
		sim.SetTaskPlan(f, awssim.TaskPlan{RunFor: 10 * time.Minute})
	}
	sim.PutScheduledRule("hourly", "cron(0 * * * ? *)", "batch", "report", 1, true)
	sim.PutScheduledRule("halfhour", "cron(30 * * * ? *)", "batch", "cleanup", 1, true)

	cfg := parseConfig(t, `
[[cluster]]
name = "batch"
region = "`+sim.Region()+`"
task_limit = 100
max_concurrent = 0
poll_interval = "1m"
renotify_interval = "24h"
schedule_refresh = "10m"
`)
	cl := cfg.Clusters[0]
	state := NewState()
	jobs := NewJobs(cl, cfg.Events)
	poller := NewPoller(PollerOptions{Cluster: cl, ECS: ecsc, Jobs: jobs, State: state, Now: clock.Now})
	notes := &schedNotes{}
	metrics := &schedMetrics{counts: map[string]int64{}, gauges: map[string]float64{}}
	sch := NewSchedules(SchedulesOptions{Cluster: cl, ClusterARN: clusterARN, Events: eb, Scheduler: sc, Jobs: jobs,
		State: state, Notes: notes, Metrics: metrics, Now: clock.Now, CheckInterval: time.Minute})

	// 01:00 and 02:00 fire, but no task starts.
	sim.SkipNextFire("hourly")
	sim.SkipNextFire("hourly")
	var (
		all         []Finding
		firedAt     = map[string]int{}
		changedExpr bool
	)
	start := clock.Now()
	if err := sch.Refresh(ctx, start); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	for now := start; now.Before(start.Add(24 * time.Hour)); {
		now = clock.Add(time.Minute)
		switch now.Format("15:04") {
		case "06:10":
			if _, err := eb.DisableRule(ctx, &eventbridge.DisableRuleInput{Name: aws.String("halfhour")}); err != nil {
				t.Fatal(err)
			}
		case "08:59":
			sim.SetTaskPlan("report", awssim.TaskPlan{RunFor: 70 * time.Minute})
		case "09:01":
			sim.SetTaskPlan("report", awssim.TaskPlan{RunFor: 10 * time.Minute})
		case "12:05":
			if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("hourly"), ScheduleExpression: aws.String("cron(15 * * * ? *)")}); err != nil {
				t.Fatal(err)
			}
		}
		arns, err := sim.FireDue(now)
		if err != nil {
			t.Fatalf("%s: fire: %v", now.Format("15:04"), err)
		}
		if len(arns) > 0 {
			firedAt[now.Format("15:04")] += len(arns)
		}
		if _, err := poller.Poll(ctx, now); err != nil {
			t.Fatalf("%s: poll: %v", now.Format("15:04"), err)
		}
		if now.Minute()%10 == 0 {
			if err := sch.Refresh(ctx, now); err != nil {
				t.Fatalf("%s: refresh: %v", now.Format("15:04"), err)
			}
			if now.Format("15:04") == "12:10" {
				changedExpr = sch.Jobs()["hourly"].Expression == "cron(15 * * * ? *)"
			}
		}
		for _, f := range sch.Check(now) {
			f.At = now
			all = append(all, f)
		}
	}

	if !changedExpr {
		t.Errorf("the changed rule was not picked up at the 12:10 refresh")
	}
	// Two skips: 01:00 and 02:00 fire no task. Every other expected start
	// happened: hourly at :00 until 12:00, then at :15; halfhour until 05:30.
	for _, hhmm := range []string{"00:30", "03:00", "05:30", "12:00", "12:15", "23:15"} {
		if firedAt[hhmm] != 1 {
			t.Errorf("tasks started at %s = %d, want 1", hhmm, firedAt[hhmm])
		}
	}
	for _, hhmm := range []string{"01:00", "02:00", "06:30", "13:00"} {
		if firedAt[hhmm] != 0 {
			t.Errorf("tasks started at %s = %d, want 0", hhmm, firedAt[hhmm])
		}
	}

	var missed, overrun []Finding
	for _, f := range all {
		switch f.Kind {
		case KindMissedRun:
			missed = append(missed, f)
		case KindOverrun:
			overrun = append(overrun, f)
		}
	}
	// 01:00 and 02:00 are missed: one incident, opened at 01:06 (grace 5m),
	// alerted once (still missing at 02:06 is the same incident) and
	// resolved by the 03:00 start.
	if len(missed) != 2 || missed[0].Transition != Opened || missed[1].Transition != Resolved || missed[0].Job != "hourly" {
		t.Fatalf("missed_run transitions = %+v, want hourly opened then resolved", missed)
	}
	if got := missed[0].At.Format("15:04"); got != "01:06" {
		t.Errorf("missed run opened at %s, want 01:06", got)
	}
	if got := missed[1].At.Format("15:04"); got != "03:00" {
		t.Errorf("missed run resolved at %s, want 03:00 (the next start)", got)
	}
	// The 09:00 run lasts 70m: alerted at 09:59, before the 10:00 duplicate,
	// resolved when it stops at 10:10.
	if len(overrun) != 2 || overrun[0].Transition != Opened || overrun[1].Transition != Resolved {
		t.Fatalf("overrun transitions = %+v, want opened then resolved", overrun)
	}
	if got := overrun[0].At.Format("15:04"); got != "09:59" {
		t.Errorf("overrun opened at %s, want 09:59", got)
	}
	if got := overrun[1].At.Format("15:04"); got != "10:10" {
		t.Errorf("overrun resolved at %s, want 10:10", got)
	}
	if n := metrics.counts["job.missed|cluster:batch,job:hourly"]; n != 1 {
		t.Errorf("job.missed count = %d, want 1", n)
	}
	if n := metrics.counts["job.overrun|cluster:batch,job:hourly"]; n != 1 {
		t.Errorf("job.overrun count = %d, want 1", n)
	}
	if !anyContains(notes.notes, "halfhour") || !anyContains(notes.notes, "DISABLED") {
		t.Errorf("notes = %q, want the disabled halfhour rule listed", notes.notes)
	}
}

func anyContains(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
