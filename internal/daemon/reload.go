package daemon

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"

	"golang.org/x/sync/errgroup"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
)

type reloadRequest struct {
	ctx  context.Context
	cfg  *config.Config
	done chan error
}

// Reload replaces the running configuration's clusters, jobs, event queue
// and account checks ([quota], [events] failed_invocations) with cfg's,
// which the caller has validated: the pollers, schedule checks, event
// consumer and account checks stop (finishing in-flight work, as at
// shutdown), and new ones start from cfg, as do the clusters refused
// launches are matched against. Open incidents stay open (each cluster
// and account scope that stays keeps its trackers), the summary window
// and storm roll-ups go on, and nothing already alerted is alerted again.
// Settings only read at start (slack, datadog, summary, health, shutdown,
// state, heartbeat, config_refresh, events.rollup_interval and
// events.scheduler_dlq_url) are kept, and a warning names the ones that
// differ. An error leaves the old configuration running.
func (d *Daemon) Reload(ctx context.Context, cfg *config.Config) error {
	req := reloadRequest{ctx: ctx, cfg: cfg, done: make(chan error, 1)}
	select {
	case d.reloads <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runParts runs the current parts until ctx ends, replacing them when a
// reload arrives.
func (d *Daemon) runParts(ctx context.Context) error {
	for {
		d.mu.RLock()
		pollers, schedules, events, checks := d.pollers, d.schedules, d.events, d.checks
		d.mu.RUnlock()
		pctx, stop := context.WithCancel(ctx)
		g, gctx := errgroup.WithContext(pctx)
		for _, p := range pollers {
			g.Go(func() error { return p.Loop(gctx) })
		}
		for _, s := range schedules {
			g.Go(func() error { return s.Run(gctx) })
		}
		if events != nil {
			g.Go(func() error { return events.Run(gctx) })
		}
		for _, run := range checks.runners() {
			g.Go(func() error { return run(gctx) })
		}
		finished := make(chan error, 1)
		go func() { finished <- g.Wait() }()

		select {
		case err := <-finished:
			stop()
			return err
		case req := <-d.reloads:
			stop()
			if err := <-finished; err != nil && !errors.Is(err, context.Canceled) {
				req.done <- fmt.Errorf("stop the running parts: %w", err)
				return err
			}
			if ctx.Err() != nil {
				req.done <- ctx.Err()
				return nil
			}
			// The old parts have stopped: their trackers can be handed
			// over. If the new parts cannot be made, the old ones run on.
			next, err := d.buildParts(req.ctx, req.cfg)
			if err != nil {
				req.done <- err
				continue
			}
			old := d.cfg
			d.adopt(next)
			d.logReload(old, req.cfg)
			req.done <- nil
		}
	}
}

// logReload logs what changed, and which changes wait for a restart.
func (d *Daemon) logReload(old, cur *config.Config) {
	var later []string
	for name, same := range map[string]bool{
		"slack":          reflect.DeepEqual(old.Slack, cur.Slack),
		"datadog":        reflect.DeepEqual(old.Datadog, cur.Datadog),
		"summary":        reflect.DeepEqual(old.Summary, cur.Summary),
		"health":         reflect.DeepEqual(old.Health, cur.Health),
		"shutdown":       reflect.DeepEqual(old.Shutdown, cur.Shutdown),
		"state":          reflect.DeepEqual(old.State, cur.State),
		"heartbeat":      reflect.DeepEqual(old.Heartbeat, cur.Heartbeat),
		"config_refresh": old.ConfigRefresh == cur.ConfigRefresh,
		// The dispatcher's, archive's and page's tick, and the dead-letter
		// queue's consumer, are built once.
		"events.rollup_interval":   old.Events.RollupInterval == cur.Events.RollupInterval,
		"events.scheduler_dlq_url": old.Events.SchedulerDLQURL == cur.Events.SchedulerDLQURL,
	} {
		if !same {
			later = append(later, name)
		}
	}
	sort.Strings(later)
	clusters := make([]string, 0, len(cur.Clusters))
	for _, c := range cur.Clusters {
		clusters = append(clusters, c.Name+"@"+c.Region)
	}
	if len(later) > 0 {
		d.log.Warn("configuration reloaded; these settings take effect at the next restart", "clusters", clusters, "restart_needed", later)
		return
	}
	d.log.Info("configuration reloaded", "clusters", clusters, "events", cur.Events.Enabled())
}
