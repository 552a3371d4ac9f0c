// Package testkit holds the local stand-ins for Slack and the Datadog
// agent that end-to-end tests talk to over loopback. Only tests import it.
package testkit

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// SlackServer is a local Slack Web API: chat.postMessage and chat.update,
// form-encoded as slack-go sends them. It records every accepted message
// and can be told to answer 429 or 500 for a while.
type SlackServer struct {
	*httptest.Server
	mu       sync.Mutex
	posts    []SlackMessage
	updates  []SlackMessage
	requests int
	// Script answers the next requests before any success: each entry is
	// a status code (429 carries Retry-After: 1).
	Script []int
	down   bool          // answer 503 to everything
	delay  time.Duration // how long each Web API request takes
	// refuse maps a channel to the Web API error posts to it get
	// (ok=false, HTTP 200, as Slack answers channel_not_found).
	refuse map[string]string
	// hooks are the incoming-webhook paths (AddWebhook); a post to one is
	// recorded with the path as its channel, a post to another path under
	// /services/ answers 404 no_service, as Slack does.
	hooks map[string]bool
}

type SlackMessage struct {
	At                time.Time // when the server accepted it
	Channel, Text, TS string
	Attachments       string // raw JSON of the attachments (blocks inside)
}

func NewSlackServer(t testing.TB) *SlackServer {
	s := &SlackServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *SlackServer) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/services/") {
		s.serveWebhook(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	s.mu.Lock()
	delay := s.delay
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if s.down {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if len(s.Script) > 0 {
		code := s.Script[0]
		s.Script = s.Script[1:]
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"ok":false,"error":"ratelimited"}`))
		return
	}
	if code := s.refuse[r.FormValue("channel")]; code != "" {
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"ok":false,"error":%q}`, code)
		return
	}
	m := SlackMessage{At: time.Now(), Channel: r.FormValue("channel"), Text: r.FormValue("text"), Attachments: r.FormValue("attachments")}
	switch {
	case strings.HasSuffix(r.URL.Path, "/chat.postMessage"):
		m.TS = fmt.Sprintf("1700000000.%06d", len(s.posts)+1)
		s.posts = append(s.posts, m)
	case strings.HasSuffix(r.URL.Path, "/chat.update"):
		m.TS = r.FormValue("ts")
		s.updates = append(s.updates, m)
	case strings.HasSuffix(r.URL.Path, "/webhook"):
		// An incoming webhook: a JSON body, a plain "ok" answer, no ts.
		var body struct {
			Text        string          `json:"text"`
			Attachments json.RawMessage `json:"attachments"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		m.Text, m.Attachments = body.Text, string(body.Attachments)
		s.posts = append(s.posts, m)
		_, _ = w.Write([]byte("ok"))
		return
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS})
}

// AddWebhook makes path (under /services/) an incoming webhook and
// returns its URL.
func (s *SlackServer) AddWebhook(path string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hooks == nil {
		s.hooks = map[string]bool{}
	}
	s.hooks[path] = true
	return s.URL + path
}

// serveWebhook takes an incoming-webhook post (a JSON body); Channel is
// the webhook's path.
func (s *SlackServer) serveWebhook(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Text        string            `json:"text"`
		Attachments []json.RawMessage `json:"attachments"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if !s.hooks[r.URL.Path] {
		http.Error(w, "no_service", http.StatusNotFound)
		return
	}
	atts, _ := json.Marshal(body.Attachments)
	s.posts = append(s.posts, SlackMessage{At: time.Now(), Channel: r.URL.Path, Text: body.Text, Attachments: string(atts)})
	_, _ = w.Write([]byte("ok"))
}

// SetDelay makes every Web API request take d, as a slow Slack does.
func (s *SlackServer) SetDelay(d time.Duration) { s.mu.Lock(); s.delay = d; s.mu.Unlock() }

func (s *SlackServer) SetDown(v bool) { s.mu.Lock(); s.down = v; s.mu.Unlock() }

// Refuse makes every post to channel fail with the Web API error code
// ("channel_not_found", "not_in_channel").
func (s *SlackServer) Refuse(channel, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse == nil {
		s.refuse = map[string]string{}
	}
	s.refuse[channel] = code
}

func (s *SlackServer) Snapshot() (posts, updates []SlackMessage, requests int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SlackMessage(nil), s.posts...), append([]SlackMessage(nil), s.updates...), s.requests
}

// Posts is the number of accepted posts (cheaper than Snapshot to poll).
func (s *SlackServer) Posts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.posts)
}

// PostsContaining counts accepted posts whose text contains sub.
func (s *SlackServer) PostsContaining(sub string) int {
	posts, _, _ := s.Snapshot()
	return containing(posts, sub)
}

// UpdatesContaining counts accepted edits (chat.update) whose text
// contains sub.
func (s *SlackServer) UpdatesContaining(sub string) int {
	_, updates, _ := s.Snapshot()
	return containing(updates, sub)
}

func containing(msgs []SlackMessage, sub string) int {
	n := 0
	for _, p := range msgs {
		if strings.Contains(p.Text, sub) || strings.Contains(p.Attachments, sub) {
			n++
		}
	}
	return n
}

// StatsdListener collects DogStatsD datagrams sent to a real UDP socket.
type StatsdListener struct {
	Conn net.PacketConn
	mu   sync.Mutex
	got  []string
}

func NewStatsdListener(t testing.TB) *StatsdListener {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &StatsdListener{Conn: conn}
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

// Has reports whether a datagram starts with prefix and carries every tag.
func (l *StatsdListener) Has(prefix string, tags ...string) bool {
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

// Eventually waits up to 10 s for cond, checking every 10 ms: the parts
// under test run on their own goroutines and real (short) intervals.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	EventuallyWithin(t, 10*time.Second, what, cond)
}

// EventuallyWithin is Eventually with another bound.
func EventuallyWithin(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Clock is a settable clock for tests, safe to read from the goroutines of
// the code under test (servers, loops). Its After channels fire when Add
// moves the clock to or past their time, never by themselves.
type Clock struct {
	mu      sync.Mutex
	t       time.Time
	waiters []clockWaiter
}

type clockWaiter struct {
	at time.Time
	ch chan time.Time
}

// After is time.After on the clock's time.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.t
		return ch
	}
	c.waiters = append(c.waiters, clockWaiter{at: c.t.Add(d), ch: ch})
	return ch
}

// Waiters counts the After channels not fired yet, so a test can wait for
// the code under test to start waiting before it moves the clock.
func (c *Clock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// NewClock returns a Clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d and returns the new time.
func (c *Clock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.t) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.t
	}
	c.waiters = kept
	return c.t
}

// ProcessCPU is the user and system CPU time this process has used, for
// benchmarks that report CPU per unit of work: less moved by the machine's
// load than wall time.
func ProcessCPU(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
