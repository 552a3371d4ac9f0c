package monitor

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// DegradingStore keeps a daemon alerting when its durable store fails
// (throttling, an outage): every call goes to the durable store first;
// when that fails the memory store answers instead, one monitor_error
// opens, and the writes made meanwhile are kept to replay. The first call
// that succeeds again resolves the monitor_error and replays them, so the
// table catches up. Writes always reach the memory store too, so reading
// back while degraded sees what this daemon wrote.
type DegradingStore struct {
	durable Store
	mem     *MemoryStore
	o       DegradingOptions
	log     *slog.Logger

	mu      sync.Mutex
	down    bool
	probed  time.Time                              // the last durable call while down
	pending map[string]func(context.Context) error // item -> its latest write, to replay
}

// DegradingOptions configure a DegradingStore. Name says which store it
// is in alerts ("DynamoDB table ecs-cron-monitor"); Findings takes the
// monitor_error's transitions (nil: they are only logged).
type DegradingOptions struct {
	Name     string
	Region   string
	Findings FindingHandler
	Logger   *slog.Logger
	Now      func() time.Time
	// CallTimeout bounds one durable call, so a hanging store degrades
	// rather than stalls a poll. Required.
	CallTimeout time.Duration
	// ProbeInterval: while degraded, the durable store is tried at most
	// this often (and by every lease call); other calls go to memory at
	// once, so a throttled table is not pressed harder and a dead one does
	// not slow every poll. Required.
	ProbeInterval time.Duration
}

// NewDegradingStore wraps durable.
func NewDegradingStore(durable Store, o DegradingOptions) *DegradingStore {
	d := withDefaults(nil, o.Logger, o.Now)
	o.Logger, o.Now = d.logger, d.now
	require("NewDegradingStore", "CallTimeout", o.CallTimeout > 0)
	require("NewDegradingStore", "ProbeInterval", o.ProbeInterval > 0)
	return &DegradingStore{durable: durable, mem: NewMemoryStore(), o: o,
		log: o.Logger.With("component", "state"), pending: map[string]func(context.Context) error{}}
}

// answered is what the store's own answers are: not failures of the store.
func answered(err error) bool {
	return err == nil || errors.Is(err, ErrFenced) || errors.Is(err, ErrLeaseHeld) || errors.Is(err, errContended)
}

