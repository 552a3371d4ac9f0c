package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// DispatcherOptions configures a Dispatcher. Nil Metrics, Logger and Now
// become a no-op, a discarding logger and time.Now.
type DispatcherOptions struct {
	// Notifier delivers alerts and summaries; nil: the log only.
	Notifier Notifier
	Metrics  Metrics
	Logger   *slog.Logger
	Now      func() time.Time
	// After waits on the same clock as Now (default time.After): the
	// retries of an undelivered alert are timed by it.
	After func(time.Duration) <-chan time.Time
	// SummarySchedule is a robfig/cron spec ("@every 15m"); empty: no
	// periodic summary (FlushSummary can still be called).
	SummarySchedule string
	SendEmpty       bool
	// RollupInterval is how often an open storm roll-up is posted or
	// updated. Required ([events] rollup_interval).
	RollupInterval time.Duration
	// DeliveryTimeout bounds one attempt to deliver an alert, the
	// notifier's own retries included; an immediate alert that fails is
	// tried again later (see outbox.go). Default 2m.
	DeliveryTimeout time.Duration
	// DrainTimeout bounds the work done after ctx is cancelled: queued
	// alerts, the last roll-ups and the partial summary. Required (a share
	// of [shutdown] timeout).
	DrainTimeout time.Duration
	// QueueSize bounds alerts waiting for delivery. Default 1024.
	QueueSize int
	// Heartbeat, if set, is called whenever the delivery loop turns (at
	// least every RollupInterval), and every RollupInterval while one
	// delivery waits (for Slack's pace, its retries, an outage: the loop
	// working, not stuck), up to DeliveryTimeout per delivery, its own
	// bound: a delivery stuck past it stops the beats. The health endpoint
	// uses it.
	Heartbeat func()
	// StormPolicy gives a job's storm threshold and window. Required (the
	// job's resolved storm_threshold and storm_window).
	StormPolicy func(cluster, job string) (threshold int, window time.Duration)
	// History gives each job's last success and current streak to the
	// summary; nil leaves them out.
	History HistoryReader
	// Account names each cluster's account in alerts and summaries; nil
	// (one account): none.
	Account func(cluster string) Account
	// Receipts keeps the message of each incident's last alert, so its
	// resolution edits it; nil: resolutions are posted anew.
	Receipts ReceiptStore
	// Leader says whether this replica sends the summary; nil: it does.
	Leader Leadership
	// Shares carries a standby's part of the summary window to the leader,
	// and a stopping leader's whole window to the next one
	// (dispatcher_shares.go), as Owner; nil: a standby's window is
	// discarded and a stopping leader posts the partial summary.
	Shares WindowShares
	Owner  string
	// Storms keeps the storms where every replica folds its failures into
	// them (storm_shared.go); nil: each dispatcher keeps its own.
	Storms StormStore
	// Route gives a job's route, for the roll-ups of shared storms (a
	// stored finding carries none). Required with Storms.
	Route func(cluster, job string) Route
}

// HistoryReader reads a job's run history; *History satisfies it.
type HistoryReader interface {
	Job(cluster, job string) (JobHistory, bool)
}

// Dispatcher decides what reaches people and when: immediate alerts,
// storm roll-ups, and the periodic summary. Pollers hand it transitions
// without blocking; the event consumer delivers failures through it and
// waits, so it can acknowledge SQS messages only once Slack accepted them.
type Dispatcher struct {
	o     DispatcherOptions
	log   *slog.Logger
	queue chan Finding
	kick  chan struct{} // wakes the roll-up flusher

	mu         sync.Mutex
	win        *window
	openDups   map[string]Finding // duplicate incidents open now, carried into the next window
	openErrors map[string]Finding
	storms     map[string]*storm
	// lastNotes are the notes of the previous summary window, by cluster:
	// the same note again is not news.
	lastNotes map[string][]string

	// sharedMu serialises this replica's writes of the shared storms, so
	// the store's version check meets only other replicas' writes.
	sharedMu sync.Mutex
	// summaryMu is held while a summary is taken and sent, so a leader's
	// checkpoint (dispatcher_shares.go) never hands over what that summary
	// is about to send.
	summaryMu sync.Mutex
}

