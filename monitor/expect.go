package monitor

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor/schedule"
)

// startTolerance lets a task created slightly before its expected time
// (clock skew between the scheduler and ECS) count as that run's start.
const startTolerance = time.Minute

// maxCatchUp bounds how many expected times one check walks through, so a
// clock jump or a per-minute schedule after a long pause cannot spin.
const maxCatchUp = 100000

// Lengths a rule or schedule name has when ECS cut startedBy to 36
// characters (docs/AWS-NOTES.md §1).
const (
	cutScheduleName = startedByMax - len(startedBySchedule)
	cutRuleName     = startedByMax - len(startedByRule)
)

// expected is one scheduled job and where its missed-run check stands.
type expected struct {
	job   ScheduledJob
	sched schedule.Schedule // nil: cannot be evaluated; no missed-run check
	loc   *time.Location
	// since is when checking began (discovery, change or re-enable): starts
	// due before it are not judged, since the monitor was not watching.
	since time.Time
	// lastDue is the latest expected start whose grace has passed;
	// nextDue the one after it.
	lastDue, nextDue time.Time
}

// unanchored reports whether the schedule is a rate() with unknown phase:
// then "a start at least every Every (+grace)" is all that can be checked.
func (e *expected) unanchored() (time.Duration, bool) {
	r, ok := e.sched.(schedule.Rate)
	if !ok || !r.Anchor.IsZero() {
		return 0, false
	}
	return r.Every, true
}

// ObserveStart records that a run of job started at at, for starts the
// state no longer holds (the event consumer calls it for every RUNNING or
// PENDING task it sees). job is the name Jobs.Resolve gives.
func (s *Schedules) ObserveStart(cluster, job string, at time.Time) {
	if cluster != s.o.Cluster.Name || job == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if at.After(s.starts[job]) {
		s.starts[job] = at
	}
}

// apply installs a refresh's jobs. keepOld names sources whose discovery
// failed: their previous jobs stay.
func (s *Schedules) apply(now time.Time, arn string, found []ScheduledJob, keepOld map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clusterARN == "" && arn != "" {
		s.clusterARN = arn
	}
	next := map[string]*expected{}
	for _, j := range found {
		if _, dup := next[j.Name]; dup {
			continue // a discovered schedule beats a configured one of the same name
		}
		j = s.withConfig(j)
		next[j.Name] = s.carry(now, j)
	}
	for name, e := range s.jobs {
		if _, ok := next[name]; !ok && keepOld[e.job.Source] {
			next[name] = e
		}
	}
	for name, e := range s.jobs {
		if _, ok := next[name]; !ok {
			s.log.Info("schedule gone; its checks stop", "job", name, "source", e.job.Source)
			delete(s.reported, name)
		}
	}
	old := s.jobs
	s.jobs = next
	// A fact is noted when it changes, not at every refresh: a rule that
	// stays disabled is news once (carry keeps the same *expected while
	// nothing changed). A schedule that cannot be evaluated was noted by
	// carry, once per problem.
	for _, name := range sortedKeys(next) {
		if e := next[name]; !e.job.Enabled && old[name] != e {
			s.noteLocked(fmt.Sprintf("%s: %s %s is DISABLED; no missed-run check", name, e.job.Source, e.job.Expression))
		}
	}
}

// withConfig applies the grace (the job's, else the cluster's; an
// explicit 0 included) and the max_duration of the job with the same name.
func (s *Schedules) withConfig(j ScheduledJob) ScheduledJob {
	if cfg, ok := s.o.Jobs.ByName(j.Name); ok {
		j.MaxDuration = cfg.MaxDuration.Duration
	}
	j.Grace += s.o.Jobs.Named(j.Name).Grace // on top of Scheduler's flexible window
	return j
}

// carry keeps a job's check position when its timing did not change, and
// restarts it from now otherwise.
func (s *Schedules) carry(now time.Time, j ScheduledJob) *expected {
	if old := s.jobs[j.Name]; old != nil && old.job.Expression == j.Expression &&
		old.job.Timezone == j.Timezone && old.job.Enabled == j.Enabled &&
		old.job.Start.Equal(j.Start) && old.job.End.Equal(j.End) {
		old.job = j
		return old
	}
	e := &expected{job: j, since: now, loc: time.UTC}
	sched, err := schedule.Parse(j.Expression, j.Timezone)
	if err != nil {
		s.reportOnce(j.Name, j.Expression+"|"+j.Timezone,
			fmt.Sprintf("%s: cannot evaluate schedule %q (timezone %q): %v; its missed-run check is off", j.Name, j.Expression, j.Timezone, err))
		return e
	}
	delete(s.reported, j.Name)
	e.sched = sched
	if loc, err := time.LoadLocation(j.Timezone); err == nil && j.Timezone != "" {
		e.loc = loc
	}
	return e
}

