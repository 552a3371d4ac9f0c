package monitor

import (
	"sort"
	"sync"
)

// Incidents remembers the incidents open now, from the transitions the
// pollers and schedule checks hand the dispatcher, so the status page can
// show them. One-shot findings (a failed run, a suspicious success) are
// never open. It is safe for concurrent use.
//
// A standby runs no poll-side tracker: StoredView has it follow the open
// incidents the leader stored instead (Follow), until this replica leads
// again (Lead).
type Incidents struct {
	mu   sync.Mutex
	open map[string]Finding // by incident key: this replica's own
	// following: the page shows stored (the leader's, as last read), not
	// open.
	following bool
	stored    map[string]Finding
}

// NewIncidents returns an empty Incidents.
func NewIncidents() *Incidents { return &Incidents{open: map[string]Finding{}} }

// Handle folds one transition in.
func (in *Incidents) Handle(f Finding) {
	switch f.Kind {
	case KindFailedTask, KindSuspiciousSuccess:
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if f.Transition == Resolved {
		delete(in.open, f.Key())
		return
	}
	in.open[f.Key()] = f
}

// Follow shows stored, the open incidents the store holds, in place of
// this replica's own, provided standby still says another replica leads
// (asked under the lock, so a replica that has just taken the lease over
// keeps what its trackers carry on). Its own are forgotten: they are a
// deposed leader's, and leading again takes a new lease version, under
// which its trackers load the stored incidents and tell them again. It
// reports whether it followed.
func (in *Incidents) Follow(stored []Finding, standby func() bool) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if !standby() {
		return false
	}
	in.following, in.open = true, map[string]Finding{}
	in.stored = make(map[string]Finding, len(stored))
	for _, f := range stored {
		in.stored[f.Key()] = f
	}
	return true
}

// Lead shows this replica's own incidents again: it leads, and its
// trackers have carried on what the store held.
func (in *Incidents) Lead() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.following, in.stored = false, nil
}

// shown is what the page shows; in.mu held.
func (in *Incidents) shown() map[string]Finding {
	if in.following {
		return in.stored
	}
	return in.open
}

// Open returns the open incidents of a cluster, job "" for the cluster's
// own (limits, monitor errors), ordered by kind.
func (in *Incidents) Open(cluster, job string) []Finding {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []Finding
	for _, f := range in.shown() {
		if f.Cluster == cluster && f.Job == job {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}

// Jobs returns the jobs of a cluster that have an open incident.
func (in *Incidents) Jobs(cluster string) []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	seen := map[string]bool{}
	for _, f := range in.shown() {
		if f.Cluster == cluster && f.Job != "" {
			seen[f.Job] = true
		}
	}
	return sortedKeys(seen)
}
