package notifier

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// TestMessagesReadWell checks, on every message the real code paths make
// (the golden cases), the rules on-call relies on, in Slack and on the
// terminal alike.
func TestMessagesReadWell(t *testing.T) {
	cases := goldenCases(t)
	anyTime := regexp.MustCompile(`\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?[^ ]*( [A-Z]{3,4})?`)
	parenPlural := regexp.MustCompile(`\b(cluster|run|failure|incident|error)\(s\)|\b1 (clusters|runs|failures|incidents|errors|copies)\b`)
	for name, g := range cases {
		slackText := string(marshalGolden(t, g.slack))
		zone := "UTC"
		if strings.HasSuffix(name, "_cron_tz") {
			zone = "JST"
		}
		for _, out := range []struct{ where, text string }{{"slack", slackText}, {"terminal", g.terminal}} {
			// One time format everywhere, with its zone.
			for _, ts := range anyTime.FindAllString(out.text, -1) {
				if !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ` + zone + `$`).MatchString(ts) {
					t.Errorf("%s (%s): time %q, want 2006-01-02 15:04:05 %s", name, out.where, ts, zone)
				}
			}
			if strings.Contains(out.text, "Value") || strings.Contains(out.text, "value:") {
				t.Errorf("%s (%s): a bare Value field says nothing to on-call:\n%s", name, out.where, out.text)
			}
			if parenPlural.MatchString(out.text) {
				t.Errorf("%s (%s): plural by parenthesis or a wrong plural:\n%s", name, out.where, out.text)
			}
		}
		fallback := g.slack.attachment.Fallback
		for _, job := range []string{"billing-batch", "nightly-report", "ledger-close", "image-resizer-backfill", "sync-inventory-hourly"} {
			if strings.Count(fallback, job) > 1 {
				t.Errorf("%s: fallback names %s twice: %q", name, job, fallback)
			}
		}
	}

	exit1 := string(marshalGolden(t, cases["failed_task_exit1"].slack))
	if strings.Contains(exit1, "*Cause*") || !strings.Contains(exit1, "*Exit code*\\n1") {
		t.Errorf("exit 1: the cause should not repeat the exit code:\n%s", exit1)
	}
	never := cases["failed_task_never_started"]
	if s := string(marshalGolden(t, never.slack)); strings.Contains(s, "CloudWatch logs") || strings.Contains(never.terminal, "logs:") {
		t.Errorf("a task that never started has no logs to link:\n%s\n%s", s, never.terminal)
	}
	for _, name := range []string{"summary", "summary_cron_tz"} {
		s := string(marshalGolden(t, cases[name].slack))
		if !strings.Contains(s, "*batch* (ap-northeast-1)\\nPeak tasks: unknown") || !strings.Contains(cases[name].terminal, "batch (ap-northeast-1): peak tasks unknown") {
			t.Errorf("%s: a cluster never polled in the window must show its peak as unknown, not 0:\n%s", name, s)
		}
	}
	// The job's mention pages for a problem, never for its resolution.
	if !strings.HasPrefix(cases["failed_task_exit1"].slack.text, "<!subteam^S0123ABC> ") || strings.Contains(cases["duplicate_run_resolved"].slack.text, "<!subteam") {
		t.Errorf("mentions: failure %q, resolution %q", cases["failed_task_exit1"].slack.text, cases["duplicate_run_resolved"].slack.text)
	}
	// The roll-up and the summary agree on image-resizer's failures.
	if !strings.Contains(cases["rollup_final"].terminal, "8 failures since") || !strings.Contains(cases["summary"].terminal, "image-resizer-backfill: runs 8, ok 0, failed 8") {
		t.Errorf("roll-up and summary disagree:\n%s\n%s", cases["rollup_final"].terminal, cases["summary"].terminal)
	}
}

func TestPlural(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{{0, "0 failures"}, {1, "1 failure"}, {8, "8 failures"}} {
		if got := monitor.Plural(c.n, "failure"); got != c.want {
			t.Errorf("Plural(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	if got := monitor.Plural(2, "copy", "copies"); got != "2 copies" {
		t.Errorf("Plural(2, copy) = %q", got)
	}
}
