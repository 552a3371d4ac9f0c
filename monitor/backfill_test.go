package monitor

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// The backfill reads stopped tasks through the real SDK from the
// simulator: 152 stopped tasks take two ListTasks pages and two
// DescribeTasks batches; runs are judged as events would be, and a task
// stopped by a person is not a run.
func TestBackfillFromSimulator(t *testing.T) {
	clock := testkit.NewClock(time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC))
	sim := awssim.New(awssim.Options{Now: clock.Now})
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	sim.CreateCluster("cron")
	for _, fam := range []string{"etl", "broken"} {
		if _, err := sim.RegisterTaskDefinition(fam, awssim.ContainerDef{Name: "app", Image: fam, LogDriver: "awslogs",
			LogOptions: map[string]string{"awslogs-group": "/ecs/" + fam, "awslogs-stream-prefix": "ecs", "awslogs-region": sim.Region()}}); err != nil {
			t.Fatal(err)
		}
	}
	sim.SetTaskPlan("etl", awssim.TaskPlan{RunFor: 10 * time.Minute})
	sim.SetTaskPlan("broken", awssim.TaskPlan{RunFor: time.Minute, ExitCodes: map[string]int{"app": 1}})
	if _, err := sim.RunTasks("cron", "etl", "events-rule/etl", 150); err != nil {
		t.Fatal(err)
	}
	broken, err := sim.RunTasks("cron", "broken", "events-rule/broken", 1)
	if err != nil {
		t.Fatal(err)
	}
	manual, err := sim.RunTasks("cron", "etl", "events-rule/manual", 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.StopTasks("cron", "by hand", manual...); err != nil {
		t.Fatal(err)
	}
	sim.SetTaskPlan("broken", awssim.TaskPlan{}) // the next one runs on
	if _, err := sim.RunTasks("cron", "broken", "events-rule/still-running", 1); err != nil {
		t.Fatal(err)
	}
	clock.Add(15 * time.Minute)
	sim.Step(clock.Now())

	client := ecs.New(ecs.Options{BaseEndpoint: aws.String(sim.URL()), Region: sim.Region(),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), HTTPClient: awssim.HTTPClient()})
	cc := config.Cluster{Name: "cron", Region: sim.Region()}
	hist := NewHistory(clock.Now)
	sim.ResetCalls()
	n, err := NewBackfill(BackfillOptions{Cluster: "cron", ECS: client, Jobs: NewJobs(cc, config.Events{}),
		TaskDefs: NewTaskDefinitions(client, sim.Region(), nil), History: hist, Now: clock.Now}).Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if n != 151 {
		t.Errorf("backfilled %d runs, want 151 (150 etl, 1 broken; not the one stopped by hand)", n)
	}
	if l, d := sim.Calls("ecs:ListTasks"), sim.Calls("ecs:DescribeTasks"); l != 2 || d != 2 {
		t.Errorf("ListTasks %d, DescribeTasks %d calls; want 2 and 2", l, d)
	}
	etl, _ := hist.Job("cron", "etl")
	if len(etl.Runs) != HistoryRuns || etl.Streak != 150 || etl.StreakResult != ResultSuccess || etl.Runs[0].Duration() != 10*time.Minute {
		t.Errorf("etl history: %d runs, streak %d %s, first lasted %s", len(etl.Runs), etl.Streak, etl.StreakResult, etl.Runs[0].Duration())
	}
	b, ok := hist.Job("cron", "broken")
	if last, _ := b.Last(); !ok || last.TaskARN != broken[0] || last.Result != ResultFailure || last.ExitCode == nil || *last.ExitCode != 1 ||
		last.LogURL == "" {
		t.Errorf("broken history: %+v", b)
	}
	if _, ok := hist.Job("cron", "manual"); ok {
		t.Error("a task stopped by hand was backfilled as a run")
	}
	if _, ok := hist.Job("cron", "still-running"); ok {
		t.Error("a running task was backfilled")
	}
}

