package monitor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// TestSchedulesDiscovery discovers a Scheduler schedule in a non-default
// group (learning the cluster ARN from its target), a rule, and a
// configured schedule; a deletion and a failed refresh.
func TestSchedulesDiscovery(t *testing.T) {
	ctx := context.Background()
	clock := testkit.NewClock(time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC))
	sim, _, eb, sc := startSchedSim(t, clock)
	sim.CreateCluster("batch")
	sim.PutSchedule(awssim.ScheduleSpec{Name: "etl", Group: "team-a", Expr: "cron(30 3 * * ? *)", Timezone: "Asia/Tokyo",
		Cluster: "batch", Family: "etl", Count: 3, FlexibleWindow: 15 * time.Minute})
	sim.PutSchedule(awssim.ScheduleSpec{Name: "not-ours", Expr: "rate(1 hour)", Cluster: "other", Family: "etl"})
	sim.PutScheduledRule("nightly", "cron(0 2 * * ? *)", "batch", "report", 1, false)

	cl := clusterFrom(t, `
[[cluster]]
name = "batch"
region = "ap-northeast-1"
[[cluster.job]]
rule = "nightly"
max_duration = "1h"
`)
	// A schedule the evaluator refuses (config would reject it; a
	// discovered one can still be like this).
	cl.Jobs = append(cl.Jobs, config.Job{Family: "legacy", Schedule: "cron(0 0 L-3 * ? *)", Grace: config.Duration{Duration: time.Minute}})
	notes := &schedNotes{}
	s := NewSchedules(SchedulesOptions{Cluster: cl, Events: eb, Scheduler: sc, Notes: notes, Now: clock.Now,
		CheckInterval: cl.PollInterval.Duration})
	if err := s.Refresh(ctx, clock.Now()); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	jobs := s.Jobs()
	if len(jobs) != 3 {
		t.Fatalf("jobs = %+v, want etl, nightly, legacy", jobs)
	}
	etl := jobs["etl"]
	if etl.Source != SourceSchedule || etl.Group != "team-a" || etl.Family != "etl" || etl.TaskCount != 3 ||
		etl.Timezone != "Asia/Tokyo" || !etl.Enabled || etl.Grace != 20*time.Minute {
		t.Errorf("etl = %+v, want grace 5m + 15m window", etl)
	}
	nightly := jobs["nightly"]
	if nightly.Source != SourceRule || nightly.Enabled || nightly.Family != "report" || nightly.MaxDuration != time.Hour {
		t.Errorf("nightly = %+v", nightly)
	}
	if legacy := jobs["legacy"]; legacy.Source != SourceConfig || legacy.Grace != time.Minute {
		t.Errorf("legacy = %+v", legacy)
	}
	if !anyContains(notes.notes, "legacy: cannot evaluate") || !anyContains(notes.notes, "nightly: rule cron(0 2 * * ? *) is DISABLED") {
		t.Errorf("notes = %q", notes.notes)
	}
	// Nothing can be missed: nightly is disabled, legacy is not evaluable,
	// and etl's first start (03:30 Tokyo = 18:30 UTC) is still ahead.
	if fs := s.Check(clock.Now().Add(10 * time.Hour)); len(fs) != 0 {
		t.Errorf("findings = %+v, want none", fs)
	}

	// A failed listing keeps the schedules it would have listed.
	remove := sim.InjectFault(awssim.Fault{Op: "scheduler:ListSchedules", Code: "ThrottlingException"})
	if err := s.Refresh(ctx, clock.Now()); err == nil {
		t.Errorf("refresh with a throttled ListSchedules: no error")
	}
	if _, ok := s.Jobs()["etl"]; !ok {
		t.Errorf("etl dropped after a failed refresh")
	}
	remove()
	sim.PutScheduledRule("nightly", "cron(0 2 * * ? *)", "batch", "report", 1, true)
	if _, err := sc.DeleteSchedule(ctx, deleteInput("etl", "team-a")); err != nil {
		t.Fatal(err)
	}
	if err := s.Refresh(ctx, clock.Now()); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	jobs = s.Jobs()
	if _, ok := jobs["etl"]; ok {
		t.Errorf("deleted schedule still known")
	}
	if !jobs["nightly"].Enabled {
		t.Errorf("re-enabled rule not picked up")
	}
}

