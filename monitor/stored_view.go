package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
)

// StoredView keeps what a replica's status page shows in step with the
// state store, which the other replica writes too. Every Interval:
//
//   - each cluster's stored run history is merged into History, on every
//     replica: each one records the runs of the events it consumed, and
//     RunArchive adds them to the store, so both pages show every run;
//   - while another replica leads, this one runs no poll-side tracker:
//     the open incidents stored by the leader's poller and schedule checks
//     are what Incidents shows (Follow). Leading, Incidents shows the
//     replica's own again (Lead), which its trackers carried on.
//
// It only reads, and hands nothing to the dispatcher: nothing it reads is
// alerted or counted in the summary window. A read that fails keeps what
// the last one read, logged once per change of failure.
type StoredView struct {
	o     StoredViewOptions
	log   *slog.Logger
	last  map[string][]Finding // by scope: the open incidents as last read
	fails failureLog
}

// StoredViewStore is what StoredView reads.
type StoredViewStore interface {
	LoadIncidents(ctx context.Context, scope string) ([]IncidentRecord, error)
	LoadRuns(ctx context.Context, cluster string) ([]StoredRun, error)
}

// Standing says whether this replica leads, or another replica does;
// *Leader implements it.
type Standing interface {
	Leading() (fence int64, ok bool)
	Standby() bool
}

// StoredViewOptions configure a StoredView. Store, History, Incidents,
// Leader, Clusters, Interval and Timeout are required. After defaults
// to time.After; AfterRefresh, when set, is called after each refresh with
// its error (the health loop).
type StoredViewOptions struct {
	Store     StoredViewStore
	History   *History
	Incidents *Incidents
	Leader    Standing
	// Clusters are the clusters configured now (a reload changes them).
	Clusters func() []config.Cluster
	Interval time.Duration // the roll-up interval, at which RunArchive writes
	// Timeout bounds one refresh, every read of it: a slow table leaves
	// the page as it was, never holds the loop past its health interval.
	Timeout      time.Duration
	Logger       *slog.Logger
	Now          func() time.Time
	After        func(time.Duration) <-chan time.Time
	AfterRefresh func(error)
}

// NewStoredView returns a StoredView.
func NewStoredView(o StoredViewOptions) *StoredView {
	d := withDefaults(nil, o.Logger, o.Now)
	o.Logger, o.Now = d.logger, d.now
	if o.After == nil {
		o.After = time.After
	}
	require("NewStoredView", "Store", o.Store != nil)
	require("NewStoredView", "History", o.History != nil)
	require("NewStoredView", "Incidents", o.Incidents != nil)
	require("NewStoredView", "Leader", o.Leader != nil)
	require("NewStoredView", "Clusters", o.Clusters != nil)
	require("NewStoredView", "Interval", o.Interval > 0)
	require("NewStoredView", "Timeout", o.Timeout > 0)
	return &StoredView{o: o, log: o.Logger.With("component", "stored-view"), last: map[string][]Finding{}}
}

// Run refreshes at once, then every Interval until ctx is done.
func (v *StoredView) Run(ctx context.Context) error {
	for {
		err := v.Refresh(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if v.o.AfterRefresh != nil {
			v.o.AfterRefresh(err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-v.o.After(v.o.Interval):
		}
	}
}

// Refresh reads the store once: one GetItem per cluster for the runs and,
// standing by, two for the open incidents. It is Run's: call it only where
// Run is not running (tests).
func (v *StoredView) Refresh(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(ctx, v.o.Timeout)
	defer cancel()
	clusters := v.o.Clusters()
	var errs []error
	for _, c := range clusters {
		runs, err := v.o.Store.LoadRuns(rctx, c.Name)
		if err != nil {
			errs = append(errs, fmt.Errorf("read the run history of %s: %w", c.Name, err))
			continue
		}
		v.o.History.Restore(c.Name, runs)
	}
	switch _, leading := v.o.Leader.Leading(); {
	case leading:
		v.o.Incidents.Lead()
		clear(v.last) // a later standby reads afresh
	case v.o.Leader.Standby():
		errs = append(errs, v.follow(rctx, clusters)...)
	}
	// Neither: a leader whose renewal is late. It keeps what it shows
	// until the store says who leads.
	err := errors.Join(errs...)
	v.report(ctx, err)
	return err
}

// follow reads the stored open incidents of clusters and has Incidents
// show them; a scope whose read fails keeps what was read last.
func (v *StoredView) follow(ctx context.Context, clusters []config.Cluster) []error {
	var errs []error
	now := v.o.Now()
	last := map[string][]Finding{}
	var all []Finding
	for _, c := range clusters {
		for _, scope := range []string{pollScope(c), schedulesScope(c)} {
			recs, err := v.o.Store.LoadIncidents(ctx, scope)
			if err != nil {
				errs = append(errs, fmt.Errorf("read the open incidents of %s: %w", scope, err))
				if fs, ok := v.last[scope]; ok {
					last[scope] = fs
				}
			} else {
				last[scope] = storedFindings(recs, now)
			}
			all = append(all, last[scope]...)
		}
	}
	v.last = last
	v.o.Incidents.Follow(all, v.o.Leader.Standby)
	return errs
}

// report logs a refresh's failure once per change, and its recovery.
func (v *StoredView) report(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	was := v.fails.failing()
	if !v.fails.changed(err) {
		return
	}
	switch {
	case err != nil:
		v.log.Warn("stored state not read; the status page keeps what was read last", "err", err)
	case was:
		v.log.Info("stored state read again")
	}
}
