package monitor

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Leadership says whether this replica may do the poll-side work now
// (polls, schedule checks, the summary), and under which fence (the lease
// version, written with every incident snapshot). *Leader implements it;
// nil means a single replica, always leading.
type Leadership interface {
	Leading() (fence int64, ok bool)
	// Deposed tells that a write under fence was refused because a newer
	// leader wrote: stop leading at once.
	Deposed(fence int64)
}

// LeaderOptions configure a Leader. Store, Owner, Duration and
// RenewInterval are required ([state] lease_duration and renew_interval).
type LeaderOptions struct {
	Store         LeaseStore
	Owner         string
	Duration      time.Duration
	RenewInterval time.Duration
	Metrics       Metrics
	Logger        *slog.Logger
	Now           func() time.Time
}

// Leader holds the leadership lease: it renews it every RenewInterval
// while it holds it, and tries to take it as often while another replica
// does. It leads only until one renewal interval before its lease could
// be taken over, so a leader that cannot renew (it stalls, or the table
// answers that another holds the lease) stops before its successor starts.
//
// When the store cannot be reached at all, the Leader keeps the role it
// had (a replica that never reached it leads): two replicas may then both
// alert, but none falls silent.
type Leader struct {
	o   LeaderOptions
	log *slog.Logger

	mu      sync.Mutex
	lease   Lease     // the lease as last taken or renewed
	until   time.Time // leads until then, unless renewed
	known   bool      // the store has answered at least once
	held    bool      // another replica holds the lease, as last answered
	leading bool      // as last logged
	noted   bool      // the role was logged once
}

// NewLeader builds a Leader; call Step once to take the lease at start-up
// and then Run.
func NewLeader(o LeaderOptions) *Leader {
	d := withDefaults(o.Metrics, o.Logger, o.Now)
	o.Metrics, o.Logger, o.Now = d.metrics, d.logger, d.now
	require("NewLeader", "Store", o.Store != nil)
	require("NewLeader", "Owner", o.Owner != "")
	require("NewLeader", "Duration", o.Duration > 0)
	require("NewLeader", "RenewInterval", o.RenewInterval > 0 && o.RenewInterval < o.Duration)
	return &Leader{o: o, log: o.Logger.With("component", "leader", "owner", o.Owner)}
}

// Run renews or tries to take the lease every RenewInterval until ctx is
// cancelled. It does not release the lease: Release does, once the work
// the lease guards (the final summary) is done.
func (l *Leader) Run(ctx context.Context) error {
	t := time.NewTicker(l.o.RenewInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			l.Step(ctx)
		}
	}
}

// Step renews or takes the lease once.
func (l *Leader) Step(ctx context.Context) {
	now := l.o.Now()
	lease, err := l.o.Store.AcquireLease(ctx, l.o.Owner, now, l.o.Duration)
	if ctx.Err() != nil {
		return
	}
	l.mu.Lock()
	switch {
	case err == nil:
		l.known, l.held = true, false
		l.lease = lease
		l.until = now.Add(l.o.Duration - l.o.RenewInterval)
	case errors.Is(err, ErrLeaseHeld):
		l.known, l.held = true, true
		l.until = time.Time{}
	case !l.known || now.Before(l.until):
		// The store cannot answer: keep the role (a replica that never
		// reached it leads), renewed as if the lease had been.
		l.until = now.Add(l.o.Duration - l.o.RenewInterval)
	}
	l.mu.Unlock()
	l.note(now)
}

// note logs and counts a change of role.
func (l *Leader) note(now time.Time) {
	l.mu.Lock()
	leading := now.Before(l.until)
	changed := leading != l.leading || !l.noted
	l.leading, l.noted = leading, true
	fence := l.lease.Version
	l.mu.Unlock()
	if !changed {
		return
	}
	v := 0.0
	if leading {
		v = 1
		l.log.Info("leading: this replica polls, checks schedules and sends the summary", "fence", fence)
	} else {
		l.log.Info("standing by: another replica leads", "fence", fence)
	}
	l.o.Metrics.Gauge("leader", v, nil)
}

// Leading implements Leadership.
func (l *Leader) Leading() (int64, bool) {
	now := l.o.Now()
	l.mu.Lock()
	fence, ok := l.lease.Version, now.Before(l.until)
	l.mu.Unlock()
	return fence, ok
}

// Standby says whether another replica holds the lease, as the store last
// answered (or a fenced write told). It is not merely "not leading": a
// leader whose renewal is late leads no more but stands by only once the
// store names another holder, and leading again then means a new lease
// version, under which its trackers load the stored incidents afresh.
func (l *Leader) Standby() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held
}

// Deposed implements Leadership.
func (l *Leader) Deposed(fence int64) {
	l.mu.Lock()
	if fence == l.lease.Version {
		l.until, l.held = time.Time{}, true
	}
	l.mu.Unlock()
	l.log.Warn("deposed: a newer leader wrote the state", "fence", fence)
	l.note(l.o.Now())
}

// Release gives the lease up if this replica holds it, so a standby takes
// over at its next try instead of after the lease expires.
func (l *Leader) Release(ctx context.Context) {
	l.mu.Lock()
	lease, held := l.lease, l.o.Now().Before(l.until) && l.lease.Owner == l.o.Owner
	l.until = time.Time{}
	l.mu.Unlock()
	if !held {
		return
	}
	if err := l.o.Store.ReleaseLease(ctx, lease); err != nil {
		l.log.Warn("lease not released; a standby takes over when it expires", "err", err)
		return
	}
	l.log.Info("lease released", "fence", lease.Version)
}
