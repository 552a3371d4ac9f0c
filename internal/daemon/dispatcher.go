package daemon

import (
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// buildJobs resolves every cluster's job identities once; the dispatcher,
// the pollers, the schedule checks and the event consumer share them.
func (d *Daemon) buildJobs() {
	d.jobs = map[string]*monitor.Jobs{}
	for _, c := range d.cfg.Clusters {
		d.jobs[c.Name] = monitor.NewJobs(c, d.cfg.Events)
	}
}

// buildDispatcher builds the one dispatcher every producer hands its
// findings to.
func (d *Daemon) buildDispatcher() {
	cfg := d.cfg
	// The delivery loop turns at least every roll-up interval, and beats
	// while a delivery waits on Slack; it is ready once it runs.
	loop := d.health.Register("dispatcher", cfg.Events.RollupInterval.Duration)
	d.dispatcher = monitor.NewDispatcher(monitor.DispatcherOptions{
		Notifier:        d.notifier,
		Metrics:         d.metrics,
		Logger:          d.o.Logger,
		Now:             d.o.Now,
		SummarySchedule: cfg.Summary.Schedule,
		SendEmpty:       cfg.Summary.SendEmpty,
		RollupInterval:  cfg.Events.RollupInterval.Duration,
		DrainTimeout:    drainTimeout(cfg),
		StormPolicy:     d.stormPolicy,
		History:         d.history,
		Account:         d.account,
		Heartbeat:       func() { loop.Beat(); loop.Ready() },
		Receipts:        d.store,
		Leader:          d.leadership(),
		Shares:          d.shared(),
		Owner:           d.owner,
		Storms:          d.shared(),
		Route:           d.route,
	})
}

// drainTimeout is the share of the shutdown budget each stage may use to
// finish its work; stages drain one after the other.
func drainTimeout(cfg *config.Config) time.Duration {
	return cfg.Shutdown.Timeout.Duration / 3
}
