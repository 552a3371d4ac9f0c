package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
)

// EventBridgeAPI is the part of EventBridge schedule discovery calls;
// *eventbridge.Client satisfies it.
type EventBridgeAPI interface {
	ListRuleNamesByTarget(ctx context.Context, in *eventbridge.ListRuleNamesByTargetInput, opts ...func(*eventbridge.Options)) (*eventbridge.ListRuleNamesByTargetOutput, error)
	DescribeRule(ctx context.Context, in *eventbridge.DescribeRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error)
	ListTargetsByRule(ctx context.Context, in *eventbridge.ListTargetsByRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error)
}

// SchedulerAPI is the part of EventBridge Scheduler discovery calls;
// *scheduler.Client satisfies it.
type SchedulerAPI interface {
	ListSchedules(ctx context.Context, in *scheduler.ListSchedulesInput, opts ...func(*scheduler.Options)) (*scheduler.ListSchedulesOutput, error)
	GetSchedule(ctx context.Context, in *scheduler.GetScheduleInput, opts ...func(*scheduler.Options)) (*scheduler.GetScheduleOutput, error)
}

// Noter adds a line to the next summary; *Dispatcher satisfies it.
type Noter interface {
	Note(cluster, note string)
}

// LaunchLookup says whether a job's launch was refused since a time, and
// why; *Launches satisfies it.
type LaunchLookup interface {
	LaunchFailure(cluster, job string, since time.Time) (cause Cause, text string, ok bool)
}

// launchLookback: a refused launch counts for a due run when it was at most
// this long before the due time (EventBridge fires within seconds).
const launchLookback = time.Minute

// SuccessSource says when a job last succeeded; *History satisfies it.
type SuccessSource interface {
	LastSuccess(cluster, job string) time.Time
}

// Where a job's schedule came from.
const (
	SourceRule     = "rule"     // an EventBridge rule
	SourceSchedule = "schedule" // an EventBridge Scheduler schedule
	SourceConfig   = "config"   // [[cluster.job]] schedule
)

// ScheduledJob is one job the monitor expects to start on a schedule.
type ScheduledJob struct {
	Name       string // rule or schedule name, or the configured job's name
	Source     string // SourceRule, SourceSchedule or SourceConfig
	Group      string // Scheduler schedule group
	Family     string // task definition family of the target
	TaskCount  int
	Enabled    bool
	Expression string
	Timezone   string // IANA; "" = UTC
	// Grace is how late a start may be: the job's or the cluster's grace
	// plus Scheduler's flexible window.
	Grace       time.Duration
	MaxDuration time.Duration // 0: not checked
	// Start and End are a Scheduler schedule's StartDate and EndDate: no
	// run is due before Start or after End. Zero: no bound.
	Start, End time.Time
}

// SchedulesOptions configures Schedules. Nil Metrics, Logger and Now become
// a no-op, a discarding logger and time.Now; nil Events or Scheduler skip
// that source.
type SchedulesOptions struct {
	Cluster config.Cluster
	// ClusterARN is the cluster's full ARN, which ListRuleNamesByTarget
	// needs. When empty it is taken from Cluster.Name if that is an ARN,
	// else resolved with Clusters (DescribeClusters), else learnt from a
	// Scheduler target or a task in State.
	ClusterARN string
	// Clusters, when set, resolves the ARN at the first refresh.
	Clusters  ClusterAPI
	Events    EventBridgeAPI
	Scheduler SchedulerAPI
	Jobs      *Jobs
	State     *State
	Sink      FindingSink
	Notes     Noter
	Success   SuccessSource
	// Launches, if set, names a refused launch in the missed-run message.
	Launches LaunchLookup
	Metrics  Metrics
	Logger   *slog.Logger
	Now      func() time.Time
	// CheckInterval is how often Run checks; it is also how far ahead a
	// run still going counts as overrunning its next start. Required (the
	// daemon passes the cluster's poll_interval). Cluster.ScheduleRefresh
	// is required too.
	CheckInterval time.Duration
	// AfterRefresh, if set, is called after every refresh with its error
	// (nil when every source answered), and AfterCheck after every check;
	// the health endpoint uses them to see the loop turning.
	AfterRefresh func(err error)
	AfterCheck   func()
	// Tracker holds the missed-run and overrun incidents; see
	// PollerOptions.Tracker. Nil: a new one.
	Tracker *Tracker
	// Incidents keeps open missed runs and overruns across restarts and
	// replicas; nil: memory only.
	Incidents IncidentStore
	// Leader says whether this replica checks; nil: it always does.
	Leader Leadership
}

