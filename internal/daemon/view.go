package daemon

import (
	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// buildStoredView builds, with DynamoDB, the refresh of what the status
// page shows from the table: the other replica's runs on every replica,
// and on a standby the leader's open incidents. Once per roll-up interval
// (the interval at which RunArchive writes the runs). With one replica
// (memory) there is nothing to refresh from.
//
// It reads the table itself, not through the degrading store: a read that
// fails keeps the page as last read, rather than showing the memory
// store's copy of what this replica wrote when it last led.
func (d *Daemon) buildStoredView() {
	if d.leader == nil {
		return
	}
	interval := d.cfg.Events.RollupInterval.Duration
	loop := d.health.Register("stored-view", interval)
	d.view = monitor.NewStoredView(monitor.StoredViewOptions{
		Store: d.table, History: d.history, Incidents: d.incidents, Leader: d.leader,
		Clusters: func() []config.Cluster {
			d.mu.RLock()
			defer d.mu.RUnlock()
			return d.cfg.Clusters
		},
		Interval: interval, Timeout: storeCallTimeout,
		Logger: d.o.Logger, Now: d.o.Now, AfterRefresh: afterCycle(loop),
	})
}
