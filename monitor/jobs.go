package monitor

import (
	"strings"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
)

// JobRef is a task's job as the monitor understands it: its identity and the
// settings that apply to it, whether or not the job is configured.
type JobRef struct {
	Name          string
	Configured    bool
	MaxConcurrent int // 0: not checked
	Route         Route
	// Failure handling.
	StormThreshold  int
	StormWindow     time.Duration
	IgnoreExitCodes []int
	ReportSidecars  bool
	Sidecars        []string // container names never judged, from the cluster
	// Checks that need history (see history_checks.go).
	AlertAfterFailures int // <= 1: every failure is alerted
	CheckDuration      bool
	MinDuration        time.Duration
	// Grace is how late a scheduled start may be (0: not at all): the
	// job's, else the cluster's.
	Grace time.Duration
}

// Jobs resolves tasks of one cluster to jobs. It is built once from
// configuration and is safe for concurrent use (read-only).
type Jobs struct {
	cluster  config.Cluster
	events   config.Events
	byFamily map[string]config.Job
	byRule   map[string]config.Job
}

// NewJobs indexes the configured jobs of a cluster. ev supplies the storm
// settings of jobs that are not configured (config resolved those of the
// configured ones).
func NewJobs(c config.Cluster, ev config.Events) *Jobs {
	j := &Jobs{cluster: c, events: ev, byFamily: map[string]config.Job{}, byRule: map[string]config.Job{}}
	for _, job := range c.Jobs {
		if job.Rule != "" {
			j.byRule[job.Rule] = job
		} else if job.Family != "" {
			j.byFamily[job.Family] = job
		}
	}
	return j
}

// Resolve names the task's job. Identity, in order (see docs/ARCHITECTURE.md):
// a configured rule/schedule matching startedBy, a configured family, the
// rule or schedule that started it, the task group's family, the family.
func (j *Jobs) Resolve(t Task) JobRef {
	sched := t.Scheduler()
	if sched != "" {
		if job, ok := j.matchRule(sched, len(t.StartedBy) >= startedByMax); ok {
			return j.ref(job.Rule, job, true)
		}
	}
	family := t.Family()
	if g, ok := strings.CutPrefix(t.Group, "family:"); ok && g != "" {
		family = g
	}
	if job, ok := j.byFamily[family]; ok {
		return j.ref(job.Family, job, true)
	}
	name := sched
	if name == "" {
		name = family
	}
	return j.ref(name, config.Job{}, false)
}

// Named returns the settings that apply to the job of this name, whether
// or not it is configured (unconfigured jobs get the cluster's and the
// [events] defaults).
func (j *Jobs) Named(name string) JobRef {
	job, ok := j.ByName(name)
	return j.ref(name, job, ok)
}

// ByName returns the configured job with this display name, if any.
func (j *Jobs) ByName(name string) (config.Job, bool) {
	if job, ok := j.byRule[name]; ok {
		return job, true
	}
	job, ok := j.byFamily[name]
	return job, ok
}

// matchRule finds the configured rule or schedule a startedBy name refers
// to. ECS may cut startedBy to 36 characters, so a name that fills the whole
// field matches any configured rule it is a prefix of, when exactly one does.
func (j *Jobs) matchRule(name string, truncated bool) (config.Job, bool) {
	if job, ok := j.byRule[name]; ok {
		return job, true
	}
	if !truncated {
		return config.Job{}, false
	}
	var found []config.Job
	for rule, job := range j.byRule {
		if strings.HasPrefix(rule, name) {
			found = append(found, job)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return config.Job{}, false
}

func (j *Jobs) ref(name string, job config.Job, configured bool) JobRef {
	r := JobRef{
		Name:            name,
		Configured:      configured,
		MaxConcurrent:   j.cluster.MaxConcurrent,
		Route:           Route{Channel: job.SlackChannel, WebhookURL: job.SlackWebhookURL, Mention: job.Mention},
		StormThreshold:  j.events.StormThreshold,
		StormWindow:     j.events.StormWindow.Duration,
		IgnoreExitCodes: job.IgnoreExitCodes,
		ReportSidecars:  job.ReportSidecars,
		Sidecars:        j.cluster.Sidecars,
		// An unconfigured job has no [[cluster.job]] to default from.
		AlertAfterFailures: job.AlertAfterFailures,
		CheckDuration:      job.CheckDuration || !configured && config.DefaultCheckDuration,
		MinDuration:        job.MinDuration.Duration,
		Grace:              j.cluster.Grace.Duration,
	}
	if configured {
		// The config package resolved these (inherited when unset), so
		// an explicit value, zero included, is the job's.
		if job.MaxConcurrent != nil {
			r.MaxConcurrent = *job.MaxConcurrent
		}
		r.StormThreshold = job.StormThreshold
		r.StormWindow = job.StormWindow.Duration
		r.Grace = job.Grace.Duration
	}
	return r
}
