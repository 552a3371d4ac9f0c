package health

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, h http.Handler, path string) (int, Status) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s: content type %q", path, ct)
	}
	var st Status
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
		t.Fatalf("%s: body %q is not a Status: %v", path, rec.Body.String(), err)
	}
	return rec.Code, st
}

func TestHandlerCodesFollowState(t *testing.T) {
	clk := newClock()
	r := NewRegistry(clk.Now)
	l := r.Register("poll/cron", 10*time.Second)
	h := r.Handler()

	if code, _ := get(t, h, "/healthz"); code != http.StatusOK {
		t.Fatalf("fresh loop /healthz = %d, want 200", code)
	}
	if code, st := get(t, h, "/readyz"); code != http.StatusServiceUnavailable || st.Ready {
		t.Fatalf("before first cycle /readyz = %d %+v, want 503 not ready", code, st)
	}
	l.Ready()
	code, st := get(t, h, "/readyz")
	if code != http.StatusOK || len(st.Loops) != 1 || st.Loops[0].Name != "poll/cron" || !st.Loops[0].LastBeat.Equal(clk.Now()) {
		t.Fatalf("after Ready /readyz = %d %+v", code, st)
	}

	clk.Add(41 * time.Second) // allowance 3*10s+10s = 40s
	if code, st := get(t, h, "/healthz"); code != http.StatusServiceUnavailable || st.Healthy {
		t.Fatalf("stalled /healthz = %d %+v, want 503", code, st)
	}
	// A stalled daemon is not ready either, even though it once was.
	if code, _ := get(t, h, "/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("stalled /readyz = %d, want 503", code)
	}
}

func TestHandlerRejectsOtherPathsAndMethods(t *testing.T) {
	h := NewRegistry(newClock().Now).Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("/metrics = %d, want 404", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/healthz", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST /healthz = %d, want 405", rec.Code)
	}
}

// serve starts the registry on a real 127.0.0.1 listener and returns its
// address and a stop function that waits for Serve to return.
func serve(t *testing.T, r *Registry) (string, func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.ServeListener(ctx, ln, slog.New(slog.DiscardHandler)) }()
	return ln.Addr().String(), func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(5 * time.Second):
			t.Fatal("ServeListener did not return after cancel")
			return nil
		}
	}
}

func TestCheckAgainstRealListener(t *testing.T) {
	clk := newClock()
	r := NewRegistry(clk.Now)
	r.Register("events", 20*time.Second)
	addr, stop := serve(t, r)

	if err := Check(context.Background(), addr); err != nil {
		t.Fatalf("healthy daemon: Check = %v", err)
	}
	// The wildcard form of the same port is dialled on loopback.
	_, port, _ := net.SplitHostPort(addr)
	if err := Check(context.Background(), ":"+port); err != nil {
		t.Fatalf("Check(%q) = %v", ":"+port, err)
	}
	if err := Check(context.Background(), "0.0.0.0:"+port); err != nil {
		t.Fatalf("Check(0.0.0.0:%s) = %v", port, err)
	}

	clk.Add(2 * time.Minute)
	err := Check(context.Background(), addr)
	if err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), `"events"`) {
		t.Fatalf("stalled daemon: Check = %v, want a 503 error naming the events loop", err)
	}

	if err := stop(); err != nil {
		t.Fatalf("ServeListener after cancel = %v, want nil", err)
	}
	if err := Check(context.Background(), addr); err == nil {
		t.Fatal("Check succeeded after the server shut down")
	}
}

func TestCheckDisabledAndBadAddress(t *testing.T) {
	if err := Check(context.Background(), ""); !errors.Is(err, ErrDisabled) {
		t.Fatalf("Check(\"\") = %v, want ErrDisabled", err)
	}
	if err := Check(context.Background(), "no-port"); err == nil {
		t.Fatal("Check(no-port) succeeded")
	}
}

func TestCheckTimesOutOnSilentServer(t *testing.T) {
	// A server that accepts but never answers must not hang the health check:
	// the caller's context (here short) or the 2 s budget ends it.
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := Check(ctx, strings.TrimPrefix(srv.URL, "http://"))
	if err == nil {
		t.Fatal("Check against a silent server succeeded")
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("Check took %v, want it bounded by the context", el)
	}
}

func TestServeEmptyListenIsOff(t *testing.T) {
	if err := NewRegistry(nil).Serve(context.Background(), "", nil); err != nil {
		t.Fatalf("Serve with empty listen = %v, want nil", err)
	}
}

func TestServeReportsListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = NewRegistry(nil).Serve(context.Background(), ln.Addr().String(), nil)
	if err == nil || !strings.Contains(err.Error(), "listen for health endpoint") {
		t.Fatalf("Serve on a taken port = %v, want a listen error", err)
	}
}

func TestServeStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- NewRegistry(nil).Serve(ctx, "127.0.0.1:0", nil) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after cancel = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not stop on cancel")
	}
}
