package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// launchParts are the launch-failure sources built once, at start: the
// component every source reports to, and the Scheduler dead-letter queue.
// The event queue's and the rules' FailedInvocations sources are rebuilt
// by a reload (events.go, account_checks.go).
type launchParts struct {
	launches *monitor.Launches
	dlq      *monitor.SchedulerDLQ
}

// buildLaunches builds the component every launch-failure source reports
// to (CloudTrail records on the event queue, the Scheduler dead-letter
// queue, the rules' FailedInvocations).
// It needs every cluster built first.
func (d *Daemon) buildLaunches() {
	d.launch.launches = monitor.NewLaunches(monitor.LaunchesOptions{
		Clusters: d.eventClusters, Sink: d.dispatcher, History: d.history,
		Metrics: d.metrics, Logger: d.log, Now: d.o.Now,
		// As the event consumer claims stopped runs: held as long as a
		// delivery may keep its message hidden.
		Claims: d.shared(), Owner: d.owner,
		ClaimHold: 2 * max(d.cfg.Events.VisibilityTimeout.Duration, time.Second),
	})
}

// launchLookup lets the schedule checks, built before Launches, ask it why
// a run did not start.
type launchLookup struct{ d *Daemon }

func (l launchLookup) LaunchFailure(cluster, job string, since time.Time) (monitor.Cause, string, bool) {
	if l.d.launch.launches == nil {
		return "", "", false
	}
	return l.d.launch.launches.LaunchFailure(cluster, job, since)
}

// buildSchedulerDLQ consumes [events] scheduler_dlq_url, when set.
func (d *Daemon) buildSchedulerDLQ(ctx context.Context) error {
	ev := d.cfg.Events
	if ev.SchedulerDLQURL == "" {
		return nil
	}
	awsCfg, err := awsConfig(ctx, ev.Region, roleOptions{})
	if err != nil {
		return fmt.Errorf("scheduler dead-letter queue: %w", err)
	}
	loop := d.health.Register("scheduler_dlq", max(ev.WaitTime.Duration, ev.VisibilityTimeout.Duration))
	d.launch.dlq = monitor.NewSchedulerDLQ(monitor.SchedulerDLQOptions{
		QueueURL: ev.SchedulerDLQURL, SQS: sqs.NewFromConfig(awsCfg), Launches: d.launch.launches,
		Metrics: d.metrics, Logger: d.log, WaitTime: ev.WaitTime.Duration,
		AfterReceive: afterCycle(loop),
	})
	return nil
}

// launchSources names the launch-failure sources that run, for the
// start-up line.
func (d *Daemon) launchSources() []string {
	out := []string{}
	if d.events != nil {
		out = append(out, monitor.LaunchSourceCloudTrail)
	}
	if d.launch.dlq != nil {
		out = append(out, monitor.LaunchSourceSchedulerDLQ)
	}
	if len(d.checks.rules) > 0 {
		out = append(out, monitor.LaunchSourceRuleMetric)
	}
	return out
}

// launchRunners are the long-running launch parts built once, for Run.
func (d *Daemon) launchRunners() []func(context.Context) error {
	if d.launch.dlq == nil {
		return nil
	}
	return []func(context.Context) error{d.launch.dlq.Run}
}
