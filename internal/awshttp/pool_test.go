package awshttp

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A burst of concurrent requests, as the event consumer's deletes make,
// leaves its connections idle for the next burst instead of closing all
// but the SDK's default ten.
func TestWrapKeepsConnectionsForBursts(t *testing.T) {
	const burst = 30
	var conns atomic.Int32
	var arrived sync.WaitGroup
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Hold every request until the whole burst is in flight, so the
		// client needs burst connections at once.
		arrived.Done()
		done := make(chan struct{})
		go func() { arrived.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
		_, _ = io.WriteString(w, "ok")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := Wrap(nil)
	for round := range 2 {
		arrived.Add(burst)
		var wg sync.WaitGroup
		for range burst {
			wg.Go(func() {
				req, _ := http.NewRequest("GET", srv.URL, nil)
				resp, err := c.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			})
		}
		wg.Wait()
		if got := conns.Load(); got != burst {
			t.Fatalf("after burst %d: %d connections opened, want %d (the first burst's, reused)", round+1, got, burst)
		}
	}
}