// NewDispatcher builds a Dispatcher; call Run to start delivering.
func NewDispatcher(o DispatcherOptions) *Dispatcher {
	d := withDefaults(o.Metrics, o.Logger, o.Now)
	o.Metrics, o.Logger, o.Now = d.metrics, d.logger, d.now
	require("NewDispatcher", "RollupInterval", o.RollupInterval > 0)
	require("NewDispatcher", "DrainTimeout", o.DrainTimeout > 0)
	require("NewDispatcher", "StormPolicy", o.StormPolicy != nil)
	require("NewDispatcher", "Route", o.Storms == nil || o.Route != nil)
	// Not settings of the file: internal bounds.
	if o.DeliveryTimeout <= 0 {
		o.DeliveryTimeout = 2 * time.Minute
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 1024
	}
	return &Dispatcher{
		o:          o,
		log:        o.Logger.With("component", "dispatcher"),
		queue:      make(chan Finding, o.QueueSize),
		kick:       make(chan struct{}, 1),
		win:        newWindow(o.Now()),
		openDups:   map[string]Finding{},
		openErrors: map[string]Finding{},
		storms:     map[string]*storm{},
	}
}

// immediate says whether a transition is alerted at once; everything else
// waits for the summary. Duplicates are summary material: an overlap is
// worth knowing about, not worth waking someone for.
func immediate(f Finding) bool {
	switch f.Kind {
	case KindDuplicateRun, KindSuspiciousSuccess:
		return false
	case KindFailedTask:
		return true
	case KindMonitorError:
		// Alerted once when it opens and once when it resolves; a cluster
		// we cannot see for hours is in every summary meanwhile.
		return f.Transition == Opened || f.Transition == Resolved
	}
	return f.Transition != Updated
}

// Handle records a transition for the summary and queues it for delivery
// when it is immediate. It never blocks: when the queue is full the alert
// is dropped, logged, counted and named in the next summary.
func (d *Dispatcher) Handle(f Finding) {
	d.logFinding(f)
	d.mu.Lock()
	d.win.add(f)
	key := f.Key()
	switch {
	case f.Kind == KindDuplicateRun && f.Transition == Resolved:
		delete(d.openDups, key)
	case f.Kind == KindDuplicateRun:
		d.openDups[key] = f
	case f.Kind == KindMonitorError && f.Transition == Resolved:
		delete(d.openErrors, key)
	case f.Kind == KindMonitorError:
		d.openErrors[key] = f
	}
	d.mu.Unlock()
	if !immediate(f) {
		return
	}
	select {
	case d.queue <- f:
	default:
		d.drop(f, "queue full", nil)
	}
}

// logFinding writes every finding the dispatcher is handed as one log
// line, whatever the notifier: the log is the audit trail, and with no
// Slack configured it is the only place findings go.
func (d *Dispatcher) logFinding(f Finding) {
	attrs := []any{"kind", f.Kind, "transition", f.Transition, "severity", f.Severity,
		"cluster", f.Cluster, "job", f.Job, "value", f.Value, "limit", f.Limit}
	if f.Failure != nil {
		attrs = append(attrs, "cause", f.Cause, "container", f.Container, "reason", f.Reason,
			"stopped_reason", f.StoppedReason, "tasks", f.Tasks)
		if f.ExitCode != nil {
			attrs = append(attrs, "exit_code", *f.ExitCode)
		}
		if f.Source != "" {
			attrs = append(attrs, "source", f.Source, "error_code", f.ErrorCode)
		}
	}
	if f.Account != "" || f.Class != "" {
		attrs = append(attrs, "account", f.Account, "region", f.Region, "class", f.Class)
	}
	if f.AccountAlias != "" {
		attrs = append(attrs, "account_alias", f.AccountAlias)
	}
	d.log.Log(context.Background(), levelOf(f), f.Message, attrs...)
}

