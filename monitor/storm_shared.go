package monitor

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Shared storms: with a durable store (two replicas, or one restarted),
// a job's storm lives in the store, not in one dispatcher. Every replica
// folds the failures it delivers into the one stored roll-up (each failure
// reaches one replica: the event claims see to that), so the threshold
// counts the job's failures wherever they were handled, one message counts
// them all, and a restart or a hand-over goes on updating that message
// rather than closing it and starting another.
//
// Any replica may post a roll-up: the first to find news takes the
// record's poster lock, posts or updates the message with the stored
// receipt and writes the receipt back. A failure folded in is acknowledged
// once the store holds it (the roll-up that counts it is then the store's
// to post, and is posted until it is delivered). When the store cannot be
// reached the dispatcher falls back to its own storms (storm.go): alerts
// go on, counted by this replica alone until the store is back.

// StormStore keeps the shared storms, all in one record set: a write per
// folded failure and per posted roll-up, and a read per roll-up interval.
type StormStore interface {
	// LoadStorms returns the storms stored, by incident key.
	LoadStorms(ctx context.Context) (map[string]*StormRecord, error)
	// UpdateStorms applies change to the stored storms and writes them
	// back when it returns true, as one atomic read-modify-write: when
	// another replica wrote meanwhile, change runs again on what it wrote
	// (so it must decide from the map alone). errContended: it never got
	// through.
	UpdateStorms(ctx context.Context, change func(map[string]*StormRecord) bool) error
}

// StormRecord is one job's storm as stored.
type StormRecord struct {
	Window time.Duration `json:"window"`
	// Recent are the failures within the window before the storm began.
	Recent []StormHit `json:"recent,omitempty"`
	Active bool       `json:"active,omitempty"`
	Rollup Rollup     `json:"rollup"`
	// Members are the failures counted (see stormMembersMax).
	Members []string `json:"members,omitempty"`
	// Last is the latest failure, the roll-up's context (its route is the
	// job's, from configuration, when posted).
	Last    Finding `json:"last"`
	Receipt Receipt `json:"receipt"`
	// Seq counts the changes worth posting; Posted is the Seq last posted.
	Seq    int `json:"seq"`
	Posted int `json:"posted"`
	// Poster holds the record while it posts, until PosterUntil.
	Poster      string    `json:"poster,omitempty"`
	PosterUntil time.Time `json:"poster_until,omitzero"`
}

// StormHit is one failure before the storm began.
type StormHit struct {
	At     time.Time `json:"at"`
	Member string    `json:"member"`
	Exit   *int      `json:"exit,omitempty"`
}

// stormMembersMax bounds the members a record remembers (the latest are
// kept): they guard against counting a redelivered failure twice, which
// the event claims already prevent; the bound keeps the item small in a
// storm of thousands.
const stormMembersMax = 500

// stormStoreAttempts bounds the retries of a storm write that met
// another's: contention is a storm's normal state with two replicas (each
// writes one fold at a time, so a write meets only the other's), and a
// fold given up is an event redelivered later, so the bound is generous;
// stormRetryJitter is the most a retry waits.
const (
	stormStoreAttempts = 50
	stormRetryJitter   = 5 * time.Millisecond
)

// deliverShared is DeliverFailure with a StormStore. ok false: the store
// did not answer, and the caller delivers through the dispatcher's own
// storms instead; otherwise err is the outcome.
func (d *Dispatcher) deliverShared(ctx context.Context, f Finding, member string) (ok bool, err error) {
	now := d.o.Now()
	key := f.Key()
	threshold, window := d.o.StormPolicy(f.Cluster, f.Job)
	if threshold <= 0 {
		return false, nil // no storms for this job: nothing to share
	}
	var alone, first bool
	err = d.updateStorms(ctx, func(m map[string]*StormRecord) bool {
		alone, first = false, false
		rec := m[key]
		if rec == nil {
			rec = &StormRecord{}
			m[key] = rec
		}
		rec.Window = window
		if !rec.Active {
			changed := rec.begin(member, f, now, threshold)
			if !rec.Active {
				alone = true
				return changed
			}
			first = true
		} else if !rec.fold(member, exitCodeOf(f)) {
			return false // counted already
		}
		rec.Rollup.Last = now
		rec.Last = f // stored without its route (Finding.Route is not encoded)
		rec.Seq++
		return true
	})
	switch {
	case errors.Is(err, errContended):
		// The store is there but busy: the event is redelivered.
		return true, fmt.Errorf("fold failure into storm roll-up: %w", err)
	case err != nil:
		d.log.Warn("storm not read from the state store; counting this replica's failures alone", "cluster", f.Cluster, "job", f.Job, "err", err)
		return false, nil
	case alone:
		err := d.notify(ctx, f, Receipt{})
		if reason, ok := Permanent(err); ok {
			d.drop(f, reason, err)
		}
		return true, err
	}
	if first {
		// Post the first roll-up at once rather than at the next tick.
		select {
		case d.kick <- struct{}{}:
		default:
		}
	}
	return true, nil
}

// begin adds a failure to a record not yet in a storm; it opens the storm
// when the failures within the window pass threshold. It says whether the
// record changed.
func (rec *StormRecord) begin(member string, f Finding, now time.Time, threshold int) bool {
	cut := 0
	for cut < len(rec.Recent) && rec.Recent[cut].At.Before(now.Add(-rec.Window)) {
		cut++
	}
	rec.Recent = rec.Recent[cut:]
	for _, h := range rec.Recent {
		if h.Member == member {
			return cut > 0
		}
	}
	rec.Recent = append(rec.Recent, StormHit{At: now, Member: member, Exit: exitCodeOf(f)})
	if len(rec.Recent) <= threshold {
		return true
	}
	// As storm.go: the roll-up counts the whole burst, the failures alerted
	// one by one included.
	rec.Active = true
	rec.Rollup = Rollup{First: rec.Recent[0].At, ExitCodes: map[int]int{}}
	rec.Receipt = Receipt{}
	rec.Members = nil
	for _, h := range rec.Recent {
		if h.Member != member {
			rec.Rollup.Alerted++
		}
		rec.fold(h.Member, h.Exit)
	}
	rec.Recent = nil
	return true
}

