package monitor

import (
	"context"
	"time"
)

// Immediate alerts found by polling have no queue of their own to be
// retried from (failed runs stay on SQS until delivered). The dispatcher
// keeps them here, in order, and tries the oldest again with a growing
// wait until it is accepted, refused for good, or the daemon stops; an
// alert given up on is counted (alerts.dropped) and named in the next
// summary.

// Waits between attempts at the oldest undelivered alert; each attempt
// already includes the notifier's own retries.
const (
	alertRetryFirst = 10 * time.Second
	alertRetryCap   = 5 * time.Minute
)

// outbox is the immediate alerts not delivered yet, oldest first. Only the
// Run goroutine touches it.
type outbox struct {
	pending  []Finding
	failures int              // failed attempts at pending[0]
	retry    <-chan time.Time // fires when pending[0] is due again; nil when none is waiting
}

// sendPending delivers the pending alerts in order until one fails; that
// one is tried again after a backoff. A later alert never overtakes an
// earlier one (a resolution must not arrive before its opening). Each
// attempt runs under drain, which outlives ctx by the drain's bound, so
// one under way when ctx ends finishes; then the rest wait for sendLast.
func (d *Dispatcher) sendPending(ctx, drain context.Context, box *outbox) {
	for len(box.pending) > 0 && ctx.Err() == nil {
		f := box.pending[0]
		err := d.deliverOnce(drain, f)
		if err != nil && ctx.Err() != nil {
			return // shutdown: sendLast decides
		}
		if err != nil {
			if reason, ok := Permanent(err); ok {
				d.drop(f, reason, err)
			} else {
				box.failures++
				wait := retryWait(box.failures)
				d.log.Warn("alert will be retried", "kind", f.Kind, "cluster", f.Cluster, "job", f.Job,
					"attempts", box.failures, "retry_in", wait, "waiting_alerts", len(box.pending))
				box.retry = d.o.After(wait)
				return
			}
		}
		box.pending = box.pending[1:]
		box.failures = 0
	}
}

// sendLast makes one more attempt at the pending alerts during shutdown,
// within ctx. Once one fails, the rest are not tried: each would wait out
// the same failure.
func (d *Dispatcher) sendLast(ctx context.Context, box *outbox) {
	for i, f := range box.pending {
		err := d.deliverOnce(ctx, f)
		if err == nil {
			continue
		}
		if reason, ok := Permanent(err); ok {
			d.drop(f, reason, err)
			continue
		}
		d.drop(f, "daemon stopping", err)
		for _, g := range box.pending[i+1:] {
			d.drop(g, "daemon stopping", nil)
		}
		break
	}
	box.pending = nil
}

// deliverOnce makes one attempt at an alert, bounded by DeliveryTimeout
// (and beating while it waits, see attempt).
func (d *Dispatcher) deliverOnce(ctx context.Context, f Finding) error {
	var err error
	d.attempt(func() {
		ctx, cancel := context.WithTimeout(ctx, d.o.DeliveryTimeout)
		defer cancel()
		var r Receipt
		// A resolution edits the incident's last alert (dispatcher_receipts.go).
		if r, err = d.notifyReceipt(ctx, f, d.receiptFor(ctx, f)); err == nil {
			d.keepReceipt(ctx, f, r)
		}
	})
	return err
}

// drop gives up on an alert: it is logged (once, with the reason and the
// last error if any), counted and named in the next summary, so what never
// reached anyone is at least known.
func (d *Dispatcher) drop(f Finding, reason string, err error) {
	d.o.Metrics.Count("alerts.dropped", 1, []string{"kind:" + string(f.Kind), "cluster:" + f.Cluster})
	attrs := []any{"kind", f.Kind, "cluster", f.Cluster, "job", f.Job, "reason", reason, "message", f.Message}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	d.log.Error("alert dropped", attrs...)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.win.addUndelivered(f, reason, d.o.Now())
}

// retryWait is the wait before attempt n+1 at an alert: 10s, 20s, 40s...
// up to 5m.
func retryWait(n int) time.Duration {
	w := alertRetryFirst
	for i := 1; i < n && w < alertRetryCap; i++ {
		w *= 2
	}
	return min(w, alertRetryCap)
}
