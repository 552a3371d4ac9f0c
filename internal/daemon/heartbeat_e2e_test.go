package daemon

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// With [heartbeat] the running daemon pings the dead-man's switch (a local
// HTTP server here) while its loops are healthy.
func TestE2EHeartbeatPings(t *testing.T) {
	var pings atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ping/check-token" {
			pings.Add(1)
		}
	}))
	defer srv.Close()
	e := newEnv(t)
	e.sim.CreateCluster("cron")
	cfg := e.config(strings.Replace(pollConfig, "[health]", "[heartbeat]\nurl = \""+srv.URL+"/ping/check-token\"\ninterval = \"1s\"\n\n[health]", 1))
	cfg.Clusters[0].PollInterval.Duration = 50e6
	e.start(cfg)
	eventually(t, "a heartbeat ping", func() bool { return pings.Load() >= 1 })
	for _, l := range e.logs.logged("check-token") {
		t.Errorf("the heartbeat URL was logged: %s", l)
	}
}
