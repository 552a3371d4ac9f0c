// Package web serves the status page (GET /) and its JSON (GET /api/jobs)
// on the health listener, and reads them back for `ecs-cron-monitor
// status`. It renders plain values with html/template, so every string
// that came from AWS or the configuration is escaped; it never sees SDK
// types, and nothing it is handed is secret.
package web

import "time"

// Status is everything the page shows, as plain values.
type Status struct {
	Generated time.Time
	Clusters  []Cluster
}

// Cluster is one monitored cluster and its jobs.
type Cluster struct {
	Name    string
	Region  string
	Account string // as people read it, "prod (222222222222)"; "" when unknown
	Tasks   int    // tasks counting against the limit now
	Limit   int
	// Quotas are the account's Fargate vCPU in use against its quotas in
	// the cluster's region, per class; none when [quota] is off or nothing
	// is known yet.
	Quotas []Quota
	// Incidents are the cluster's own open incidents (limits, errors).
	Incidents []Incident
	Jobs      []Job
}

// Quota is one Fargate capacity class's vCPU in use against its quota.
type Quota struct {
	Class string // "OnDemand" or "Spot"
	Used  float64
	Limit float64
	Level string // "", "warn" or "bad": at [quota] warn_percent or critical_percent
}

// Job is one known job: scheduled, seen running, or both.
type Job struct {
	Cluster       string
	Name          string
	Schedule      string // as written; "" when none is known
	ScheduleWords string // in words; "" when there are none
	LastRun       *Run
	LastSuccess   time.Time
	NextExpected  time.Time
	Runs          int // retained runs
	Failures      int
	P50, P95      time.Duration
	Incidents     []Incident
	Running       int // copies running now
	// Recent are the last runs, oldest first, for the duration chart.
	Recent []Run
}

// Run is one finished run.
type Run struct {
	TaskARN   string
	StartedAt time.Time
	StoppedAt time.Time
	Result    string // "success" or "failure"
	ExitCode  *int
	Cause     string
	Duration  time.Duration
	TaskURL   string // the console task page
	LogURL    string // its CloudWatch Logs, "" when unknown
}

// Incident is an open incident.
type Incident struct {
	Kind     string
	Severity string
	Since    time.Time
	Message  string
}

// Source produces the status at now.
type Source func(now time.Time) Status