// reportOnce logs a problem and notes it for the summary, once per
// distinct problem per key. Callers hold s.mu or own s exclusively.
func (s *Schedules) reportOnce(key, problem, message string) {
	if s.reported[key] == problem {
		return
	}
	s.reported[key] = problem
	s.log.Warn(message)
	s.noteLocked(message)
}

func (s *Schedules) noteLocked(note string) {
	if s.o.Notes != nil {
		s.o.Notes.Note(s.o.Cluster.Name, note)
	}
}

// CheckAndReport checks once and hands the transitions to the sink.
func (s *Schedules) CheckAndReport(now time.Time) []Finding {
	fs := s.Check(now)
	if s.o.Sink != nil {
		for _, f := range fs {
			s.o.Sink.Handle(f)
		}
	}
	return fs
}

// Check compares what started (State, ObserveStart) with what was due at
// now and returns the missed_run and overrun transitions.
func (s *Schedules) Check(now time.Time) []Finding {
	live := s.o.State.Live(s.o.Cluster.Name)
	s.mu.Lock()
	defer s.mu.Unlock()
	running := map[string][]Task{} // by resolved and by startedBy name
	for _, t := range live {
		names := []string{s.o.Jobs.Resolve(t).Name}
		if n := t.Scheduler(); n != "" && n != names[0] {
			names = append(names, n)
		}
		at := t.CreatedAt
		if at.IsZero() {
			at = t.StartedAt
		}
		for _, n := range names {
			if at.After(s.starts[n]) {
				s.starts[n] = at
			}
			if t.DesiredStatus != "STOPPED" {
				running[n] = append(running[n], t)
			}
		}
	}
	var obs []Observation
	for _, name := range sortedKeys(s.jobs) {
		e := s.jobs[name]
		if o, ok := s.missed(e, now); ok {
			obs = append(obs, o)
		}
		if o, ok := s.overrun(e, s.tasksOf(name, running), now); ok {
			obs = append(obs, o)
		}
		s.gaugeSuccess(name, now)
	}
	fs := s.tracker.Update(now, s.o.Cluster.Name, []Kind{KindMissedRun, KindOverrun}, obs)
	for i, f := range fs {
		// A resolution says what changed, not the problem it ends.
		switch {
		case f.Transition == Resolved && f.Kind == KindMissedRun:
			fs[i].Message = "a run has started"
		case f.Transition == Resolved && f.Kind == KindOverrun:
			fs[i].Message = "no run is overrunning any more"
		}
		if f.Transition != Opened {
			continue
		}
		tags := []string{"cluster:" + f.Cluster, "job:" + f.Job}
		switch f.Kind {
		case KindMissedRun:
			s.o.Metrics.Count("job.missed", 1, tags)
		case KindOverrun:
			s.o.Metrics.Count("job.overrun", 1, tags)
		}
	}
	return fs
}

func (s *Schedules) gaugeSuccess(job string, now time.Time) {
	if s.o.Success == nil {
		return
	}
	if last := s.o.Success.LastSuccess(s.o.Cluster.Name, job); !last.IsZero() {
		s.o.Metrics.Gauge("job.seconds_since_last_success", now.Sub(last).Seconds(),
			[]string{"cluster:" + s.o.Cluster.Name, "job:" + job})
	}
}

// nameMatches reports whether a start recorded under key belongs to job:
// the same name, or the name ECS cut to 36 characters of startedBy.
func nameMatches(job, key string) bool {
	if key == job {
		return true
	}
	return (len(key) == cutScheduleName || len(key) == cutRuleName) && len(job) > len(key) && strings.HasPrefix(job, key)
}

func (s *Schedules) lastStart(job string) time.Time {
	var last time.Time
	for k, at := range s.starts {
		if nameMatches(job, k) && at.After(last) {
			last = at
		}
	}
	return last
}

