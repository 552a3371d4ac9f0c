package daemon

import (
	"fmt"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/notifier"
)

// buildMetrics sets up DogStatsD when [datadog] address is set; otherwise
// metrics go nowhere.
func (d *Daemon) buildMetrics() error {
	d.metrics = monitor.NopMetrics{}
	if d.cfg.Datadog.Address == "" {
		return nil
	}
	dd, err := notifier.NewDatadog(d.cfg.Datadog, d.o.Logger, d.o.StatsdOptions...)
	if err != nil {
		return fmt.Errorf("set up Datadog: %w", err)
	}
	d.datadog, d.metrics = dd, dd
	d.notifiers = append(d.notifiers, "datadog")
	return nil
}

// buildNotifier picks where findings are delivered: the caller's notifier,
// else Slack when configured, else nowhere (the dispatcher logs every
// finding and, with no notifier, the summaries too).
func (d *Daemon) buildNotifier() error {
	switch {
	case d.o.Notifier != nil:
		d.notifier = d.o.Notifier
		d.notifiers = append(d.notifiers, "custom")
	case d.cfg.Slack.Enabled():
		so := d.o.SlackOptions
		if so.Logger == nil {
			so.Logger = d.o.Logger
		}
		so.Zone = d.cfg.Summary.Zone()
		s, err := notifier.NewSlack(d.cfg.Slack, so)
		if err != nil {
			return fmt.Errorf("set up Slack: %w", err)
		}
		d.notifier = s
		d.notifiers = append(d.notifiers, "slack")
	default:
		d.notifiers = append(d.notifiers, "log")
	}
	return nil
}
