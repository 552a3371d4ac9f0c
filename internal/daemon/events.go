package daemon

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// buildEvents builds the SQS event consumer when [events] queue_url is
// set. It needs every cluster built first.
func (d *Daemon) buildEvents(ctx context.Context) error {
	cfg := d.cfg
	if !cfg.Events.Enabled() {
		return nil
	}
	// A receive returns at least every wait_time; the visibility
	// timeout is the bound a stuck handler could hold the loop for.
	receiving := d.register("events", max(cfg.Events.WaitTime.Duration, cfg.Events.VisibilityTimeout.Duration))
	awsCfg, err := awsConfig(ctx, cfg.Events.Region, roleOptions{})
	if err != nil {
		return fmt.Errorf("events queue: %w", err)
	}
	queue := sqs.NewFromConfig(awsCfg)
	d.queue = queue
	d.events = monitor.NewEvents(monitor.EventsOptions{
		Config:       cfg.Events,
		SQS:          queue,
		Clusters:     d.eventClusters,
		State:        d.state,
		Sink:         d.dispatcher,
		Metrics:      d.metrics,
		Logger:       d.o.Logger,
		Now:          d.o.Now,
		DrainTimeout: drainTimeout(cfg),
		OnTask:       d.observeStart(d.jobs),
		History:      d.history,
		Findings:     d.dispatcher,
		Launches:     d.launch.launches,
		AfterReceive: afterCycle(receiving),
		Claims:       d.shared(),
		Owner:        d.owner,
	})
	return nil
}

// observeStart tells the schedule checks of every task start an event
// reports.
func (d *Daemon) observeStart(jobs map[string]*monitor.Jobs) func(cluster string, t monitor.Task) {
	byCluster := map[string]*monitor.Schedules{}
	for i, c := range d.cfg.Clusters {
		byCluster[c.Name] = d.schedules[i]
	}
	return func(cluster string, t monitor.Task) {
		s, js := byCluster[cluster], jobs[cluster]
		if s == nil || js == nil || t.CreatedAt.IsZero() {
			return
		}
		s.ObserveStart(cluster, js.Resolve(t).Name, t.CreatedAt)
	}
}