// ECS may list stopped tasks for longer than an hour; only the last hour
// is backfilled.
func TestBackfillOnlyTheLastHour(t *testing.T) {
	now := time.Date(2026, 3, 9, 2, 0, 0, 0, time.UTC)
	task := func(id string, stopped time.Time) ecstypes.Task {
		return ecstypes.Task{TaskArn: aws.String("arn:aws:ecs:ap-northeast-1:123456789012:task/cron/" + id),
			TaskDefinitionArn: aws.String("arn:aws:ecs:ap-northeast-1:123456789012:task-definition/etl:1"),
			LastStatus:        aws.String("STOPPED"), StartedAt: aws.Time(stopped.Add(-time.Minute)), StoppedAt: aws.Time(stopped),
			StopCode:   ecstypes.TaskStopCodeEssentialContainerExited,
			Containers: []ecstypes.Container{{Name: aws.String("app"), ExitCode: aws.Int32(0), LastStatus: aws.String("STOPPED")}}}
	}
	api := ecsFuncs{
		list: func(in *ecs.ListTasksInput) (*ecs.ListTasksOutput, error) {
			if in.DesiredStatus != ecstypes.DesiredStatusStopped {
				t.Errorf("ListTasks desiredStatus %q", in.DesiredStatus)
			}
			return &ecs.ListTasksOutput{TaskArns: []string{"old", "recent"}}, nil
		},
		describe: func(*ecs.DescribeTasksInput) (*ecs.DescribeTasksOutput, error) {
			return &ecs.DescribeTasksOutput{Tasks: []ecstypes.Task{task("old", now.Add(-61*time.Minute)), task("recent", now.Add(-59*time.Minute))}}, nil
		},
	}
	hist := NewHistory(func() time.Time { return now })
	n, err := NewBackfill(BackfillOptions{Cluster: "cron", ECS: api, History: hist, Now: func() time.Time { return now }}).Run(t.Context())
	jh, _ := hist.Job("cron", "etl")
	if err != nil || n != 1 || len(jh.Runs) != 1 || ShortID(jh.Runs[0].TaskARN) != "recent" {
		t.Errorf("backfilled %d (%v): %+v", n, err, jh.Runs)
	}
}

// With Before set (the daemon's start, when events report later stops),
// a task that stopped since is left to its event: taken here, the event
// would look like a duplicate and the summary would miss the run.
func TestBackfillLeavesLaterStopsToEvents(t *testing.T) {
	now := time.Date(2026, 3, 9, 2, 0, 0, 0, time.UTC)
	started := now.Add(-10 * time.Second)
	task := func(id string, stopped time.Time) ecstypes.Task {
		return ecstypes.Task{TaskArn: aws.String("arn:aws:ecs:ap-northeast-1:123456789012:task/cron/" + id),
			TaskDefinitionArn: aws.String("arn:aws:ecs:ap-northeast-1:123456789012:task-definition/etl:1"),
			LastStatus:        aws.String("STOPPED"), StartedAt: aws.Time(stopped.Add(-time.Minute)), StoppedAt: aws.Time(stopped),
			StopCode:   ecstypes.TaskStopCodeEssentialContainerExited,
			Containers: []ecstypes.Container{{Name: aws.String("app"), ExitCode: aws.Int32(0), LastStatus: aws.String("STOPPED")}}}
	}
	api := ecsFuncs{
		list: func(*ecs.ListTasksInput) (*ecs.ListTasksOutput, error) {
			return &ecs.ListTasksOutput{TaskArns: []string{"before", "since"}}, nil
		},
		describe: func(*ecs.DescribeTasksInput) (*ecs.DescribeTasksOutput, error) {
			return &ecs.DescribeTasksOutput{Tasks: []ecstypes.Task{task("before", started.Add(-time.Second)), task("since", started.Add(time.Second))}}, nil
		},
	}
	hist := NewHistory(func() time.Time { return now })
	n, err := NewBackfill(BackfillOptions{Cluster: "cron", ECS: api, History: hist, Now: func() time.Time { return now }, Before: started}).Run(t.Context())
	jh, _ := hist.Job("cron", "etl")
	if err != nil || n != 1 || len(jh.Runs) != 1 || ShortID(jh.Runs[0].TaskARN) != "before" {
		t.Errorf("backfilled %d (%v): %+v, want only the task stopped before the start", n, err, jh.Runs)
	}
}
