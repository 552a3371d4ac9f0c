package notifier

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is an injected Now/Sleep pair: Sleep records the wait and moves
// the clock instead of sleeping, so retry and pacing tests take no time.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// seenRequest is one request the fake Slack received.
type seenRequest struct {
	Path string
	Form url.Values // chat.* methods: slack-go posts form-encoded bodies
	Body []byte     // webhook: JSON
}

// reply is a scripted response; a zero reply means "the default success".
type reply struct {
	status  int
	header  map[string]string
	body    string
	hangFor time.Duration // hold the request this long before answering
}

// fakeSlack is an httptest server speaking just enough Slack: Web API
// /chat.postMessage and /chat.update, and an incoming webhook path. Each
// request takes the next scripted reply; when the script is exhausted it
// answers as Slack does on success.
type fakeSlack struct {
	t   *testing.T
	srv *httptest.Server

	mu     sync.Mutex
	script []reply
	seen   []seenRequest
}

const webhookPath = "/services/T000/B000/s3cr3tWebhookPathXYZ"

func newFakeSlack(t *testing.T, script ...reply) *fakeSlack {
	f := &fakeSlack{t: t, script: script}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) apiURL() string     { return f.srv.URL + "/" }
func (f *fakeSlack) webhookURL() string { return f.srv.URL + webhookPath }

func (f *fakeSlack) requests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.seen...)
}

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := seenRequest{Path: r.URL.Path, Body: body}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		req.Form, _ = url.ParseQuery(string(body))
	}
	f.mu.Lock()
	f.seen = append(f.seen, req)
	var rep reply
	if len(f.script) > 0 {
		rep, f.script = f.script[0], f.script[1:]
	}
	f.mu.Unlock()

	if rep.hangFor > 0 {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(rep.hangFor):
		}
	}
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	if rep.status != 0 {
		w.WriteHeader(rep.status)
		_, _ = io.WriteString(w, rep.body)
		return
	}
	switch r.URL.Path {
	case "/chat.postMessage":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": "C0ALERTS", "ts": "1773032400.000100"})
	case "/chat.update":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": req.Form.Get("channel"), "ts": req.Form.Get("ts")})
	case webhookPath:
		_, _ = io.WriteString(w, "ok")
	default:
		http.NotFound(w, r)
	}
}

// logCapture is a debug-level slog logger writing into a buffer.
type logCapture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logCapture) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logCapture) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logCapture) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// assertNoSecret fails the test if any secret appears in err (its message
// or any error in its chain) or in the captured logs. Secrets shorter than
// 8 bytes are refused: they would match by accident and prove nothing.
func assertNoSecret(t *testing.T, err error, logs string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if len(s) < 8 {
			t.Fatalf("assertNoSecret: secret %q too short to check meaningfully", s)
		}
		walkErrors(err, func(e error) {
			if strings.Contains(e.Error(), s) {
				t.Errorf("secret %q leaked into error: %v", s, e)
			}
		})
		if strings.Contains(logs, s) {
			t.Errorf("secret %q leaked into logs:\n%s", s, logs)
		}
	}
}

// walkErrors visits err and every error in its chain, both branches of
// multi-%w wraps included.
func walkErrors(err error, visit func(error)) {
	if err == nil {
		return
	}
	visit(err)
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		walkErrors(u.Unwrap(), visit)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			walkErrors(e, visit)
		}
	}
}
