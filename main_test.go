package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

func noEnv(string) (string, bool) { return "", false }

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"version"}, &out, &out, noEnv, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "ecs-cron-monitor ") {
		t.Errorf("version printed %q", out.String())
	}
}

func TestValidateExampleConfig(t *testing.T) {
	env := func(k string) (string, bool) {
		if k == "SLACK_WEBHOOK_URL" {
			return "https://hooks.slack.com/services/T0/B0/secret", true
		}
		return "", false
	}
	var out, errOut bytes.Buffer
	if err := run(t.Context(), []string{"validate", "-config", "config.toml"}, &out, &errOut, env, nil); err != nil {
		t.Fatalf("validate config.toml: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "ok") {
		t.Errorf("output %q", out.String())
	}
}

// A bad config exits 2 and lists every problem with file and line,
// schedule problems included, and never prints an environment value.
func TestValidateListsEveryProblem(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(t.Context(), []string{"validate", "-config", "testdata/config/bad.toml"}, &out, &errOut, noEnv, nil)
	if code := exitCode(err, &errOut); code != 2 {
		t.Fatalf("exit code %d, want 2 (err %v)", code, err)
	}
	msg := errOut.String()
	for _, want := range []string{
		"bad.toml:2: events.queue_url", // unset variable, named
		"UNSET_QUEUE_URL",              // ... by its name
		"bad.toml:5: summary.schedule", // robfig spec
		"bad.toml:10: cluster[0].task_limit",
		"bad.toml:13: cluster[0].poll_interval",
		"bad.toml:14: cluster[0].bogus_key: unknown key",
		"bogus_key",
		"bad.toml:18: cluster[0].job[0].schedule", // AWS cron with both day fields set
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("problems do not mention %q:\n%s", want, msg)
		}
	}
}

// simEnv starts the simulator and returns the AWS variables that point
// the SDK at it: only the standard ones.
func simEnv(t testing.TB) (*awssim.Server, []string) {
	t.Helper()
	sim := awssim.New(awssim.Options{})
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim, testkit.SimAWSVars(sim.URL())
}

// inProcessAWS points this process's SDK at the simulator, with none of
// the machine's CA or proxy variables (testkit.AWSEnv).
func inProcessAWS(t *testing.T) *awssim.Server {
	t.Helper()
	sim, _ := simEnv(t)
	testkit.AWSEnv(t, sim.URL())
	return sim
}

func writeConfig(t testing.TB, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// once FILE -o json prints the findings, every one with every documented
// key (job "" on cluster findings), and exits 1 on a critical one.
func TestOnceJSON(t *testing.T) {
	sim := inProcessAWS(t)
	sim.CreateCluster("cron")
	if _, err := sim.RegisterTaskDefinition("etl"); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.RunTasks("cron", "etl", "events-rule/etl", 10); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, `
[health]
listen = ""
[[cluster]]
name = "cron"
region = "ap-northeast-1"
task_limit = 10
max_concurrent = 3
`)
	var out, errOut bytes.Buffer
	err := run(t.Context(), []string{"once", cfg, "-o", "json"}, &out, &errOut, noEnv, nil)
	if code := exitCode(err, &errOut); code != 1 {
		t.Fatalf("exit code %d, want 1 for a critical finding; stderr:\n%s", code, errOut.String())
	}
	var findings []map[string]any
	if err := json.Unmarshal(out.Bytes(), &findings); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, out.String())
	}
	kinds := map[string]map[string]any{}
	for _, f := range findings {
		for _, key := range []string{"kind", "severity", "cluster", "job", "value", "limit", "tasks", "message"} {
			if _, ok := f[key]; !ok {
				t.Errorf("finding lacks %q: %v", key, f)
			}
		}
		kinds[f["kind"].(string)] = f
	}
	if f := kinds["task_limit"]; f == nil || f["severity"] != "critical" || f["value"] != 10.0 || f["limit"] != 10.0 || f["job"] != "" {
		t.Errorf("task_limit finding = %v", f)
	}
	if f := kinds["duplicate_run"]; f == nil || f["job"] != "etl" || len(f["tasks"].([]any)) != 10 {
		t.Errorf("duplicate_run finding = %v", f)
	}
}