// Schedules discovers the schedules that start tasks on one cluster and
// checks that each started when due (missed_run) and did not run into its
// next start or past max_duration (overrun).
type Schedules struct {
	o       SchedulesOptions
	log     *slog.Logger
	tracker *persistedTracker

	mu         sync.Mutex
	clusterARN string
	jobs       map[string]*expected // by job name
	starts     map[string]time.Time // job name (as resolved or reported) -> latest start
	reported   map[string]string    // job -> problem already logged, so it is logged once

	refreshFailures failureLog // Run's refreshes, so a repeating failure is logged once per change
}

// NewSchedules builds a Schedules; call Run, or Refresh and Check.
func NewSchedules(o SchedulesOptions) *Schedules {
	d := withDefaults(o.Metrics, o.Logger, o.Now)
	o.Metrics, o.Logger, o.Now = d.metrics, d.logger, d.now
	if o.Jobs == nil {
		o.Jobs = NewJobs(o.Cluster, config.Events{})
	}
	if o.State == nil {
		o.State = NewState()
	}
	require("NewSchedules", "CheckInterval", o.CheckInterval > 0)
	require("NewSchedules", "Cluster.ScheduleRefresh", o.Cluster.ScheduleRefresh.Duration > 0)
	arn := o.ClusterARN
	if arn == "" && strings.HasPrefix(o.Cluster.Name, "arn:") {
		arn = o.Cluster.Name
	}
	return &Schedules{
		o:   o,
		log: o.Logger.With("component", "schedules", "cluster", o.Cluster.Name),
		tracker: &persistedTracker{
			Tracker: carryTracker(o.Tracker, o.Cluster.RenotifyInterval.Duration, o.Jobs),
			jobs:    o.Jobs,
			store:   o.Incidents, lead: o.Leader, scope: schedulesScope(o.Cluster),
			log:  o.Logger.With("component", "schedules", "cluster", o.Cluster.Name),
			sink: o.Sink,
		},
		clusterARN: arn,
		jobs:       map[string]*expected{},
		starts:     map[string]time.Time{},
		reported:   map[string]string{},
	}
}

// Run refreshes at once and then every schedule_refresh, and checks every
// CheckInterval, until ctx is cancelled. A failed refresh is logged and
// keeps the previous schedules.
func (s *Schedules) Run(ctx context.Context) error {
	s.refreshAndReport(ctx)
	rt := time.NewTicker(s.o.Cluster.ScheduleRefresh.Duration)
	defer rt.Stop()
	ct := time.NewTicker(s.o.CheckInterval)
	defer ct.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-rt.C:
			s.refreshAndReport(ctx)
		case <-ct.C:
			// Only the leader checks; a standby keeps its schedules
			// refreshed, to take over at once.
			if s.tracker.leading(ctx, s.o.Now()) {
				s.CheckAndReport(s.o.Now())
				s.tracker.save(ctx)
			}
			if s.o.AfterCheck != nil {
				s.o.AfterCheck()
			}
		}
	}
}

// refreshAndReport refreshes, logs a failure once per change (a rule
// source denied for hours logs one line) and tells AfterRefresh. Only Run
// calls it.
func (s *Schedules) refreshAndReport(ctx context.Context) {
	err := s.Refresh(ctx, s.o.Now())
	if ctx.Err() != nil {
		return
	}
	if s.refreshFailures.changed(err) {
		if err != nil {
			s.log.Error("schedule refresh failed", "err", err)
		} else {
			s.log.Info("schedule refresh recovered")
		}
	}
	if s.o.AfterRefresh != nil {
		s.o.AfterRefresh(err)
	}
}

