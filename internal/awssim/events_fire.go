package awssim

import (
	"fmt"
	"sort"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor/schedule"
)

// Started-by values the two scheduling services give the tasks they start
// (see docs/AWS-NOTES.md §1): Scheduler's is cut to 36 characters.
const (
	startedByRule      = "events-rule/"
	startedBySchedule  = "chronos-schedule/"
	scheduleStartedMax = 36
)

// maxFiresPerCall bounds FireDue's catch-up for one rule, so a clock moved
// years ahead cannot start millions of tasks.
const maxFiresPerCall = 10000

// PutScheduledRule creates or replaces an EventBridge rule with schedule
// expr whose one target ("ecs") runs count tasks of family's latest
// revision on cluster, as the console's "scheduled task" does, and returns
// the rule ARN.
func (s *Server) PutScheduledRule(name, expr, cluster, family string, count int, enabled bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	state := stateEnabled
	if !enabled {
		state = stateDisabled
	}
	r := s.putRuleLocked(name, expr, "", state, "")
	n := int32(max(count, 1))
	r.putTarget(ebTarget{ID: "ecs", Arn: s.clusterARN(clusterName(cluster)),
		RoleArn:       "arn:aws:iam::" + s.account + ":role/ecsEventsRole",
		EcsParameters: &ecsTargetParams{TaskDefinitionArn: s.familyARN(family), TaskCount: &n, LaunchType: "FARGATE"}})
	return s.ruleARN(name)
}

// familyARN is a task definition ARN without a revision: targets written
// this way run the family's latest revision.
func (s *Server) familyARN(family string) string {
	return "arn:aws:ecs:" + s.region + ":" + s.account + ":task-definition/" + family
}

// SetRuleState enables or disables a rule, as EnableRule/DisableRule do.
func (s *Server) SetRuleState(name string, enabled bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.events.rules[name]
	if r == nil {
		return fmt.Errorf("set state of rule %q: rule does not exist", name)
	}
	state := stateEnabled
	if !enabled {
		state = stateDisabled
	}
	s.putRuleLocked(r.name, r.expr, r.pattern, state, r.description)
	return nil
}

// ScheduleSpec describes a Scheduler schedule that runs an ECS task.
type ScheduleSpec struct {
	Name     string
	Group    string // "" = default
	Expr     string // cron(), rate() or at()
	Timezone string // IANA; "" = UTC
	Cluster  string // name or ARN
	Family   string
	Count    int // default 1
	Disabled bool
	// FlexibleWindow > 0 sets FLEXIBLE mode with this window (whole minutes).
	FlexibleWindow time.Duration
	// StartDate and EndDate bound when the schedule fires (zero: no bound),
	// as Scheduler's do; GetSchedule returns them.
	StartDate, EndDate time.Time
	// DeadLetterQueue names an SQS queue of this server (name or URL) as
	// the schedule's dead-letter queue.
	DeadLetterQueue string
}

// PutSchedule creates or replaces a Scheduler schedule (creating its group
// if needed) and returns its ARN.
func (s *Server) PutSchedule(sp ScheduleSpec) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	group := groupOrDefault(sp.Group)
	if _, ok := s.events.groups[group]; !ok {
		s.events.groups[group] = s.now()
	}
	n := int32(max(sp.Count, 1))
	sc := &schedSchedule{name: sp.Name, group: group, expr: sp.Expr, tz: sp.Timezone, state: stateEnabled,
		target: schedTarget{Arn: s.clusterARN(clusterName(sp.Cluster)),
			RoleArn:       "arn:aws:iam::" + s.account + ":role/schedulerRole",
			EcsParameters: &ecsTargetParams{TaskDefinitionArn: s.familyARN(sp.Family), TaskCount: &n, LaunchType: "FARGATE"}},
		flex: flexWindow{Mode: "OFF"}, startDate: sp.StartDate, endDate: sp.EndDate}
	if sp.Disabled {
		sc.state = stateDisabled
	}
	if sp.DeadLetterQueue != "" {
		sc.target.DeadLetterConfig = &deadLetterConfig{Arn: s.queueARN(sp.DeadLetterQueue)}
	}
	if sp.FlexibleWindow > 0 {
		m := int32(sp.FlexibleWindow / time.Minute)
		sc.flex = flexWindow{Mode: "FLEXIBLE", MaximumWindowInMinutes: &m}
	}
	s.storeScheduleLocked(sc, s.events.schedules[group+"/"+sp.Name])
	return s.scheduleARN(group, sp.Name)
}

// SkipNextFire makes the next fire of the rule or schedule called name
// start no task: the service fired, but the task never started.
func (s *Server) SkipNextFire(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events.skip[name]++
}