// TestExpectRateAndMaxDuration covers rate() without a phase, the
// ObserveStart hook and max_duration, feeding State directly.
func TestExpectRateAndMaxDuration(t *testing.T) {
	t0 := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	cl := clusterFrom(t, `
[[cluster]]
name = "batch"
region = "ap-northeast-1"
[[cluster.job]]
family = "sync"
schedule = "rate(1 hour)"
grace = "10m"
max_duration = "20m"
`)
	state := NewState()
	metrics := &schedMetrics{counts: map[string]int64{}, gauges: map[string]float64{}}
	s := NewSchedules(SchedulesOptions{Cluster: cl, State: state, Metrics: metrics,
		Success: schedSuccess{"batch|sync": t0}, CheckInterval: time.Minute})
	if err := s.Refresh(context.Background(), t0); err != nil {
		t.Fatal(err)
	}
	if fs := s.Check(t0.Add(70 * time.Minute)); len(fs) != 0 {
		t.Fatalf("at 01:10 (due 01:00 + 10m grace): %+v, want nothing yet", fs)
	}
	fs := s.Check(t0.Add(71 * time.Minute))
	if len(fs) != 1 || fs[0].Kind != KindMissedRun || fs[0].Transition != Opened {
		t.Fatalf("at 01:11: %+v, want missed_run opened", fs)
	}
	if g := metrics.gauges["job.seconds_since_last_success|cluster:batch,job:sync"]; g != 71*60 {
		t.Errorf("seconds_since_last_success = %v, want %v", g, 71*60)
	}
	// The event consumer reports a start the poller never saw.
	s.ObserveStart("batch", "sync", t0.Add(72*time.Minute))
	fs = s.Check(t0.Add(73 * time.Minute))
	if len(fs) != 1 || fs[0].Kind != KindMissedRun || fs[0].Transition != Resolved {
		t.Fatalf("after ObserveStart: %+v, want missed_run resolved", fs)
	}
	// A run started at 01:30 passes max_duration (20m) after 01:50.
	task := Task{ARN: "arn:aws:ecs:r:1:task/batch/abc", TaskDefinitionARN: "arn:aws:ecs:r:1:task-definition/sync:4",
		LastStatus: "RUNNING", DesiredStatus: "RUNNING", Version: 2,
		CreatedAt: t0.Add(90 * time.Minute), StartedAt: t0.Add(90 * time.Minute)}
	state.Observe("batch", task, t0.Add(91*time.Minute))
	if fs := s.Check(t0.Add(110 * time.Minute)); len(fs) != 0 {
		t.Fatalf("at 20m: %+v, want nothing", fs)
	}
	fs = s.Check(t0.Add(111 * time.Minute))
	if len(fs) != 1 || fs[0].Kind != KindOverrun || fs[0].Transition != Opened || len(fs[0].Tasks) != 1 {
		t.Fatalf("at 21m: %+v, want overrun opened naming the task", fs)
	}
	task.LastStatus, task.DesiredStatus, task.Version = "STOPPED", "STOPPED", 3
	state.Observe("batch", task, t0.Add(112*time.Minute))
	fs = s.Check(t0.Add(112 * time.Minute))
	if len(fs) != 1 || fs[0].Kind != KindOverrun || fs[0].Transition != Resolved {
		t.Fatalf("after the task stopped: %+v, want overrun resolved", fs)
	}
	if metrics.counts["job.overrun|cluster:batch,job:sync"] != 1 || metrics.counts["job.missed|cluster:batch,job:sync"] != 1 {
		t.Errorf("counts = %v", metrics.counts)
	}
}

func deleteInput(name, group string) *scheduler.DeleteScheduleInput {
	return &scheduler.DeleteScheduleInput{Name: aws.String(name), GroupName: aws.String(group)}
}

