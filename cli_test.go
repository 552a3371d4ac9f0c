package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"
)

// webhookEnv sets only SLACK_WEBHOOK_URL, which config.toml needs.
func webhookEnv(k string) (string, bool) {
	if k == "SLACK_WEBHOOK_URL" {
		return "https://hooks.slack.com/services/T0/B0/secret", true
	}
	return "", false
}

// runCLI runs the program with args and returns its exit code and output.
func runCLI(t *testing.T, lookupEnv func(string) (string, bool), args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = exitCode(run(t.Context(), args, &out, &errOut, lookupEnv, nil), &errOut)
	return code, out.String(), errOut.String()
}

// The file given as the argument is the file read: a bad one fails
// (before, `validate FILE` validated ./config.toml and exited 0), with
// flags before or after it.
func TestValidatePositionalFile(t *testing.T) {
	for _, args := range [][]string{
		{"validate", "testdata/config/bad.toml"},
		{"validate", "testdata/config/bad.toml", "-log-level", "debug"},
		{"validate", "-log-level", "debug", "testdata/config/bad.toml"},
	} {
		code, _, stderr := runCLI(t, webhookEnv, args...)
		if code != 2 || !strings.Contains(stderr, "bad.toml:10: cluster[0].task_limit") {
			t.Errorf("%q: exit %d, want 2 with bad.toml's problems; stderr:\n%s", args, code, stderr)
		}
	}
	code, stdout, stderr := runCLI(t, webhookEnv, "validate", "config.toml")
	if code != 0 || stdout != "config.toml: ok (1 cluster)\n" {
		t.Errorf("validate config.toml: exit %d, stdout %q (want %q), stderr:\n%s", code, stdout, "config.toml: ok (1 cluster)\n", stderr)
	}
}

// Nothing on the command line is ignored: a second file, a file given
// both ways, and arguments to commands that take none exit 2, saying why,
// before anything runs.
func TestStrayArgumentsRejected(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"validate", "config.toml", "extra.toml"}, `validate takes one configuration file, got 2 arguments: ["config.toml" "extra.toml"]`},
		{[]string{"validate", "-config", "config.toml", "other.toml"}, "the configuration file is given twice (-config config.toml and other.toml)"},
		{[]string{"run", "a.toml", "b.toml"}, "run takes one configuration file"},
		{[]string{"once", "a.toml", "b.toml", "-o", "json"}, "once takes one configuration file"},
		{[]string{"healthcheck", "-config", "a.toml", "b.toml"}, "healthcheck: the configuration file is given twice"},
		{[]string{"status", "a.toml", "b.toml"}, "status takes one configuration file"},
		{[]string{"version", "now"}, `version takes no arguments, got ["now"]`},
		{[]string{"demo", "fast"}, `demo takes no arguments, got ["fast"]`},
		{[]string{"help", "once", "run"}, "help takes one command"},
		{[]string{"help", "bogus"}, `help: unknown command "bogus"`},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"validate", "-bogus"}, "validate: flag provided but not defined: -bogus"},
		{[]string{"version", "-config", "x.toml"}, "version: flag provided but not defined: -config"},
		{[]string{"once", "config.toml", "-o", "yaml"}, `once: -o must be text or json, not "yaml"`},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCLI(t, webhookEnv, tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 saying %q", tt.args, code, stderr, tt.want)
		}
		if stdout != "" {
			t.Errorf("%q printed %q on stdout", tt.args, stdout)
		}
	}
}

