package monitor

import (
	"context"
	"log/slog"
	"time"
)

// RunArchive keeps the run history in the store: at start it restores
// each cluster's stored runs into History (before the backfill, which then
// adds only what is missing), and it adds the runs this replica recorded,
// per cluster one write at most once per Interval while there are any, and
// once more when it stops. A write the store refused is tried again with
// the next.
type RunArchive struct {
	o    RunArchiveOptions
	log  *slog.Logger
	kept map[string][]StoredRun // refused, to be tried again
}

// RunArchiveOptions configures a RunArchive. A nil Logger discards.
type RunArchiveOptions struct {
	Store    RunHistoryStore
	History  *History
	Interval time.Duration // the roll-up interval
	Logger   *slog.Logger
}

// runArchiveStopTimeout bounds the last write at stop.
const runArchiveStopTimeout = 5 * time.Second

// NewRunArchive returns a RunArchive.
func NewRunArchive(o RunArchiveOptions) *RunArchive {
	d := withDefaults(nil, o.Logger, nil)
	require("NewRunArchive", "Interval", o.Interval > 0)
	return &RunArchive{o: o, log: d.logger.With("component", "run-archive"), kept: map[string][]StoredRun{}}
}

// Restore loads the stored runs of clusters into History.
func (a *RunArchive) Restore(ctx context.Context, clusters []string) {
	for _, c := range clusters {
		runs, err := a.o.Store.LoadRuns(ctx, c)
		if err != nil {
			a.log.Warn("stored run history not read; starting from the backfill", "cluster", c, "err", err)
			continue
		}
		a.o.History.Restore(c, runs)
		if len(runs) > 0 {
			a.log.Info("run history restored", "cluster", c, "runs", len(runs))
		}
	}
}

// Run saves every Interval until ctx is done, then once more.
func (a *RunArchive) Run(ctx context.Context) error {
	t := time.NewTicker(a.o.Interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			a.Save(ctx)
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), runArchiveStopTimeout)
			a.Save(sctx)
			cancel()
			return nil
		}
	}
}

// Save adds the runs recorded since the last Save to the store. It is
// Run's: call it only where Run is not running (tests).
func (a *RunArchive) Save(ctx context.Context) {
	for c, runs := range a.o.History.TakeUnsaved() {
		a.kept[c] = mergeRuns(a.kept[c], runs)
	}
	for c, runs := range a.kept {
		if err := a.o.Store.AddRuns(ctx, c, runs); err != nil {
			a.log.Warn("run history not saved; kept to try again", "cluster", c, "runs", len(runs), "err", err)
			continue
		}
		delete(a.kept, c)
	}
}
