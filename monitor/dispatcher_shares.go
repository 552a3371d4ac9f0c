package monitor

import (
	"context"
	"time"
)

// Only the leader sends the summary, but every replica handles events: a
// standby's runs, failures and launch failures are its part of the window.
// A standby hands its part over through the store (WindowShares) at most
// once per RollupInterval, when it has any, and when its summary schedule
// fires or it stops; the leader takes the waiting shares when it sends
// the summary. A share added after the leader took them reaches the next
// summary.
//
// A leader that stops (a deploy, a task replacement) hands its whole
// window over the same way, marked Handover, instead of posting a partial
// summary: whoever leads next (the other replica, or this one restarted)
// sends one summary for the window, starting at the stopped leader's last
// summary. The next summary is not re-timed to the carried window: it
// goes on the new leader's schedule, so with "@every 15m" the window that
// spans a restart runs from the previous summary to 15m after the new
// leader's start (one longer window, not an extra short one), and a
// calendar spec ("*/15 * * * *") keeps its boundaries.

// shareWindow hands a standby's window over to the leader and starts the
// next one. Without Shares the window is discarded; a share the store
// refused stays in the window, to be tried again (and sent by this
// replica should it lead).
func (d *Dispatcher) shareWindow(ctx context.Context, now time.Time) {
	d.mu.Lock()
	s, ok := d.win.share(d.o.Owner, now)
	d.win = newWindow(now)
	d.mu.Unlock()
	if !ok || d.o.Shares == nil {
		return
	}
	if err := d.o.Shares.AddWindowShare(ctx, s); err != nil {
		d.log.Warn("summary window not handed to the leader; kept to try again", "err", err)
		d.mu.Lock()
		d.win.from = s.From
		d.win.merge(s)
		d.mu.Unlock()
		return
	}
	d.o.Metrics.Count("summaries.shared", 1, nil)
}

// checkpointWindow is the roll-up tick's part in the window: a standby
// hands its part over (shareWindow); with Shares, a leader hands what its
// window gathered since the last tick over as if it were stopping, keeping
// the window's start, so a leader that dies (SIGKILL, a lost host) loses at
// most one interval of it: whoever sends the summary next takes it with
// the shares. The store coalesces a replica's shares (addShare), so a
// window stays one share. A tick during the summary's own sending skips:
// what it would hand over goes in that summary.
func (d *Dispatcher) checkpointWindow(ctx context.Context, now time.Time) {
	if !d.leading() {
		d.shareWindow(ctx, now)
		return
	}
	if d.o.Shares == nil || !d.summaryMu.TryLock() {
		return
	}
	defer d.summaryMu.Unlock()
	d.mu.Lock()
	s, ok := d.win.share(d.o.Owner, now)
	if ok {
		d.win = newWindow(d.win.from)
	}
	d.mu.Unlock()
	if !ok {
		return
	}
	s.Handover = true
	if err := d.o.Shares.AddWindowShare(ctx, s); err != nil {
		// Debug: the store's failure is its own monitor_error already,
		// and this would repeat every tick of an outage.
		d.log.Debug("summary window not checkpointed; kept in memory", "err", err)
		d.mu.Lock()
		d.win.merge(s)
		d.mu.Unlock()
		return
	}
	d.o.Metrics.Count("summaries.checkpointed", 1, nil)
}

// handOver hands a stopping leader's window to whoever leads next and
// reports whether it did. Without Shares, or when the store refuses it,
// the caller posts the partial summary instead, so nothing is lost. An
// empty window is handed over too: its From keeps the next summary's
// window continuous.
func (d *Dispatcher) handOver(ctx context.Context, now time.Time) bool {
	if d.o.Shares == nil {
		return false
	}
	d.mu.Lock()
	// As FlushSummary closes a window: the open incidents as they are now
	// (adding them again is harmless, should the summary be sent after all).
	for _, f := range d.openDups {
		f.At = now
		d.win.add(f)
	}
	for _, f := range d.openErrors {
		d.win.add(f)
	}
	s, _ := d.win.share(d.o.Owner, now)
	d.mu.Unlock()
	s.Handover = true
	if err := d.o.Shares.AddWindowShare(ctx, s); err != nil {
		d.log.Warn("summary window not handed to the next leader; the partial summary is sent instead", "err", err)
		return false
	}
	d.mu.Lock()
	d.win = newWindow(now)
	d.mu.Unlock()
	d.o.Metrics.Count("summaries.handed_over", 1, nil)
	d.log.Info("summary window handed to the next leader", "from", s.From, "to", now)
	return true
}

// carriedFrom is where a summary's window starts: from, or earlier, the
// From of a stopped leader's window handed over. Standbys' shares do not
// move it (theirs may straddle the previous summary).
func carriedFrom(from time.Time, shares []WindowShare) time.Time {
	for _, s := range shares {
		if s.Handover && s.From.Before(from) {
			from = s.From
		}
	}
	return from
}

// takeShares returns the shares the standbys handed over; when the store
// cannot answer they wait there for the next summary.
func (d *Dispatcher) takeShares(ctx context.Context) []WindowShare {
	if d.o.Shares == nil {
		return nil
	}
	shares, err := d.o.Shares.TakeWindowShares(ctx)
	if err != nil {
		d.log.Warn("standbys' summary windows not read; they go in the next summary", "err", err)
		return nil
	}
	return shares
}