// Jobs returns the scheduled jobs currently known, by name.
func (s *Schedules) Jobs() map[string]ScheduledJob {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]ScheduledJob, len(s.jobs))
	for n, e := range s.jobs {
		out[n] = e.job
	}
	return out
}

// Refresh rediscovers the cluster's schedules. A source that fails keeps
// its previous jobs (a throttled call must not look like deleted
// schedules); the errors are joined and returned.
func (s *Schedules) Refresh(ctx context.Context, now time.Time) error {
	s.mu.Lock()
	arn := s.clusterARN
	s.mu.Unlock()
	var (
		found   []ScheduledJob
		errs    []error
		keepOld = map[string]bool{}
	)
	if arn == "" && s.o.Clusters != nil {
		resolved, err := s.resolveARN(ctx)
		if err != nil {
			errs = append(errs, err)
		} else {
			arn = resolved
			s.mu.Lock()
			s.clusterARN = arn
			s.mu.Unlock()
		}
	}
	if s.o.Scheduler != nil {
		jobs, learnt, err := s.discoverSchedules(ctx)
		if err != nil {
			errs = append(errs, err)
			keepOld[SourceSchedule] = true
		}
		found = append(found, jobs...)
		if arn == "" {
			arn = learnt
		}
	}
	if arn == "" {
		arn = s.arnFromState()
	}
	if s.o.Events != nil {
		if arn == "" {
			// Without the ARN, ListRuleNamesByTarget cannot match; say so
			// rather than report "no rules".
			keepOld[SourceRule] = true
			s.mu.Lock()
			s.reportOnce("rules", "cluster ARN unknown",
				fmt.Sprintf("EventBridge rules of %s not discovered yet: its ARN is not known (DescribeClusters did not tell it; rules named in config are still read by name)", s.o.Cluster.Name))
			s.mu.Unlock()
		} else {
			jobs, err := s.discoverRules(ctx, arn)
			if err != nil {
				errs = append(errs, err)
				keepOld[SourceRule] = true
			}
			found = append(found, jobs...)
		}
	}
	named, nerrs := s.namedJobs(ctx, arn, found)
	found = append(found, named...)
	if len(nerrs) > 0 {
		errs = append(errs, nerrs...)
		keepOld[SourceRule], keepOld[SourceSchedule] = true, true
	}
	found = append(found, s.configuredJobs()...)
	s.apply(now, arn, found, keepOld)
	return errors.Join(errs...)
}

// arnFromState learns the cluster ARN from any task the state holds.
func (s *Schedules) arnFromState() string {
	for _, t := range s.o.State.Live(s.o.Cluster.Name) {
		if t.ClusterARN != "" {
			return t.ClusterARN
		}
	}
	return ""
}

// targetsCluster reports whether an ECS target ARN names this cluster.
func (s *Schedules) targetsCluster(target, knownARN string) bool {
	if knownARN != "" {
		return target == knownARN
	}
	name := s.o.Cluster.Name
	return strings.HasPrefix(target, "arn:") && strings.Contains(target, ":ecs:") && strings.HasSuffix(target, ":cluster/"+name)
}

func (s *Schedules) discoverRules(ctx context.Context, arn string) ([]ScheduledJob, error) {
	var names []string
	var token *string
	for {
		out, err := s.o.Events.ListRuleNamesByTarget(ctx, &eventbridge.ListRuleNamesByTargetInput{TargetArn: aws.String(arn), NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("list EventBridge rules targeting %s: %w", arn, err)
		}
		names = append(names, out.RuleNames...)
		if token = out.NextToken; token == nil || *token == "" {
			break
		}
	}
	var jobs []ScheduledJob
	for _, name := range names {
		rule, err := s.o.Events.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(name)})
		if err != nil {
			if isNotFound(err) { // deleted between the two calls
				continue
			}
			return nil, fmt.Errorf("describe EventBridge rule %s: %w", name, err)
		}
		expr := aws.ToString(rule.ScheduleExpression)
		if expr == "" {
			continue // an event-pattern rule: it starts tasks on events, not on a schedule
		}
		job := ScheduledJob{Name: name, Source: SourceRule, Enabled: rule.State == "ENABLED", Expression: expr}
		var ttoken *string
	targets:
		for {
			out, err := s.o.Events.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(name), NextToken: ttoken})
			if err != nil {
				if isNotFound(err) {
					break
				}
				return nil, fmt.Errorf("list targets of EventBridge rule %s: %w", name, err)
			}
			for _, t := range out.Targets {
				if aws.ToString(t.Arn) == arn && t.EcsParameters != nil {
					job.Family = familyOf(aws.ToString(t.EcsParameters.TaskDefinitionArn))
					job.TaskCount = int(aws.ToInt32(t.EcsParameters.TaskCount))
					break targets
				}
			}
			if ttoken = out.NextToken; ttoken == nil || *ttoken == "" {
				break
			}
		}
		jobs = append(jobs, job)
	}
	return jobs, nil
}

