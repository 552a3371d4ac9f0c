package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
)

// ECSAPI is the part of the ECS API the poller calls; *ecs.Client satisfies it.
type ECSAPI interface {
	ListTasks(ctx context.Context, in *ecs.ListTasksInput, opts ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, opts ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
}

// FindingSink receives incident transitions as they happen, and each
// poll's task count for the summary. It must not block: delivery never
// holds up polling.
type FindingSink interface {
	Handle(f Finding)
	ObserveCount(cluster, region string, total, limit int, now time.Time)
}

// PollerOptions configures a Poller. Nil Metrics, Logger and Now become a
// no-op, slog's discard handler and time.Now.
type PollerOptions struct {
	Cluster config.Cluster
	ECS     ECSAPI
	Jobs    *Jobs
	State   *State
	Sink    FindingSink
	Metrics Metrics
	Logger  *slog.Logger
	Now     func() time.Time
	// AfterPoll is called after every poll with its error (nil on success);
	// the health endpoint uses it.
	AfterPoll func(err error)
	// Tracker holds the cluster's open incidents; a reload hands the old
	// poller's to the new one so no incident is lost. Nil: a new one.
	Tracker *Tracker
	// Incidents keeps the cluster's open incidents across restarts and
	// replicas; nil: memory only.
	Incidents IncidentStore
	// Leader says whether this replica polls; nil: it always does.
	Leader Leadership
}

// Poller polls one cluster: it counts tasks against the cluster's limit and
// running copies per job, and reports incidents as they open and resolve.
type Poller struct {
	o        PollerOptions
	tracker  *persistedTracker
	failures failureLog // so a repeating failure is logged once per change
	// missing holds ARNs that ListTasks listed but DescribeTasks answered
	// as failures (reason MISSING: the task is gone, the listing is
	// eventually consistent). They are not described again while listed.
	missing map[string]bool
}

// maxDescribe is the DescribeTasks batch limit (and ListTasks page size).
const maxDescribe = 100

// NewPoller builds a Poller.
func NewPoller(o PollerOptions) *Poller {
	d := withDefaults(o.Metrics, o.Logger, o.Now)
	o.Metrics, o.Logger, o.Now = d.metrics, d.logger, d.now
	require("NewPoller", "Cluster.PollInterval", o.Cluster.PollInterval.Duration > 0)
	if o.Jobs == nil {
		o.Jobs = NewJobs(o.Cluster, config.Events{})
	}
	if o.State == nil {
		o.State = NewState()
	}
	o.Logger = o.Logger.With("component", "poller", "cluster", o.Cluster.Name)
	p := &Poller{o: o, tracker: &persistedTracker{
		Tracker: carryTracker(o.Tracker, o.Cluster.RenotifyInterval.Duration, o.Jobs),
		jobs:    o.Jobs,
		store:   o.Incidents, lead: o.Leader, scope: pollScope(o.Cluster), log: o.Logger,
		sink: o.Sink,
	}}
	return p
}

// Tracker is the poller's incident tracker (see PollerOptions.Tracker).
func (p *Poller) Tracker() *Tracker { return p.tracker.Tracker }

// Loop polls every poll interval, the first time one interval from now,
// until ctx is cancelled. The first poll is the caller's (PollAndReport):
// the daemon makes it at start-up, to report permission problems at once.
func (p *Poller) Loop(ctx context.Context) error {
	t := time.NewTicker(p.o.Cluster.PollInterval.Duration)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		p.PollAndReport(ctx)
	}
}

// PollAndReport polls once, hands the transitions to the sink, saves the
// open incidents when they changed and returns the poll's error. A
// standby replica does not poll: it counts as a good cycle, ready to take
// over.
func (p *Poller) PollAndReport(ctx context.Context) error {
	if !p.tracker.leading(ctx, p.o.Now()) {
		if p.o.AfterPoll != nil && ctx.Err() == nil {
			p.o.AfterPoll(nil)
		}
		return nil
	}
	fs, err := p.Poll(ctx, p.o.Now())
	// Stored before the alerts leave: a replica that stops (or is
	// replaced) right after an alert must leave the incident for the next
	// leader, or the next one alerts it again as new.
	p.tracker.save(ctx)
	if p.o.AfterPoll != nil && ctx.Err() == nil {
		p.o.AfterPoll(err)
	}
	for _, f := range fs {
		if p.o.Sink != nil {
			p.o.Sink.Handle(f)
		}
	}
	return err
}

