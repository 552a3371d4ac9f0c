package monitor

import (
	"fmt"
	"time"
)

// The checks that need run history: alert_after_failures (hold a failure
// until N runs in a row failed, then say so once more on recovery) and
// suspicious_success (a success much shorter than the job's usual run).

// KindSuspiciousSuccess is a successful run so short it probably did
// nothing; it is summary material.
const KindSuspiciousSuccess Kind = "suspicious_success"

// Suspicious-success thresholds: a run under a tenth of the median of the
// job's recent successful runs, once at least minKnownSuccesses are known.
const (
	suspiciousFraction = 10
	minKnownSuccesses  = 5
)

// failureAlertDue says whether a recorded failure is alerted: every one
// with alert_after_failures = 1; otherwise only the Nth in a row (the rest
// of the streak is summary material, and the recovery ends it).
func failureAlertDue(job JobRef, rec Recorded) bool {
	return job.AlertAfterFailures <= 1 || rec.Failures == job.AlertAfterFailures
}

// failureStreakNote is appended to the alert of the Nth failure in a row.
func failureStreakNote(job JobRef, rec Recorded) string {
	if job.AlertAfterFailures <= 1 {
		return ""
	}
	return fmt.Sprintf(" (%d runs in a row failed)", rec.Failures)
}

// recoveryFinding is the resolution of a failure streak that was alerted:
// a success after at least alert_after_failures failures.
func recoveryFinding(cl EventCluster, job JobRef, rec Recorded, r Run, now time.Time) (Finding, bool) {
	if job.AlertAfterFailures <= 1 || rec.Duplicate || rec.RecoveredAfter < job.AlertAfterFailures {
		return Finding{}, false
	}
	return Finding{
		Kind: KindFailedTask, Severity: SeverityCritical, Transition: Resolved,
		Cluster: cl.Name, Region: cl.Region, Job: job.Name, Value: rec.RecoveredAfter,
		Tasks:   []string{r.TaskARN},
		Message: "recovered after " + Plural(rec.RecoveredAfter, "failure"),
		At:      now, Route: job.Route,
	}, true
}

// suspiciousFinding judges a successful run's duration against
// min_duration and the job's usual duration.
func suspiciousFinding(cl EventCluster, job JobRef, rec Recorded, r Run, now time.Time) (Finding, bool) {
	d := r.Duration()
	if !job.CheckDuration || rec.Duplicate || r.Result != ResultSuccess || d <= 0 {
		return Finding{}, false
	}
	var why string
	switch {
	case job.MinDuration > 0 && d < job.MinDuration:
		why = "under min_duration " + FormatDuration(job.MinDuration)
	case rec.KnownSuccesses >= minKnownSuccesses && d < rec.MedianSuccess/suspiciousFraction:
		why = fmt.Sprintf("under a tenth of its usual %s (median of the last %s)",
			FormatDuration(rec.MedianSuccess), Plural(rec.KnownSuccesses, "successful run"))
	default:
		return Finding{}, false
	}
	return Finding{
		Kind: KindSuspiciousSuccess, Severity: SeverityWarning, Transition: Opened,
		Cluster: cl.Name, Region: cl.Region, Job: job.Name, Value: int(d / time.Second),
		Tasks:   []string{r.TaskARN},
		Message: fmt.Sprintf("succeeded in %s, %s: did it do its work?", FormatDuration(d), why),
		Since:   r.StoppedAt, At: now, Route: job.Route,
	}, true
}
