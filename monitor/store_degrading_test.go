package monitor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// flakyStore is a durable store that fails every call while down, and
// counts the calls that reached it.
type flakyStore struct {
	*MemoryStore
	down  bool
	calls int
}

func (f *flakyStore) check() error {
	f.calls++
	if f.down {
		return errors.New("ThrottlingException: Rate of requests exceeds the allowed throughput")
	}
	return nil
}

func (f *flakyStore) SaveIncidents(ctx context.Context, scope string, fence int64, recs []IncidentRecord) error {
	if err := f.check(); err != nil {
		return err
	}
	return f.MemoryStore.SaveIncidents(ctx, scope, fence, recs)
}

func (f *flakyStore) LoadIncidents(ctx context.Context, scope string) ([]IncidentRecord, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	return f.MemoryStore.LoadIncidents(ctx, scope)
}

type findings []Finding

func (fs *findings) Handle(f Finding) { *fs = append(*fs, f) }

// Failing: one monitor_error, reads and writes served from memory, the
// table tried once per probe interval; back: resolved and caught up.
func TestDegradingStoreFallsBackAndCatchesUp(t *testing.T) {
	ctx := context.Background()
	clock := testkit.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	durable := &flakyStore{MemoryStore: NewMemoryStore(), down: true}
	var got findings
	s := NewDegradingStore(durable, DegradingOptions{Name: "DynamoDB table t", Findings: &got, Now: clock.Now,
		CallTimeout: time.Second, ProbeInterval: 10 * time.Second})
	rec := []IncidentRecord{{Obs: Observation{Kind: KindTaskLimit, Cluster: "cron"}, Peak: 9}}
	for i := range 5 {
		if err := s.SaveIncidents(ctx, "poll#cron", 1, rec); err != nil {
			t.Fatalf("save %d while degraded: %v (want the memory store to take it)", i, err)
		}
	}
	if back, err := s.LoadIncidents(ctx, "poll#cron"); err != nil || len(back) != 1 {
		t.Errorf("load while degraded = %v, %v; want what was saved", back, err)
	}
	if len(got) != 1 || got[0].Kind != KindMonitorError || got[0].Transition != Opened || got[0].Cluster != "DynamoDB table t" {
		t.Fatalf("findings = %+v, want one monitor_error opened", got)
	}
	if durable.calls != 1 {
		t.Errorf("the failing table was called %d times within one probe interval, want 1", durable.calls)
	}
	durable.down = false
	clock.Add(10 * time.Second)
	if _, err := s.LoadIncidents(ctx, "poll#other"); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Transition != Resolved {
		t.Fatalf("findings = %+v, want the monitor_error resolved", got)
	}
	if stored, _ := durable.MemoryStore.LoadIncidents(ctx, "poll#cron"); len(stored) != 1 || stored[0].Peak != 9 {
		t.Errorf("the table did not catch up: %+v", stored)
	}
	calls := durable.calls
	if _, err := s.LoadIncidents(ctx, "poll#cron"); err != nil || durable.calls != calls+1 {
		t.Errorf("after healing, calls go to the table again (%d calls, err %v)", durable.calls-calls, err)
	}
}
