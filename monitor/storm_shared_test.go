package monitor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// sharedStormDispatcher is one replica's dispatcher over storms, storm
// threshold 5 in a window of a minute, posting to n (one Slack for all).
func sharedStormDispatcher(t *testing.T, owner string, storms StormStore, n Notifier, now func() time.Time) *Dispatcher {
	t.Helper()
	return NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: n, Now: now, RollupInterval: time.Hour,
		Owner: owner, Storms: storms,
		Route:       func(cluster, job string) Route { return Route{Channel: "#" + job} },
		StormPolicy: func(string, string) (int, time.Duration) { return 5, time.Minute }}))
}

// deliverFailures delivers failures e<from>..e<to-1> of etl (exit 1) one
// after the other, each with route.
func deliverFailures(t *testing.T, d *Dispatcher, from, to int, route Route) {
	t.Helper()
	for i := from; i < to; i++ {
		f := failure("etl", fmt.Sprint("e", i), 1)
		f.Route = route
		if err := d.DeliverFailure(t.Context(), f); err != nil {
			t.Fatal(err)
		}
	}
}

func rollups(alerts []Finding) (single int, r []Finding) {
	for _, f := range alerts {
		if f.Rollup == nil {
			single++
		} else {
			r = append(r, f)
		}
	}
	return single, r
}

// Two replicas folding one job's failures into the one stored storm: the
// threshold counts both replicas' failures, one roll-up counts them all,
// and either replica updates its one message.
func TestSharedStormAcrossTwoReplicas(t *testing.T) {
	for name, store := range map[string]StormStore{"memory": NewMemoryStore(), "dynamodb": func() StormStore { _, s := dynamoSim(t); return s }()} {
		t.Run(name, func(t *testing.T) {
			clk := testkit.NewClock(time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC))
			n := &captureNotifier{}
			a := sharedStormDispatcher(t, "a", store, n, clk.Now)
			b := sharedStormDispatcher(t, "b", store, n, clk.Now)
			ctx := t.Context()
			// 50 failures, alternately handled by a and b, some at once.
			var wg sync.WaitGroup
			for i := range 50 {
				d := a
				if i%2 == 1 {
					d = b
				}
				deliver := func() {
					if err := d.DeliverFailure(ctx, failure("etl", fmt.Sprint("e", i), 1+i%2)); err != nil {
						t.Error(err)
					}
				}
				if i < 5 {
					deliver() // the first five one after the other: each alone
					continue
				}
				wg.Go(deliver)
			}
			wg.Wait()
			alerts, _, _ := n.snapshot()
			if single, r := rollups(alerts); single != 5 || len(r) != 0 {
				t.Fatalf("%d single alerts and %d roll-ups before a flush, want 5 and none (folded failures wait for the flusher)", single, len(r))
			}
			a.FlushStorms(ctx, clk.Now(), false)
			b.FlushStorms(ctx, clk.Now(), false) // nothing new since a posted
			alerts, updates, _ := n.snapshot()
			_, r := rollups(alerts)
			if len(r) != 1 || r[0].Rollup.Count != 50 || r[0].Rollup.Alerted != 5 || r[0].Rollup.Final {
				t.Fatalf("roll-ups %+v, want one counting 50 (5 alerted alone), open", r)
			}
			if r[0].Rollup.ExitCodes[1] != 25 || r[0].Rollup.ExitCodes[2] != 25 || r[0].Route.Channel != "#etl" {
				t.Errorf("roll-up exit codes %v route %+v, want 25 each and the job's route", r[0].Rollup.ExitCodes, r[0].Route)
			}
			if updates[len(updates)-1] != (Receipt{}) {
				t.Error("the first roll-up should be a new message")
			}
			// Quiet for a window: b closes the roll-up a posted, editing it.
			clk.Add(2 * time.Minute)
			b.FlushStorms(ctx, clk.Now(), false)
			alerts, updates, _ = n.snapshot()
			_, r = rollups(alerts)
			if len(r) != 2 || !r[1].Rollup.Final || r[1].Rollup.Count != 50 || updates[len(updates)-1] == (Receipt{}) {
				t.Fatalf("roll-ups %d, last %+v (update %v), want the one message edited to final", len(r), r[len(r)-1].Rollup, updates[len(updates)-1])
			}
			if left, err := store.LoadStorms(ctx); err != nil || len(left) != 0 {
				t.Errorf("stored storms after closing: %v (%v), want none", left, err)
			}
			a.FlushStorms(ctx, clk.Now(), false)
			if alerts, _, _ := n.snapshot(); len(alerts) != 7 {
				t.Errorf("%d deliveries, want 5 alone + roll-up + its final update", len(alerts))
			}
		})
	}
}

// A replica that stops leaves the stored storm open; the next one (a
// restart) goes on counting into it and updates the same message.
func TestSharedStormOutlivesRestart(t *testing.T) {
	clk := testkit.NewClock(time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC))
	store := NewMemoryStore()
	n := &captureNotifier{}
	ctx := t.Context()
	first := sharedStormDispatcher(t, "a", store, n, clk.Now)
	deliverFailures(t, first, 0, 8, Route{Channel: "#before-the-restart"}) // the configuration then
	first.FlushStorms(ctx, clk.Now(), false)
	first.FlushStorms(ctx, clk.Now(), true) // its shutdown: not closed
	alerts, _, _ := n.snapshot()
	_, r := rollups(alerts)
	if len(r) != 1 || r[0].Rollup.Final {
		t.Fatalf("roll-ups %+v, want one, left open by the stopping replica", r)
	}
	clk.Add(10 * time.Second)
	second := sharedStormDispatcher(t, "a2", store, n, clk.Now)
	deliverFailures(t, second, 8, 12, Route{})
	second.FlushStorms(ctx, clk.Now(), false)
	alerts, updates, _ := n.snapshot()
	if single, r := rollups(alerts); single != 5 || len(r) != 2 || r[1].Rollup.Count != 12 || updates[len(updates)-1] != (Receipt{Channel: "C1", TS: "6"}) {
		t.Fatalf("%d alone, roll-ups %d, last %+v updating %v; want the restarted replica to update message 6 to 12 failures", single, len(r), r[len(r)-1].Rollup, updates[len(updates)-1])
	}
	// The stored failure keeps no route: the roll-up goes where the
	// configuration in force sends the job's alerts.
	_, r = rollups(alerts)
	if got := r[len(r)-1].Route.Channel; got != "#etl" {
		t.Errorf("roll-up routed to %q, want the job's route now (#etl)", got)
	}
}

