package health

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// The heartbeat pings a local dead-man's switch while every loop is
// healthy, stops while one is stalled, pings again once it recovers, and
// never logs its URL (it carries the check's token).
func TestHeartbeatPingsOnlyWhileHealthy(t *testing.T) {
	var pings atomic.Int32
	status := atomic.Int32{}
	status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pings.Add(1)
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	url := srv.URL + "/ping/secret-token-123"

	clock := testkit.NewClock(time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC))
	reg := NewRegistry(clock.Now)
	loop := reg.Register("poll:cron", 10*time.Second)
	loop.Ready()
	tick := make(chan time.Time)
	logs := &testkit.Buffer{}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- reg.Heartbeat(ctx, HeartbeatOptions{URL: url, Tick: tick, Client: srv.Client(), Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	}()
	beat := func() { tick <- clock.Now() }

	beat()
	testkit.Eventually(t, "first ping", func() bool { return pings.Load() == 1 })

	clock.Add(time.Minute) // 3×10s + 10s slack passed without a beat: stalled
	beat()
	beat() // the second tick is taken only after the first was handled
	if n := pings.Load(); n != 1 {
		t.Errorf("%d pings while a loop is stalled, want none after the first", n)
	}
	testkit.Eventually(t, "withheld logged", func() bool { return strings.Contains(logs.String(), "poll:cron") })

	loop.Beat()
	beat()
	testkit.Eventually(t, "ping after recovery", func() bool { return pings.Load() == 2 })

	status.Store(http.StatusInternalServerError)
	beat()
	testkit.Eventually(t, "failure logged", func() bool { return strings.Contains(logs.String(), "heartbeat ping failed") })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "secret-token-123") {
		t.Errorf("the heartbeat URL leaked into the log:\n%s", logs.String())
	}
}

// A ping that cannot reach the service names the error, not the URL.
func TestHeartbeatRedactsURLFromErrors(t *testing.T) {
	err := ping(t.Context(), &http.Client{Timeout: time.Second}, "http://127.0.0.1:1/ping/secret-token-456")
	if err == nil {
		t.Fatal("ping to a closed port succeeded")
	}
	if got := redactURL(err, "http://127.0.0.1:1/ping/secret-token-456").Error(); strings.Contains(got, "secret-token-456") || !strings.Contains(got, "[redacted]") {
		t.Errorf("redacted error = %q", got)
	}
}
