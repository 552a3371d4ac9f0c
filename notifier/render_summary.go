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
func SummaryBlocks(s monitor.Summary, links Links) (fallbackText string, blocks []slack.Block, color string) {
	window := formatTime(s.From) + " – " + formatTime(s.To)
	blocks = append(blocks, headerBlock(":bar_chart: ECS cron summary"))
	blocks = append(blocks, contextBlock(window))

	if s.Empty() {
		lines := []string{":white_check_mark: All clear: no incidents, failures or errors in this window."}
		for _, c := range s.Clusters {
			runs := 0
			for _, j := range c.Jobs {
				runs += j.Runs
			}
			lines = append(lines, fmt.Sprintf("*%s*: peak tasks %s, %d successful run(s)", escapeMrkdwn(c.Cluster), valueOfLimit(c.PeakTasks, c.TaskLimit), runs))
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
			lines = append(lines, jobLines(c, j, links))
		}
		for _, e := range c.Errors {
			lines = append(lines, errorLine(e))
		}
		for _, n := range c.Notes {
			lines = append(lines, ":memo: "+escapeMrkdwn(n))
		}
		for _, chunk := range chunkLines(lines, maxSectionText) {
			blocks = append(blocks, mrkdwnSection(chunk))
		}
	}

	fallback := fmt.Sprintf("ECS cron summary %s: %d cluster(s), %d run(s), %d failure(s), %d duplicate incident(s), %d monitor error(s)",
		window, len(s.Clusters), t.runs, t.failures, t.duplicates, t.errors)
	color = colorOK
	if t.failures > 0 || t.duplicates > 0 || t.errors > 0 || t.missed > 0 || t.limitIncidents > 0 {
		color = colorWarning
	}
	return fallback, capBlocks(blocks), color
}

type totals struct {
	runs, failures, duplicates, errors, missed, limitIncidents int
}

func summaryTotals(s monitor.Summary) totals {
	var t totals
	for _, c := range s.Clusters {
		t.errors += len(c.Errors)
		t.limitIncidents += c.LimitIncidents
		for _, j := range c.Jobs {
			t.runs += j.Runs
			t.failures += j.Failures
			t.duplicates += j.Duplicates
			t.missed += j.Missed
		}
	}
	return t
}

// clusterHead is the cluster's first line: name, region, peak vs limit.
func clusterHead(c monitor.ClusterSummary) string {
	h := "*" + escapeMrkdwn(c.Cluster) + "*"
	if c.Region != "" {
		h += " (" + escapeMrkdwn(c.Region) + ")"
	}
	h += "\nPeak tasks: " + valueOfLimit(c.PeakTasks, c.TaskLimit)
	if c.LimitIncidents > 0 {
		h += fmt.Sprintf(" · %d limit incident(s)", c.LimitIncidents)
	}
	return h
}

// jobLines renders one job: its run statistics, then its duplicates if any.
func jobLines(c monitor.ClusterSummary, j monitor.JobSummary, links Links) string {
	stats := []string{
		fmt.Sprintf("runs %d", j.Runs),
		fmt.Sprintf("ok %d", j.Successes),
		fmt.Sprintf("failed %d", j.Failures),
		fmt.Sprintf("missed %d", j.Missed),
		fmt.Sprintf("overruns %d", j.Overruns),
	}
	if j.P50 > 0 || j.P95 > 0 || j.MaxDuration > 0 {
		stats = append(stats, "p50 "+formatDuration(j.P50), "p95 "+formatDuration(j.P95), "max "+formatDuration(j.MaxDuration))
	}
	if !j.LastSuccess.IsZero() {
		stats = append(stats, "last success "+formatTime(j.LastSuccess))
	}
	icon := ":white_check_mark:"
	if j.Failures > 0 || j.Missed > 0 {
		icon = ":x:"
	} else if j.Duplicates > 0 || j.Overruns > 0 {
		icon = ":warning:"
	}
	out := icon + " *" + escapeMrkdwn(j.Job) + "*: " + strings.Join(stats, " · ")
	if j.Duplicates > 0 {
		d := fmt.Sprintf("\n      :busts_in_silhouette: %d duplicate incident(s), peak %d copies (max %d), longest overlap %s",
			j.Duplicates, j.PeakCopies, j.MaxConcurrent, formatDuration(j.LongestOverlap))
		if tl := links.taskLinks(c.Region, c.Cluster, j.Tasks, maxSummaryTasks); tl != "" {
			d += ": " + tl
		}
		out += d
	}
	return out
}

// errorLine renders one monitor_error incident of the window.
func errorLine(e monitor.ErrorSummary) string {
	state := "still open"
	if e.Resolved {
		state = "resolved"
	}
	return ":warning: Monitor error: " + escapeMrkdwn(e.Message) + " (since " + formatTime(e.Since) + ", " + state + ")"
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
