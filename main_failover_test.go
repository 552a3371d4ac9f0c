package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// The failover's timing, in real time across processes: the smallest
// lease the configuration allows is any above twice the renewal interval.
const (
	failoverLease = 3 * time.Second
	failoverRenew = 500 * time.Millisecond
)

// (3) Two built binaries over one cluster and one table; the leader is
// killed with SIGKILL, so it can release nothing. The other takes over
// once the dead leader's lease expires, within two lease periods of the
// kill, carries the open limit incident on without alerting it again, and
// resolves it once by editing the original message.
func TestSIGKILLLeaderFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs two replicas for ~15s")
	}
	t.Parallel()
	bin := buildBinary(t)
	sim, envs := simEnv(t)
	slack := testkit.NewSlackServer(t)
	sim.CreateTable("monitor-state", "pk")
	sim.CreateCluster("cron")
	if _, err := sim.RegisterTaskDefinition("etl"); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf(`
[slack]
token = "${SLACK_BOT_TOKEN}"
channel = "#cron"
api_url = %q
[summary]
schedule = "@every 1h"
[health]
listen = ""
[events]
rollup_interval = "1s"
[state]
backend = "dynamodb"
table = "monitor-state"
lease_duration = %q
renew_interval = %q
[[cluster]]
name = "cron"
region = "ap-northeast-1"
task_limit = 10
warn_percent = 80
critical_percent = 95
max_concurrent = 0
poll_interval = "1s"
renotify_interval = "1h"
`, slack.URL+"/", failoverLease, failoverRenew))
	env := testkit.BareEnv(t, append(envs, "SLACK_BOT_TOKEN=xoxb-test")...)

	type replica struct {
		cmd    *exec.Cmd
		stderr *lockedBuffer
	}
	start := func() *replica {
		r := &replica{cmd: exec.Command(bin, "run", "-config", cfg), stderr: &lockedBuffer{}}
		r.cmd.Env = env
		r.cmd.Stderr = r.stderr
		if err := r.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.cmd.Process.Kill(); _ = r.cmd.Wait() })
		return r
	}
	// Both at once: they race for the lease, and one wins.
	reps := []*replica{start(), start()}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replica 1:\n%s\nreplica 2:\n%s", reps[0].stderr, reps[1].stderr)
		}
	})
	role := func(r *replica) string {
		switch {
		case len(logLines(r.stderr.String(), `"msg":"leading`)) > 0:
			return "leading"
		case len(logLines(r.stderr.String(), `"msg":"standing by`)) > 0:
			return "standing by"
		}
		return ""
	}
	testkit.EventuallyWithin(t, 20*time.Second, "both replicas' roles", func() bool { return role(reps[0]) != "" && role(reps[1]) != "" })
	var leader, standby *replica
	switch {
	case role(reps[0]) == "leading" && role(reps[1]) == "standing by":
		leader, standby = reps[0], reps[1]
	case role(reps[1]) == "leading" && role(reps[0]) == "standing by":
		leader, standby = reps[1], reps[0]
	default:
		t.Fatalf("roles %q and %q, want one leading and one standing by", role(reps[0]), role(reps[1]))
	}

	arns, err := sim.RunTasks("cron", "etl", "events-rule/etl", 8) // 80%: warning
	if err != nil {
		t.Fatal(err)
	}
	testkit.EventuallyWithin(t, 20*time.Second, "the warning", func() bool { return slack.PostsContaining("Task limit warning") >= 1 })
	// What the successor needs is in the table before the leader dies.
	testkit.EventuallyWithin(t, 20*time.Second, "incident and receipt stored", func() bool {
		it := sim.Items("monitor-state")
		_, inc := it["incidents#poll#cron@ap-northeast-1"]
		_, rcpt := it["receipt#task_limit|cron|"]
		return inc && rcpt
	})
	if n := slack.PostsContaining("Task limit warning"); n != 1 {
		t.Fatalf("warning posted %d times by two replicas, want once", n)
	}
	// The leader's summary window (the limit incident) is checkpointed
	// in the table at its roll-up ticks: the next leader's summary has it.
	checkpointed := func() bool {
		data := sim.Items("monitor-state")["window-shares"]["data"]
		return data != "" && strings.Contains(dynamoString(t, data), `"limit_incidents":1`) && strings.Contains(dynamoString(t, data), `"handover":true`)
	}
	testkit.EventuallyWithin(t, 20*time.Second, "the leader's window checkpointed", checkpointed)

	killed := time.Now()
	if err := leader.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var exit *exec.ExitError
	if err := leader.cmd.Wait(); !errors.As(err, &exit) {
		t.Fatalf("killed leader exited with %v, want a signal", err)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("killed leader's exit: %v, want killed by SIGKILL", exit)
	}
	// The lease as the dead leader left it: held, and still live at the
	// kill (its last renewal plus the lease period; a renewal in flight
	// at the kill could only move it later).
	lease := sim.Items("monitor-state")["lease"]
	expires := time.UnixMilli(dynamoNumber(t, lease["expires"]))
	if dynamoString(t, lease["owner"]) == "" || !expires.After(killed) {
		t.Fatalf("lease after the kill = %v, want held and live at the kill (%s)", lease, killed.Format(time.RFC3339Nano))
	}

	testkit.EventuallyWithin(t, 4*failoverLease, "the standby takes over", func() bool {
		return len(logLines(standby.stderr.String(), `"msg":"leading`)) == 1
	})
	line := logLines(standby.stderr.String(), `"msg":"leading`)[0]
	took := logTime(t, line)
	if took.Before(expires) {
		t.Errorf("took over at %s, before the dead leader's lease expired at %s: %s", took.Format(time.RFC3339Nano), expires.Format(time.RFC3339Nano), line)
	}
	if elapsed := took.Sub(killed); elapsed >= 2*failoverLease {
		t.Errorf("took over %s after the kill, want within two lease periods (%s)", elapsed, 2*failoverLease)
	} else {
		t.Logf("took over %s after the kill (lease %s, renewed every %s)", elapsed, failoverLease, failoverRenew)
	}
	if !strings.Contains(line, `"fence":2`) {
		t.Errorf("take-over under fence other than 2: %s", line)
	}
	testkit.EventuallyWithin(t, 20*time.Second, "the incident carried on", func() bool {
		return len(logLines(standby.stderr.String(), "carrying on open incidents", `"incidents":1`)) == 1
	})
	if !checkpointed() {
		t.Error("the dead leader's window is no longer in the table for the next summary")
	}
	// Polls by the new leader with the incident still open: no new alert.
	polls := sim.Calls("ecs:ListTasks")
	testkit.EventuallyWithin(t, 20*time.Second, "the new leader's polls", func() bool { return sim.Calls("ecs:ListTasks") >= polls+2 })
	if n := slack.PostsContaining("Task limit warning"); n != 1 {
		t.Fatalf("warning posted %d times across the failover, want once", n)
	}

	if err := sim.StopTasks("cron", "done", arns[:6]...); err != nil {
		t.Fatal(err)
	}
	testkit.EventuallyWithin(t, 20*time.Second, "resolution", func() bool { return slack.UpdatesContaining("Resolved") >= 1 })
	polls = sim.Calls("ecs:ListTasks")
	testkit.EventuallyWithin(t, 20*time.Second, "more polls after the resolution", func() bool { return sim.Calls("ecs:ListTasks") >= polls+3 })
	ps, updates, _ := slack.Snapshot()
	if len(updates) != 1 {
		t.Fatalf("%d edits, want the one resolution: %+v", len(updates), updates)
	}
	var warning *testkit.SlackMessage
	for i, p := range ps {
		if strings.Contains(p.Text, "Task limit warning") || strings.Contains(p.Attachments, "Task limit warning") {
			warning = &ps[i]
		}
		if strings.Contains(p.Text, "Resolved") || strings.Contains(p.Attachments, "Resolved") {
			t.Errorf("resolution posted anew besides the edit: %+v", p)
		}
	}
	if warning == nil || updates[0].TS != warning.TS || updates[0].Channel != warning.Channel {
		t.Errorf("resolution edited %s/%s, want the warning %+v", updates[0].Channel, updates[0].TS, warning)
	}

	if err := standby.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := standby.cmd.Wait(); err != nil {
		t.Errorf("survivor's exit after SIGTERM: %v", err)
	}
	checkJSONLogs(t, standby.stderr.String())
}

