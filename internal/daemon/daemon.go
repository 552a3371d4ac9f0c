// Package daemon assembles the monitor from configuration: AWS clients,
// notifiers, pollers, the event consumer, the dispatcher and the health
// endpoint, and runs them under one context. main and the demo both use
// it, so the demo runs exactly the daemon that ships.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"golang.org/x/sync/errgroup"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/health"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/web"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/notifier"
)

// Options are what the caller supplies beyond the configuration.
type Options struct {
	Logger  *slog.Logger
	Version string
	// Notifier replaces the configured Slack notifier (the demo renders to
	// a terminal when no Slack is configured). Nil: Slack if configured,
	// else findings go to the log only.
	Notifier monitor.Notifier
	// SlackOptions tune the Slack notifier (tests shorten its pacing).
	SlackOptions notifier.SlackOptions
	// StatsdOptions are extra DogStatsD client options (tests turn off
	// telemetry and aggregation to read exact datagrams).
	StatsdOptions []statsd.Option
	// HealthListener, when set, serves the health endpoint instead of
	// listening on [health] listen (tests use a free port).
	HealthListener net.Listener
	Now            func() time.Time
}

// Daemon is the assembled monitor.
type Daemon struct {
	cfg        *config.Config
	o          Options
	log        *slog.Logger
	state      *monitor.State
	dispatcher *monitor.Dispatcher
	pollers    []*monitor.Poller
	schedules  []*monitor.Schedules
	events     *monitor.Events
	metrics    *notifier.Datadog
	health     *health.Registry
	notifiers  []string
	history    *monitor.History
	incidents  *monitor.Incidents
	backfills  []*monitor.Backfill
	jobs       map[string]*monitor.Jobs // by cluster name
}

