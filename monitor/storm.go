package monitor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// storm is a burst of failures of one job. Below its threshold each
// failure is alerted on its own; past it, failures are folded into one
// roll-up message that keeps counting, posted or updated every
// RollupInterval, and closed (Final) once the window passes quietly.
type storm struct {
	window time.Duration
	recent []stormHit // failures within the window, before the storm
	// inRecent holds the members of recent: a redelivered failure is found
	// without scanning the window under the dispatcher's lock (with a high
	// threshold the window holds thousands).
	inRecent map[string]bool
	active   bool
	rollup   Rollup
	// members are the failures folded into the roll-up, so a redelivered
	// event is not counted twice.
	members map[string]bool
	last    Finding // the latest failure, for context in the roll-up
	receipt Receipt
	dirty   bool
	// waiters are failures folded in but not yet in a delivered roll-up;
	// each gets the outcome of the next flush.
	waiters []chan error
}

type stormHit struct {
	at     time.Time
	member string
	exit   *int // the failure's exit code, if any
}

// errRollupNotDelivered tells a waiting failure that the roll-up holding it
// was not accepted, so its message must stay on the queue.
var errRollupNotDelivered = errors.New("storm roll-up not delivered")

// DeliverFailure alerts one failed run. It blocks until the alert was
// accepted by the notifier, or folded into a roll-up that was; an error
// means it was not delivered and the caller should retry later (the SQS
// message stays on the queue). The caller records the run itself
// (RecordRun) once this returns nil.
func (d *Dispatcher) DeliverFailure(ctx context.Context, f Finding) error {
	d.logFinding(f)
	now := d.o.Now()
	key := f.Key()
	member := f.Cluster + "|" + strings.Join(f.Tasks, ",")
	if f.Failure != nil && f.EventID != "" {
		member = f.EventID
	}
	if d.o.Storms != nil {
		if ok, err := d.deliverShared(ctx, f, member); ok {
			return err
		}
	}
	d.mu.Lock()
	st := d.storms[key]
	if st == nil {
		st = &storm{members: map[string]bool{}, inRecent: map[string]bool{}}
		d.storms[key] = st
	}
	threshold, window := d.o.StormPolicy(f.Cluster, f.Job)
	st.window = window
	if !st.active {
		st.pruneRecent(now.Add(-window))
		if !st.inRecent[member] {
			st.recent = append(st.recent, stormHit{at: now, member: member, exit: exitCodeOf(f)})
			st.inRecent[member] = true
		}
		if threshold <= 0 || len(st.recent) <= threshold {
			d.mu.Unlock()
			err := d.notify(ctx, f, Receipt{})
			if reason, ok := Permanent(err); ok {
				d.drop(f, reason, err)
			}
			return err
		}
		// The roll-up counts the whole burst, the failures already alerted
		// one by one included, so its number is the job's total since First
		// and agrees with the summary.
		st.active = true
		st.rollup = Rollup{First: st.recent[0].at, ExitCodes: map[int]int{}}
		st.receipt = Receipt{}
		st.members = map[string]bool{}
		for _, h := range st.recent {
			if h.member != member {
				st.rollup.Alerted++
				st.count(h.member, h.exit)
			}
		}
	}
	st.count(member, exitCodeOf(f))
	st.rollup.Last = now
	st.last = f
	st.dirty = true
	ch := make(chan error, 1)
	st.waiters = append(st.waiters, ch)
	first := st.receipt == (Receipt{}) && st.rollup.Count == st.rollup.Alerted+1
	d.mu.Unlock()
	if first {
		// Post the first roll-up at once rather than at the next tick.
		select {
		case d.kick <- struct{}{}:
		default:
		}
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// count folds one failure into the roll-up, once per member.
func (st *storm) count(member string, exit *int) {
	if st.members[member] {
		return
	}
	st.members[member] = true
	st.rollup.Count++
	if exit != nil {
		st.rollup.ExitCodes[*exit]++
	}
}

func exitCodeOf(f Finding) *int {
	if f.Failure == nil {
		return nil
	}
	return f.ExitCode
}

// pruneRecent drops the hits before cutoff (recent is in time order).
func (st *storm) pruneRecent(cutoff time.Time) {
	i := 0
	for i < len(st.recent) && st.recent[i].at.Before(cutoff) {
		delete(st.inRecent, st.recent[i].member)
		i++
	}
	st.recent = st.recent[i:]
}

// FlushStorms posts or updates every roll-up with news, and closes storms
// whose window has passed without failures (or all of them when final).
// Shared storms (storm_shared.go) are not closed when final: they outlive
// this replica, and whoever runs next goes on with them.
func (d *Dispatcher) FlushStorms(ctx context.Context, now time.Time, final bool) {
	if d.o.Storms != nil {
		d.flushShared(ctx, now)
	}
	type work struct {
		key     string
		f       Finding
		update  Receipt
		waiters []chan error
		closing bool
	}
	var todo []work
	d.mu.Lock()
	for key, st := range d.storms {
		if !st.active {
			if len(st.recent) > 0 && now.Sub(st.recent[len(st.recent)-1].at) > time.Hour {
				delete(d.storms, key)
			}
			continue
		}
		closing := final || now.Sub(st.rollup.Last) >= st.window
		if !st.dirty && !closing {
			continue
		}
		f := st.last
		r := st.rollup
		r.Final = closing
		r.ExitCodes = cloneCounts(st.rollup.ExitCodes)
		f.Rollup = &r
		f.Transition = Opened
		f.Severity = SeverityCritical
		f.At = now
		f.Message = fmt.Sprintf("%s since %s", Plural(r.Count, "failure"), r.First.UTC().Format(TimeLayout))
		todo = append(todo, work{key: key, f: f, update: st.receipt, waiters: st.waiters, closing: closing})
		st.waiters = nil
		st.dirty = false
	}
	d.mu.Unlock()
	for _, w := range todo {
		// One attempt, bounded like a single alert's.
		var (
			r   Receipt
			err error
		)
		d.attempt(func() {
			nctx, cancel := context.WithTimeout(ctx, d.o.DeliveryTimeout)
			defer cancel()
			r, err = d.notifyReceipt(nctx, w.f, w.update)
		})
		d.mu.Lock()
		st := d.storms[w.key]
		_, permanent := Permanent(err)
		if err != nil {
			// A roll-up refused for good is not posted again until a new
			// failure changes it.
			if st != nil && !permanent {
				st.dirty = true
			}
		} else if st != nil {
			if r != (Receipt{}) {
				st.receipt = r
			}
			if w.closing {
				delete(d.storms, w.key)
			}
		}
		d.mu.Unlock()
		if reason, ok := Permanent(err); ok {
			d.drop(w.f, reason, err)
		}
		for _, ch := range w.waiters {
			if err != nil {
				ch <- fmt.Errorf("%w: %w", errRollupNotDelivered, err)
			} else {
				ch <- nil
			}
		}
	}
}

func cloneCounts(m map[int]int) map[int]int {
	out := make(map[int]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