// A roll-up another replica is posting is left to it, until its hold
// expires (it died posting).
func TestSharedStormPosterHold(t *testing.T) {
	clk := testkit.NewClock(time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC))
	store := NewMemoryStore()
	n := &captureNotifier{}
	ctx := t.Context()
	a := sharedStormDispatcher(t, "a", store, n, clk.Now)
	deliverFailures(t, a, 0, 7, Route{})
	if err := store.UpdateStorms(ctx, func(m map[string]*StormRecord) bool {
		m["failed_task|cron|etl"].Poster, m["failed_task|cron|etl"].PosterUntil = "b", clk.Now().Add(time.Minute)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	a.FlushStorms(ctx, clk.Now(), false)
	if _, r := rollups(first(n)); len(r) != 0 {
		t.Fatalf("a posted a roll-up b holds")
	}
	clk.Add(61 * time.Second)
	a.FlushStorms(ctx, clk.Now(), false)
	if _, r := rollups(first(n)); len(r) != 1 || r[0].Rollup.Count != 7 {
		t.Fatalf("roll-ups %+v, want a to post once b's hold expired", r)
	}
}

func first(n *captureNotifier) []Finding {
	alerts, _, _ := n.snapshot()
	return alerts
}

// failingStorms is a store that cannot be reached.
type failingStorms struct{ calls int }

func (f *failingStorms) LoadStorms(context.Context) (map[string]*StormRecord, error) {
	f.calls++
	return nil, errors.New("unreachable")
}

func (f *failingStorms) UpdateStorms(context.Context, func(map[string]*StormRecord) bool) error {
	f.calls++
	return errors.New("unreachable")
}

// The store unreachable: the replica counts its own failures (storm.go),
// so alerts and roll-ups go on.
func TestSharedStormStoreDownFallsBackToLocal(t *testing.T) {
	clk := testkit.NewClock(time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC))
	n := &captureNotifier{}
	store := &failingStorms{}
	d := sharedStormDispatcher(t, "a", store, n, clk.Now)
	ctx := t.Context()
	deliverFailures(t, d, 0, 5, Route{})
	done := make(chan error, 1)
	go func() { done <- d.DeliverFailure(ctx, failure("etl", "e5", 1)) }()
	testkit.Eventually(t, "local storm", func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		st := d.storms["failed_task|cron|etl"]
		return st != nil && len(st.waiters) == 1
	})
	d.FlushStorms(ctx, clk.Now(), false)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if single, r := rollups(first(n)); single != 5 || len(r) != 1 || r[0].Rollup.Count != 6 {
		t.Errorf("%d alone, roll-ups %+v; want 5 and one counting 6", single, r)
	}
	if store.calls == 0 {
		t.Error("the store was never tried")
	}
}

// A record never in a storm is forgotten once its last failure is out of
// the window (a minute here).
func TestSharedStormQuietRecordForgotten(t *testing.T) {
	clk := testkit.NewClock(time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC))
	store := NewMemoryStore()
	d := sharedStormDispatcher(t, "a", store, &captureNotifier{}, clk.Now)
	ctx := t.Context()
	if err := d.DeliverFailure(ctx, failure("etl", "e0", 1)); err != nil {
		t.Fatal(err)
	}
	d.FlushStorms(ctx, clk.Now(), false)
	if m, _ := store.LoadStorms(ctx); len(m) != 1 {
		t.Fatalf("stored %d records, want the one failure's", len(m))
	}
	clk.Add(30 * time.Second)
	d.FlushStorms(ctx, clk.Now(), false)
	if m, _ := store.LoadStorms(ctx); len(m) != 1 {
		t.Fatalf("stored %d records within the window, want the one failure's", len(m))
	}
	clk.Add(31 * time.Second)
	d.FlushStorms(ctx, clk.Now(), false)
	if m, _ := store.LoadStorms(ctx); len(m) != 0 {
		t.Errorf("stored %d records past the window, want none", len(m))
	}
}

// Past the item's bound the records not in a storm go first: an open
// roll-up is never dropped for them.
func TestEncodeStormsDropsQuietRecordsFirst(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	storms := map[string]*StormRecord{"failed_task|cron|etl": {Active: true, Window: time.Minute, Members: []string{"e0", "e1"},
		Rollup: Rollup{Count: 2, First: t0, Last: t0}}}
	for i := range 3000 {
		rec := &StormRecord{Window: time.Minute}
		for j := range 5 {
			rec.Recent = append(rec.Recent, StormHit{At: t0, Member: fmt.Sprintf("%064d", i*10+j)})
		}
		storms[fmt.Sprintf("failed_task|cron|job-%d", i)] = rec
	}
	data, err := encodeStorms(storms)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeStorms(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > stormsBytes || len(back) != 1 || back["failed_task|cron|etl"] == nil || back["failed_task|cron|etl"].Rollup.Count != 2 {
		t.Errorf("%d bytes, %d records kept; want the open storm alone within %d bytes", len(data), len(back), stormsBytes)
	}
}