func (s *Schedules) tasksOf(job string, running map[string][]Task) []Task {
	seen := map[string]bool{}
	var out []Task
	for k, ts := range running {
		if !nameMatches(job, k) {
			continue
		}
		for _, t := range ts {
			if !seen[t.ARN] {
				seen[t.ARN] = true
				out = append(out, t)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out
}

// missed observes a missed_run when an expected start passed by more than
// grace and no run of the job started since (within startTolerance).
func (s *Schedules) missed(e *expected, now time.Time) (Observation, bool) {
	if !e.job.Enabled || e.sched == nil {
		return Observation{}, false
	}
	last := s.lastStart(e.job.Name)
	var due time.Time
	if every, ok := e.unanchored(); ok {
		ref := e.since
		if last.After(ref) {
			ref = last
		}
		if e.job.Start.After(ref) {
			ref = e.job.Start // nothing was due before the schedule's start
		}
		due = ref.Add(every)
		if !now.After(due.Add(e.job.Grace)) || e.afterEnd(due) {
			return Observation{}, false
		}
	} else {
		s.advance(e, now)
		if e.lastDue.IsZero() || !last.Before(e.lastDue.Add(-startTolerance)) {
			return Observation{}, false
		}
		due = e.lastDue
	}
	msg := fmt.Sprintf("no run started within the %s grace after its due time (schedule %s)",
		FormatDuration(e.job.Grace), e.job.Expression)
	if s.o.Launches != nil {
		// A refused launch of this run was alerted: say why it did not start.
		if cause, text, ok := s.o.Launches.LaunchFailure(s.o.Cluster.Name, e.job.Name, due.Add(-launchLookback)); ok {
			msg = fmt.Sprintf("did not start: %s (schedule %s)", LaunchCauseText(cause), e.job.Expression)
			if text != "" {
				msg += ": " + text
			}
		}
	}
	return Observation{
		Kind: KindMissedRun, Severity: SeverityCritical, Cluster: s.o.Cluster.Name, Region: s.o.Cluster.Region,
		Job: e.job.Name, Value: 1, Route: s.o.Jobs.Named(e.job.Name).Route,
		Due:     due,
		Message: msg,
	}, true
}

// advance moves e's cursor past every expected start whose grace (plus an
// hour on a fall-back day's repeated hour, see package schedule) passed.
// Starts before the job's Start or after its End are not expected.
func (s *Schedules) advance(e *expected, now time.Time) {
	if e.nextDue.IsZero() {
		// From the last start judged, once there is one: past the End (or an
		// at()'s only time) there is no next, and the walk must not restart.
		from := e.since
		if !e.lastDue.IsZero() {
			from = e.lastDue
		} else if e.job.Start.After(from) {
			from = e.job.Start.Add(-time.Nanosecond) // a start at Start itself is due
		}
		e.nextDue = e.next(from)
	}
	for i := 0; i < maxCatchUp && !e.nextDue.IsZero() && now.After(e.nextDue.Add(e.graceAt(e.nextDue))); i++ {
		e.lastDue = e.nextDue
		e.nextDue = e.next(e.nextDue)
	}
}

// next is the schedule's first start strictly after t, zero when there is
// none before the job's End.
func (e *expected) next(t time.Time) time.Time {
	n := e.sched.Next(t)
	if e.afterEnd(n) {
		return time.Time{}
	}
	return n
}

// afterEnd reports whether t is past the job's End (never, without one).
func (e *expected) afterEnd(t time.Time) bool { return !e.job.End.IsZero() && t.After(e.job.End) }

// graceAt is the job's grace for a start due at t: an hour more when t's
// wall time occurs twice (DST fall-back), as AWS may use either instant.
func (e *expected) graceAt(t time.Time) time.Duration {
	w, later := t.In(e.loc), t.Add(time.Hour).In(e.loc)
	if later.Hour() == w.Hour() && later.Minute() == w.Minute() {
		return e.job.Grace + time.Hour
	}
	return e.job.Grace
}

// overrun observes a run still going when its next start is due (within
// one check interval, so the alert comes before the overlap), or running
// longer than max_duration.
func (s *Schedules) overrun(e *expected, tasks []Task, now time.Time) (Observation, bool) {
	var (
		arns    []string
		longest time.Duration
		reason  string
		due     time.Time
	)
	for _, t := range tasks {
		start := t.StartedAt
		if start.IsZero() {
			start = t.CreatedAt
		}
		if start.IsZero() {
			continue
		}
		ran := now.Sub(start)
		why, next := "", time.Time{}
		if e.job.MaxDuration > 0 && ran > e.job.MaxDuration {
			why = fmt.Sprintf("running for %s, longer than its max_duration of %s", FormatDuration(ran), FormatDuration(e.job.MaxDuration))
		}
		if nxt := e.nextStartAfter(t.CreatedAt); why == "" && !nxt.IsZero() && !now.Before(nxt.Add(-s.o.CheckInterval)) {
			why, next = "still running when its next run is due", nxt
		}
		if why == "" {
			continue
		}
		arns = append(arns, t.ARN)
		if ran > longest || reason == "" {
			longest, reason, due = ran, why, next
		}
	}
	if len(arns) == 0 {
		return Observation{}, false
	}
	return Observation{
		Kind: KindOverrun, Severity: SeverityWarning, Cluster: s.o.Cluster.Name, Region: s.o.Cluster.Region,
		// Value counts the overrunning tasks, not minutes: a growing number
		// would make every check an Updated transition.
		Job: e.job.Name, Value: len(arns), Limit: int(e.job.MaxDuration / time.Minute), Tasks: arns,
		Route: s.o.Jobs.Named(e.job.Name).Route, Due: due, Message: reason,
	}, true
}

// nextStartAfter is when the run after one created at created is due; zero
// when unknown (disabled, not evaluable, no further start).
func (e *expected) nextStartAfter(created time.Time) time.Time {
	if !e.job.Enabled || e.sched == nil || created.IsZero() {
		return time.Time{}
	}
	if every, ok := e.unanchored(); ok {
		if n := created.Add(every); !e.afterEnd(n) {
			return n
		}
		return time.Time{}
	}
	// A task created a little before its due time belongs to that run.
	return e.next(created.Add(startTolerance))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