func levelOf(f Finding) slog.Level {
	switch {
	case f.Transition == Resolved || f.Transition == Updated:
		// An update is a new peak of a problem already logged at its level.
		return slog.LevelInfo
	case f.Severity == SeverityCritical:
		return slog.LevelError
	case f.Severity == SeverityWarning:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// ObserveCount records a poll's task count for the summary's peak.
func (d *Dispatcher) ObserveCount(cluster, region string, total, limit int, _ time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.win.cluster(cluster, region)
	c.peak = max(c.peak, total)
	c.limit = limit
	c.polled = true
}

// Note adds a one-line fact to the cluster's part of the next summary.
func (d *Dispatcher) Note(cluster, note string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.win.cluster(cluster, "")
	for _, n := range c.notes {
		if n == note {
			return
		}
	}
	c.notes = append(c.notes, note)
}

// RecordRun counts a finished run in the summary window. Runs outlive
// windows in History, not here.
func (d *Dispatcher) RecordRun(cluster, job string, result RunResult, dur time.Duration, _ time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.win.addRun(cluster, job, result, dur)
}

// RecordLaunchFailure counts a refused launch for the job's summary line.
func (d *Dispatcher) RecordLaunchFailure(cluster, job string, _ Cause) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.win.cluster(cluster, "").job(job).launchFailures++
}

// Run delivers queued alerts, flushes storm roll-ups and posts the summary
// on its schedule until ctx is cancelled; then it drains what is queued,
// closes open roll-ups and flushes the partial summary window (with
// Shares, hands it to the next leader instead: handOver), bounded by
// DrainTimeout.
func (d *Dispatcher) Run(ctx context.Context) error {
	var c *cron.Cron
	if d.o.SummarySchedule != "" {
		c = cron.New(cron.WithLocation(time.UTC), cron.WithChain(
			cron.Recover(cronLogger{d.log}), cron.SkipIfStillRunning(cronLogger{d.log})))
		if _, err := c.AddFunc(d.o.SummarySchedule, func() {
			if !d.leading() {
				// The leader sends it; a standby hands its part over.
				d.shareWindow(ctx, d.o.Now())
				return
			}
			if err := d.FlushSummary(ctx, d.o.Now()); err != nil && ctx.Err() == nil {
				d.log.Error("summary not delivered", "err", err)
			}
		}); err != nil {
			return fmt.Errorf("parse summary schedule %q: %w", d.o.SummarySchedule, err)
		}
		c.Start()
	}
	tick := time.NewTicker(d.o.RollupInterval)
	defer tick.Stop()
	d.beat()
	// The drain ends DrainTimeout after ctx does; an alert being delivered
	// as ctx ends finishes within it rather than being cut off (cut off,
	// Slack may have taken it, and sendLast would post it again).
	drain, cancel := drainContext(ctx, d.o.DrainTimeout)
	defer cancel()
	var box outbox
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case f := <-d.queue:
			box.pending = append(box.pending, f)
			if box.retry == nil {
				d.sendPending(ctx, drain, &box)
			}
		case <-box.retry:
			box.retry = nil
			d.sendPending(ctx, drain, &box)
		case <-tick.C:
			d.FlushStorms(ctx, d.o.Now(), false)
			d.checkpointWindow(ctx, d.o.Now())
		case <-d.kick:
			d.FlushStorms(ctx, d.o.Now(), false)
		}
		d.beat()
	}
	if c != nil {
		<-c.Stop().Done()
	}
	for {
		select {
		case f := <-d.queue:
			box.pending = append(box.pending, f)
			continue
		default:
		}
		break
	}
	d.sendLast(drain, &box)
	d.FlushStorms(drain, d.o.Now(), true)
	if !d.leading() {
		d.shareWindow(drain, d.o.Now())
		return nil
	}
	if d.handOver(drain, d.o.Now()) {
		return nil
	}
	if err := d.FlushSummary(drain, d.o.Now()); err != nil {
		d.log.Error("final summary not delivered", "err", err)
	}
	return nil
}

