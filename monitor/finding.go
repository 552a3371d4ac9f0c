// Package monitor owns the meaning of what the daemon watches: what a job is,
// when a count is a problem, and when an incident opens and resolves. It
// knows nothing of Slack formatting; notifiers receive plain Finding values.
package monitor

import (
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
)

// Kind says what a finding is about.
type Kind string

// The finding kinds. Their string values are part of the JSON contract of
// `once -o json` and of metric tags.
const (
	KindTaskLimit    Kind = "task_limit"
	KindDuplicateRun Kind = "duplicate_run"
	KindMonitorError Kind = "monitor_error"
	KindFailedTask   Kind = "failed_task"
	KindMissedRun    Kind = "missed_run"
	KindOverrun      Kind = "overrun"
	// KindCheck is a pre-flight check `once` made (rule and schedule
	// discovery, the events queue); the daemon never alerts one.
	KindCheck Kind = "check"
	// KindLaunchFailed is a scheduled run that AWS refused to start (see
	// launches.go); KindFargateQuota is the account's Fargate vCPU use
	// against its quota (see quota.go).
	KindLaunchFailed Kind = "launch_failed"
	KindFargateQuota Kind = "fargate_quota"
)

// Severity orders findings; the zero value is invalid.
type Severity string

// Severities, lowest first.
const (
	SeverityInfo     Severity = "info"
	SeverityWarning  Severity = "warning"
	SeverityCritical Severity = "critical"
)

// Rank orders severities: info < warning < critical.
func (s Severity) Rank() int {
	switch s {
	case SeverityInfo:
		return 1
	case SeverityWarning:
		return 2
	case SeverityCritical:
		return 3
	}
	return 0
}

// Transition says what happened to an incident for this finding.
type Transition string

// Incident transitions. A failed task is a one-shot incident: it is only
// ever Opened.
const (
	Opened    Transition = "opened"
	Updated   Transition = "updated" // peak or task list changed; summary material
	Escalated Transition = "escalated"
	Renotify  Transition = "renotify" // still open after renotify_interval
	Resolved  Transition = "resolved"
)

// Finding is one observation about a cluster or job, as plain values.
type Finding struct {
	Kind       Kind       `json:"kind"`
	Severity   Severity   `json:"severity"`
	Transition Transition `json:"transition,omitempty"`
	Cluster    string     `json:"cluster"`
	Region     string     `json:"region,omitempty"`
	// Account is an account id: a fargate_quota finding's (which is about an
	// account and region, not a cluster), and a cluster's once the
	// configuration spans accounts; AccountAlias is its name from config.
	Account      string   `json:"account,omitempty"`
	AccountAlias string   `json:"account_alias,omitempty"`
	Class        string   `json:"class,omitempty"` // fargate_quota: the capacity class
	Job          string   `json:"job"`             // "" on cluster findings; always present in JSON
	Value        int      `json:"value"`
	Limit        int      `json:"limit"`
	Peak         int      `json:"peak,omitempty"`
	Tasks        []string `json:"tasks"`
	Message      string   `json:"message"`
	// Since is when the incident opened; At is when this finding was made.
	Since time.Time `json:"since,omitzero"`
	At    time.Time `json:"at"`
	// Due is the expected start a missed_run missed, or the next start an
	// overrun runs into. Messages carry no times of their own: notifiers
	// render this one, in their zone.
	Due time.Time `json:"due,omitzero"`
	// Counts holds per-status task counts for task_limit findings.
	Counts map[string]int `json:"counts,omitempty"`

	// Failure details, set for failed_task findings only.
	*Failure

	// Rollup is set when this message stands for many failures of one job.
	Rollup *Rollup `json:"rollup,omitempty"`

	// Route says where the alert goes beyond the default channel.
	Route Route `json:"-"`
}

// Key identifies the incident a finding belongs to.
func (f Finding) Key() string {
	if f.Kind == KindFargateQuota {
		return quotaKey(f.Account, f.Region, f.Class)
	}
	return incidentKey(f.Kind, f.Cluster, f.Job)
}

func incidentKey(k Kind, cluster, job string) string { return string(k) + "|" + cluster + "|" + job }

// Failure describes why one task run failed.
type Failure struct {
	Cause Cause `json:"cause"`
	// ExitCode, Container, StopCode and Reason are always in the JSON of
	// `once` (documented keys); ExitCode is null when no container exited.
	ExitCode      *int      `json:"exit_code"`
	Container     string    `json:"container"`
	StopCode      string    `json:"stop_code"`
	Reason        string    `json:"reason"`
	StoppedReason string    `json:"stopped_reason,omitempty"`
	StartedBy     string    `json:"started_by,omitempty"`
	StartedAt     time.Time `json:"started_at,omitzero"`
	StoppedAt     time.Time `json:"stopped_at,omitzero"`
	LogURL        string    `json:"log_url,omitempty"`
	EventID       string    `json:"event_id,omitempty"`
	// Source says where a launch_failed finding was learnt (LaunchSource).
	Source string `json:"source,omitempty"`
	// ErrorCode is AWS's error code of a refused launch, when it gave one.
	ErrorCode string `json:"error_code,omitempty"`
}

// Duration is how long the run lasted, zero if it never started.
func (f *Failure) Duration() time.Duration {
	if f == nil || f.StartedAt.IsZero() || f.StoppedAt.IsZero() {
		return 0
	}
	return f.StoppedAt.Sub(f.StartedAt)
}

// Cause classifies a failed run.
type Cause string

// Causes of a failed run.
const (
	CauseExit         Cause = "exit_code"     // an essential container exited non-zero
	CauseOOM          Cause = "out_of_memory" // killed for memory
	CauseNeverStarted Cause = "never_started" // TaskFailedToStart, image pull, ENI...
	// CauseSpotInterrupted: Fargate Spot reclaimed the capacity (stopCode
	// SpotInterruption); whatever the containers exited with was ECS's
	// doing, not the job's.
	CauseSpotInterrupted Cause = "spot_interrupted"
)

// Rollup counts the failures of one job folded into one message during a storm.
type Rollup struct {
	// Count is every failure of the burst since First, including the
	// Alerted ones that came one by one before the roll-up began.
	Count     int         `json:"count"`
	Alerted   int         `json:"alerted"`
	First     time.Time   `json:"first"`
	Last      time.Time   `json:"last"`
	ExitCodes map[int]int `json:"exit_codes,omitempty"`
	Final     bool        `json:"final"` // the storm window has closed
}

// Route is per-job routing taken from configuration: a channel (bot
// token) or an incoming webhook of the job's own (a secret that prints
// redacted), and mentions.
type Route struct {
	Channel    string
	WebhookURL config.Secret
	Mention    string
}
