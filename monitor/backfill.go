package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// BackfillWindow is how far back the start-up backfill reads stopped
// tasks: DescribeTasks shows a stopped task "for at least one hour".
const BackfillWindow = time.Hour

// BackfillOptions configures a Backfill. ECS and History are required;
// nil Jobs name jobs by family, nil TaskDefs count every container as
// essential, nil Logger and Now become a discarding logger and time.Now.
type BackfillOptions struct {
	Cluster  string // name or ARN, as configured
	ECS      ECSAPI
	Jobs     *Jobs
	TaskDefs *TaskDefinitions
	History  RunRecorder
	Logger   *slog.Logger
	Now      func() time.Time
	// Before, when set, leaves out tasks that stopped at or after it: the
	// daemon sets its start when the event consumer reports later stops,
	// so that a run the backfill and an event both see is judged (and
	// counted in the summary) by the event, not taken for a duplicate.
	Before time.Time
}

// Backfill fills History at start-up with what ECS still knows, so that a
// restart does not wipe the status page: the tasks stopped in the last
// BackfillWindow, judged as the event consumer judges them. It alerts
// nothing; those runs were alerted (or not) by the instance that saw them.
type Backfill struct {
	o   BackfillOptions
	log *slog.Logger
}

// NewBackfill builds a Backfill for one cluster.
func NewBackfill(o BackfillOptions) *Backfill {
	d := withDefaults(nil, o.Logger, o.Now)
	o.Logger, o.Now = d.logger, d.now
	return &Backfill{o: o, log: o.Logger.With("component", "backfill", "cluster", o.Cluster)}
}

// Run lists the cluster's stopped tasks (ListTasks desiredStatus STOPPED),
// describes them in batches of 100 and records those that stopped within
// BackfillWindow, oldest first, so streaks come out in order. It returns
// how many runs it recorded.
func (b *Backfill) Run(ctx context.Context) (int, error) {
	now := b.o.Now()
	var arns []string
	pages := ecs.NewListTasksPaginator(b.o.ECS, &ecs.ListTasksInput{
		Cluster: aws.String(b.o.Cluster), DesiredStatus: "STOPPED", MaxResults: aws.Int32(maxDescribe),
	})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("list stopped tasks of %s: %w", b.o.Cluster, err)
		}
		arns = append(arns, out.TaskArns...)
	}
	var tasks []Task
	for start := 0; start < len(arns); start += maxDescribe {
		batch := arns[start:min(start+maxDescribe, len(arns))]
		out, err := b.o.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(b.o.Cluster), Tasks: batch})
		if err != nil {
			return 0, fmt.Errorf("describe stopped tasks of %s: %w", b.o.Cluster, err)
		}
		for _, t := range out.Tasks {
			task := taskFromECS(t)
			if task.LastStatus == "STOPPED" && !task.StoppedAt.IsZero() && now.Sub(task.StoppedAt) <= BackfillWindow &&
				(b.o.Before.IsZero() || task.StoppedAt.Before(b.o.Before)) {
				tasks = append(tasks, task)
			}
		}
	}
	sort.SliceStable(tasks, func(i, j int) bool { return tasks[i].StoppedAt.Before(tasks[j].StoppedAt) })
	n := 0
	for _, t := range tasks {
		job := JobRef{Name: t.Family()}
		if b.o.Jobs != nil {
			job = b.o.Jobs.Resolve(t)
		}
		var info TaskDefInfo
		if b.o.TaskDefs != nil {
			info, _ = b.o.TaskDefs.Get(ctx, t.TaskDefinitionARN) // logged once by the cache
		}
		var f *Failure
		if finding := FailedRun(b.o.Cluster, "", job, TaskEvent{Task: t}, info, now); finding != nil {
			f = finding.Failure
		} else if UserStopped(t) {
			continue // not a run, as for the event consumer
		}
		if !b.o.History.Record(b.o.Cluster, job.Name, RunOf(t, f, info)).Duplicate {
			n++
		}
	}
	b.log.Info("run history backfilled from stopped tasks", "runs", n, "listed", len(arns), "window", BackfillWindow)
	return n, nil
}
