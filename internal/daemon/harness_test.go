package daemon

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/notifier"
)

// env is one end-to-end setup: the simulator, Slack, DogStatsD and the
// real daemon, pointed at the simulator only through AWS_ENDPOINT_URL.
type env struct {
	t      testing.TB
	now    func() time.Time // nil: time.Now
	sim    *awssim.Server
	slack  *testkit.SlackServer
	statsd *testkit.StatsdListener
	cfg    *config.Config
	cancel context.CancelFunc
	done   chan error
	logs   *testWriter
	// listener, when set, serves the health endpoint and the status page.
	listener net.Listener
	// accountInterval shortens the Fargate quota and FailedInvocations
	// checks (Options.AccountCheckInterval).
	accountInterval time.Duration
}

// newEnv starts the simulator and local Slack and DogStatsD servers.
// configTOML may use {{SLACK}}, {{STATSD}} and {{QUEUE}} placeholders.
func newEnv(t testing.TB) *env { return newEnvWith(t, envOptions{}) }

// envOptions vary an env: a shifted clock for the simulator and the
// daemon, or the simulator served over TLS.
type envOptions struct {
	Now func() time.Time
	TLS *tls.Config
}

func newEnvWith(t testing.TB, o envOptions) *env {
	sim := awssim.New(awssim.Options{Now: o.Now})
	if err := sim.StartTLS(o.TLS); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	testkit.AWSEnv(t, sim.URL())
	return &env{t: t, now: o.Now, sim: sim, slack: testkit.NewSlackServer(t), statsd: testkit.NewStatsdListener(t)}
}

func (e *env) config(toml string) *config.Config {
	e.t.Helper()
	toml = strings.NewReplacer("{{SLACK}}", e.slack.URL+"/", "{{STATSD}}", e.statsd.Conn.LocalAddr().String()).Replace(toml)
	cfg, err := config.Parse("e2e.toml", []byte(toml), func(k string) (string, bool) {
		if k == "SLACK_BOT_TOKEN" {
			return "xoxb-test-token", true
		}
		return "", false
	})
	if err != nil {
		e.t.Fatalf("config: %v", err)
	}
	e.cfg = cfg
	return cfg
}

// start runs the daemon until the test ends (or stop is called).
func (e *env) start(cfg *config.Config) *Daemon {
	e.t.Helper()
	r := e.launch(cfg, "")
	e.logs, e.cancel, e.done = r.logs, r.cancel, r.done
	e.t.Cleanup(func() { e.stop() })
	return r.d
}

// replica is one running daemon of an env; tests of two replicas (or of a
// restart) launch several over one simulator and one Slack.
type replica struct {
	d      *Daemon
	cancel context.CancelFunc
	done   chan error
	logs   *testWriter
}

// launch builds and runs a daemon named id in the lease ("" for a random
// name); the caller stops it.
func (e *env) launch(cfg *config.Config, id string) *replica {
	e.t.Helper()
	r := &replica{logs: &testWriter{t: e.t}}
	logger := slog.New(slog.NewJSONHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	d, err := New(context.Background(), cfg, Options{
		Logger:         logger,
		SlackOptions:   notifier.SlackOptions{MinInterval: -1, Sleep: shortSleep},
		StatsdOptions:  []statsd.Option{statsd.WithoutTelemetry(), statsd.WithoutClientSideAggregation(), statsd.WithBufferFlushInterval(10 * time.Millisecond)},
		Now:            e.now,
		HealthListener: e.listener,

		AccountCheckInterval: e.accountInterval,
		ReplicaID:            id,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.d, r.cancel, r.done = d, cancel, make(chan error, 1)
	go func() { r.done <- d.Run(ctx) }()
	return r
}

// stop cancels the daemon and waits for its graceful shutdown.
func (e *env) stop() {
	if e.cancel != nil {
		stopRun(e.t, e.cancel, e.done)
		e.cancel = nil
	}
}

// stop cancels the replica and waits for its graceful shutdown.
func (r *replica) stop(t testing.TB) {
	if r.cancel != nil {
		stopRun(t, r.cancel, r.done)
		r.cancel = nil
	}
}

func stopRun(t testing.TB, cancel context.CancelFunc, done chan error) {
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("daemon: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Error("daemon did not stop within 20s")
	}
}

// shortSleep stands in for Slack's Retry-After and backoff waits: the wait
// is honoured in order, but scaled down 100 times.
func shortSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d / 100)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// eventually is testkit.Eventually, short for these tests.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testkit.Eventually(t, what, cond)
}

// testWriter sends log lines to the test log and keeps them for asserts.
type testWriter struct {
	t     testing.TB
	mu    sync.Mutex
	lines []string
}

func (w *testWriter) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	w.t.Log(line)
	w.mu.Lock()
	w.lines = append(w.lines, line)
	w.mu.Unlock()
	return len(p), nil
}

// logged returns the kept log lines containing every one of subs.
func (w *testWriter) logged(subs ...string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
next:
	for _, l := range w.lines {
		for _, s := range subs {
			if !strings.Contains(l, s) {
				continue next
			}
		}
		out = append(out, l)
	}
	return out
}
