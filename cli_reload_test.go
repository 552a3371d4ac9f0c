package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

func testLogger(w *lockedBuffer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }

const reloadConfig = `
[health]
listen = ""
[summary]
schedule = "@every 1h"
[[cluster]]
name = "cron"
region = "ap-northeast-1"
poll_interval = "1s"
`

// A reload request (SIGHUP in main) reloads the file: a valid one adds a
// cluster, which is then polled; an invalid one is rejected with every
// problem logged, and the daemon goes on with the configuration it had.
func TestRunReloadsOnSignal(t *testing.T) {
	sim := inProcessAWS(t)
	sim.CreateCluster("cron")
	sim.CreateCluster("batch")
	path := writeConfig(t, reloadConfig)
	reload := make(chan struct{})
	logs := &lockedBuffer{}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"run", "-config", path}, &bytes.Buffer{}, logs, noEnv, reload) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	testkit.Eventually(t, "start", func() bool { return strings.Contains(logs.String(), "ecs-cron-monitor started") })

	write := func(body string) {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(reloadConfig + "[[cluster]]\nname = \"batch\"\nregion = \"ap-northeast-1\"\npoll_interval = \"1s\"\n")
	reload <- struct{}{}
	testkit.Eventually(t, "reloaded", func() bool { return strings.Contains(logs.String(), `"msg":"configuration reloaded"`) })
	testkit.Eventually(t, "the added cluster polled", func() bool {
		return strings.Contains(logs.String(), `"clusters":["cron@ap-northeast-1","batch@ap-northeast-1"]`)
	})

	write("[[cluster]]\nname = \"cron\"\nregion = \"ap-northeast-1\"\ntask_limit = 0\nbogus = 1\n")
	reload <- struct{}{}
	testkit.Eventually(t, "rejected", func() bool { return strings.Contains(logs.String(), "configuration rejected") })
	var rejected string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "configuration rejected") {
			rejected = l
		}
	}
	for _, want := range []string{`"level":"ERROR"`, "cluster[0].task_limit: must be greater than 0", "cluster[0].bogus: unknown key"} {
		if !strings.Contains(rejected, want) {
			t.Errorf("rejection log lacks %q: %s", want, rejected)
		}
	}
	calls := sim.Calls("ecs:ListTasks")
	testkit.EventuallyWithin(t, 5*time.Second, "both clusters still polled after the rejection", func() bool {
		return sim.Calls("ecs:ListTasks") >= calls+2
	})
}

// Every config_refresh the watch re-reads the source (here an SSM
// parameter) and applies the document only when it changed.
func TestConfigRefreshAppliesAChangedParameter(t *testing.T) {
	sim := inProcessAWS(t)
	t.Setenv("AWS_REGION", "ap-northeast-1")
	sim.PutParameter("/ecs-cron-monitor/config", "SecureString", reloadConfig)
	cfg, src, data, err := readConfig(t.Context(), "ssm:/ecs-cron-monitor/config", noEnv)
	if err != nil || len(cfg.Clusters) != 1 {
		t.Fatalf("read: %v", err)
	}
	applied := make(chan int, 10)
	logs := &lockedBuffer{}
	w := &configWatch{src: src, lookupEnv: noEnv, last: data, every: 20 * time.Millisecond,
		log: testLogger(logs),
		apply: func(_ context.Context, c *config.Config) error {
			applied <- len(c.Clusters)
			return nil
		}}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { w.run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	reads := func() int { return sim.Calls("ssm:GetParameter") }
	testkit.Eventually(t, "a few unchanged checks", func() bool { return reads() >= 4 })
	if len(applied) != 0 {
		t.Fatalf("an unchanged parameter was applied")
	}
	sim.PutParameter("/ecs-cron-monitor/config", "SecureString", reloadConfig+"[[cluster]]\nname = \"batch\"\nregion = \"ap-northeast-1\"\n")
	select {
	case n := <-applied:
		if n != 2 {
			t.Errorf("applied a config with %d clusters, want 2", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the changed parameter was not applied")
	}
	n := reads()
	testkit.Eventually(t, "more checks", func() bool { return reads() >= n+3 })
	if len(applied) != 0 {
		t.Errorf("the same change was applied twice")
	}
}

// The built binary reloads on SIGHUP (main turns the signal into a
// reload request) and still stops cleanly on SIGTERM.
func TestSIGHUPBinaryReloads(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	sim, envs := simEnv(t)
	sim.CreateCluster("cron")
	sim.CreateCluster("batch")
	path := writeConfig(t, reloadConfig)
	cmd := exec.Command(bin, "run", "-config", path)
	cmd.Env = testkit.BareEnv(t, envs...)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	testkit.Eventually(t, "start", func() bool { return strings.Contains(stderr.String(), "ecs-cron-monitor started") })
	if err := os.WriteFile(path, []byte(reloadConfig+"[[cluster]]\nname = \"batch\"\nregion = \"ap-northeast-1\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "reloaded", func() bool {
		return strings.Contains(stderr.String(), `"msg":"configuration reloaded","clusters":["cron@ap-northeast-1","batch@ap-northeast-1"]`)
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
	}
	checkJSONLogs(t, stderr.String())
}
