// Package daemon assembles the monitor from configuration: AWS clients,
// notifiers, pollers, the event consumer, the dispatcher and the health
// endpoint, and runs them under one context. main and the demo both use
// it, so the demo runs exactly the daemon that ships.
package daemon

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"
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
	// AccountCheckInterval, when set, replaces the interval of the Fargate
	// quota and FailedInvocations checks (tests and the demo shorten it;
	// default: the shortest poll_interval of the account's clusters, at
	// least 1m).
	AccountCheckInterval time.Duration
	Now                  func() time.Time
	// CredentialExpiryWindow is how long before expiry assumed-role
	// credentials are renewed (tests with seconds-long sessions shorten
	// it). Default 1m.
	CredentialExpiryWindow time.Duration
	// ReplicaID names this replica in the leadership lease; empty: the
	// host name and a random suffix.
	ReplicaID string
}

// Daemon is the assembled monitor.
type Daemon struct {
	cfg *config.Config
	o   Options
	log *slog.Logger

	// Built by the builders, in the order New calls them; a later builder
	// may read what an earlier one built.
	datadog       *notifier.Datadog // nil when Datadog is off; closed by Run
	metrics       monitor.Metrics
	notifier      monitor.Notifier // nil: findings go to the log only
	notifiers     []string         // what New set up, for the start-up line
	jobs          map[string]*monitor.Jobs
	state         *monitor.State
	health        *health.Registry
	dispatcher    *monitor.Dispatcher
	pollers       []*monitor.Poller
	schedules     []*monitor.Schedules
	eventClusters []monitor.EventCluster
	events        *monitor.Events
	queue         monitor.QueueAttributesAPI // the events queue, for Once's check
	history       *monitor.History
	incidents     *monitor.Incidents
	backfills     []*monitor.Backfill
	launch        launchParts
	checks        accountChecks
	accounts      map[string]monitor.Account // nil: one account

	// mu guards what a reload replaces (cfg, jobs, accounts, pollers,
	// schedules, event clusters, events, queue, backfills, checks, loops; see
	// parts.go) against the readers that run meanwhile: the dispatcher's
	// storm policy and account lookup, the status page.
	mu      sync.RWMutex
	loops   []*health.Loop // the reloadable parts' health loops
	carried map[string]carriedTrackers
	// reloads hands a new configuration to Run (see Reload).
	reloads chan reloadRequest
	store   monitor.Store   // [state]: memory, or DynamoDB degrading to memory
	leader  *monitor.Leader // nil with the memory backend: always leading
	owner   string          // this replica in the lease and run claims
	archive *monitor.RunArchive
	table   *monitor.DynamoStore // the table behind store; nil with memory
	view    *monitor.StoredView  // nil with the memory backend
}