// SIGTERM to the built binary mid-run, during a burst of failed runs of
// 20 jobs with a slow Slack (300 ms a post, one post a second): it exits 0
// within the shutdown bound, flushes the partial summary, and every
// failure is alerted, now or by the next instance, which must not wait out
// a visibility timeout (60 s) to see what the first left: messages in
// flight at shutdown are made visible again at once.
func TestSIGTERMBinaryLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	// Mostly waiting (Slack's pace in the binary): run beside the demo.
	t.Parallel()
	bin := buildBinary(t)
	sim, envs := simEnv(t)
	slack := testkit.NewSlackServer(t)
	slack.SetDelay(300 * time.Millisecond)
	sim.CreateCluster("cron")
	if _, err := sim.RegisterTaskDefinition("etl", awssim.ContainerDef{Name: "app", Image: "etl"}); err != nil {
		t.Fatal(err)
	}
	queue := sim.CreateQueue("events", nil)
	sim.RouteTaskEvents(queue)
	cfg := writeConfig(t, fmt.Sprintf(`
[slack]
token = "${SLACK_BOT_TOKEN}"
channel = "#cron"
api_url = %q
[summary]
schedule = "@every 1h"
[events]
queue_url = %q
region = "ap-northeast-1"
wait_time = "1s"
visibility_timeout = "60s"
[health]
listen = ""
[shutdown]
timeout = "9s"
[[cluster]]
name = "cron"
region = "ap-northeast-1"
task_limit = 40
poll_interval = "1s"
max_concurrent = 0
`, slack.URL+"/", queue))
	env := testkit.BareEnv(t, append(slices.Clone(envs), "SLACK_BOT_TOKEN=xoxb-test")...)
	start := func() (*exec.Cmd, *lockedBuffer) {
		cmd := exec.Command(bin, "run", "-config", cfg)
		cmd.Env = env
		stderr := &lockedBuffer{}
		cmd.Stderr = stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, stderr
	}
	cmd, stderr := start()
	defer cmd.Process.Kill()

	// Past the warning threshold, so the summary has something to say.
	if _, err := sim.RunTasks("cron", "etl", "events-rule/etl-filler", 33); err != nil {
		t.Fatal(err)
	}
	testkit.EventuallyWithin(t, 20*time.Second, "limit alert", func() bool { return slack.PostsContaining("warning") >= 1 })
	// A burst: one failed run of each of 20 jobs, all at once. Slack takes
	// a post a second per channel, so SIGTERM comes while most wait.
	sim.SetTaskPlan("etl", awssim.TaskPlan{RunFor: 100 * time.Millisecond, ExitCodes: map[string]int{"app": 1}})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go sim.AdvanceEvery(ctx, 20*time.Millisecond)
	var arns []string
	for i := range 20 {
		a, err := sim.RunTasks("cron", "etl", fmt.Sprintf("events-rule/burst-%02d", i), 1)
		if err != nil {
			t.Fatal(err)
		}
		arns = append(arns, a...)
	}
	// Every failure event is published and received before SIGTERM: one
	// arriving during the shutdown would be the next instance's from the
	// start, and this test is about those the first instance held.
	testkit.EventuallyWithin(t, 20*time.Second, "every failure received", func() bool {
		stopped := map[string]bool{}
		for _, body := range sim.PublishedTaskEvents() {
			var ev struct {
				Detail struct{ TaskArn, LastStatus, StartedBy string }
			}
			if json.Unmarshal([]byte(body), &ev) == nil && ev.Detail.LastStatus == "STOPPED" && strings.Contains(ev.Detail.StartedBy, "burst-") {
				stopped[ev.Detail.TaskArn] = true
			}
		}
		v, _ := sim.QueueDepth(queue)
		return len(stopped) == 20 && v == 0
	})
	testkit.EventuallyWithin(t, 20*time.Second, "the first failure alert", func() bool { return slack.PostsContaining("burst-") >= 1 })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("did not exit within the shutdown bound\n%s", stderr)
	}
	if slack.PostsContaining("summary") != 1 {
		posts, _, _ := slack.Snapshot()
		t.Errorf("the partial summary was not flushed on shutdown (%d posts)\n%s", len(posts), stderr)
	}
	checkJSONLogs(t, stderr.String())
	if _, in := sim.QueueDepth(queue); in != 0 {
		t.Errorf("%d messages left in flight by the stopped instance; want every unfinished one visible again", in)
	}

	// A second instance finishes what the first left, at Slack's pace (20
	// posts take 20 s at most), not after a visibility timeout.
	cmd2, stderr2 := start()
	defer cmd2.Process.Kill()
	alerted := func() []string {
		posts, _, _ := slack.Snapshot()
		var missing []string
		for _, arn := range arns {
			id := arn[strings.LastIndex(arn, "/")+1:]
			found := false
			for _, p := range posts {
				found = found || strings.Contains(p.Attachments, id)
			}
			if !found {
				missing = append(missing, id)
			}
		}
		return missing
	}
	deadline := time.Now().Add(40 * time.Second)
	for len(alerted()) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if missing := alerted(); len(missing) > 0 {
		t.Fatalf("%d of %d failures never alerted: %v\nfirst instance:\n%s\nsecond instance:\n%s", len(missing), len(arns), missing, stderr, stderr2)
	}
	testkit.EventuallyWithin(t, 10*time.Second, "queue drained", func() bool { v, in := sim.QueueDepth(queue); return v+in == 0 })
	_ = cmd2.Process.Signal(syscall.SIGTERM)
	if err := cmd2.Wait(); err != nil {
		t.Errorf("second instance: %v\n%s", err, stderr2)
	}
}