// call runs one durable call, bounded, and accounts for the store's health.
// replay, when set, is the write to repeat once the store is back (keyed
// by the item it writes: only the latest write of an item is kept).
func (s *DegradingStore) call(ctx context.Context, item string, op func(context.Context) error, replay func(context.Context) error) error {
	if !s.probe(item) {
		s.fail(errStillDown, item, replay)
		return errStillDown
	}
	cctx, cancel := context.WithTimeout(ctx, s.o.CallTimeout)
	err := op(cctx)
	cancel()
	if answered(err) {
		s.up(ctx, item)
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	s.fail(err, item, replay)
	return err
}

// errStillDown answers a call not tried while degraded.
var errStillDown = errors.New("state store unavailable; not tried again yet")

// probe says whether a call goes to the durable store: always while it
// works, and while degraded for the lease and once per ProbeInterval.
func (s *DegradingStore) probe(item string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.o.Now()
	if !s.down || item == leaseKey || now.Sub(s.probed) >= s.o.ProbeInterval {
		s.probed = now
		return true
	}
	return false
}

func (s *DegradingStore) fail(err error, item string, replay func(context.Context) error) {
	s.mu.Lock()
	was := s.down
	s.down = true
	if replay != nil {
		s.pending[item] = replay
	}
	s.mu.Unlock()
	if was {
		return
	}
	s.log.Error("state store failing; carrying on in memory", "store", s.o.Name, "err", err)
	s.report(Finding{
		Kind: KindMonitorError, Severity: SeverityWarning, Transition: Opened,
		Message: "state store unavailable (" + describeErr(err) + "): alerting goes on from memory; a restart now would forget open incidents",
	})
}

// up notes a successful durable call; the first after a failure resolves
// the monitor_error and replays the pending writes (item's own write just
// succeeded, so it is not replayed).
func (s *DegradingStore) up(ctx context.Context, item string) {
	s.mu.Lock()
	if !s.down {
		s.mu.Unlock()
		return
	}
	s.down = false
	delete(s.pending, item)
	todo := s.pending
	s.pending = map[string]func(context.Context) error{}
	s.mu.Unlock()
	failed := 0
	for it, w := range todo {
		cctx, cancel := context.WithTimeout(ctx, s.o.CallTimeout)
		err := w(cctx)
		cancel()
		if !answered(err) {
			failed++
			s.mu.Lock()
			if _, newer := s.pending[it]; !newer {
				s.pending[it] = w
			}
			s.mu.Unlock()
		}
	}
	s.log.Info("state store works again; caught up", "store", s.o.Name, "replayed", len(todo), "failed", failed)
	s.report(Finding{Kind: KindMonitorError, Severity: SeverityWarning, Transition: Resolved,
		Message: "state store works again; what was written meanwhile has been saved"})
}

func (s *DegradingStore) report(f Finding) {
	now := s.o.Now()
	f.Cluster, f.Region, f.At, f.Since = s.o.Name, s.o.Region, now, now
	if s.o.Findings != nil {
		s.o.Findings.Handle(f)
	}
}

// LoadIncidents implements IncidentStore.
func (s *DegradingStore) LoadIncidents(ctx context.Context, scope string) ([]IncidentRecord, error) {
	var recs []IncidentRecord
	err := s.call(ctx, "", func(ctx context.Context) (err error) {
		recs, err = s.durable.LoadIncidents(ctx, scope)
		return err
	}, nil)
	if !answered(err) && ctx.Err() == nil {
		return s.mem.LoadIncidents(ctx, scope)
	}
	return recs, err
}

// SaveIncidents implements IncidentStore.
func (s *DegradingStore) SaveIncidents(ctx context.Context, scope string, fence int64, recs []IncidentRecord) error {
	_ = s.mem.SaveIncidents(ctx, scope, fence, recs)
	w := func(ctx context.Context) error { return s.durable.SaveIncidents(ctx, scope, fence, recs) }
	return s.degraded(s.call(ctx, "incidents#"+scope, w, w))
}

// degraded turns a store failure (already reported) into success: the
// memory store took the write.
func (s *DegradingStore) degraded(err error) error {
	if answered(err) || errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// Receipt implements ReceiptStore.
func (s *DegradingStore) Receipt(ctx context.Context, key string) (Receipt, bool, error) {
	var (
		r  Receipt
		ok bool
	)
	err := s.call(ctx, "", func(ctx context.Context) (err error) {
		r, ok, err = s.durable.Receipt(ctx, key)
		return err
	}, nil)
	if !answered(err) && ctx.Err() == nil {
		return s.mem.Receipt(ctx, key)
	}
	return r, ok, err
}

// SaveReceipt implements ReceiptStore.
func (s *DegradingStore) SaveReceipt(ctx context.Context, key string, r Receipt, expires time.Time) error {
	_ = s.mem.SaveReceipt(ctx, key, r, expires)
	w := func(ctx context.Context) error { return s.durable.SaveReceipt(ctx, key, r, expires) }
	return s.degraded(s.call(ctx, "receipt#"+key, w, w))
}

// DeleteReceipt implements ReceiptStore.
func (s *DegradingStore) DeleteReceipt(ctx context.Context, key string) error {
	_ = s.mem.DeleteReceipt(ctx, key)
	w := func(ctx context.Context) error { return s.durable.DeleteReceipt(ctx, key) }
	return s.degraded(s.call(ctx, "receipt#"+key, w, w))
}

// Claim implements EventClaims; while degraded only this replica's own
// claims de-duplicate.
func (s *DegradingStore) Claim(ctx context.Context, key, owner string, now time.Time, hold time.Duration) (ClaimResult, error) {
	var res ClaimResult
	err := s.call(ctx, "", func(ctx context.Context) (err error) {
		res, err = s.durable.Claim(ctx, key, owner, now, hold)
		return err
	}, nil)
	if !answered(err) && ctx.Err() == nil {
		return s.mem.Claim(ctx, key, owner, now, hold)
	}
	return res, err
}

// Finish implements EventClaims.
func (s *DegradingStore) Finish(ctx context.Context, key, owner string, expires time.Time) error {
	_ = s.mem.Finish(ctx, key, owner, expires)
	w := func(ctx context.Context) error { return s.durable.Finish(ctx, key, owner, expires) }
	return s.degraded(s.call(ctx, "claim#"+key, w, w))
}

// Release implements EventClaims.
func (s *DegradingStore) Release(ctx context.Context, key, owner string) error {
	_ = s.mem.Release(ctx, key, owner)
	w := func(ctx context.Context) error { return s.durable.Release(ctx, key, owner) }
	return s.degraded(s.call(ctx, "claim#"+key, w, nil))
}

// AcquireLease implements LeaseStore. There is no memory lease to fall
// back on: a store failure is returned, and the Leader keeps its role.
func (s *DegradingStore) AcquireLease(ctx context.Context, owner string, now time.Time, d time.Duration) (Lease, error) {
	var l Lease
	err := s.call(ctx, "lease", func(ctx context.Context) (err error) {
		l, err = s.durable.AcquireLease(ctx, owner, now, d)
		return err
	}, nil)
	return l, err
}

// ReleaseLease implements LeaseStore.
func (s *DegradingStore) ReleaseLease(ctx context.Context, l Lease) error {
	return s.call(ctx, "lease", func(ctx context.Context) error { return s.durable.ReleaseLease(ctx, l) }, nil)
}

// AddWindowShare implements WindowShares. There is no memory to fall back
// on (the leader could not read it): a failure is returned, and the
// dispatcher keeps the share to try again.
func (s *DegradingStore) AddWindowShare(ctx context.Context, sh WindowShare) error {
	return s.call(ctx, windowSharesKey, func(ctx context.Context) error { return s.durable.AddWindowShare(ctx, sh) }, nil)
}

// TakeWindowShares implements WindowShares; a failure leaves the shares in
// the store for the next summary.
func (s *DegradingStore) TakeWindowShares(ctx context.Context) ([]WindowShare, error) {
	var shares []WindowShare
	err := s.call(ctx, windowSharesKey, func(ctx context.Context) (err error) {
		shares, err = s.durable.TakeWindowShares(ctx)
		return err
	}, nil)
	return shares, err
}

// LoadRuns implements RunHistoryStore. There is no memory to fall back on:
// a replica that cannot read the table starts with the backfill alone.
func (s *DegradingStore) LoadRuns(ctx context.Context, cluster string) ([]StoredRun, error) {
	var runs []StoredRun
	err := s.call(ctx, "", func(ctx context.Context) (err error) {
		runs, err = s.durable.LoadRuns(ctx, cluster)
		return err
	}, nil)
	return runs, err
}

// AddRuns implements RunHistoryStore; a failure is the caller's to retry
// (RunArchive keeps the runs).
func (s *DegradingStore) AddRuns(ctx context.Context, cluster string, runs []StoredRun) error {
	return s.call(ctx, runsKeyPrefix+cluster, func(ctx context.Context) error { return s.durable.AddRuns(ctx, cluster, runs) }, nil)
}

// LoadStorms implements StormStore. There is no memory to fall back on:
// a failure is returned, and the dispatcher counts its own failures alone
// meanwhile (storm_shared.go).
func (s *DegradingStore) LoadStorms(ctx context.Context) (map[string]*StormRecord, error) {
	var storms map[string]*StormRecord
	err := s.call(ctx, stormsKey, func(ctx context.Context) (err error) {
		storms, err = s.durable.LoadStorms(ctx)
		return err
	}, nil)
	return storms, err
}

// UpdateStorms implements StormStore, as LoadStorms.
func (s *DegradingStore) UpdateStorms(ctx context.Context, change func(map[string]*StormRecord) bool) error {
	return s.call(ctx, stormsKey, func(ctx context.Context) error { return s.durable.UpdateStorms(ctx, change) }, nil)
}