// New builds the daemon. It makes no AWS call but, when the clusters span
// accounts, STS GetCallerIdentity (no permission needed) to name its own:
// problems with credentials or permissions surface in the first poll, as
// monitor_error findings.
//
// Each part has one builder (a file per part); a new part adds a builder
// here, after the parts it needs.
func New(ctx context.Context, cfg *config.Config, o Options) (*Daemon, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	d := &Daemon{cfg: cfg, o: o, log: o.Logger, state: monitor.NewState(),
		history: monitor.NewHistory(o.Now), incidents: monitor.NewIncidents(), reloads: make(chan reloadRequest)}
	d.buildHealth()
	d.accounts = resolveAccounts(ctx, cfg, o.Logger, callerAccount)
	if err := d.buildMetrics(); err != nil {
		return nil, err
	}
	// Every metric tagged with a cluster also names its account.
	d.metrics = accountMetrics{next: d.metrics, account: d.account}
	if err := d.buildState(ctx); err != nil {
		return nil, err
	}
	d.buildArchive()
	d.buildStoredView()
	if err := d.buildNotifier(); err != nil {
		return nil, err
	}
	d.buildJobs()
	d.buildDispatcher()
	for _, c := range cfg.Clusters {
		if err := d.buildCluster(ctx, c); err != nil {
			return nil, err
		}
	}
	d.buildLaunches()
	if err := d.buildEvents(ctx); err != nil {
		return nil, err
	}
	if err := d.buildSchedulerDLQ(ctx); err != nil {
		return nil, err
	}
	if err := d.buildAccountChecks(ctx, accountChecks{}); err != nil {
		return nil, err
	}
	d.health.Mount(web.Handler(web.Options{Source: d.statusPage(), Now: o.Now, Logger: o.Logger}))
	return d, nil
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

	d.startLeading(ctx)
	d.restoreHistory(ctx)
	d.startup(ctx)
	// The archive outlives the producers' shutdown, so the runs they
	// record finishing in-flight work are saved too.
	actx, stopArchive := context.WithCancel(context.WithoutCancel(ctx))
	defer stopArchive()
	archived := make(chan error, 1)
	go func() { archived <- d.archive.Run(actx) }()

	// What Run reads of the configuration it reads now: a reload replaces
	// d.cfg (those settings wait for a restart anyway).
	listen, hb := d.cfg.Health.Listen, d.cfg.Heartbeat
	g, gctx := errgroup.WithContext(ctx)
	if d.leader != nil {
		g.Go(func() error { return d.leader.Run(gctx) })
	}
	if d.view != nil {
		g.Go(func() error { return d.view.Run(gctx) })
	}
	g.Go(func() error { return d.runParts(gctx) })
	// The Scheduler dead-letter queue is read from start to stop: a
	// reload leaves it as it is.
	for _, run := range d.launchRunners() {
		g.Go(func() error { return run(gctx) })
	}
	if hb.URL != "" {
		g.Go(func() error {
			return d.health.Heartbeat(gctx, health.HeartbeatOptions{URL: hb.URL.Reveal(), Interval: hb.Interval.Duration, Logger: d.log})
		})
	}
	g.Go(func() error { return d.serveHealth(gctx, listen) })
	err := g.Wait()
	stopArchive()
	<-archived
	stopDispatcher()
	if derr := <-dispatched; derr != nil {
		err = errors.Join(err, derr)
	}
	d.stopLeading(ctx)
	if d.datadog != nil {
		if cerr := d.datadog.Close(); cerr != nil {
			d.log.Warn("closing DogStatsD client", "err", cerr)
		}
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	d.log.Info("ecs-cron-monitor stopped")
	return nil
}

// Once polls every cluster and checks every Fargate quota once and returns
// the findings (every open condition, as an Opened transition), then the
// pre-flight checks
// (monitor.KindCheck): each cluster's rule and schedule discovery, and,
// with [events], whether the queue is reachable. Nothing is delivered.
func (d *Daemon) Once(ctx context.Context) []monitor.Finding {
	var out []monitor.Finding
	now := d.o.Now()
	for _, p := range d.pollers {
		fs, _ := p.Poll(ctx, now)
		for _, f := range fs {
			a := d.account(f.Cluster)
			f.Account, f.AccountAlias = a.ID, a.Alias
			out = append(out, f)
		}
	}
	// After the polls: a task they saw may reveal a cluster's ARN.
	for _, s := range d.schedules {
		out = append(out, s.CheckDiscovery(ctx, now))
	}
	if d.queue != nil {
		out = append(out, monitor.CheckQueue(ctx, d.queue, d.cfg.Events.QueueURL, now))
	}
	return append(out, d.onceAccountFindings(ctx, now)...)
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
	attrs := d.startupAttrs()
	if len(problems) > 0 {
		d.log.Warn("ecs-cron-monitor started with problems", append(attrs, "problems", problems)...)
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
		"events", d.cfg.Events.Enabled(), "summary", d.cfg.Summary.Schedule,
		"launch_sources", d.launchSources(), "fargate_quota", d.cfg.Quota.Enabled}
	if !d.cfg.Slack.Enabled() && d.o.Notifier == nil {
		attrs = append(attrs, "note", "no Slack configured: findings go to the log only")
	}
	return attrs
}
