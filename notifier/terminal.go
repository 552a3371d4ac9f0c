package notifier

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// Terminal writes findings and summaries as plain text, for the demo where
// no Slack exists. It implements monitor.Notifier; it cannot edit, so it
// returns zero Receipts. Safe for concurrent use: each message is written
// whole under a mutex so concurrent alerts never interleave.
type Terminal struct {
	mu sync.Mutex
	w  io.Writer
}

var _ monitor.Notifier = (*Terminal)(nil)

// NewTerminal writes to w.
func NewTerminal(w io.Writer) *Terminal { return &Terminal{w: w} }

// Notify writes one finding.
func (t *Terminal) Notify(ctx context.Context, f monitor.Finding, _ monitor.Receipt) (monitor.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return monitor.Receipt{}, fmt.Errorf("write finding: %w", err)
	}
	return monitor.Receipt{}, t.write(AlertText(f))
}

// Summarize writes one summary window.
func (t *Terminal) Summarize(ctx context.Context, s monitor.Summary) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return t.write(SummaryText(s))
}

func (t *Terminal) write(text string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, err := io.WriteString(t.w, text); err != nil {
		return fmt.Errorf("write to terminal: %w", err)
	}
	return nil
}

// AlertText renders a finding as a plain-text block ending in a blank line,
// e.g. "[CRITICAL] task limit: cluster cron 48/50 tasks (96%) ...".
func AlertText(f monitor.Finding) string {
	var b strings.Builder
	tag := strings.ToUpper(string(f.Severity))
	if f.Transition == monitor.Resolved {
		tag = "RESOLVED"
	}
	fmt.Fprintf(&b, "[%s] %s: %s\n", tag, strings.ReplaceAll(string(f.Kind), "_", " "), clean(oneLine(f)))
	if f.Rollup != nil {
		fmt.Fprintf(&b, "  %s (%s)\n", clean(rollupLine(f)), rollupState(f.Rollup))
	} else if f.Message != "" {
		fmt.Fprintf(&b, "  %s\n", clean(f.Message))
	}
	if fl := f.Failure; fl != nil && f.Rollup == nil {
		parts := []string{"cause: " + causeText(fl)}
		for _, fd := range failureFields(fl)[1:] {
			parts = append(parts, strings.ToLower(fd.name)+": "+unescape(fd.value))
		}
		fmt.Fprintf(&b, "  %s\n", clean(strings.Join(parts, ", ")))
		if fl.Reason != "" {
			fmt.Fprintf(&b, "  reason: %s\n", clean(fl.Reason))
		}
		if fl.StoppedReason != "" {
			fmt.Fprintf(&b, "  stopped reason: %s\n", clean(fl.StoppedReason))
		}
		if fl.LogURL != "" {
			fmt.Fprintf(&b, "  logs: %s\n", clean(fl.LogURL))
		}
		if fl.EventID != "" {
			fmt.Fprintf(&b, "  event: %s\n", clean(fl.EventID))
		}
	}
	if len(f.Tasks) > 0 {
		ids := make([]string, 0, len(f.Tasks))
		for _, a := range f.Tasks {
			ids = append(ids, monitor.ShortID(a))
		}
		fmt.Fprintf(&b, "  tasks: %s\n", clean(joinLimited(ids, ", ", 200)))
	}
	fmt.Fprintf(&b, "  at %s\n\n", formatTime(f.At))
	return b.String()
}

// oneLine is the headline sentence after the tag.
func oneLine(f monitor.Finding) string {
	var b strings.Builder
	b.WriteString("cluster " + f.Cluster)
	if f.Region != "" {
		b.WriteString(" (" + f.Region + ")")
	}
	if f.Job != "" {
		b.WriteString(" job " + f.Job)
	}
	switch f.Kind {
	case monitor.KindTaskLimit:
		fmt.Fprintf(&b, " %d/%d tasks", f.Value, f.Limit)
		if p := percent(f.Value, f.Limit); p != "" {
			b.WriteString(" (" + p + ")")
		}
		if f.Peak > 0 {
			fmt.Fprintf(&b, ", peak %d", f.Peak)
		}
		if len(f.Counts) > 0 {
			b.WriteString(", " + formatCounts(f.Counts))
		}
	case monitor.KindDuplicateRun:
		fmt.Fprintf(&b, " %d copies running (max %d)", f.Value, f.Limit)
		if f.Peak > 0 {
			fmt.Fprintf(&b, ", peak %d", f.Peak)
		}
	}
	if f.Transition != "" && f.Transition != monitor.Opened {
		b.WriteString(" [" + string(f.Transition) + "]")
	}
	if !f.Since.IsZero() {
		b.WriteString(" since " + formatTime(f.Since))
	}
	return b.String()
}

// SummaryText renders a summary window as plain text.
func SummaryText(s monitor.Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[SUMMARY] %s – %s\n", formatTime(s.From), formatTime(s.To))
	if s.Empty() {
		b.WriteString("  all clear: no incidents, failures or errors in this window\n\n")
		return b.String()
	}
	for _, c := range s.Clusters {
		line := "  cluster " + c.Cluster
		if c.Region != "" {
			line += " (" + c.Region + ")"
		}
		line += ": peak " + strconv.Itoa(c.PeakTasks) + "/" + strconv.Itoa(c.TaskLimit) + " tasks"
		if c.LimitIncidents > 0 {
			line += ", " + strconv.Itoa(c.LimitIncidents) + " limit incident(s)"
		}
		b.WriteString(clean(line) + "\n")
		for _, j := range c.Jobs {
			l := fmt.Sprintf("    %s: runs %d, ok %d, failed %d, missed %d, overruns %d",
				j.Job, j.Runs, j.Successes, j.Failures, j.Missed, j.Overruns)
			if j.P50 > 0 || j.P95 > 0 || j.MaxDuration > 0 {
				l += fmt.Sprintf(", p50 %s, p95 %s, max %s", formatDuration(j.P50), formatDuration(j.P95), formatDuration(j.MaxDuration))
			}
			if !j.LastSuccess.IsZero() {
				l += ", last success " + formatTime(j.LastSuccess)
			}
			b.WriteString(clean(l) + "\n")
			if j.Duplicates > 0 {
				ids := make([]string, 0, len(j.Tasks))
				for _, a := range j.Tasks {
					ids = append(ids, monitor.ShortID(a))
				}
				d := fmt.Sprintf("      duplicates: %d incident(s), peak %d copies (max %d), longest overlap %s",
					j.Duplicates, j.PeakCopies, j.MaxConcurrent, formatDuration(j.LongestOverlap))
				if len(ids) > 0 {
					d += ": " + joinLimited(ids, ", ", 120)
				}
				b.WriteString(clean(d) + "\n")
			}
		}
		for _, e := range c.Errors {
			state := "still open"
			if e.Resolved {
				state = "resolved"
			}
			b.WriteString(clean("    monitor error: "+e.Message+" (since "+formatTime(e.Since)+", "+state+")") + "\n")
		}
		for _, n := range c.Notes {
			b.WriteString(clean("    note: "+n) + "\n")
		}
	}
	b.WriteString("\n")
	return b.String()
}

// clean drops control characters (escape sequences in an AWS reason could
// otherwise repaint the operator's terminal) and folds newlines, so one
// line of output stays one line.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return -1
		}
		return r
	}, s)
}

// unescape reverses escapeMrkdwn for values shared with the Slack renderer.
func unescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}