// New builds the daemon. It makes no AWS call: problems with credentials
// or permissions surface in the first poll, as monitor_error findings.
func New(ctx context.Context, cfg *config.Config, o Options) (*Daemon, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	d := &Daemon{cfg: cfg, o: o, log: o.Logger, state: monitor.NewState(), health: health.NewRegistry(o.Now),
		history: monitor.NewHistory(o.Now), incidents: monitor.NewIncidents()}

	var metrics monitor.Metrics = monitor.NopMetrics{}
	if cfg.Datadog.Address != "" {
		dd, err := notifier.NewDatadog(cfg.Datadog, o.Logger, o.StatsdOptions...)
		if err != nil {
			return nil, fmt.Errorf("set up Datadog: %w", err)
		}
		d.metrics, metrics = dd, dd
		d.notifiers = append(d.notifiers, "datadog")
	}

	n := o.Notifier
	switch {
	case n != nil:
		d.notifiers = append(d.notifiers, "custom")
	case cfg.Slack.Enabled():
		so := o.SlackOptions
		if so.Logger == nil {
			so.Logger = o.Logger
		}
		so.Zone = cfg.Summary.Zone()
		s, err := notifier.NewSlack(cfg.Slack, so)
		if err != nil {
			return nil, fmt.Errorf("set up Slack: %w", err)
		}
		n = s
		d.notifiers = append(d.notifiers, "slack")
	default:
		// The dispatcher logs every finding and, with no notifier, the
		// summaries too.
		d.notifiers = append(d.notifiers, "log")
	}

	jobs := map[string]*monitor.Jobs{}
	for _, c := range cfg.Clusters {
		jobs[c.Name] = monitor.NewJobs(c, cfg.Events)
	}
	d.jobs = jobs
	d.dispatcher = monitor.NewDispatcher(monitor.DispatcherOptions{
		Notifier:        n,
		Metrics:         metrics,
		Logger:          o.Logger,
		Now:             o.Now,
		SummarySchedule: cfg.Summary.Schedule,
		SendEmpty:       cfg.Summary.SendEmpty,
		RollupInterval:  cfg.Events.RollupInterval.Duration,
		DrainTimeout:    drainTimeout(cfg),
		StormPolicy:     stormPolicy(jobs, cfg.Events),
		History:         d.history,
	})
	sink := findingSink{d.dispatcher, d.incidents}

	var eventClusters []monitor.EventCluster
	for _, c := range cfg.Clusters {
		awsCfg, err := awsConfig(ctx, c.Region, c.RoleARN)
		if err != nil {
			return nil, fmt.Errorf("cluster %s: %w", c.Name, err)
		}
		client := ecs.NewFromConfig(awsCfg)
		loop := d.health.Register("poll:"+c.Name, c.PollInterval.Duration)
		d.pollers = append(d.pollers, monitor.NewPoller(monitor.PollerOptions{
			Cluster: c,
			ECS:     client,
			Jobs:    jobs[c.Name],
			State:   d.state,
			Sink:    sink,
			Metrics: metrics,
			Logger:  o.Logger,
			Now:     o.Now,
			AfterPoll: func(error) {
				// A poll that reached AWS and failed still proves the loop
				// runs; the failure itself is a monitor_error finding.
				loop.Beat()
				loop.Ready()
			},
		}))
		d.schedules = append(d.schedules, monitor.NewSchedules(monitor.SchedulesOptions{
			Cluster:   c,
			Clusters:  client,
			Events:    eventbridge.NewFromConfig(awsCfg),
			Scheduler: scheduler.NewFromConfig(awsCfg),
			Jobs:      jobs[c.Name],
			State:     d.state,
			Sink:      sink,
			Notes:     d.dispatcher,
			Success:   d.history,
			Metrics:   metrics,
			Logger:    o.Logger,
			Now:       o.Now,
		}))
		taskDefs := monitor.NewTaskDefinitions(client, c.Region, o.Logger, monitor.WithConsoleURL(cfg.Slack.ConsoleURL))
		eventClusters = append(eventClusters, monitor.EventCluster{
			Name:     c.Name,
			Region:   c.Region,
			Jobs:     jobs[c.Name],
			TaskDefs: taskDefs,
		})
		d.backfills = append(d.backfills, monitor.NewBackfill(monitor.BackfillOptions{
			Cluster: c.Name, ECS: client, Jobs: jobs[c.Name], TaskDefs: taskDefs, History: d.history, Logger: o.Logger, Now: o.Now,
		}))
	}

	if cfg.Events.Enabled() {
		// A receive returns at least every wait_time; the visibility
		// timeout is the bound a stuck handler could hold the loop for.
		receiving := d.health.Register("events", max(cfg.Events.WaitTime.Duration, cfg.Events.VisibilityTimeout.Duration))
		awsCfg, err := awsConfig(ctx, cfg.Events.Region, "")
		if err != nil {
			return nil, fmt.Errorf("events queue: %w", err)
		}
		d.events = monitor.NewEvents(monitor.EventsOptions{
			Config:       cfg.Events,
			SQS:          sqs.NewFromConfig(awsCfg),
			Clusters:     eventClusters,
			State:        d.state,
			Sink:         d.dispatcher,
			Metrics:      metrics,
			Logger:       o.Logger,
			Now:          o.Now,
			DrainTimeout: drainTimeout(cfg),
			OnTask:       d.observeStart(jobs),
			History:      d.history,
			Findings:     d.dispatcher,
			AfterReceive: func(error) {
				// A receive that failed still proves the loop runs; the
				// consumer logs the failure itself.
				receiving.Beat()
				receiving.Ready()
			},
		})
	}
	d.health.Mount(web.Handler(web.Options{Source: d.statusPage(), Now: o.Now, Logger: o.Logger}))
	return d, nil
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

// drainTimeout is the share of the shutdown budget each stage may use to
// finish its work; stages drain one after the other.
func drainTimeout(cfg *config.Config) time.Duration {
	t := cfg.Shutdown.Timeout.Duration
	if t <= 0 {
		t = 25 * time.Second
	}
	return t / 3
}

// stormPolicy gives each job its storm threshold and window, as its
// JobRef resolves them (the job's own settings, else the [events] ones).
func stormPolicy(jobs map[string]*monitor.Jobs, ev config.Events) func(cluster, job string) (int, time.Duration) {
	return func(cluster, job string) (int, time.Duration) {
		js := jobs[cluster]
		if js == nil {
			return ev.StormThreshold, ev.StormWindow.Duration
		}
		r := js.Named(job)
		return r.StormThreshold, r.StormWindow
	}
}

// Run runs every part until ctx is cancelled, then shuts down in order:
// producers (pollers, event consumer) stop and finish their in-flight
// work first, while the dispatcher still delivers; then the dispatcher
// drains its queue, closes storm roll-ups and flushes the partial summary.
func (d *Daemon) Run(ctx context.Context) error {
	dctx, stopDispatcher := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDispatcher()
	dispatched := make(chan error, 1)
	go func() { dispatched <- d.dispatcher.Run(dctx) }()

	d.startup(ctx)

	g, gctx := errgroup.WithContext(ctx)
	for _, p := range d.pollers {
		g.Go(func() error { return p.Loop(gctx) })
	}
	for _, s := range d.schedules {
		g.Go(func() error { return s.Run(gctx) })
	}
	if d.events != nil {
		g.Go(func() error { return d.events.Run(gctx) })
	}
	if d.o.HealthListener != nil {
		g.Go(func() error { return d.health.ServeListener(gctx, d.o.HealthListener, d.log) })
	} else if d.cfg.Health.Listen != "" {
		g.Go(func() error { return d.health.Serve(gctx, d.cfg.Health.Listen, d.log) })
	}
	err := g.Wait()
	stopDispatcher()
	if derr := <-dispatched; derr != nil {
		err = errors.Join(err, derr)
	}
	if d.metrics != nil {
		if cerr := d.metrics.Close(); cerr != nil {
			d.log.Warn("closing DogStatsD client", "err", cerr)
		}
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	d.log.Info("ecs-cron-monitor stopped")
	return nil
}

// Once polls every cluster once and returns the findings (every open
// condition, as an Opened transition). Nothing is delivered.
func (d *Daemon) Once(ctx context.Context) []monitor.Finding {
	var out []monitor.Finding
	now := d.o.Now()
	for _, p := range d.pollers {
		fs, _ := p.Poll(ctx, now)
		out = append(out, fs...)
	}
	return out
}

// Health returns the daemon's health registry.
func (d *Daemon) Health() *health.Registry { return d.health }

// startup makes every cluster's first poll, concurrently, and logs one
// line saying what runs and every problem found, so a missing permission
// (AWS names the action: "not authorized to perform: ecs:ListTasks") is
// in the first screen of logs, not found later in a Slack alert.
func (d *Daemon) startup(ctx context.Context) {
	var (
		mu       sync.Mutex
		problems []string
		wg       sync.WaitGroup
	)
	for i, p := range d.pollers {
		wg.Go(func() {
			if err := p.PollAndReport(ctx); err != nil && ctx.Err() == nil {
				mu.Lock()
				problems = append(problems, "cluster "+p.Cluster()+": "+err.Error())
				mu.Unlock()
			}
			// After the first poll, whose error says it better, and before
			// events flow: a run both backfilled and reported counts once.
			if _, err := d.backfills[i].Run(ctx); err != nil && ctx.Err() == nil {
				d.log.Warn("run history not backfilled", "cluster", p.Cluster(), "err", err)
			}
		})
	}
	wg.Wait()
	sort.Strings(problems)
	attrs := append(d.startupAttrs(), "problems", problems)
	if len(problems) > 0 {
		d.log.Warn("ecs-cron-monitor started with problems", attrs...)
		return
	}
	d.log.Info("ecs-cron-monitor started", attrs...)
}

func (d *Daemon) startupAttrs() []any {
	clusters := make([]string, 0, len(d.cfg.Clusters))
	for _, c := range d.cfg.Clusters {
		clusters = append(clusters, c.Name+"@"+c.Region)
	}
	attrs := []any{"version", d.o.Version, "clusters", clusters, "notifiers", d.notifiers,
		"events", d.cfg.Events.Enabled(), "summary", d.cfg.Summary.Schedule}
	if !d.cfg.Slack.Enabled() && d.o.Notifier == nil {
		attrs = append(attrs, "note", "no Slack configured: findings go to the log only")
	}
	return attrs
}