// fold counts one failure into an open storm, once per member; it says
// whether it was new.
func (rec *StormRecord) fold(member string, exit *int) bool {
	for _, m := range rec.Members {
		if m == member {
			return false
		}
	}
	rec.Members = append(rec.Members, member)
	if n := len(rec.Members) - stormMembersMax; n > 0 {
		rec.Members = rec.Members[n:]
	}
	rec.Rollup.Count++
	if exit != nil {
		if rec.Rollup.ExitCodes == nil {
			rec.Rollup.ExitCodes = map[int]int{}
		}
		rec.Rollup.ExitCodes[*exit]++
	}
	return true
}

// heldByOther says whether another replica is posting the record's
// roll-up now.
func (rec *StormRecord) heldByOther(owner string, now time.Time) bool {
	return rec.Poster != "" && rec.Poster != owner && now.Before(rec.PosterUntil)
}

// updateStorms is StormStore.UpdateStorms, one at a time in this replica.
func (d *Dispatcher) updateStorms(ctx context.Context, change func(map[string]*StormRecord) bool) error {
	d.sharedMu.Lock()
	defer d.sharedMu.Unlock()
	return d.o.Storms.UpdateStorms(ctx, change)
}

// flushShared posts the stored roll-ups with news, and closes those whose
// window has passed quietly, unless another replica is posting them.
func (d *Dispatcher) flushShared(ctx context.Context, now time.Time) {
	storms, err := d.o.Storms.LoadStorms(ctx)
	if err != nil {
		d.log.Warn("stored storms not read; their roll-ups wait for the next tick", "err", err)
		return
	}
	for key, rec := range storms {
		switch {
		case !rec.Active:
			// Failures that never became a storm count only within the
			// window: past it the record is dropped, keeping the item to
			// the jobs failing now.
			if len(rec.Recent) == 0 || now.Sub(rec.Recent[len(rec.Recent)-1].At) > rec.Window {
				d.forgetShared(ctx, key, rec.Seq)
			}
			continue
		case rec.heldByOther(d.o.Owner, now):
			continue
		case rec.Seq == rec.Posted && now.Sub(rec.Rollup.Last) < rec.Window:
			continue
		}
		d.postShared(ctx, key, now)
	}
}

// forgetShared deletes a record that ended, unless it changed since seq.
func (d *Dispatcher) forgetShared(ctx context.Context, key string, seq int) {
	err := d.updateStorms(ctx, func(m map[string]*StormRecord) bool {
		rec := m[key]
		if rec == nil || rec.Seq != seq {
			return false
		}
		delete(m, key)
		return true
	})
	if err != nil {
		d.log.Warn("ended storm not removed from the state store", "key", key, "err", err)
	}
}

// postShared takes the record's poster lock, posts the roll-up (updating
// its message), writes the receipt back and, when it was the closing
// message and nothing came meanwhile, deletes the record.
func (d *Dispatcher) postShared(ctx context.Context, key string, now time.Time) {
	var rec StormRecord
	err := d.updateStorms(ctx, func(m map[string]*StormRecord) bool {
		r := m[key]
		if r == nil || !r.Active || r.heldByOther(d.o.Owner, now) {
			rec = StormRecord{}
			return false
		}
		r.Poster, r.PosterUntil = d.o.Owner, now.Add(d.o.DeliveryTimeout+d.o.RollupInterval)
		rec = *r
		rec.Rollup.ExitCodes = cloneCounts(r.Rollup.ExitCodes)
		return true
	})
	if err != nil || !rec.Active {
		if err != nil {
			d.log.Warn("storm roll-up not taken to post; tried again next tick", "key", key, "err", err)
		}
		return
	}
	closing := now.Sub(rec.Rollup.Last) >= rec.Window
	f := rec.Last
	if d.o.Route != nil {
		f.Route = d.o.Route(f.Cluster, f.Job)
	}
	r := rec.Rollup
	r.Final = closing
	f.Rollup = &r
	f.Transition = Opened
	f.Severity = SeverityCritical
	f.At = now
	f.Message = fmt.Sprintf("%s since %s", Plural(r.Count, "failure"), r.First.UTC().Format(TimeLayout))
	var receipt Receipt
	d.attempt(func() {
		nctx, cancel := context.WithTimeout(ctx, d.o.DeliveryTimeout)
		defer cancel()
		receipt, err = d.notifyReceipt(nctx, f, rec.Receipt)
	})
	reason, permanent := Permanent(err)
	if permanent {
		// Refused for good: not posted again until a new failure changes it.
		d.drop(f, reason, err)
	}
	delivered := err == nil || permanent
	werr := d.updateStorms(context.WithoutCancel(ctx), func(m map[string]*StormRecord) bool {
		r := m[key]
		if r == nil {
			return false
		}
		if r.Poster == d.o.Owner {
			r.Poster, r.PosterUntil = "", time.Time{}
		}
		if !delivered {
			return true
		}
		if receipt != (Receipt{}) {
			r.Receipt = receipt
		}
		r.Posted = max(r.Posted, rec.Seq)
		if closing && r.Seq == rec.Seq {
			delete(m, key)
		}
		return true
	})
	if werr != nil {
		d.log.Warn("storm roll-up posted but not recorded; it may be posted again", "key", key, "err", werr)
	}
}
