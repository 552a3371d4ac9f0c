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
