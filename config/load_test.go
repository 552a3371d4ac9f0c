package config

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"
)

// lineOf returns the 1-based line of the first line in file starting with
// prefix, so tests over the example file survive edits to its comments.
func lineOf(t *testing.T, file, prefix string) int {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.HasPrefix(sc.Text(), prefix) {
			return n
		}
	}
	t.Fatalf("%s: no line starts with %q", file, prefix)
	return 0
}

func TestExampleConfigLoads(t *testing.T) {
	const file = "../config.toml"
	const hook = "https://hooks.slack.com/services/T000/B000/EXAMPLEsecret"
	c, err := Load(file, env{"SLACK_WEBHOOK_URL": hook}.lookup)
	if err != nil {
		t.Fatalf("Load(%s): %v", file, err)
	}
	if got := c.Slack.WebhookURL.Reveal(); got != hook {
		t.Errorf("webhook_url = %q, want the expanded variable", got)
	}
	if len(c.Clusters) != 1 || len(c.Clusters[0].Jobs) != 2 {
		t.Fatalf("clusters/jobs = %+v", c.Clusters)
	}
	cl := c.Clusters[0]
	if got := cl.Jobs[1].MaxConcurrent; got == nil || *got != 0 {
		t.Errorf("sync-inventory max_concurrent = %v, want explicit 0", got)
	}
	if got := cl.Jobs[0].StormWindow.Duration; got != 5*time.Minute {
		t.Errorf("job storm_window = %v, want its own 5m", got)
	}
	if got := cl.Jobs[1].StormThreshold; got != c.Events.StormThreshold {
		t.Errorf("job storm_threshold = %d, want inherited %d", got, c.Events.StormThreshold)
	}
	if !c.Quota.Enabled || c.Quota.CriticalPercent != 95 || c.Events.SchedulerDLQURL == "" || !c.Events.FailedInvocations {
		t.Errorf("quota = %+v, scheduler_dlq_url %q, failed_invocations %v", c.Quota, c.Events.SchedulerDLQURL, c.Events.FailedInvocations)
	}
}

func TestExampleConfigUnsetSecret(t *testing.T) {
	const file = "../config.toml"
	_, err := Load(file, env{}.lookup)
	assertProblems(t, err, file, want{
		line: lineOf(t, file, "webhook_url ="),
		key:  "slack.webhook_url",
		msg:  "environment variable SLACK_WEBHOOK_URL is not set",
	})
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/does-not-exist.toml", env{}.lookup)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist wrapped", err)
	}
	if Problems(err) != nil {
		t.Errorf("an unreadable file is not a Problem: %v", err)
	}
}

func TestSyntaxErrorIsTheOnlyProblem(t *testing.T) {
	const file = "testdata/syntax-error.toml"
	c, err := Load(file, env{}.lookup)
	if c != nil {
		t.Errorf("config returned despite a syntax error")
	}
	ps := Problems(err)
	if len(ps) != 1 {
		t.Fatalf("problems = %v, want exactly the syntax error", err)
	}
	if p := ps[0]; p.Line != 4 || p.Col != 14 || p.Key != "" {
		t.Errorf("problem at %d:%d key %q, want 4:14 and no key", p.Line, p.Col, p.Key)
	}
	if got := ps[0].Error(); !strings.HasPrefix(got, file+":4:14: ") {
		t.Errorf("Error() = %q, want file:line:col prefix", got)
	}
}

func TestTOMLSemanticErrorsAreSyntaxProblems(t *testing.T) {
	tests := []struct {
		name, doc string
		line      int
	}{
		{"duplicate key", cluster + "name = \"again\"\n", 4},
		{"table redefined", "[slack]\n[slack]\n", 2},
		{"array of tables redefined as table", cluster + "[cluster]\n", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseString(t, tt.doc, env{})
			ps := Problems(err)
			if len(ps) != 1 || ps[0].Line != tt.line {
				t.Errorf("problems = %v, want one at line %d", err, tt.line)
			}
		})
	}
}

