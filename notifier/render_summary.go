package notifier

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// SummaryBlocks renders one summary window: a section per cluster (peak
// tasks against the limit), a line per job (duplicates, runs, durations),
// monitor errors and notes. An empty summary renders as an all-clear, for
// deployments that ask for one (summary.send_empty).
func SummaryBlocks(s monitor.Summary, st Style) (fallbackText string, blocks []slack.Block, color string) {
	window := st.time(s.From) + " – " + st.time(s.To)
	blocks = append(blocks, headerBlock(":bar_chart: ECS cron summary"))
	blocks = append(blocks, contextBlock(window))

	if s.Empty() {
		lines := []string{":white_check_mark: All clear: no incidents, failures or errors in this window."}
		for _, c := range s.Clusters {
			runs := 0
			for _, j := range c.Jobs {
				runs += j.Runs
			}
			lines = append(lines, fmt.Sprintf("*%s*: peak tasks %s, %s", escapeMrkdwn(c.Cluster), peakTasks(c), monitor.Plural(runs, "successful run")))
		}
		for _, chunk := range chunkLines(lines, maxSectionText) {
			blocks = append(blocks, mrkdwnSection(chunk))
		}
		return "ECS cron summary " + window + ": all clear", capBlocks(blocks), colorOK
	}

	t := summaryTotals(s)
	for _, c := range s.Clusters {
		blocks = append(blocks, slack.NewDividerBlock())
		blocks = append(blocks, mrkdwnSection(clusterHead(c)))
		var lines []string
		for _, j := range c.Jobs {
			lines = append(lines, jobLines(c, j, st))
		}
		for _, e := range c.Errors {
			lines = append(lines, ":warning: Monitor error: "+escapeMrkdwn(errorText(e, st)))
		}
		for _, n := range c.Notes {
			lines = append(lines, ":memo: "+escapeMrkdwn(n))
		}
		for _, u := range c.Undelivered {
			lines = append(lines, ":no_bell: "+escapeMrkdwn(undeliveredLine(u, st)))
		}
		for _, chunk := range chunkLines(lines, maxSectionText) {
			blocks = append(blocks, mrkdwnSection(chunk))
		}
	}

	color = colorOK
	if t.failures > 0 || t.duplicates > 0 || t.errors > 0 || t.missed > 0 || t.overruns > 0 || t.limitIncidents > 0 || t.undelivered > 0 {
		color = colorWarning
	}
	return escapeMrkdwn("ECS cron summary " + window + ": " + t.String()), capBlocks(blocks), color
}

type totals struct {
	clusters, runs, failures, missed, overruns, duplicates, errors, limitIncidents, undelivered int
}

func summaryTotals(s monitor.Summary) totals {
	t := totals{clusters: len(s.Clusters)}
	for _, c := range s.Clusters {
		t.errors += len(c.Errors)
		t.limitIncidents += c.LimitIncidents
		t.undelivered += len(c.Undelivered)
		for _, j := range c.Jobs {
			t.runs += j.Runs
			t.failures += j.Failures
			t.missed += j.Missed
			t.overruns += j.Overruns
			t.duplicates += j.Duplicates
		}
	}
	return t
}

// String is the summary's one-line count: clusters, runs and failures
// always, everything else only when it happened.
func (t totals) String() string {
	parts := []string{monitor.Plural(t.clusters, "cluster"), monitor.Plural(t.runs, "run"), monitor.Plural(t.failures, "failure")}
	for _, p := range []struct {
		n          int
		one, other string
	}{
		{t.missed, "missed run", "missed runs"},
		{t.overruns, "overrun", "overruns"},
		{t.duplicates, "duplicate incident", "duplicate incidents"},
		{t.limitIncidents, "task limit incident", "task limit incidents"},
		{t.errors, "monitor error", "monitor errors"},
		{t.undelivered, "undelivered alert", "undelivered alerts"},
	} {
		if p.n > 0 {
			parts = append(parts, monitor.Plural(p.n, p.one, p.other))
		}
	}
	return strings.Join(parts, ", ")
}

// peakTasks is the cluster's peak against its limit, or "unknown" when no
// poll succeeded in the window: a zero would read as an idle cluster.
func peakTasks(c monitor.ClusterSummary) string {
	if !c.Polled {
		return "unknown (no successful poll)"
	}
	return valueOfLimit(c.PeakTasks, c.TaskLimit)
}

// clusterWhere is where a summarised cluster is: its account, once the
// configuration spans accounts, and its region.
func clusterWhere(c monitor.ClusterSummary) string {
	var parts []string
	if a := c.InAccount(); !a.IsZero() {
		parts = append(parts, a.String())
	}
	if c.Region != "" {
		parts = append(parts, c.Region)
	}
	return strings.Join(parts, ", ")
}

