package daemon

import (
	"context"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/health"
)

// buildHealth creates the registry every loop registers with; the builders
// of the loops register them.
func (d *Daemon) buildHealth() {
	d.health = health.NewRegistry(d.o.Now)
}

// afterCycle is the hook a loop calls after each cycle with its error. A
// failed cycle still proves the loop turns (liveness: the failure itself
// is a finding or a log line); only a good one makes it ready.
func afterCycle(loop *health.Loop) func(error) {
	return func(err error) {
		loop.Beat()
		if err == nil {
			loop.Ready()
		}
	}
}

// serveHealth serves /healthz and /readyz on the caller's listener, else on
// [health] listen, until ctx is cancelled; with neither it returns nil.
func (d *Daemon) serveHealth(ctx context.Context, listen string) error {
	if d.o.HealthListener != nil {
		return d.health.ServeListener(ctx, d.o.HealthListener, d.log)
	}
	if listen != "" {
		return d.health.Serve(ctx, listen, d.log)
	}
	return nil
}