// discoverSchedules lists every group's schedules (ListSchedules without a
// group name lists them all) and describes those targeting the cluster. It
// also returns the cluster ARN a matching target revealed.
func (s *Schedules) discoverSchedules(ctx context.Context) ([]ScheduledJob, string, error) {
	s.mu.Lock()
	known := s.clusterARN
	s.mu.Unlock()
	var (
		jobs   []ScheduledJob
		learnt string
		token  *string
	)
	for {
		out, err := s.o.Scheduler.ListSchedules(ctx, &scheduler.ListSchedulesInput{NextToken: token})
		if err != nil {
			return nil, "", fmt.Errorf("list Scheduler schedules: %w", err)
		}
		for _, sum := range out.Schedules {
			if sum.Target == nil || !s.targetsCluster(aws.ToString(sum.Target.Arn), known) {
				continue
			}
			name, group := aws.ToString(sum.Name), aws.ToString(sum.GroupName)
			sc, err := s.o.Scheduler.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: sum.Name, GroupName: sum.GroupName})
			if err != nil {
				if isNotFound(err) {
					continue
				}
				return nil, "", fmt.Errorf("get Scheduler schedule %s/%s: %w", group, name, err)
			}
			job := scheduledJobOf(sc)
			job.Name, job.Group = name, group
			if sc.Target != nil {
				learnt = aws.ToString(sc.Target.Arn)
			}
			jobs = append(jobs, job)
		}
		if token = out.NextToken; token == nil || *token == "" {
			break
		}
	}
	return jobs, learnt, nil
}

// scheduledJobOf is the job a Scheduler schedule describes.
func scheduledJobOf(sc *scheduler.GetScheduleOutput) ScheduledJob {
	job := ScheduledJob{Name: aws.ToString(sc.Name), Source: SourceSchedule, Group: aws.ToString(sc.GroupName),
		Enabled: sc.State == "ENABLED", Expression: aws.ToString(sc.ScheduleExpression),
		Timezone: aws.ToString(sc.ScheduleExpressionTimezone),
		Start:    aws.ToTime(sc.StartDate), End: aws.ToTime(sc.EndDate)}
	if sc.Target != nil {
		if p := sc.Target.EcsParameters; p != nil {
			job.Family = familyOf(aws.ToString(p.TaskDefinitionArn))
			job.TaskCount = int(aws.ToInt32(p.TaskCount))
		}
	}
	if w := sc.FlexibleTimeWindow; w != nil && w.Mode == "FLEXIBLE" {
		job.Grace = time.Duration(aws.ToInt32(w.MaximumWindowInMinutes)) * time.Minute
	}
	return job
}

// configuredJobs are [[cluster.job]] entries with their own schedule.
func (s *Schedules) configuredJobs() []ScheduledJob {
	var out []ScheduledJob
	for _, j := range s.o.Cluster.Jobs {
		if j.Schedule == "" {
			continue
		}
		out = append(out, ScheduledJob{Name: j.Name(), Source: SourceConfig, Family: j.Family, Enabled: true,
			Expression: j.Schedule, Timezone: j.Timezone})
	}
	return out
}

// familyOf returns the family of a task definition ARN or "family[:rev]".
func familyOf(ref string) string {
	return Task{TaskDefinitionARN: ref}.Family()
}

// Tracker is the schedule checks' incident tracker (see
// SchedulesOptions.Tracker).
func (s *Schedules) Tracker() *Tracker { return s.tracker.Tracker }
