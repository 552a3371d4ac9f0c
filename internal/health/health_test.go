package health

import (
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

func newClock() *testkit.Clock {
	return testkit.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
}

func loopByName(t *testing.T, st Status, name string) LoopStatus {
	t.Helper()
	for _, l := range st.Loops {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("loop %q not in status %+v", name, st)
	return LoopStatus{}
}

func TestEmptyRegistryIsHealthyAndReady(t *testing.T) {
	st := NewRegistry(newClock().Now).Snapshot()
	if !st.Healthy || !st.Ready || len(st.Loops) != 0 {
		t.Fatalf("empty registry: got %+v, want healthy, ready, no loops", st)
	}
}

func TestLoopStallsAfterThreeIntervalsPlusSlack(t *testing.T) {
	clk := newClock()
	r := NewRegistry(clk.Now)
	poll := r.Register("poll/cron", 30*time.Second)
	allowance := 3*30*time.Second + beatSlack

	// Before any beat the allowance runs from registration.
	clk.Add(allowance)
	if st := r.Snapshot(); !st.Healthy {
		t.Fatalf("at exactly the allowance since registration: unhealthy %+v", st)
	}
	clk.Add(time.Second)
	if st := r.Snapshot(); st.Healthy || loopByName(t, st, "poll/cron").Healthy {
		t.Fatalf("1s past the allowance without a beat: still healthy %+v", st)
	}

	// A beat revives it and moves the deadline.
	poll.Beat()
	beatAt := clk.Now()
	st := r.Snapshot()
	ls := loopByName(t, st, "poll/cron")
	if !st.Healthy || !ls.LastBeat.Equal(beatAt) || !ls.Deadline.Equal(beatAt.Add(allowance)) {
		t.Fatalf("after beat: got %+v, want healthy, last beat %v, deadline %v", ls, beatAt, beatAt.Add(allowance))
	}
	if ls.Interval != "30s" {
		t.Fatalf("interval rendered %q, want 30s", ls.Interval)
	}
	clk.Add(allowance + time.Second)
	if r.Snapshot().Healthy {
		t.Fatal("stalled after the last beat: still healthy")
	}
}

func TestOneStalledLoopMakesRegistryUnhealthy(t *testing.T) {
	clk := newClock()
	r := NewRegistry(clk.Now)
	fast := r.Register("events", 20*time.Second)
	r.Register("summary", 15*time.Minute)
	clk.Add(5 * time.Minute)
	fast.Beat()
	st := r.Snapshot()
	// events: 3*20s+10s = 70s allowance, beat just now -> healthy.
	// summary: 45m allowance -> healthy.
	if !st.Healthy {
		t.Fatalf("both within allowance: %+v", st)
	}
	clk.Add(2 * time.Minute)
	st = r.Snapshot()
	if st.Healthy {
		t.Fatal("events loop silent for 2m with a 70s allowance: registry still healthy")
	}
	if loopByName(t, st, "events").Healthy || !loopByName(t, st, "summary").Healthy {
		t.Fatalf("wrong loop blamed: %+v", st.Loops)
	}
	if st.Loops[0].Name != "events" || st.Loops[1].Name != "summary" {
		t.Fatalf("loops not sorted by name: %+v", st.Loops)
	}
}

func TestReadyNeedsEveryLoop(t *testing.T) {
	clk := newClock()
	r := NewRegistry(clk.Now)
	a := r.Register("poll/a", time.Minute)
	b := r.Register("poll/b", time.Minute)
	if r.Snapshot().Ready {
		t.Fatal("ready before any loop's first cycle")
	}
	a.Ready()
	if r.Snapshot().Ready {
		t.Fatal("ready with poll/b still not done")
	}
	b.Beat() // a failed cycle beats but is not ready
	if st := r.Snapshot(); st.Ready || loopByName(t, st, "poll/b").Ready {
		t.Fatal("a plain Beat made the loop ready")
	}
	b.Ready()
	if !r.Snapshot().Ready {
		t.Fatal("not ready after every loop reported Ready")
	}
	// Ready is sticky: later failed cycles do not un-ready the daemon.
	clk.Add(time.Second)
	b.Beat()
	if !r.Snapshot().Ready {
		t.Fatal("Beat after Ready cleared readiness")
	}
}

func TestDialAddr(t *testing.T) {
	cases := []struct {
		listen, want string
		wantErr      bool
	}{
		{"127.0.0.1:8080", "127.0.0.1:8080", false},
		{":8080", "127.0.0.1:8080", false},
		{"0.0.0.0:8080", "127.0.0.1:8080", false},
		{"[::]:9000", "[::1]:9000", false},
		{"localhost:8080", "localhost:8080", false},
		{"[::1]:8080", "[::1]:8080", false},
		{"8080", "", true},
		{"127.0.0.1:", "", true},
	}
	for _, c := range cases {
		got, err := DialAddr(c.listen)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("DialAddr(%q) = %q, %v; want %q, error %v", c.listen, got, err, c.want, c.wantErr)
		}
	}
}
