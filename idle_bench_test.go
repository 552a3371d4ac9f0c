package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

var idleWindow = flag.Duration("idle-window", time.Minute,
	"BenchmarkIdleCPU: how long the idle daemon's CPU time is sampled (by default two 30 s polls of each cluster)")

// BenchmarkIdleCPU runs the built daemon as it is deployed (5 clusters of
// 20 running tasks each, 30 s polls, the event consumer long-polling an
// empty queue, Slack, DogStatsD and the health endpoint on) against the
// simulator, with nothing changing, and reports the daemon process's own
// CPU time (utime+stime from /proc, in 10 ms ticks) over -idle-window, as
// a percentage of one core. The simulator runs in this process, so its
// work is not counted. Sampling starts once every cluster was polled once.
func BenchmarkIdleCPU(b *testing.B) {
	bin := buildBinary(b)
	sim, envs := simEnv(b)
	slack := testkit.NewSlackServer(b)
	statsd := testkit.NewStatsdListener(b)
	if _, err := sim.RegisterTaskDefinition("etl", awssim.ContainerDef{Name: "app", Image: "etl"}); err != nil {
		b.Fatal(err)
	}
	queue := sim.CreateQueue("events", nil)
	var clusters strings.Builder
	for c := range 5 {
		name := fmt.Sprintf("cron-%d", c)
		sim.CreateCluster(name)
		for j := range 4 {
			if _, err := sim.RunTasks(name, "etl", fmt.Sprintf("events-rule/etl-%d", j), 5); err != nil {
				b.Fatal(err)
			}
		}
		fmt.Fprintf(&clusters, "[[cluster]]\nname = %q\nregion = \"ap-northeast-1\"\ntask_limit = 50\npoll_interval = \"30s\"\n", name)
	}
	cfg := writeConfig(b, fmt.Sprintf(`
[slack]
token = "${SLACK_BOT_TOKEN}"
channel = "#cron"
api_url = %q
[datadog]
address = %q
[events]
queue_url = %q
region = "ap-northeast-1"
[health]
listen = "127.0.0.1:0"
%s`, slack.URL+"/", statsd.Conn.LocalAddr().String(), queue, clusters.String()))
	cmd := exec.Command(bin, "run", "-config", cfg)
	cmd.Env = testkit.BareEnv(b, append(slices.Clone(envs), "SLACK_BOT_TOKEN=xoxb-test")...)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	testkit.EventuallyWithin(b, 30*time.Second, "first poll of every cluster", func() bool { return sim.Calls("ecs:ListTasks") >= 5 })
	time.Sleep(time.Second) // let start-up work (schedule discovery, first receives) finish

	b.ResetTimer()
	var cpu, wall time.Duration
	polls0 := sim.Calls("ecs:ListTasks")
	for range b.N {
		t0, w0 := procCPU(b, cmd.Process.Pid), time.Now()
		time.Sleep(*idleWindow)
		cpu += procCPU(b, cmd.Process.Pid) - t0
		wall += time.Since(w0)
	}
	b.StopTimer()
	if posts, _, _ := slack.Snapshot(); len(posts) != 0 {
		b.Fatalf("an idle daemon posted %d messages; the setup is not idle", len(posts))
	}
	b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "cpu-%")
	b.ReportMetric(wall.Seconds()/float64(b.N), "window-s")
	b.ReportMetric(float64(sim.Calls("ecs:ListTasks")-polls0)/float64(b.N), "polls/window")
}

// procCPU is a process's user+system CPU time from /proc/<pid>/stat
// (fields 14 and 15, in USER_HZ ticks, 100 a second on Linux).
func procCPU(tb testing.TB, pid int) time.Duration {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatalf("read process stat: %v", err)
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		tb.Fatalf("short /proc/%d/stat: %q", pid, s)
	}
	var ticks int64
	for _, f := range fields[11:13] { // utime, stime
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			tb.Fatalf("parse /proc/%d/stat: %v", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * (time.Second / 100)
}
