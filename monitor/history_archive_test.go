package monitor

import (
	"context"
	"errors"
	"testing"
	"time"
)

// failingRuns refuses every AddRuns while down.
type failingRuns struct {
	*MemoryStore
	down bool
}

func (f *failingRuns) AddRuns(ctx context.Context, cluster string, runs []StoredRun) error {
	if f.down {
		return errors.New("table unreachable")
	}
	return f.MemoryStore.AddRuns(ctx, cluster, runs)
}

// Recorded runs reach the store; restored ones are not written back, and
// a refused write is tried again with the next.
func TestRunArchiveSavesAndRestores(t *testing.T) {
	ctx := context.Background()
	t0 := time.Now().Add(-2 * time.Hour)
	store := &failingRuns{MemoryStore: NewMemoryStore(), down: true}
	h := NewHistory(nil)
	a := NewRunArchive(RunArchiveOptions{Store: store, History: h, Interval: time.Minute})
	h.Record("cron", "etl", storedRun("etl", 0, t0).Run)
	a.Save(ctx)
	if got, _ := store.LoadRuns(ctx, "cron"); len(got) != 0 {
		t.Fatalf("stored %d runs while down", len(got))
	}
	store.down = false
	h.Record("cron", "etl", storedRun("etl", 1, t0).Run)
	h.Record("cron", "etl", storedRun("etl", 1, t0).Run) // a redelivery
	a.Save(ctx)
	got, _ := store.LoadRuns(ctx, "cron")
	if len(got) != 2 {
		t.Fatalf("stored %d runs, want the refused one and the new one", len(got))
	}

	// A new replica restores them; with the next save nothing is added.
	h2 := NewHistory(nil)
	a2 := NewRunArchive(RunArchiveOptions{Store: store, History: h2, Interval: time.Minute})
	a2.Restore(ctx, []string{"cron", "empty"})
	j, ok := h2.Job("cron", "etl")
	if !ok || len(j.Runs) != 2 || j.Runs[0].TaskARN != "arn:task/etl-0" || j.Streak != 2 || j.StreakResult != ResultFailure {
		t.Fatalf("restored %+v, want both runs oldest first, a streak of 2 failures", j)
	}
	if u := h2.TakeUnsaved(); len(u) != 0 {
		t.Errorf("restored runs to be saved again: %v", u)
	}
	if rec := h2.Record("cron", "etl", storedRun("etl", 1, t0).Run); !rec.Duplicate {
		t.Error("a restored run recorded again (a backfill) is not a duplicate")
	}
}
