package monitor

import "time"

// Summary is everything that happened in one summary window, per cluster and
// job. Notifiers render it; the dispatcher builds it.
type Summary struct {
	From     time.Time        `json:"from"`
	To       time.Time        `json:"to"`
	Clusters []ClusterSummary `json:"clusters"`
}

// Empty reports whether the window has nothing worth a message: runs that
// all succeeded and task counts below every threshold are not news (a run
// someone stopped is).
func (s Summary) Empty() bool {
	for _, c := range s.Clusters {
		if len(c.Errors) > 0 || len(c.Notes) > 0 || len(c.Undelivered) > 0 || c.LimitIncidents > 0 {
			return false
		}
		for _, j := range c.Jobs {
			if j.Duplicates > 0 || j.Failures > 0 || j.Stopped > 0 || j.Missed > 0 || j.Overruns > 0 || j.Suspicious > 0 || j.LaunchFailures > 0 {
				return false
			}
		}
	}
	return true
}

// ClusterSummary is one cluster's part of a summary.
type ClusterSummary struct {
	Cluster string `json:"cluster"`
	Region  string `json:"region,omitempty"`
	// Account and AccountAlias name the cluster's account once the
	// configuration spans accounts.
	Account      string `json:"account,omitempty"`
	AccountAlias string `json:"account_alias,omitempty"`
	// Polled says a poll succeeded in the window; without one PeakTasks
	// and TaskLimit are unknown, not zero.
	Polled         bool           `json:"polled"`
	PeakTasks      int            `json:"peak_tasks"`
	TaskLimit      int            `json:"task_limit"`
	LimitIncidents int            `json:"limit_incidents"`
	Errors         []ErrorSummary `json:"errors,omitempty"`
	Jobs           []JobSummary   `json:"jobs,omitempty"`
	// Notes are one-line facts worth a reader's attention (a disabled rule,
	// an expression that cannot be evaluated).
	Notes []string `json:"notes,omitempty"`
	// Undelivered are the alerts of the window that never reached anyone:
	// refused for good by the notifier, or still failing when the daemon
	// stopped.
	Undelivered []UndeliveredAlert `json:"undelivered,omitempty"`
}

// UndeliveredAlert names an alert that was given up on, and why.
type UndeliveredAlert struct {
	Kind    Kind      `json:"kind"`
	Job     string    `json:"job,omitempty"`
	At      time.Time `json:"at"`
	Message string    `json:"message"`
	Reason  string    `json:"reason"`
}

// ErrorSummary is one monitor_error incident seen in the window.
type ErrorSummary struct {
	Message  string    `json:"message"`
	Since    time.Time `json:"since"`
	Resolved bool      `json:"resolved"`
}

// JobSummary is one job's part of a summary window.
type JobSummary struct {
	Job            string        `json:"job"`
	Duplicates     int           `json:"duplicates"`      // duplicate incidents in the window
	PeakCopies     int           `json:"peak_copies"`     // most copies seen at once
	MaxConcurrent  int           `json:"max_concurrent"`  // the job's limit
	LongestOverlap time.Duration `json:"longest_overlap"` // longest duplicate incident
	Tasks          []string      `json:"tasks,omitempty"` // task ARNs involved in duplicates
	Runs           int           `json:"runs"`
	Successes      int           `json:"successes"`
	Failures       int           `json:"failures"`
	Stopped        int           `json:"stopped"` // runs stopped by a person (UserInitiated)
	Missed         int           `json:"missed"`
	Overruns       int           `json:"overruns"`
	LaunchFailures int           `json:"launch_failures,omitempty"` // refused launches (launch_failed)
	P50            time.Duration `json:"p50,omitempty"`
	P95            time.Duration `json:"p95,omitempty"`
	MaxDuration    time.Duration `json:"max_duration,omitempty"`
	LastSuccess    time.Time     `json:"last_success,omitzero"`
	// Suspicious counts suspicious_success findings: successes too short
	// to have done the work.
	Suspicious int `json:"suspicious_successes"`
	// SuccessRate is the percentage of the window's succeeded and failed
	// runs that succeeded (runs stopped by a person are neither; 0 when
	// there were none).
	SuccessRate float64 `json:"success_rate"`
	// Streak is the job's current run of equal results, across windows:
	// Streak runs in a row ended with StreakResult.
	Streak       int    `json:"streak"`
	StreakResult Result `json:"streak_result,omitempty"`
}