// help, -h and --help describe every command and every flag on stdout and
// exit 0; COMMAND -h and help COMMAND describe that command's own flags.
func TestHelpDescribesEveryCommandAndFlag(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		code, stdout, stderr := runCLI(t, noEnv, args...)
		if code != 0 {
			t.Errorf("%q: exit %d, stderr %s", args, code, stderr)
		}
		for _, want := range []string{
			"run [FILE]", "validate [FILE]", "once [FILE]", "demo", "healthcheck [FILE]", "status [FILE]", "version", "help [COMMAND]",
			"-config FILE", "-log-level LEVEL", "-o text|json", "-duration D",
		} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%q does not mention %q:\n%s", args, want, stdout)
			}
		}
	}
	perCommand := map[string][]string{
		"run":         {"-config FILE", "-log-level LEVEL"},
		"validate":    {"-config FILE", "-log-level LEVEL", "exit 2"},
		"once":        {"-config FILE", "-log-level LEVEL", "-o FORMAT", "json", "pre-flight"},
		"demo":        {"-duration", "-log-level LEVEL", `(default "warn")`},
		"healthcheck": {"-config FILE", "-log-level LEVEL"},
		"status":      {"-config FILE", "-log-level LEVEL", "-o FORMAT"},
		"version":     {"-log-level LEVEL"},
	}
	for name, wants := range perCommand {
		for _, args := range [][]string{{name, "-h"}, {"help", name}} {
			code, stdout, _ := runCLI(t, noEnv, args...)
			if code != 0 || !strings.HasPrefix(stdout, "usage: ecs-cron-monitor "+name) {
				t.Errorf("%q: exit %d, stdout:\n%s", args, code, stdout)
			}
			for _, want := range wants {
				if !strings.Contains(stdout, want) {
					t.Errorf("%q does not mention %q:\n%s", args, want, stdout)
				}
			}
		}
	}
	if _, stdout, _ := runCLI(t, noEnv, "demo", "-h"); strings.Contains(stdout, "-config") {
		t.Errorf("demo -h offers -config, which demo does not take:\n%s", stdout)
	}
}

// validate needs no notifier secret: with SLACK_WEBHOOK_URL unset the
// example file is valid and a log line names the setting left unresolved
// (file, line, key, variable, never a value). run still refuses it.
func TestValidateWithoutNotifierSecrets(t *testing.T) {
	code, stdout, stderr := runCLI(t, noEnv, "validate", "config.toml")
	if code != 0 || stdout != "config.toml: ok (1 cluster)\n" {
		t.Fatalf("validate without SLACK_WEBHOOK_URL: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	line := logLine(t, stderr, "notifier settings left unresolved")
	want := fmt.Sprintf("config.toml:%d: slack.webhook_url: environment variable SLACK_WEBHOOK_URL is not set", lineOf(t, "config.toml", "webhook_url = "))
	if line["level"] != "WARN" || fmt.Sprint(line["unresolved"]) != "["+want+"]" {
		t.Errorf("unresolved = %v, want [%s]", line["unresolved"], want)
	}

	code, _, stderr = runCLI(t, noEnv, "run", "config.toml")
	if code != 2 || !strings.Contains(stderr, "slack.webhook_url: environment variable SLACK_WEBHOOK_URL is not set") {
		t.Errorf("run without SLACK_WEBHOOK_URL: exit %d, want 2 naming the variable; stderr:\n%s", code, stderr)
	}
}

// lineOf is the 1-based line of file that starts with prefix.
func lineOf(t *testing.T, file, prefix string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line starting %q", file, prefix)
	return 0
}

// logLine returns the first JSON log line whose msg contains msg.
func logLine(t *testing.T, logs, msg string) map[string]any {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && strings.Contains(m["msg"].(string), msg) {
			return m
		}
	}
	t.Fatalf("no log line %q in:\n%s", msg, logs)
	return nil
}

// Every duration a component logs is a string such as "1.5s", wherever
// it sits, not nanoseconds.
func TestLoggerWritesDurationsAsText(t *testing.T) {
	var buf bytes.Buffer
	log := newLogger(&buf, slog.LevelInfo)
	log.With("component", "x").WithGroup("g").Info("m", "retry_in", 1500*time.Millisecond, slog.Duration("wait", time.Second), "n", 3)
	var got struct {
		G struct {
			RetryIn any `json:"retry_in"`
			Wait    any `json:"wait"`
			N       any `json:"n"`
		} `json:"g"`
		Level string `json:"level"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	if got.G.RetryIn != "1.5s" || got.G.Wait != "1s" || got.G.N != 3.0 || got.Level != "INFO" {
		t.Errorf("logged %s", buf.String())
	}
}
