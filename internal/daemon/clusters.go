package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// buildCluster builds one cluster's parts, all on the cluster's AWS
// configuration: its poller, its schedule checks and what the event
// consumer needs to know of it.
func (d *Daemon) buildCluster(ctx context.Context, c config.Cluster) error {
	awsCfg, err := awsConfig(ctx, c.Region, roleOptions{ARN: c.RoleARN, ExternalID: c.ExternalID, ExpiryWindow: d.o.CredentialExpiryWindow})
	if err != nil {
		return fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	client := ecs.NewFromConfig(awsCfg)
	d.buildPoller(c, client)
	d.buildSchedules(c, client, awsCfg)
	taskDefs := monitor.NewTaskDefinitions(client, c.Region, d.o.Logger, monitor.WithConsoleURL(d.cfg.Slack.ConsoleURL))
	d.buildEventCluster(c, taskDefs)
	d.buildBackfill(c, client, taskDefs)
	return nil
}

// buildPoller builds the cluster's poller and registers its loop.
func (d *Daemon) buildPoller(c config.Cluster, client *ecs.Client) {
	loop := d.register("poll:"+c.Name, c.PollInterval.Duration)
	d.pollers = append(d.pollers, monitor.NewPoller(monitor.PollerOptions{
		Cluster:   c,
		ECS:       client,
		Jobs:      d.jobs[c.Name],
		State:     d.state,
		Sink:      findingSink{d.dispatcher, d.incidents},
		Metrics:   d.metrics,
		Logger:    d.o.Logger,
		Now:       d.o.Now,
		AfterPoll: afterCycle(loop),
		Tracker:   d.carried[c.Name].poll,
		Incidents: d.store,
		Leader:    d.leadership(),
	}))
}

// buildSchedules builds the cluster's schedule checks (missed runs,
// overruns) over its EventBridge rules and Scheduler schedules.
func (d *Daemon) buildSchedules(c config.Cluster, client *ecs.Client, awsCfg aws.Config) {
	// A check per poll interval; a refresh, which may take a while, holds
	// the same loop.
	loop := d.register("schedules:"+c.Name, c.PollInterval.Duration)
	d.schedules = append(d.schedules, monitor.NewSchedules(monitor.SchedulesOptions{
		Cluster:   c,
		Clusters:  client,
		Events:    eventbridge.NewFromConfig(awsCfg),
		Scheduler: scheduler.NewFromConfig(awsCfg),
		Jobs:      d.jobs[c.Name],
		State:     d.state,
		Sink:      findingSink{d.dispatcher, d.incidents},
		Notes:     d.dispatcher,
		Success:   d.history,
		Launches:  launchLookup{d},
		Metrics:   d.metrics,
		Logger:    d.o.Logger,
		Now:       d.o.Now,
		// A check per poll: overruns are seen as soon as the poll sees
		// the task still running.
		CheckInterval: c.PollInterval.Duration,
		AfterRefresh:  afterCycle(loop),
		AfterCheck:    loop.Beat,
		Tracker:       d.carried[c.Name].schedules,
		Incidents:     d.store,
		Leader:        d.leadership(),
	}))
}

// buildEventCluster records what the event consumer needs to know of the
// cluster: its jobs and its task definitions.
func (d *Daemon) buildEventCluster(c config.Cluster, taskDefs *monitor.TaskDefinitions) {
	d.eventClusters = append(d.eventClusters, monitor.EventCluster{
		Name:     c.Name,
		Region:   c.Region,
		Jobs:     d.jobs[c.Name],
		TaskDefs: taskDefs,
	})
}

// buildBackfill builds the cluster's start-up backfill of run history from
// the tasks ECS still lists as stopped. With an event queue, runs that stop
// once the daemon is up are the events' to judge.
func (d *Daemon) buildBackfill(c config.Cluster, client *ecs.Client, taskDefs *monitor.TaskDefinitions) {
	var before time.Time
	if d.cfg.Events.Enabled() {
		before = d.o.Now()
	}
	d.backfills = append(d.backfills, monitor.NewBackfill(monitor.BackfillOptions{
		Cluster: c.Name, ECS: client, Jobs: d.jobs[c.Name], TaskDefs: taskDefs, History: d.history, Logger: d.o.Logger, Now: d.o.Now,
		Before: before,
	}))
}