// logLines are the lines of logs containing every one of subs.
func logLines(logs string, subs ...string) []string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		all := l != ""
		for _, s := range subs {
			all = all && strings.Contains(l, s)
		}
		if all {
			out = append(out, l)
		}
	}
	return out
}

// logTime is the time a JSON log line was written.
func logTime(t *testing.T, line string) time.Time {
	t.Helper()
	var l struct{ Time time.Time }
	if err := json.Unmarshal([]byte(line), &l); err != nil || l.Time.IsZero() {
		t.Fatalf("no time in log line %q: %v", line, err)
	}
	return l.Time
}

// dynamoNumber and dynamoString read a DynamoDB attribute value as the
// simulator holds it ({"N":"12"}, {"S":"x"}).
func dynamoNumber(t *testing.T, av string) int64 {
	t.Helper()
	var v struct{ N string }
	err := json.Unmarshal([]byte(av), &v)
	n, perr := strconv.ParseInt(v.N, 10, 64)
	if err != nil || perr != nil {
		t.Fatalf("attribute %q is not a number", av)
	}
	return n
}

func dynamoString(t *testing.T, av string) string {
	t.Helper()
	var v struct{ S string }
	if err := json.Unmarshal([]byte(av), &v); err != nil {
		t.Fatalf("attribute %q is not a string: %v", av, err)
	}
	return v.S
}