// buildBinary builds the daemon as it ships.
func buildBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ecs-cron-monitor")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// The demo, as a new user runs it: the built binary in a bare environment
// (PATH and an empty HOME only: no AWS_CA_BUNDLE, no proxy, no AWS_*
// variable, as on a laptop or in a Fargate task), from an empty
// directory. It must exit 0 and tell the whole story.
func TestDemoBareEnvironment(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 15s")
	}
	// Its own simulator, binary and directories; waiting on the story's
	// clock most of the time, so it runs beside the SIGTERM test.
	t.Parallel()
	bin := buildBinary(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "demo", "-duration", "15s")
	cmd.Env = testkit.BareEnv(t)
	cmd.Dir = t.TempDir()
	var stdout lockedBuffer
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The status page is served while the story plays.
	var page string
	testkit.Eventually(t, "the status page's address", func() bool {
		m := regexp.MustCompile(`status page: (http://127\.0\.0\.1:[0-9]+/)`).FindStringSubmatch(stdout.String())
		if m != nil {
			page = m[1]
		}
		return m != nil
	})
	testkit.Eventually(t, "a job on the status page", func() bool {
		resp, err := http.Get(page + "api/jobs")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == 200 && strings.Contains(string(b), `"job": "nightly-report"`)
	})
	if err := cmd.Wait(); err != nil {
		t.Fatalf("demo: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	text := stdout.String()
	for _, want := range []string{
		"[WARNING] Task limit warning · cron",
		"[CRITICAL] Task limit escalated to critical · cron",
		"[CRITICAL] Task failed · sync-inventory-hourly",
		"[CRITICAL] Repeated failures · image-resizer-backfill",
		// Killed 8 times: the roll-up counts all 8, the 3 alerted alone
		// included, as the summary does.
		"8 failures since",
		"image-resizer-backfill: runs 8, ok 0, failed 8",
		"[WARNING] Overrun · ",
		"[CRITICAL] Missed run · ",
		"[RESOLVED] Task limit · cron",
		"[WARNING] Fargate vCPU quota warning · OnDemand ap-northeast-1",
		"[CRITICAL] Launch failed · payroll-export",
		"reason: You've reached the limit on the number of vCPUs you can run concurrently",
		"did not start: Fargate vCPU quota reached (schedule cron(* * * * ? *))",
		"payroll-export: runs 0, ok 0, missed 1, launch failed 1",
		"[RESOLVED] Fargate vCPU quota · OnDemand ap-northeast-1",
		"[SUMMARY]",
		"demo finished",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// Critical findings log at ERROR; a failing part of the daemon itself
	// would log "failed".
	// The finding kind "launch_failed" is the story, not a failing part.
	logs := strings.ReplaceAll(stderr.String(), `"launch_failed"`, "")
	for _, bad := range []string{"panic:", "failed\"", "failed;"} {
		if strings.Contains(logs, bad) {
			t.Errorf("demo logged %q:\n%s", bad, stderr.String())
		}
	}
	checkJSONLogs(t, stderr.String())
	if t.Failed() {
		t.Logf("stdout:\n%s\nstderr:\n%s", text, stderr.String())
	}
}

// checkJSONLogs asserts every stderr line is a JSON object with a level.
func checkJSONLogs(t *testing.T, logs string) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(logs))
	n := 0
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Errorf("log line is not JSON: %q", sc.Text())
			continue
		}
		if _, ok := line["level"]; !ok {
			t.Errorf("log line has no level: %q", sc.Text())
		}
		n++
	}
	if n == 0 {
		t.Error("no log lines")
	}
	if strings.Contains(logs, "xoxb-test") {
		t.Error("the Slack token appears in the logs")
	}
}

func TestRunBoundedGivesUpAfterTimeout(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	stuck := func(context.Context) error { select {} }
	err := runBounded(ctx, stuck, 10*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not finish within 10ms") {
		t.Errorf("err = %v", err)
	}
	ok := func(ctx context.Context) error { <-ctx.Done(); return nil }
	if err := runBounded(ctx, ok, time.Second); err != nil {
		t.Errorf("clean shutdown: %v", err)
	}
}

