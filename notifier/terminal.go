package notifier

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// Terminal writes findings and summaries as plain text, for the demo where
// no Slack exists. It implements monitor.Notifier; it cannot edit, so it
// returns zero Receipts. Safe for concurrent use: each message is written
// whole under a mutex so concurrent alerts never interleave. It renders the
// same facts as the Slack messages (the same fields, times and wording),
// without the markup.
type Terminal struct {
	mu    sync.Mutex
	w     io.Writer
	style Style
}

var _ monitor.Notifier = (*Terminal)(nil)

// NewTerminal writes to w, with times in zone (nil: UTC).
func NewTerminal(w io.Writer, zone *time.Location) *Terminal {
	return &Terminal{w: w, style: Style{Zone: zone}}
}

// Notify writes one finding.
func (t *Terminal) Notify(ctx context.Context, f monitor.Finding, _ monitor.Receipt) (monitor.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return monitor.Receipt{}, fmt.Errorf("write finding: %w", err)
	}
	return monitor.Receipt{}, t.write(AlertText(f, t.style))
}

// Summarize writes one summary window.
func (t *Terminal) Summarize(ctx context.Context, s monitor.Summary) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return t.write(SummaryText(s, t.style))
}

func (t *Terminal) write(text string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, err := io.WriteString(t.w, text); err != nil {
		return fmt.Errorf("write to terminal: %w", err)
	}
	return nil
}

// AlertText renders a finding as a plain-text block ending in a blank line:
// the tag and headline, what happened, the same fields as the Slack
// message, the failure's reasons and logs, the tasks, and when.
func AlertText(f monitor.Finding, st Style) string {
	var b strings.Builder
	tag, head := strings.ToUpper(string(f.Severity)), headline(f)
	if f.Transition == monitor.Resolved {
		tag, head = "RESOLVED", strings.TrimPrefix(head, "Resolved: ")
	}
	fmt.Fprintf(&b, "[%s] %s\n", tag, clean(head))
	if f.Rollup != nil {
		fmt.Fprintf(&b, "  %s; %s\n", clean(rollupLine(f, st)), rollupState(f.Rollup, st))
	} else if f.Message != "" {
		fmt.Fprintf(&b, "  %s\n", clean(f.Message))
	}
	fields := alertFields(f, st)
	parts := make([]string, 0, len(fields))
	for _, fd := range fields {
		parts = append(parts, strings.ToLower(fd.name)+": "+unescape(fd.value))
	}
	fmt.Fprintf(&b, "  %s\n", clean(strings.Join(parts, ", ")))
	if fl := f.Failure; fl != nil && f.Rollup == nil {
		if fl.Reason != "" {
			r := fl.Reason
			if fl.StoppedReason == fl.Reason && fl.StopCode != "" {
				r += " (" + fl.StopCode + ")"
			}
			fmt.Fprintf(&b, "  reason: %s\n", clean(r))
		}
		if fl.StoppedReason != "" && fl.StoppedReason != fl.Reason {
			sr := fl.StoppedReason
			if fl.StopCode != "" {
				sr += " (" + fl.StopCode + ")"
			}
			fmt.Fprintf(&b, "  stopped reason: %s\n", clean(sr))
		}
		if fl.LogURL != "" && fl.Cause != monitor.CauseNeverStarted {
			fmt.Fprintf(&b, "  logs: %s\n", clean(fl.LogURL))
		}
	}
	if len(f.Tasks) > 0 {
		ids := make([]string, 0, len(f.Tasks))
		for _, a := range f.Tasks {
			ids = append(ids, monitor.ShortID(a))
		}
		fmt.Fprintf(&b, "  %s: %s\n", strings.ToLower(tasksLabel(f)), clean(joinLimited(ids, ", ", 200)))
	}
	at := "at " + st.time(f.At)
	if f.Failure != nil && f.EventID != "" {
		at += ", event " + f.EventID
	}
	fmt.Fprintf(&b, "  %s\n\n", clean(at))
	return b.String()
}

// SummaryText renders a summary window as plain text, with the Slack
// summary's counts and wording.
func SummaryText(s monitor.Summary, st Style) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[SUMMARY] %s – %s\n", st.time(s.From), st.time(s.To))
	if s.Empty() {
		b.WriteString("  all clear: no incidents, failures or errors in this window\n\n")
		return b.String()
	}
	fmt.Fprintf(&b, "  %s\n", summaryTotals(s))
	for _, c := range s.Clusters {
		line := "  cluster " + c.Cluster
		if where := clusterWhere(c); where != "" {
			line += " (" + clean(where) + ")"
		}
		line += ": peak tasks " + peakTasks(c)
		if c.LimitIncidents > 0 {
			line += ", " + monitor.Plural(c.LimitIncidents, "limit incident")
		}
		b.WriteString(clean(line) + "\n")
		for _, j := range c.Jobs {
			b.WriteString(clean("    "+j.Job+": "+strings.Join(jobStats(j, st), ", ")) + "\n")
			if d := duplicateText(j); d != "" {
				ids := make([]string, 0, len(j.Tasks))
				for _, a := range j.Tasks {
					ids = append(ids, monitor.ShortID(a))
				}
				if len(ids) > 0 {
					d += ": " + joinLimited(ids, ", ", 120)
				}
				b.WriteString(clean("      "+d) + "\n")
			}
		}
		for _, e := range c.Errors {
			b.WriteString(clean("    monitor error: "+errorText(e, st)) + "\n")
		}
		for _, n := range c.Notes {
			b.WriteString(clean("    note: "+n) + "\n")
		}
		for _, u := range c.Undelivered {
			b.WriteString(clean("    "+undeliveredLine(u, st)) + "\n")
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
