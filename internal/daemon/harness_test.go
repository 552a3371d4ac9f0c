package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/notifier"
)

// slackServer is a local Slack Web API: chat.postMessage and chat.update,
// form-encoded as slack-go sends them. It records every accepted message
// and can be told to answer 429 or 500 for a while.
type slackServer struct {
	*httptest.Server
	mu       sync.Mutex
	posts    []slackMsg
	updates  []slackMsg
	requests int
	// script answers the next requests before any success: each entry is
	// a status code (429 carries Retry-After: 1).
	script []int
	down   bool // answer 503 to everything
}

type slackMsg struct {
	Channel, Text, TS string
	Attachments       string // raw JSON of the attachments (blocks inside)
}

func newSlackServer(t *testing.T) *slackServer {
	s := &slackServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *slackServer) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if s.down {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if len(s.script) > 0 {
		code := s.script[0]
		s.script = s.script[1:]
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"ok":false,"error":"ratelimited"}`))
		return
	}
	m := slackMsg{Channel: r.FormValue("channel"), Text: r.FormValue("text"), Attachments: r.FormValue("attachments")}
	switch {
	case strings.HasSuffix(r.URL.Path, "/chat.postMessage"):
		m.TS = fmt.Sprintf("1700000000.%06d", len(s.posts)+1)
		s.posts = append(s.posts, m)
	case strings.HasSuffix(r.URL.Path, "/chat.update"):
		m.TS = r.FormValue("ts")
		s.updates = append(s.updates, m)
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS})
}

func (s *slackServer) setDown(v bool) { s.mu.Lock(); s.down = v; s.mu.Unlock() }

func (s *slackServer) snapshot() (posts, updates []slackMsg, requests int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]slackMsg(nil), s.posts...), append([]slackMsg(nil), s.updates...), s.requests
}

// postsContaining counts accepted posts whose text contains sub.
func (s *slackServer) postsContaining(sub string) int {
	posts, _, _ := s.snapshot()
	n := 0
	for _, p := range posts {
		if strings.Contains(p.Text, sub) || strings.Contains(p.Attachments, sub) {
			n++
		}
	}
	return n
}

// statsdListener collects DogStatsD datagrams sent to a real UDP socket.
type statsdListener struct {
	conn net.PacketConn
	mu   sync.Mutex
	got  []string
}

func newStatsdListener(t *testing.T) *statsdListener {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &statsdListener{conn: conn}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			l.mu.Lock()
			l.got = append(l.got, strings.Split(strings.TrimSpace(string(buf[:n])), "\n")...)
			l.mu.Unlock()
		}
	}()
	return l
}

// has reports whether a datagram starts with prefix and carries every tag.
func (l *statsdListener) has(prefix string, tags ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
next:
	for _, d := range l.got {
		if !strings.HasPrefix(d, prefix) {
			continue
		}
		for _, tag := range tags {
			if !strings.Contains(d, tag) {
				continue next
			}
		}
		return true
	}
	return false
}

// env is one end-to-end setup: the simulator, Slack, DogStatsD and the
// real daemon, pointed at the simulator only through AWS_ENDPOINT_URL.
type env struct {
	t      *testing.T
	sim    *awssim.Server
	slack  *slackServer
	statsd *statsdListener
	cfg    *config.Config
	cancel context.CancelFunc
	done   chan error
}

// newEnv starts the simulator and local Slack and DogStatsD servers.
// configTOML may use {{SLACK}}, {{STATSD}} and {{QUEUE}} placeholders.
func newEnv(t *testing.T) *env {
	sim := awssim.New(awssim.Options{})
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	t.Setenv("AWS_ENDPOINT_URL", sim.URL())
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	return &env{t: t, sim: sim, slack: newSlackServer(t), statsd: newStatsdListener(t)}
}

func (e *env) config(toml string) *config.Config {
	e.t.Helper()
	toml = strings.NewReplacer("{{SLACK}}", e.slack.URL+"/", "{{STATSD}}", e.statsd.conn.LocalAddr().String()).Replace(toml)
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
	logger := slog.New(slog.NewJSONHandler(testWriter{e.t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	d, err := New(context.Background(), cfg, Options{
		Logger:        logger,
		SlackOptions:  notifier.SlackOptions{MinInterval: -1, Sleep: shortSleep},
		StatsdOptions: []statsd.Option{statsd.WithoutTelemetry(), statsd.WithoutClientSideAggregation(), statsd.WithBufferFlushInterval(10 * time.Millisecond)},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel, e.done = cancel, make(chan error, 1)
	go func() { e.done <- d.Run(ctx) }()
	e.t.Cleanup(func() { e.stop() })
	return d
}

// stop cancels the daemon and waits for its graceful shutdown.
func (e *env) stop() {
	if e.cancel == nil {
		return
	}
	e.cancel()
	e.cancel = nil
	select {
	case err := <-e.done:
		if err != nil {
			e.t.Errorf("daemon: %v", err)
		}
	case <-time.After(20 * time.Second):
		e.t.Error("daemon did not stop within 20s")
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

// eventually waits up to 10 s for cond, checking every 10 ms.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
