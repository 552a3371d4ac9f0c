package notifier

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// Slack's size limits (docs/AWS-NOTES.md §6). Oversized blocks are rejected with
// invalid_blocks rather than truncated, so we truncate before sending.
const (
	maxBlocks       = 50
	maxSectionText  = 3000
	maxFields       = 10
	maxFieldText    = 2000
	maxHeaderText   = 150
	maxContextItems = 10
	maxFallbackText = 3000
	maxTaskLinks    = 10
	maxSummaryTasks = 3
	ellipsis        = "…"
)

// escapeMrkdwn neutralises Slack's three control characters, and only those,
// so names and reasons from AWS or config cannot form mentions (<!channel>,
// <@U123>) or links. Other characters are left alone: Slack does not decode
// any other HTML entity.
func escapeMrkdwn(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// truncate cuts s to at most max runes, ending in "…" when it had to cut.
// It never cuts inside an HTML entity such as "&amp;", so an escaped string
// stays free of bare control characters and of half entities.
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	if max <= 0 {
		return ""
	}
	runes := []rune(s)
	cut := max - 1
	if i := lastIndexRune(runes[:cut], '&'); i >= 0 && i >= cut-5 && !containsRune(runes[i:cut], ';') {
		cut = i
	}
	return string(runes[:cut]) + ellipsis
}

func lastIndexRune(rs []rune, r rune) int {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i] == r {
			return i
		}
	}
	return -1
}

func containsRune(rs []rune, r rune) bool {
	return lastIndexRune(rs, r) >= 0
}

// joinLimited joins whole lines until max runes, then appends "+N more" so
// a reader knows something was left out; lines are never cut mid-link
// except a first line that alone exceeds max.
func joinLimited(lines []string, sep string, max int) string {
	out := ""
	for i, l := range lines {
		next := l
		if i > 0 {
			next = out + sep + l
		}
		tail := ""
		if rest := len(lines) - i - 1; rest > 0 {
			tail = sep + "+" + strconv.Itoa(rest) + " more"
		}
		if utf8.RuneCountInString(next+tail) > max {
			if i == 0 {
				return truncate(l, max)
			}
			return out + sep + "+" + strconv.Itoa(len(lines)-i) + " more"
		}
		out = next
	}
	return out
}

// safeURL percent-encodes the characters that would end or split a mrkdwn
// link (<url|text>), so a URL built from AWS names cannot inject markup.
func safeURL(u string) string {
	return strings.NewReplacer("<", "%3C", ">", "%3E", "|", "%7C", " ", "%20", "\n", "%0A").Replace(u)
}

// link renders a mrkdwn link; text is escaped, url made safe.
func link(u, text string) string {
	if u == "" {
		return escapeMrkdwn(text)
	}
	return "<" + safeURL(u) + "|" + escapeMrkdwn(text) + ">"
}

// Style is what every rendered message shares: where console links point
// and the zone times are written in.
type Style struct {
	// ConsoleURL is the AWS console base; empty means the real console,
	// where the region becomes a sub-domain. Any other value (the demo,
	// tests) is used as given.
	ConsoleURL string
	// Zone is the zone of every time in a message: summary.schedule's
	// CRON_TZ when it has one, so on-call reads the zone the summary runs
	// in. Nil means UTC.
	Zone *time.Location
}

// Task returns the console page of one task.
func (l Style) Task(region, cluster, taskARN string) string {
	return monitor.Console{Base: l.ConsoleURL}.TaskURL(region, cluster, taskARN)
}

// time is the one timestamp format of every message, to the second, with
// its zone shown (monitor.TimeLayout). Slack's <!date^...> would localise,
// but it is a control sequence we keep out of messages so the no-mention
// guarantee stays simple to check.
func (l Style) time(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	zone := l.Zone
	if zone == nil {
		zone = time.UTC
	}
	return t.In(zone).Format(monitor.TimeLayout)
}

// taskLinks renders up to max task ids as console links and "+N more".
func (l Style) taskLinks(region, cluster string, tasks []string, max int) string {
	if len(tasks) == 0 {
		return ""
	}
	parts := make([]string, 0, min(len(tasks), max)+1)
	for i, t := range tasks {
		if i == max {
			parts = append(parts, fmt.Sprintf("+%d more", len(tasks)-max))
			break
		}
		parts = append(parts, link(l.Task(region, cluster, t), monitor.ShortID(t)))
	}
	return strings.Join(parts, ", ")
}

// formatDuration is monitor.FormatDuration: "17m22s", "5m", "1h".
func formatDuration(d time.Duration) string { return monitor.FormatDuration(d) }

// percent renders value/limit as a whole percentage; "" when no limit.
func percent(value, limit int) string {
	if limit <= 0 {
		return ""
	}
	return strconv.Itoa(value*100/limit) + "%"
}

// valueOfLimit renders "48 / 50 (96%)".
func valueOfLimit(value, limit int) string {
	if limit <= 0 {
		return strconv.Itoa(value)
	}
	return fmt.Sprintf("%d / %d (%s)", value, limit, percent(value, limit))
}

// formatCounts renders per-status counts in a stable order.
func formatCounts(counts map[string]int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, counts[k]))
	}
	return strings.Join(parts, ", ")
}

// formatExitCodes renders "1×180, 137×20", most frequent first.
func formatExitCodes(codes map[int]int) string {
	type kv struct{ code, n int }
	list := make([]kv, 0, len(codes))
	for c, n := range codes {
		list = append(list, kv{c, n})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].n != list[j].n {
			return list[i].n > list[j].n
		}
		return list[i].code < list[j].code
	})
	parts := make([]string, 0, len(list))
	for _, e := range list {
		parts = append(parts, fmt.Sprintf("%d×%d", e.code, e.n))
	}
	return strings.Join(parts, ", ")
}