func TestManyProblemsReportedTogether(t *testing.T) {
	const file = "testdata/many-problems.toml"
	c, err := Load(file, env{}.lookup)
	assertProblems(t, err, file,
		want{1, "slack.channel", "is required with token"},
		want{2, "slack.webhook_url", "must be an https:// URL"},
		want{3, "slack.token", "mutually exclusive"},
		want{6, "datadog.address", "must be host:port"},
		want{9, "summary.schedule", "is not a valid schedule"},
		want{13, "events.receivers", "between 1 and 10"},
		want{14, "events.wait_time", "between 0s and 20s"},
		want{17, "health.listen", "must be host:port"},
		want{22, "cluster[0].task_limit", "must be greater than 0"},
		want{23, "cluster[0].warn_percent", "less than critical_percent"},
		want{24, "cluster[0].poll_interval", "at least 1s"},
		want{25, "cluster[0].role_arn", "IAM role ARN"},
		want{29, "cluster[0].job[0].rule", "not both"},
		want{31, "cluster[0].job[1]", "needs family"},
		want{32, "cluster[0].job[1].max_concurrent", "0 (not checked) or more"},
		want{33, "cluster[0].job[1].mention", "Slack mentions"},
		want{34, "cluster[0].job[1].ignore_exit_codes[1]", "0 to 255"},
		want{35, "cluster[0].job[1].timezone", "IANA time zone"},
		want{39, "cluster[1].name", "duplicate cluster name (also cluster[0])"},
		want{41, "cluster[1].critical_percent", "at most 100"},
		want{42, "cluster[1].renotify_interval", "at least poll_interval"},
		want{48, "cluster[1].job[1].family", "duplicate job in this cluster (also cluster[1].job[0])"},
		want{49, "cluster[1].job[1].storm_threshold", "at least 1"},
		want{50, "cluster[1].job[1].grace", "0 or more"},
		want{50, "cluster[1].job[1].grace", "no effect without schedule"},
	)
	if c != nil {
		t.Error("a config with problems must not be returned")
	}
	assertNoLeak(t, err, "hooks.example.com", "xoxb-1")
}

func TestUnknownKeys(t *testing.T) {
	const file = "testdata/unknown-keys.toml"
	_, err := Load(file, env{}.lookup)
	assertProblems(t, err, file,
		want{2, "slack.webhok_url", `unknown key (did you mean "webhook_url"?)`},
		want{4, "datadg", `unknown key (did you mean "datadog"?)`},
		want{10, "cluster[0].tsk_limit", `unknown key (did you mean "task_limit"?)`},
		want{13, "cluster[0].job[1].colour", "unknown key"},
	)
}

func TestTypeErrors(t *testing.T) {
	const file = "testdata/type-errors.toml"
	_, err := Load(file, env{}.lookup)
	assertProblems(t, err, file,
		want{2, "summary.send_empty", "must be true or false, not a string"},
		want{5, "events.receivers", "must be an integer, not a string"},
		want{6, "events.wait_time", `must be a duration string such as "30s", not an integer`},
		want{7, "events.visibility_timeout", "not a valid duration"},
		// No follow-on "name is required" for the key that failed to decode.
		want{10, "cluster[0].name", "must be a string, not an integer"},
		want{14, "cluster[0].sidecars", "must be an array, not a string"},
		want{18, "cluster[0].job[0].ignore_exit_codes[1]", "must be an integer, not a string"},
		want{19, "cluster[0].job[0].max_concurrent", "must be an integer, not a float"},
	)
}

func TestProblemsSortedByLine(t *testing.T) {
	// Decoding finds the unknown table (line 4) before validation finds the
	// empty name (line 2); the report is in file order.
	doc := "[[cluster]]\nname = \"\"\nregion = \"us-east-1\"\n[cluster.x]\ny = 1\n"
	_, err := parseString(t, doc, env{})
	assertProblems(t, err, "test.toml",
		want{2, "cluster[0].name", "is required"},
		want{4, "cluster[0].x", "unknown key"},
	)
}

func TestMoreTypeMismatches(t *testing.T) {
	_, err := parseString(t, `slack = "https://hooks.slack.com/x"
[summary]
schedule = 1979-05-27T07:32:00Z
[datadog]
tags = [true, 1.5, {a = 1}, [1]]
[[cluster]]
name = "a"
region = "us-east-1"
task_limit = 9999999999
`, nil)
	assertProblems(t, err, "test.toml",
		want{1, "slack", "must be a table, not a string"},
		want{3, "summary.schedule", "must be a string, not a date/time"},
		want{5, "datadog.tags[0]", "must be a string, not a boolean"},
		want{5, "datadog.tags[1]", "must be a string, not a float"},
		want{5, "datadog.tags[2]", "must be a string, not a table"},
		want{5, "datadog.tags[3]", "must be a string, not an array"},
		want{9, "cluster[0].task_limit", "integer out of range"},
	)
}

func TestSecretAndDurationEncoding(t *testing.T) {
	s := Secret("xoxb-abc")
	b, _ := s.MarshalText()
	if string(b) != "[redacted]" || s.Reveal() != "xoxb-abc" {
		t.Errorf("Secret MarshalText = %q, Reveal = %q", b, s.Reveal())
	}
	d := Duration{90 * time.Second}
	if b, _ := d.MarshalText(); string(b) != "1m30s" {
		t.Errorf("Duration MarshalText = %q", b)
	}
}