// An explicit grace = "0s" is honoured from the file to the check: the
// run is missed as soon as its start passed without a task, not five
// minutes later. The same holds for a cluster's grace, which a job that
// sets none inherits.
func TestZeroGraceHonouredFromConfig(t *testing.T) {
	for name, doc := range map[string]string{
		"job grace": `
[[cluster]]
name = "batch"
region = "ap-northeast-1"
[[cluster.job]]
family = "sync"
schedule = "cron(0 3 * * ? *)"
grace = "0s"
`,
		"cluster grace": `
[[cluster]]
name = "batch"
region = "ap-northeast-1"
grace = "0s"
[[cluster.job]]
family = "sync"
schedule = "cron(0 3 * * ? *)"
`,
	} {
		t.Run(name, func(t *testing.T) {
			cl := clusterFrom(t, doc)
			t0 := time.Date(2026, 3, 9, 2, 0, 0, 0, time.UTC)
			s := NewSchedules(SchedulesOptions{Cluster: cl, CheckInterval: cl.PollInterval.Duration})
			if err := s.Refresh(context.Background(), t0); err != nil {
				t.Fatal(err)
			}
			if fs := s.Check(time.Date(2026, 3, 9, 2, 59, 59, 0, time.UTC)); len(fs) != 0 {
				t.Fatalf("before the start: %+v", fs)
			}
			fs := s.Check(time.Date(2026, 3, 9, 3, 0, 30, 0, time.UTC))
			if len(fs) != 1 || fs[0].Kind != KindMissedRun || fs[0].Transition != Opened {
				t.Fatalf("30 s after an unstarted 03:00 run with grace 0: %+v, want a missed_run", fs)
			}
			if !strings.Contains(fs[0].Message, "0s grace") {
				t.Errorf("message %q does not state the grace", fs[0].Message)
			}
		})
	}
}

// A Scheduler schedule's StartDate and EndDate, read over the real SDK
// client from the simulator's GetSchedule, bound the missed-run check: no
// run is missed before the start or after the end.
func TestSchedulerStartAndEndDatesBoundMissedRuns(t *testing.T) {
	t0 := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	clock := testkit.NewClock(t0)
	sim, _, _, sc := startSchedSim(t, clock)
	sim.CreateCluster("batch")
	sim.PutSchedule(awssim.ScheduleSpec{Name: "window", Expr: "cron(0 * * * ? *)", Cluster: "batch", Family: "etl",
		StartDate: t0.Add(3 * time.Hour), EndDate: t0.Add(5*time.Hour + 30*time.Minute)})
	cl := clusterFrom(t, "[[cluster]]\nname = \"batch\"\nregion = \""+sim.Region()+"\"\n")
	s := NewSchedules(SchedulesOptions{Cluster: cl, Scheduler: sc, Now: clock.Now, CheckInterval: time.Minute})
	if err := s.Refresh(context.Background(), t0); err != nil {
		t.Fatal(err)
	}
	if j := s.Jobs()["window"]; !j.Start.Equal(t0.Add(3*time.Hour)) || !j.End.Equal(t0.Add(5*time.Hour+30*time.Minute)) {
		t.Fatalf("discovered %+v, want its StartDate and EndDate", j)
	}
	var opened, resolved []string
	for now := t0; !now.After(t0.Add(8 * time.Hour)); now = now.Add(time.Minute) {
		if now.Equal(t0.Add(5*time.Hour + time.Minute)) {
			s.ObserveStart("batch", "window", t0.Add(5*time.Hour+10*time.Second)) // the 05:00 run started
		}
		for _, f := range s.Check(now) {
			switch {
			case f.Kind != KindMissedRun:
			case f.Transition == Opened:
				opened = append(opened, now.Format("15:04"))
			case f.Transition == Resolved:
				resolved = append(resolved, now.Format("15:04"))
			}
		}
	}
	// 01:00 and 02:00 are before the start; 03:00 is missed (grace 5m);
	// 06:00 and 07:00 are after the end.
	if strings.Join(opened, " ") != "03:06" || strings.Join(resolved, " ") != "05:01" {
		t.Errorf("missed_run opened at %v, resolved at %v; want opened 03:06, resolved 05:01, nothing after the end", opened, resolved)
	}
}