// Cluster is the name of the polled cluster.
func (p *Poller) Cluster() string { return p.o.Cluster.Name }

// Poll lists and describes the cluster's tasks once and returns the
// incident transitions this poll caused. A failed poll returns a
// monitor_error transition (when it opens) and the error; it never touches
// the other incidents, since it observed nothing about them.
func (p *Poller) Poll(ctx context.Context, now time.Time) ([]Finding, error) {
	c := p.o.Cluster
	tags := []string{"cluster:" + c.Name}
	live, err := p.refresh(ctx, now)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		code := errorCode(err)
		p.o.Metrics.Count("poll.errors", 1, append(tags, "error:"+code))
		p.o.Metrics.ServiceCheck("cluster.poll", CheckCritical, code, tags)
		if p.failures.changed(err) {
			p.o.Logger.Error("poll failed", "err", err, "error_code", code)
		}
		obs := Observation{
			Kind: KindMonitorError, Severity: SeverityCritical, Cluster: c.Name, Region: c.Region,
			Message: "cannot poll: " + describeErr(err),
		}
		return p.transitions(now, []Kind{KindMonitorError}, []Observation{obs}), err
	}
	if p.failures.failing() {
		p.o.Logger.Info("poll recovered")
	}
	p.failures.changed(nil)
	p.o.Metrics.ServiceCheck("cluster.poll", CheckOK, "", tags)
	obs := p.evaluate(live)
	if p.o.Sink != nil {
		p.o.Sink.ObserveCount(c.Name, c.Region, len(live), c.TaskLimit, now)
	}
	fs := p.transitions(now, []Kind{KindTaskLimit, KindDuplicateRun, KindMonitorError}, obs)
	for i, f := range fs {
		// A resolution reports where things stand now, not the last problem.
		switch {
		case f.Transition != Resolved:
		case f.Kind == KindTaskLimit:
			fs[i].Value, fs[i].Counts = len(live), statusCounts(live)
			fs[i].Message = fmt.Sprintf("back to %d of %d tasks", len(live), c.TaskLimit)
		case f.Kind == KindDuplicateRun:
			fs[i].Message = fmt.Sprintf("back within %s (peak was %d)", Plural(f.Limit, "running copy", "running copies"), f.Peak)
		case f.Kind == KindMonitorError:
			fs[i].Message = "polling works again"
		}
	}
	return fs, nil
}

func (p *Poller) transitions(now time.Time, kinds []Kind, obs []Observation) []Finding {
	fs := p.tracker.Update(now, p.o.Cluster.Name, kinds, obs)
	for _, f := range fs {
		if f.Transition == Opened {
			p.o.Metrics.Count("incidents.opened", 1, []string{"cluster:" + f.Cluster, "kind:" + string(f.Kind)})
		}
	}
	return fs
}

// refresh lists the cluster's tasks, describes those it does not know yet
// (and those still starting, whose status it must follow), and returns the
// live tasks. In a steady state it costs ceil(N/100) ListTasks calls and
// no DescribeTasks (100 per page or batch: docs/AWS-NOTES.md §2).
func (p *Poller) refresh(ctx context.Context, now time.Time) ([]Task, error) {
	c := p.o.Cluster.Name
	arns, err := p.list(ctx)
	if err != nil {
		return nil, err
	}
	listed := make(map[string]bool, len(arns))
	for _, a := range arns {
		listed[a] = true
	}
	var unknown []string
	gone := map[string]bool{} // answered as failures, in this poll or before
	// State.Unknown: the ARNs not held, and the held ones still starting.
	for _, a := range p.o.State.Unknown(c, arns) {
		if p.missing[a] && !p.o.State.Known(c, a) {
			gone[a] = true // one miss is enough; an event may still bring it back
			continue
		}
		unknown = append(unknown, a)
	}
	for start := 0; start < len(unknown); start += maxDescribe {
		batch := unknown[start:min(start+maxDescribe, len(unknown))]
		out, err := p.o.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(c), Tasks: batch})
		if err != nil {
			return nil, fmt.Errorf("describe tasks: %w", err)
		}
		for _, t := range out.Tasks {
			p.o.State.Observe(c, taskFromECS(t), now)
		}
		p.describeFailures(out.Failures, gone)
	}
	// A gone task is not live, whatever the listing says; keeping only the
	// ARNs still listed forgets the others.
	for a := range gone {
		delete(listed, a)
	}
	p.missing = gone
	p.o.State.Retain(c, listed, now)
	return p.o.State.Live(c), nil
}