// firing is one rule or schedule as FireDue sees it.
type firing struct {
	name, startedBy, expr, tz string
	anchor                    time.Time // rate() phase
	start, end                time.Time // Scheduler's StartDate and EndDate; zero: none
	from                      *time.Time
	targets                   []fireTarget
	rule                      bool   // an EventBridge rule (else a Scheduler schedule)
	arn                       string // the rule's or schedule's ARN
	dlq                       string // the schedule's dead-letter queue ARN, if any
}

type fireTarget struct {
	arn string
	ecs *ecsTargetParams
}

// FireDue fires every enabled rule and schedule whose next fire time is at
// or before now, once per fire time missed since the last call, starting
// tasks created at the fire time. It returns the ARNs of the tasks started.
// Expressions the schedule package refuses never fire (an error is
// returned, listing them, after the others have fired).
func (s *Server) FireDue(now time.Time) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(now)
	var due []firing
	for _, r := range s.events.rules {
		if r.state != stateEnabled || r.expr == "" {
			continue
		}
		if r.lastFire.IsZero() {
			r.lastFire = r.created
		}
		f := firing{name: r.name, startedBy: startedByRule + r.name, expr: r.expr, anchor: r.created, from: &r.lastFire,
			rule: true, arn: s.ruleARN(r.name)}
		for _, t := range r.targets {
			if t.EcsParameters != nil {
				f.targets = append(f.targets, fireTarget{t.Arn, t.EcsParameters})
			}
		}
		due = append(due, f)
	}
	for _, sc := range s.events.schedules {
		if sc.state != stateEnabled || sc.target.EcsParameters == nil {
			continue
		}
		if sc.lastFire.IsZero() {
			sc.lastFire = sc.created
		}
		anchor := sc.startDate
		if anchor.IsZero() {
			anchor = sc.created
		}
		sb := startedBySchedule + sc.name
		if len(sb) > scheduleStartedMax {
			sb = sb[:scheduleStartedMax]
		}
		f := firing{name: sc.name, startedBy: sb, expr: sc.expr, tz: sc.tz,
			anchor: anchor, start: sc.startDate, end: sc.endDate, from: &sc.lastFire,
			targets: []fireTarget{{sc.target.Arn, sc.target.EcsParameters}}, arn: s.scheduleARN(sc.group, sc.name)}
		if dl := sc.target.DeadLetterConfig; dl != nil {
			f.dlq = dl.Arn
		}
		due = append(due, f)
	}
	// Map order is random; fire in a stable order so task ids are reproducible.
	sort.Slice(due, func(i, j int) bool { return due[i].name < due[j].name })
	var (
		started []string
		bad     []string
	)
	for _, f := range due {
		arns, err := s.fireLocked(f, now)
		if err != nil {
			bad = append(bad, err.Error())
		}
		started = append(started, arns...)
	}
	s.advanceLocked(now)
	if len(bad) > 0 {
		return started, fmt.Errorf("fire due schedules: %v", bad)
	}
	return started, nil
}

// fireLocked starts f's tasks for every fire time in (*f.from, now].
func (s *Server) fireLocked(f firing, now time.Time) ([]string, error) {
	sched, err := schedule.Parse(f.expr, f.tz)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.name, err)
	}
	if r, ok := sched.(schedule.Rate); ok && r.Anchor.IsZero() {
		sched = r.WithAnchor(f.anchor)
	}
	if !f.start.IsZero() && f.from.Before(f.start) {
		// Nothing fires before StartDate; a fire at StartDate itself does.
		*f.from = f.start.Add(-time.Nanosecond)
	}
	var arns []string
	for i := 0; i < maxFiresPerCall; i++ {
		at := sched.Next(*f.from)
		if at.IsZero() || at.After(now) || (!f.end.IsZero() && at.After(f.end)) {
			break
		}
		*f.from = at
		if s.events.skip[f.name] > 0 {
			s.events.skip[f.name]--
			continue
		}
		for _, t := range f.targets {
			arns = append(arns, s.launchLocked(f, t, at, now)...)
		}
	}
	return arns, nil
}

// runTargetLocked starts the target's tasks at time at. A missing cluster
// or task definition starts nothing, as a failed invocation would.
func (s *Server) runTargetLocked(f fireTarget, startedBy string, at time.Time) []string {
	c := s.ecs.clusters[clusterName(f.arn)]
	d := s.taskDefLocked(f.ecs.TaskDefinitionArn)
	if c == nil || d == nil {
		return nil
	}
	n := 1
	if f.ecs.TaskCount != nil && *f.ecs.TaskCount > 0 {
		n = int(*f.ecs.TaskCount)
	}
	lt := f.ecs.LaunchType
	if lt == "" {
		lt = "FARGATE"
	}
	arns := make([]string, 0, n)
	for range n {
		arns = append(arns, s.newTaskLocked(c, d, f.ecs.Group, startedBy, lt, at).arn)
	}
	return arns
}
