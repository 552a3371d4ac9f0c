package daemon

import (
	"context"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// buildArchive builds the run history's archive in the state store: every
// recorded run is added to it, and a start restores what it holds.
func (d *Daemon) buildArchive() {
	d.archive = monitor.NewRunArchive(monitor.RunArchiveOptions{
		Store: d.store, History: d.history, Interval: d.cfg.Events.RollupInterval.Duration, Logger: d.o.Logger,
	})
}

// restoreHistory loads each cluster's stored runs into the history, before
// the backfill (which then adds only the runs the store lacks).
func (d *Daemon) restoreHistory(ctx context.Context) {
	names := make([]string, 0, len(d.cfg.Clusters))
	for _, c := range d.cfg.Clusters {
		names = append(names, c.Name)
	}
	d.archive.Restore(ctx, names)
}