// describeFailures records the ARNs DescribeTasks answered as failures
// (MISSING for a task that is gone) in gone, and counts them by reason.
func (p *Poller) describeFailures(failures []ecstypes.Failure, gone map[string]bool) {
	for _, f := range failures {
		arn, reason := aws.ToString(f.Arn), aws.ToString(f.Reason)
		if arn == "" {
			continue
		}
		gone[arn] = true
		p.o.Metrics.Count("describe.failures", 1, []string{"cluster:" + p.o.Cluster.Name, "reason:" + reason})
		p.o.Logger.Debug("listed task not described; not asked again while listed", "task", arn, "reason", reason)
	}
}

// list returns every task ARN with desired status RUNNING, which includes
// tasks still provisioning or pending: they count against the limit too.
func (p *Poller) list(ctx context.Context) ([]string, error) {
	var arns []string
	pages := ecs.NewListTasksPaginator(p.o.ECS, &ecs.ListTasksInput{
		Cluster:       aws.String(p.o.Cluster.Name),
		DesiredStatus: "RUNNING",
		MaxResults:    aws.Int32(maxDescribe),
	})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list tasks: %w", err)
		}
		arns = append(arns, out.TaskArns...)
	}
	return arns, nil
}

// statusCounts counts tasks by lower-case lastStatus.
func statusCounts(tasks []Task) map[string]int {
	counts := map[string]int{}
	for _, t := range tasks {
		counts[strings.ToLower(t.LastStatus)]++
	}
	return counts
}

func isStarting(status string) bool {
	switch status {
	case "PROVISIONING", "PENDING", "ACTIVATING":
		return true
	}
	return false
}

// evaluate turns the live tasks into observations and gauges.
func (p *Poller) evaluate(live []Task) []Observation {
	c := p.o.Cluster
	tags := []string{"cluster:" + c.Name}
	counts := statusCounts(live)
	byJob := map[string][]string{} // job -> ARNs of its live tasks
	refs := map[string]JobRef{}
	for _, t := range live {
		ref := p.o.Jobs.Resolve(t)
		byJob[ref.Name] = append(byJob[ref.Name], t.ARN)
		refs[ref.Name] = ref
	}
	total := len(live)
	for _, status := range []string{"provisioning", "pending", "activating", "running", "deactivating", "stopping", "deprovisioning"} {
		p.o.Metrics.Gauge("cluster.tasks", float64(counts[status]), append(tags, "status:"+status))
	}
	p.o.Metrics.Gauge("cluster.tasks.total", float64(total), tags)
	p.o.Metrics.Gauge("cluster.task_limit", float64(c.TaskLimit), tags)
	var obs []Observation
	if c.TaskLimit > 0 {
		pct := 100 * float64(total) / float64(c.TaskLimit)
		p.o.Metrics.Gauge("cluster.utilization", pct, tags)
		var sev Severity
		switch {
		case pct >= c.CriticalPercent:
			sev = SeverityCritical
		case pct >= c.WarnPercent:
			sev = SeverityWarning
		}
		if sev != "" {
			obs = append(obs, Observation{
				Kind: KindTaskLimit, Severity: sev, Cluster: c.Name, Region: c.Region,
				Value: total, Limit: c.TaskLimit, Counts: counts,
				Message: fmt.Sprintf("%d of %d tasks (%.0f%%)", total, c.TaskLimit, pct),
			})
		}
	}
	jobs := make([]string, 0, len(byJob))
	for j := range byJob {
		jobs = append(jobs, j)
	}
	sort.Strings(jobs)
	for _, j := range jobs {
		tasks, ref := byJob[j], refs[j]
		p.o.Metrics.Gauge("job.running", float64(len(tasks)), append(tags, "job:"+j))
		if ref.MaxConcurrent <= 0 || len(tasks) <= ref.MaxConcurrent {
			continue
		}
		obs = append(obs, Observation{
			Kind: KindDuplicateRun, Severity: SeverityWarning, Cluster: c.Name, Region: c.Region, Job: j,
			Value: len(tasks), Limit: ref.MaxConcurrent, Tasks: slices.Clip(tasks), Route: ref.Route,
			Message: fmt.Sprintf("%s running (max %d)", Plural(len(tasks), "copy", "copies"), ref.MaxConcurrent),
		})
	}
	return obs
}
