package notifier

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from the current renderer")

// Fixed times: golden files must not depend on the clock.
var (
	t0      = time.Date(2026, 3, 9, 5, 0, 0, 0, time.UTC)
	taskARN = func(id string) string { return "arn:aws:ecs:ap-northeast-1:123456789012:task/cron/" + id }
)

func intp(i int) *int { return &i }

func limitFinding(sev monitor.Severity, tr monitor.Transition, value int) monitor.Finding {
	return monitor.Finding{
		Kind: monitor.KindTaskLimit, Severity: sev, Transition: tr,
		Cluster: "cron", Region: "ap-northeast-1",
		Value: value, Limit: 50, Peak: 49,
		Tasks:   []string{taskARN("a1b2c3d4e5f60718293a4b5c6d7e8f90"), taskARN("0f1e2d3c4b5a69788796a5b4c3d2e1f0")},
		Message: fmt.Sprintf("cluster cron runs %d of its 50-task limit", value),
		Since:   t0, At: t0.Add(3 * time.Minute),
		Counts: map[string]int{"RUNNING": value - 8, "PENDING": 6, "PROVISIONING": 2},
	}
}

func failedFinding(cause monitor.Cause, exit *int, container, reason, stopped string) monitor.Finding {
	return monitor.Finding{
		Kind: monitor.KindFailedTask, Severity: monitor.SeverityCritical, Transition: monitor.Opened,
		Cluster: "cron", Region: "ap-northeast-1", Job: "image-resizer",
		Tasks:   []string{taskARN("b5a4c3d2e1f0a9b8c7d6e5f4a3b2c1d0")},
		Message: "image-resizer run failed",
		At:      t0.Add(18 * time.Minute),
		Failure: &monitor.Failure{
			Cause: cause, ExitCode: exit, Container: container, Reason: reason,
			StopCode: "EssentialContainerExited", StoppedReason: stopped,
			StartedBy: "events-rule/image-resizer-nightly",
			StartedAt: t0.Add(6 * time.Second), StoppedAt: t0.Add(17*time.Minute + 31*time.Second),
			LogURL:  "https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-1#logsV2:log-groups/log-group/$252Fecs$252Fimage-resizer",
			EventID: "0d6f2b8e-51a4-4c93-8e7d-b2a9f4c6e013",
		},
	}
}

// richSummary is a hand-made summary for delivery tests; the golden files
// use summaries the dispatcher made.
func richSummary() monitor.Summary {
	return monitor.Summary{
		From: t0, To: t0.Add(15 * time.Minute),
		Clusters: []monitor.ClusterSummary{{
			Cluster: "cron", Region: "ap-northeast-1", Polled: true, PeakTasks: 48, TaskLimit: 50, LimitIncidents: 1,
			Jobs: []monitor.JobSummary{{Job: "image-resizer", Duplicates: 2, PeakCopies: 3, MaxConcurrent: 1,
				Tasks: []string{taskARN("aaaa1111"), taskARN("bbbb2222")}, Runs: 6, Successes: 5, Failures: 1}},
			Notes: []string{"rule report-daily is DISABLED"},
		}},
	}
}

// goldenZone is the zone of the CRON_TZ goldens, taken from a summary
// schedule the way the daemon takes it.
func goldenZone(t *testing.T) *time.Location {
	t.Helper()
	zone := config.Summary{Schedule: "CRON_TZ=Asia/Tokyo 0 9 * * *"}.Zone()
	if zone.String() != "Asia/Tokyo" {
		t.Fatalf("zone of a CRON_TZ schedule = %s, want Asia/Tokyo", zone)
	}
	return zone
}

// golden is one message as Slack gets it and as the terminal prints it.
type golden struct {
	slack    message
	terminal string
}

// goldenCases are every kind of message an on-call engineer sees, made by
// the real code paths (see production_test.go).
func goldenCases(t *testing.T) map[string]golden {
	t.Helper()
	p := runProduction(t)
	alert := func(f monitor.Finding, st Style) golden {
		fb, blocks, color := AlertBlocks(f, st)
		return golden{buildMessage(fb, blocks, color, mention(f)), AlertText(f, st)}
	}
	summary := func(s monitor.Summary, st Style) golden {
		fb, blocks, color := SummaryBlocks(s, st)
		return golden{buildMessage(fb, blocks, color, ""), SummaryText(s, st)}
	}
	out := map[string]golden{}
	for name, f := range p.alerts {
		out[name] = alert(f, Style{})
	}
	for name, s := range p.summaries {
		out[name] = summary(s, Style{})
	}
	for name, f := range launchProduction(t) {
		out[name] = alert(f, Style{})
	}
	tokyo := Style{Zone: goldenZone(t)}
	out["summary_cron_tz"] = summary(p.summaries["summary"], tokyo)
	out["missed_run_opened_cron_tz"] = alert(p.alerts["missed_run_opened"], tokyo)
	return out
}