// drainContext is a context not cancelled with ctx but DrainTimeout after
// it: the shutdown's work is bounded from the moment it begins.
func drainContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	drain, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(timeout, cancel)
		context.AfterFunc(drain, func() { t.Stop() })
	})
	return drain, func() { stop(); cancel() }
}

func (d *Dispatcher) beat() {
	if d.o.Heartbeat != nil {
		d.o.Heartbeat()
	}
}

// attempt runs one delivery attempt (bounded by DeliveryTimeout), beating
// every RollupInterval while it waits, for at most DeliveryTimeout: an
// attempt still running past its own bound is stuck, and the beats stop.
// Every notifier call of the loop goes through it, so a loop working
// through many deliveries keeps beating.
func (d *Dispatcher) attempt(work func()) {
	if d.o.Heartbeat == nil {
		work()
		return
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(d.o.RollupInterval)
		defer t.Stop()
		bound := time.NewTimer(d.o.DeliveryTimeout)
		defer bound.Stop()
		for {
			select {
			case <-done:
				return
			case <-bound.C:
				return
			case <-t.C:
				d.o.Heartbeat()
			}
		}
	})
	work()
	close(done)
	wg.Wait()
}

// notify calls the notifier and counts the outcome.
func (d *Dispatcher) notify(ctx context.Context, f Finding, update Receipt) error {
	if d.o.Notifier == nil {
		return nil
	}
	_, err := d.notifyReceipt(ctx, f, update)
	return err
}

func (d *Dispatcher) notifyReceipt(ctx context.Context, f Finding, update Receipt) (Receipt, error) {
	if d.o.Notifier == nil {
		return Receipt{}, nil
	}
	f = d.stampAccount(f)
	tags := []string{"kind:" + string(f.Kind), "cluster:" + f.Cluster}
	r, err := d.o.Notifier.Notify(ctx, f, update)
	if err != nil {
		d.o.Metrics.Count("alerts.failed", 1, tags)
		if reason, ok := Permanent(err); ok {
			// Logged once, by drop, which every caller calls for it.
			d.o.Metrics.Count("alerts.rejected", 1, append(tags, "reason:"+reason))
		} else if !errors.Is(err, context.Canceled) {
			d.log.Error("alert not delivered", "kind", f.Kind, "cluster", f.Cluster, "job", f.Job, "err", err)
		}
		return r, fmt.Errorf("deliver %s alert: %w", f.Kind, err)
	}
	d.o.Metrics.Count("alerts.sent", 1, tags)
	return r, nil
}

// FlushSummary closes the current window at now, starts the next one and
// delivers the closed window's summary unless it is empty (and send_empty
// is off). Open incidents are carried into the next window.
func (d *Dispatcher) FlushSummary(ctx context.Context, now time.Time) error {
	d.summaryMu.Lock()
	defer d.summaryMu.Unlock()
	shares := d.takeShares(ctx)
	d.mu.Lock()
	old := d.win
	for _, s := range shares {
		old.merge(s)
	}
	old.from = carriedFrom(old.from, shares)
	for _, f := range d.openDups {
		f.At = now
		old.add(f)
	}
	for _, f := range d.openErrors {
		old.add(f)
	}
	d.lastNotes = old.dropRepeatedNotes(d.lastNotes)
	s := d.stampSummary(old.summary(now, d.o.History))
	d.win = newWindow(now)
	for _, f := range d.openDups {
		f.At = now
		d.win.add(f)
	}
	for _, f := range d.openErrors {
		d.win.add(f)
	}
	d.mu.Unlock()
	if s.Empty() && !d.o.SendEmpty {
		return nil
	}
	if d.o.Notifier == nil {
		d.log.Info("summary", "from", s.From, "to", s.To, "clusters", s.Clusters)
		return nil
	}
	if err := d.o.Notifier.Summarize(ctx, s); err != nil {
		d.o.Metrics.Count("summaries.failed", 1, nil)
		return fmt.Errorf("deliver summary: %w", err)
	}
	d.o.Metrics.Count("summaries.sent", 1, nil)
	return nil
}

// cronLogger adapts slog to robfig/cron's logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug(msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error(msg, append(kv, "err", err)...)
}
