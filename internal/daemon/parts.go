package daemon

import (
	"context"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/health"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// The parts a configuration's clusters and event queue make (jobs,
// accounts, pollers, schedule checks, event clusters, the consumer, the
// account checks and their health loops) are what a reload replaces;
// Daemon.mu guards them.
// The state, history, open incidents, dispatcher (summary window, storms),
// notifiers, the state store and the lease stay.

// carriedTrackers are a cluster's incident trackers, handed from the
// parts a reload replaces to the new ones.
type carriedTrackers struct{ poll, schedules *monitor.Tracker }

// register adds a loop of the reloadable parts to the health registry,
// remembering it so a reload can take it out again.
func (d *Daemon) register(name string, interval time.Duration) *health.Loop {
	l := d.health.Register(name, interval)
	d.loops = append(d.loops, l)
	return l
}

// account is the account of a cluster, zero when the clusters are all in
// one account.
func (d *Daemon) account(cluster string) monitor.Account {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.accounts[cluster]
}

// stormPolicy gives each job its storm threshold and window, as its
// JobRef resolves them (the job's own settings, else the [events] ones).
func (d *Daemon) stormPolicy(cluster, job string) (int, time.Duration) {
	d.mu.RLock()
	js, ev := d.jobs[cluster], d.cfg.Events
	d.mu.RUnlock()
	if js == nil {
		return ev.StormThreshold, ev.StormWindow.Duration
	}
	r := js.Named(job)
	return r.StormThreshold, r.StormWindow
}

// route gives a job's route as its JobRef resolves it, for what the
// dispatcher posts from the store (shared storm roll-ups).
func (d *Daemon) route(cluster, job string) monitor.Route {
	d.mu.RLock()
	js := d.jobs[cluster]
	d.mu.RUnlock()
	if js == nil {
		return monitor.Route{}
	}
	return js.Named(job).Route
}

// buildParts builds the reloadable parts of cfg into a staging daemon that
// shares every lasting part with d. Each cluster that stays takes over its
// incident trackers from d's parts, which must have stopped.
func (d *Daemon) buildParts(ctx context.Context, cfg *config.Config) (*Daemon, error) {
	n := &Daemon{cfg: cfg, o: d.o, log: d.log,
		datadog: d.datadog, metrics: d.metrics, notifier: d.notifier, notifiers: d.notifiers,
		state: d.state, health: d.health, dispatcher: d.dispatcher, history: d.history, incidents: d.incidents,
		store: d.store, leader: d.leader, owner: d.owner, // the state store and the lease outlive a reload
		launch:  d.launch, // built once at start; the new parts feed and read the same (adopt hands it the clusters)
		carried: map[string]carriedTrackers{}}
	for i, c := range d.cfg.Clusters {
		n.carried[c.Name] = carriedTrackers{poll: d.pollers[i].Tracker(), schedules: d.schedules[i].Tracker()}
	}
	n.accounts = resolveAccounts(ctx, cfg, d.log, callerAccount)
	n.buildJobs()
	for _, c := range cfg.Clusters {
		if err := n.buildCluster(ctx, c); err != nil {
			n.removeLoops()
			return nil, err
		}
	}
	if err := n.buildEvents(ctx); err != nil {
		n.removeLoops()
		return nil, err
	}
	if err := n.buildAccountChecks(ctx, d.checks); err != nil {
		n.removeLoops()
		return nil, err
	}
	return n, nil
}

// adopt makes n's parts d's, and takes d's old loops out of the registry.
func (d *Daemon) adopt(n *Daemon) {
	d.mu.Lock()
	old := d.loops
	d.cfg, d.jobs, d.accounts = n.cfg, n.jobs, n.accounts
	d.pollers, d.schedules, d.eventClusters, d.backfills = n.pollers, n.schedules, n.eventClusters, n.backfills
	d.events, d.queue, d.checks, d.loops = n.events, n.queue, n.checks, n.loops
	d.mu.Unlock()
	// Refused launches are matched against the clusters monitored now.
	d.launch.launches.SetClusters(n.eventClusters)
	for _, l := range old {
		l.Remove()
	}
}

// removeLoops takes the parts' health loops out of the registry.
func (d *Daemon) removeLoops() {
	for _, l := range d.loops {
		l.Remove()
	}
}