// listeningDaemonConfig points this process's SDK at a simulator with
// cluster "cron" (prepare runs before anything else, to put tasks in it),
// and writes a config whose health listener is a free loopback port;
// extra is appended to the config.
func listeningDaemonConfig(t *testing.T, prepare func(*awssim.Server), extra string) (*awssim.Server, string) {
	t.Helper()
	sim := inProcessAWS(t)
	sim.CreateCluster("cron")
	if prepare != nil {
		prepare(sim)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // the daemon listens here next
	return sim, writeConfig(t, fmt.Sprintf(`
[health]
listen = %q
[[cluster]]
name = "cron"
region = "ap-northeast-1"
poll_interval = "1s"
`, addr)+extra)
}

// healthcheck asks the running daemon's /healthz: 0 while it runs, 1 once
// it has stopped. Both take the file as their argument.
func TestHealthcheckCommand(t *testing.T) {
	_, cfg := listeningDaemonConfig(t, nil, "")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"run", cfg}, io.Discard, io.Discard, noEnv, nil) }()
	check := func() int {
		var out bytes.Buffer
		return exitCode(run(t.Context(), []string{"healthcheck", cfg}, &out, &out, noEnv, nil), &out)
	}
	testkit.Eventually(t, "healthy daemon", func() bool { return check() == 0 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("daemon: %v", err)
	}
	if code := check(); code != 1 {
		t.Errorf("healthcheck after shutdown = %d, want 1", code)
	}
}

// status prints the running daemon's job table: a run that stopped before
// the daemon started (backfilled) and the job's configured schedule, as
// text and as JSON; it exits 1 once the daemon is gone.
func TestStatusCommand(t *testing.T) {
	var arns []string
	_, cfg := listeningDaemonConfig(t, func(sim *awssim.Server) {
		if _, err := sim.RegisterTaskDefinition("etl", awssim.ContainerDef{Name: "app", Image: "etl"}); err != nil {
			t.Fatal(err)
		}
		sim.SetTaskPlan("etl", awssim.TaskPlan{RunFor: time.Millisecond, ExitCodes: map[string]int{"app": 3}})
		var err error
		if arns, err = sim.RunTasks("cron", "etl", "events-rule/etl-nightly", 1); err != nil {
			t.Fatal(err)
		}
		sim.Step(time.Now().Add(10 * time.Millisecond)) // it ran and failed
	}, `
[[cluster.job]]
rule = "etl-nightly"
schedule = "cron(0 3 * * ? *)"
`)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"run", "-config", cfg}, io.Discard, io.Discard, noEnv, nil) }()
	status := func(format string) (string, int) {
		var out, errOut bytes.Buffer
		code := exitCode(run(t.Context(), []string{"status", "-config", cfg, "-o", format}, &out, &errOut, noEnv, nil), &errOut)
		return out.String() + errOut.String(), code
	}
	var jobs []struct {
		Cluster, Job, Schedule string
		LastRun                *struct {
			Result   string `json:"result"`
			ExitCode *int   `json:"exit_code"`
			TaskARN  string `json:"task_arn"`
		} `json:"last_run"`
		NextExpected *string `json:"next_expected"`
		Runs         int
	}
	testkit.Eventually(t, "status with the backfilled run", func() bool {
		out, code := status("json")
		// next_expected comes with the first schedule refresh, which may
		// finish after the backfill.
		return code == 0 && json.Unmarshal([]byte(out), &jobs) == nil && len(jobs) == 1 && jobs[0].LastRun != nil &&
			jobs[0].NextExpected != nil
	})
	j := jobs[0]
	if j.Cluster != "cron" || j.Job != "etl-nightly" || j.Schedule != "cron(0 3 * * ? *)" || j.Runs != 1 ||
		j.LastRun.Result != "failure" || *j.LastRun.ExitCode != 3 || j.LastRun.TaskARN != arns[0] ||
		j.NextExpected == nil || !strings.HasSuffix(*j.NextExpected, "T03:00:00Z") {
		t.Errorf("status -o json = %+v", j)
	}
	out, code := status("text")
	if code != 0 || !strings.Contains(out, "CLUSTER") || !strings.Contains(out, "etl-nightly") || !strings.Contains(out, "failure (exit 3)") {
		t.Errorf("status -o text (exit %d):\n%s", code, out)
	}
	if _, code := status("yaml"); code != 2 {
		t.Errorf("status -o yaml exits %d, want 2", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("daemon: %v", err)
	}
	if out, code := status("text"); code != 1 || !strings.Contains(out, "status:") {
		t.Errorf("status after shutdown = %d %q, want 1", code, out)
	}
}

// lockedBuffer is a bytes.Buffer a child process writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
