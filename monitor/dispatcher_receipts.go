package monitor

import (
	"context"
	"time"
)

// receiptTTL is how long the receipt of an incident's last message is
// kept: Slack lets a bot edit its messages for long, but an incident open
// for a week has been re-notified meanwhile, and a later receipt replaced
// this one.
const receiptTTL = 7 * 24 * time.Hour

// receiptFor returns the message a transition edits: a resolution edits
// the incident's last alert (bot token), even one posted before a restart
// or by another replica. Everything else is posted anew. A zero Receipt
// (webhook, nothing kept) makes the resolution a new message.
func (d *Dispatcher) receiptFor(ctx context.Context, f Finding) Receipt {
	if d.o.Receipts == nil || f.Transition != Resolved || f.Kind == KindFailedTask {
		return Receipt{}
	}
	r, _, err := d.o.Receipts.Receipt(ctx, f.Key())
	if err != nil {
		d.log.Warn("receipt of the alert to edit not read; posting the resolution anew", "kind", f.Kind, "cluster", f.Cluster, "job", f.Job, "err", err)
		return Receipt{}
	}
	return r
}

// keepReceipt remembers the message of an incident's alert, and forgets it
// once the incident resolved.
func (d *Dispatcher) keepReceipt(ctx context.Context, f Finding, r Receipt) {
	if d.o.Receipts == nil || f.Kind == KindFailedTask {
		return
	}
	// The alert was delivered: its receipt is kept even when shutdown has
	// begun meanwhile (the store bounds its own calls).
	ctx = context.WithoutCancel(ctx)
	var err error
	switch {
	case f.Transition == Resolved:
		err = d.o.Receipts.DeleteReceipt(ctx, f.Key())
	case r != (Receipt{}):
		err = d.o.Receipts.SaveReceipt(ctx, f.Key(), r, d.o.Now().Add(receiptTTL))
	}
	if err != nil {
		d.log.Warn("alert receipt not kept; its resolution will be a new message", "kind", f.Kind, "cluster", f.Cluster, "job", f.Job, "err", err)
	}
}

// leading says whether this replica sends the summary.
func (d *Dispatcher) leading() bool {
	if d.o.Leader == nil {
		return true
	}
	_, ok := d.o.Leader.Leading()
	return ok
}