func marshalGolden(t *testing.T, m message) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // so reviewers read "<" and "&amp;" as Slack gets them
	enc.SetIndent("", "  ")
	if err := enc.Encode(m.webhookMessage()); err != nil {
		t.Fatal(err)
	}
	// slack.Blocks marshals itself with json.Marshal, which HTML-escapes;
	// undo that (the JSON stays equivalent) so links read as Slack sees them.
	return []byte(strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(buf.String()))
}

func TestGolden(t *testing.T) {
	for name, g := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			got := marshalGolden(t, g.slack)
			checkGolden(t, filepath.Join("testdata", "golden", name+".json"), got)
			checkGolden(t, filepath.Join("testdata", "golden", "terminal", name+".txt"), []byte(g.terminal))
			assertWithinSlackLimits(t, got)
		})
	}
}

// checkGolden compares got with the file at path (rewritten by -update).
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./notifier -update to create): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file; run with -update and review the diff\ngot:\n%s", path, got)
	}
}

// assertWithinSlackLimits decodes a webhook payload and checks Slack's
// documented limits on every block.
func assertWithinSlackLimits(t *testing.T, payload []byte) {
	t.Helper()
	var msg struct {
		Attachments []struct {
			Blocks []struct {
				Type   string `json:"type"`
				Text   *struct{ Text string }
				Fields []struct{ Text string }
			} `json:"blocks"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(payload, &msg); err != nil {
		t.Fatal(err)
	}
	for _, a := range msg.Attachments {
		if len(a.Blocks) > maxBlocks || len(a.Blocks) == 0 {
			t.Errorf("%d blocks, want 1..%d", len(a.Blocks), maxBlocks)
		}
		for i, b := range a.Blocks {
			if b.Type == "header" && utf8.RuneCountInString(b.Text.Text) > maxHeaderText {
				t.Errorf("block %d: header of %d chars", i, utf8.RuneCountInString(b.Text.Text))
			}
			if b.Type == "section" && b.Text != nil && utf8.RuneCountInString(b.Text.Text) > maxSectionText {
				t.Errorf("block %d: section text of %d chars", i, utf8.RuneCountInString(b.Text.Text))
			}
			if len(b.Fields) > maxFields {
				t.Errorf("block %d: %d fields", i, len(b.Fields))
			}
			for _, f := range b.Fields {
				if utf8.RuneCountInString(f.Text) > maxFieldText {
					t.Errorf("block %d: field of %d chars", i, utf8.RuneCountInString(f.Text))
				}
			}
		}
	}
}

func TestAlertColorsAndHeaders(t *testing.T) {
	cases := []struct {
		name      string
		f         monitor.Finding
		color     string
		headStart string
	}{
		{"critical", limitFinding(monitor.SeverityCritical, monitor.Opened, 48), colorCritical, ":rotating_light: Task limit critical · cron"},
		{"warning", limitFinding(monitor.SeverityWarning, monitor.Opened, 42), colorWarning, ":warning: Task limit warning · cron"},
		{"escalated", limitFinding(monitor.SeverityCritical, monitor.Escalated, 48), colorCritical, ":rotating_light: Task limit escalated to critical"},
		{"renotify", limitFinding(monitor.SeverityCritical, monitor.Renotify, 48), colorCritical, ":rotating_light: Task limit still critical"},
		{"resolved", limitFinding(monitor.SeverityCritical, monitor.Resolved, 10), colorOK, ":white_check_mark: Resolved: Task limit"},
		{"info", monitor.Finding{Kind: monitor.KindOverrun, Severity: monitor.SeverityInfo, Cluster: "c", Job: "j"}, colorOK, ":information_source: Overrun · j"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, blocks, color := AlertBlocks(c.f, Style{})
			if color != c.color {
				t.Errorf("color %s, want %s", color, c.color)
			}
			b, _ := json.Marshal(blocks[0])
			var h struct{ Type, Text struct{ Text string } }
			_ = json.Unmarshal(b, &h)
			if !strings.HasPrefix(h.Text.Text, c.headStart) {
				t.Errorf("header %q, want prefix %q", h.Text.Text, c.headStart)
			}
		})
	}
}

func TestLongInputsStayWithinLimits(t *testing.T) {
	f := failedFinding(monitor.CauseExit, intp(1), strings.Repeat("c", 3000), strings.Repeat("<r>", 2000), strings.Repeat("s&", 3000))
	f.Job = strings.Repeat("very-long-job-name-", 20)
	for i := range 300 {
		f.Tasks = append(f.Tasks, taskARN(fmt.Sprintf("%032d", i)))
	}
	fb, blocks, color := AlertBlocks(f, Style{})
	got := marshalGolden(t, buildMessage(fb, blocks, color, ""))
	assertWithinSlackLimits(t, got)
	if !strings.Contains(string(got), "+291 more") {
		t.Error("task list does not say how many tasks were left out")
	}

	s := monitor.Summary{From: t0, To: t0.Add(time.Hour)}
	for i := range 80 {
		c := monitor.ClusterSummary{Cluster: fmt.Sprintf("cluster-%d", i), TaskLimit: 10}
		for j := range 40 {
			c.Jobs = append(c.Jobs, monitor.JobSummary{Job: fmt.Sprintf("job-%d-%s", j, strings.Repeat("x", 60)), Runs: 1, Failures: 1})
		}
		s.Clusters = append(s.Clusters, c)
	}
	fb, blocks, color = SummaryBlocks(s, Style{})
	if len(blocks) != maxBlocks {
		t.Errorf("%d blocks, want exactly the cap %d", len(blocks), maxBlocks)
	}
	got = marshalGolden(t, buildMessage(fb, blocks, color, ""))
	assertWithinSlackLimits(t, got)
	if !strings.Contains(string(got), "more blocks omitted") {
		t.Error("capped summary does not say blocks were omitted")
	}
}

func TestTaskLink(t *testing.T) {
	arn := taskARN("abc123")
	cases := []struct {
		base, region, cluster, want string
	}{
		{"", "ap-northeast-1", "cron", "https://ap-northeast-1.console.aws.amazon.com/ecs/v2/clusters/cron/tasks/abc123/configuration?region=ap-northeast-1"},
		{"https://console.aws.amazon.com/", "us-east-1", "c", "https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/c/tasks/abc123/configuration?region=us-east-1"},
		{"http://127.0.0.1:8080", "us-east-1", "c", "http://127.0.0.1:8080/ecs/v2/clusters/c/tasks/abc123/configuration?region=us-east-1"},
		{"", "us-east-1", "a|b>c", "https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/a%7Cb%3Ec/tasks/abc123/configuration?region=us-east-1"},
	}
	for _, c := range cases {
		if got := (Style{ConsoleURL: c.base}).Task(c.region, c.cluster, arn); got != c.want {
			t.Errorf("Task(%q,%q) with base %q = %q, want %q", c.region, c.cluster, c.base, got, c.want)
		}
	}
}

func TestEscapeAndTruncate(t *testing.T) {
	if got := escapeMrkdwn(`<!channel> & <@U1> *bold*`); got != `&lt;!channel&gt; &amp; &lt;@U1&gt; *bold*` {
		t.Errorf("escapeMrkdwn = %q", got)
	}
	if got := truncate("abcdef", 4); got != "abc…" {
		t.Errorf("truncate = %q", got)
	}
	// Cutting inside "&amp;" would leave a half entity; the cut moves before it.
	if got := truncate("ab&amp;cd", 5); got != "ab…" {
		t.Errorf("truncate inside entity = %q", got)
	}
	if got := joinLimited([]string{"aaaa", "bbbb", "cccc"}, ", ", 18); got != "aaaa, +2 more" {
		t.Errorf("joinLimited = %q", got)
	}
	if got := formatExitCodes(map[int]int{137: 20, 1: 180, 2: 20}); got != "1×180, 2×20, 137×20" {
		t.Errorf("formatExitCodes = %q", got)
	}
}

// Runs a person stopped are named in the summary, in Slack and on the
// terminal, and only when there are some.
func TestSummaryNamesStoppedRuns(t *testing.T) {
	t0 := time.Date(2026, 3, 9, 3, 0, 0, 0, time.UTC)
	s := monitor.Summary{From: t0, To: t0.Add(15 * time.Minute), Clusters: []monitor.ClusterSummary{{Cluster: "cron",
		Jobs: []monitor.JobSummary{{Job: "etl", Runs: 3, Successes: 2, Stopped: 1}, {Job: "sync", Runs: 1, Successes: 1}}}}}
	_, blocks, _ := SummaryBlocks(s, Style{})
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(raw), "stopped 1"); n != 1 {
		t.Errorf("Slack summary names %d stopped counts, want 1 (etl only): %s", n, raw)
	}
	var b strings.Builder
	if err := NewTerminal(&b, nil).Summarize(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "etl: runs 3, ok 2, stopped 1") || strings.Count(b.String(), "stopped") != 1 {
		t.Errorf("terminal summary:\n%s", b.String())
	}
}

// An alert given up on is named in the summary, escaped, and makes a
// summary that has nothing else worth saying still a warning.
func TestSummaryNamesUndeliveredAlerts(t *testing.T) {
	at := time.Date(2026, 11, 22, 3, 4, 5, 0, time.UTC)
	s := monitor.Summary{From: at.Add(-15 * time.Minute), To: at, Clusters: []monitor.ClusterSummary{{
		Cluster: "cron", Undelivered: []monitor.UndeliveredAlert{{Kind: monitor.KindMissedRun, Job: "<!channel>", At: at,
			Message: "missed run", Reason: "channel_not_found"}}}}}
	if s.Empty() {
		t.Fatal("a summary naming an undelivered alert is not empty")
	}
	_, blocks, color := SummaryBlocks(s, Style{})
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	for _, want := range []string{"alert not delivered (channel_not_found", `missed_run \u0026lt;!channel\u0026gt;: missed run`} {
		if !strings.Contains(text, want) {
			t.Errorf("summary does not contain %q:\n%s", want, text)
		}
	}
	if color != colorWarning {
		t.Errorf("color %q, want warning", color)
	}
}
