package monitor

import (
	"slices"
	"sort"
	"time"
)

// Observation is a condition as one poll saw it: a problem present now
// (Severity set) for a cluster or a job.
type Observation struct {
	Kind     Kind
	Severity Severity
	Cluster  string
	Region   string
	Account  string // fargate_quota only
	Class    string // fargate_quota only
	Job      string
	Value    int
	Limit    int
	Tasks    []string
	Message  string
	Due      time.Time // missed_run, overrun: the start the observation refers to
	Counts   map[string]int
	// Route is where the job's alerts go, from the configuration in force:
	// never stored (a secret, and stale once the configuration changes),
	// it is resolved again for incidents restored or carried on
	// (Tracker.reroute).
	Route Route `json:"-"`
}

func (o Observation) key() string {
	if o.Kind == KindFargateQuota {
		return quotaKey(o.Account, o.Region, o.Class)
	}
	return incidentKey(o.Kind, o.Cluster, o.Job)
}

// incident is an open condition: it opened when first observed, keeps its
// peak and every task involved, and resolves when no longer observed.
type incident struct {
	obs          Observation
	since        time.Time
	peak         int
	tasks        map[string]bool
	lastNotified time.Time
}

// Tracker turns per-poll observations into incident transitions, so that
// alerts and summaries speak in incidents, not in samples: a five-minute
// overlap polled every ten seconds is one incident, not thirty.
type Tracker struct {
	renotify time.Duration
	open     map[string]*incident
}

// NewTracker returns a Tracker that re-notifies open incidents every
// renotify (0: never).
func NewTracker(renotify time.Duration) *Tracker {
	return &Tracker{renotify: renotify, open: map[string]*incident{}}
}

// carryTracker is t with a new renotify interval and its incidents' routes
// from jobs (a reloaded configuration may change both), or a new Tracker
// when t is nil. The caller owns t: its old owner has stopped.
func carryTracker(t *Tracker, renotify time.Duration, jobs *Jobs) *Tracker {
	if t == nil {
		return NewTracker(renotify)
	}
	t.renotify = renotify
	t.reroute(jobs)
	return t
}

// reroute gives every open incident its job's route as jobs (the
// configuration in force) has it, so that an incident restored from the
// store or carried over a reload resolves where the job's alerts go now.
// An incident of no job (a cluster's task limit) has the default route.
func (t *Tracker) reroute(jobs *Jobs) {
	for _, inc := range t.open {
		inc.obs.Route = Route{}
		if inc.obs.Job != "" && jobs != nil {
			inc.obs.Route = jobs.Named(inc.obs.Job).Route
		}
	}
}

// Update takes every observation of the given kinds for one cluster from a
// complete poll and returns the transitions: incidents opened, escalated,
// updated (peak or tasks grew), due for re-notification, and resolved
// (open before, not observed now). It is not safe for concurrent use: each
// poller owns its Tracker.
func (t *Tracker) Update(now time.Time, cluster string, kinds []Kind, obs []Observation) []Finding {
	var out []Finding
	seen := map[string]bool{}
	for _, o := range obs {
		k := o.key()
		seen[k] = true
		inc, ok := t.open[k]
		if !ok {
			inc = &incident{obs: o, since: now, peak: o.Value, tasks: map[string]bool{}, lastNotified: now}
			addTasks(inc.tasks, o.Tasks)
			t.open[k] = inc
			out = append(out, inc.finding(Opened, now))
			continue
		}
		prev := inc.obs
		grew := o.Value > inc.peak || addTasks(inc.tasks, o.Tasks)
		inc.peak = max(inc.peak, o.Value)
		inc.obs = o
		switch {
		case o.Severity.Rank() > prev.Severity.Rank():
			inc.lastNotified = now
			out = append(out, inc.finding(Escalated, now))
		case t.renotify > 0 && now.Sub(inc.lastNotified) >= t.renotify:
			inc.lastNotified = now
			out = append(out, inc.finding(Renotify, now))
		case grew || o.Severity != prev.Severity:
			out = append(out, inc.finding(Updated, now))
		}
	}
	keys := make([]string, 0, len(t.open))
	for k := range t.open {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		inc := t.open[k]
		if seen[k] || inc.obs.Cluster != cluster || !slices.Contains(kinds, inc.obs.Kind) {
			continue
		}
		delete(t.open, k)
		f := inc.finding(Resolved, now)
		f.Value = 0
		out = append(out, f)
	}
	return out
}

// Open returns the number of open incidents.
func (t *Tracker) Open() int { return len(t.open) }

func addTasks(set map[string]bool, arns []string) (added bool) {
	for _, a := range arns {
		if !set[a] {
			set[a] = true
			added = true
		}
	}
	return added
}

func (inc *incident) finding(tr Transition, now time.Time) Finding {
	o := inc.obs
	tasks := make([]string, 0, len(inc.tasks))
	for a := range inc.tasks {
		tasks = append(tasks, a)
	}
	sort.Strings(tasks)
	return Finding{
		Kind:       o.Kind,
		Severity:   o.Severity,
		Transition: tr,
		Cluster:    o.Cluster,
		Region:     o.Region,
		Account:    o.Account,
		Class:      o.Class,
		Job:        o.Job,
		Value:      o.Value,
		Limit:      o.Limit,
		Peak:       inc.peak,
		Tasks:      tasks,
		Message:    o.Message,
		Due:        o.Due,
		Counts:     o.Counts,
		Since:      inc.since,
		At:         now,
		Route:      o.Route,
	}
}