// clusterHead is the cluster's first line: name, region, peak vs limit.
func clusterHead(c monitor.ClusterSummary) string {
	h := "*" + escapeMrkdwn(c.Cluster) + "*"
	if where := clusterWhere(c); where != "" {
		h += " (" + escapeMrkdwn(where) + ")"
	}
	h += "\nPeak tasks: " + peakTasks(c)
	if c.LimitIncidents > 0 {
		h += " · " + monitor.Plural(c.LimitIncidents, "limit incident")
	}
	return h
}

// jobStats is one job's counts, unescaped: runs and successes always,
// failures, runs stopped by a person, missed runs and overruns when there
// were any, then durations.
func jobStats(j monitor.JobSummary, st Style) []string {
	stats := []string{fmt.Sprintf("runs %d", j.Runs), fmt.Sprintf("ok %d", j.Successes)}
	for _, c := range []struct {
		name string
		n    int
	}{{"failed", j.Failures}, {"stopped", j.Stopped}, {"missed", j.Missed}, {"overruns", j.Overruns}} {
		if c.n > 0 {
			stats = append(stats, fmt.Sprintf("%s %d", c.name, c.n))
		}
	}
	if j.LaunchFailures > 0 {
		stats = append(stats, fmt.Sprintf("launch failed %d", j.LaunchFailures))
	}
	if j.P50 > 0 || j.P95 > 0 || j.MaxDuration > 0 {
		stats = append(stats, "p50 "+formatDuration(j.P50), "p95 "+formatDuration(j.P95), "max "+formatDuration(j.MaxDuration))
	}
	if !j.LastSuccess.IsZero() {
		stats = append(stats, "last success "+st.time(j.LastSuccess))
	}
	stats = append(stats, historyStats(j)...)
	return stats
}

// duplicateText is the unescaped duplicate line of a job, "" without any.
func duplicateText(j monitor.JobSummary) string {
	if j.Duplicates == 0 {
		return ""
	}
	return fmt.Sprintf("%s, peak %d copies (max %d), longest overlap %s",
		monitor.Plural(j.Duplicates, "duplicate incident"), j.PeakCopies, j.MaxConcurrent, formatDuration(j.LongestOverlap))
}

// errorText is one monitor_error incident of the window, unescaped.
func errorText(e monitor.ErrorSummary, st Style) string {
	state := "still open"
	if e.Resolved {
		state = "resolved"
	}
	return e.Message + " (since " + st.time(e.Since) + ", " + state + ")"
}

// jobLines renders one job: its run statistics, then its duplicates if any.
func jobLines(c monitor.ClusterSummary, j monitor.JobSummary, st Style) string {
	icon := ":white_check_mark:"
	if j.Failures > 0 || j.Missed > 0 || j.LaunchFailures > 0 {
		icon = ":x:"
	} else if j.Duplicates > 0 || j.Overruns > 0 || j.Suspicious > 0 {
		icon = ":warning:"
	}
	out := icon + " *" + escapeMrkdwn(j.Job) + "*: " + escapeMrkdwn(strings.Join(jobStats(j, st), " · "))
	if d := duplicateText(j); d != "" {
		d = "\n      :busts_in_silhouette: " + escapeMrkdwn(d)
		if tl := st.taskLinks(c.Region, c.Cluster, j.Tasks, maxSummaryTasks); tl != "" {
			d += ": " + tl
		}
		out += d
	}
	return out
}

// chunkLines groups whole lines into texts of at most max runes each, so a
// long cluster becomes several sections instead of one rejected block. A
// single line longer than max is truncated.
func chunkLines(lines []string, max int) []string {
	var out []string
	var cur []string
	size := 0
	for _, l := range lines {
		l = truncate(l, max)
		n := len([]rune(l))
		if len(cur) > 0 && size+1+n > max {
			out = append(out, strings.Join(cur, "\n"))
			cur, size = nil, 0
		}
		if len(cur) > 0 {
			size++
		}
		cur = append(cur, l)
		size += n
	}
	if len(cur) > 0 {
		out = append(out, strings.Join(cur, "\n"))
	}
	return out
}

// undeliveredLine names an alert that never reached anyone, plain text
// (callers escape it for their medium).
func undeliveredLine(u monitor.UndeliveredAlert, st Style) string {
	what := string(u.Kind)
	if u.Job != "" {
		what += " " + u.Job
	}
	return fmt.Sprintf("alert not delivered (%s, %s): %s: %s", u.Reason, st.time(u.At), what, u.Message)
}
