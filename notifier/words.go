package notifier

import (
	"fmt"
	"strconv"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// Severity colours, Slack's own palette so messages look native.
const (
	colorCritical = "#E01E5A"
	colorWarning  = "#ECB22E"
	colorOK       = "#2EB67D"
)

// severityColor picks the attachment bar colour: a resolution is good news whatever
// the severity of the incident it ends.
func severityColor(f monitor.Finding) string {
	if f.Transition == monitor.Resolved {
		return colorOK
	}
	switch f.Severity {
	case monitor.SeverityCritical:
		return colorCritical
	case monitor.SeverityWarning:
		return colorWarning
	}
	return colorOK
}

// kindTitle names a finding kind for people.
func kindTitle(k monitor.Kind) string {
	switch k {
	case monitor.KindTaskLimit:
		return "Task limit"
	case monitor.KindDuplicateRun:
		return "Duplicate run"
	case monitor.KindMonitorError:
		return "Monitor error"
	case monitor.KindFailedTask:
		return "Task failed"
	case monitor.KindMissedRun:
		return "Missed run"
	case monitor.KindOverrun:
		return "Overrun"
	case monitor.KindSuspiciousSuccess:
		return "Suspicious success"
	case monitor.KindLaunchFailed:
		return "Launch failed"
	case monitor.KindFargateQuota:
		return "Fargate vCPU quota"
	}
	return string(k)
}

// emoji picks the header icon per transition and kind.
func emoji(f monitor.Finding) string {
	switch {
	case f.Transition == monitor.Resolved:
		return ":white_check_mark:"
	case f.Rollup != nil:
		return ":repeat:"
	case f.Kind == monitor.KindFailedTask, f.Kind == monitor.KindLaunchFailed:
		return ":x:"
	case f.Severity == monitor.SeverityCritical:
		return ":rotating_light:"
	case f.Severity == monitor.SeverityWarning:
		return ":warning:"
	}
	return ":information_source:"
}

// mention is the job's configured mention for this finding: none on a
// resolution, which is good news that must not page anyone.
func mention(f monitor.Finding) string {
	if f.Transition == monitor.Resolved {
		return ""
	}
	return f.Route.Mention
}

// subject is what the finding is about: its job, else its cluster (an
// account's quota: the class and region).
func subject(f monitor.Finding) string {
	if f.Kind == monitor.KindFargateQuota {
		return f.Class + " " + f.Region
	}
	if f.Job != "" {
		return f.Job
	}
	return f.Cluster
}

// headline is the unescaped one-line title shared by Slack and the terminal,
// e.g. "Task limit critical · cron" or "Resolved: Task limit · cron". Only
// the task limit and the Fargate quota have two severities worth naming;
// every other kind has one.
func headline(f monitor.Finding) string {
	title := kindTitle(f.Kind)
	sev := string(f.Severity)
	graded := f.Kind == monitor.KindTaskLimit || f.Kind == monitor.KindFargateQuota
	var h string
	switch {
	case f.Rollup != nil:
		h = "Repeated failures"
	case f.Transition == monitor.Resolved:
		h = "Resolved: " + title
	case f.Transition == monitor.Escalated:
		h = title + " escalated to " + sev
	case f.Transition == monitor.Renotify && graded:
		h = title + " still " + sev
	case f.Transition == monitor.Renotify:
		h = title + " still open"
	case graded:
		h = title + " " + sev
	default:
		h = title
	}
	if s := subject(f); s != "" {
		h += " · " + s
	}
	return h
}

// causeText explains a failure cause in words.
func causeText(fl *monitor.Failure) string {
	switch fl.Cause {
	case monitor.CauseExit:
		if fl.ExitCode != nil {
			return "exit code " + strconv.Itoa(*fl.ExitCode)
		}
		return "stopped without an exit code"
	case monitor.CauseOOM:
		return "out of memory"
	case monitor.CauseNeverStarted:
		return "never started"
	case monitor.CauseSpotInterrupted:
		return "interrupted by a Fargate Spot reclaim"
	case monitor.CauseFargateVCPUQuota, monitor.CauseCapacity, monitor.CauseAccessDenied,
		monitor.CauseInvalidConfiguration, monitor.CauseThrottled, monitor.CauseUnknown:
		return monitor.LaunchCauseText(fl.Cause)
	}
	return string(fl.Cause)
}

// rollupLine is the unescaped storm sentence, subject-free since the
// headline names the job: "8 failures since 2026-03-09 05:00:00 UTC (3
// alerted one by one)". The count is the job's total since the burst began.
func rollupLine(f monitor.Finding, st Style) string {
	r := f.Rollup
	s := monitor.Plural(r.Count, "failure") + " since " + st.time(r.First)
	switch {
	case r.Alerted == 1:
		s += " (the first alerted on its own)"
	case r.Alerted > 1:
		s += " (the first " + strconv.Itoa(r.Alerted) + " alerted one by one)"
	}
	return s
}

// rollupState says whether the roll-up is still counting.
func rollupState(r *monitor.Rollup, st Style) string {
	if r.Final {
		return "final count; last failure at " + st.time(r.Last)
	}
	return "still counting; last failure at " + st.time(r.Last)
}

// historyStats are a job's summary facts that come from its run history:
// the window's success rate, the current streak, suspicious successes.
func historyStats(j monitor.JobSummary) []string {
	var out []string
	if j.Successes+j.Failures > 0 {
		out = append(out, fmt.Sprintf("success rate %.0f%%", j.SuccessRate))
	}
	switch {
	case j.Streak > 1 && j.StreakResult == monitor.ResultFailure:
		out = append(out, fmt.Sprintf("%d failures in a row", j.Streak))
	case j.Streak > 1:
		out = append(out, fmt.Sprintf("%d successes in a row", j.Streak))
	}
	if j.Suspicious > 0 {
		out = append(out, monitor.Plural(j.Suspicious, "suspiciously short success", "suspiciously short successes"))
	}
	return out
}
