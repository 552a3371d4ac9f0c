package monitor

import (
	"sort"
	"sync"
)

// Incidents remembers the incidents open now, from the transitions the
// pollers and schedule checks hand the dispatcher, so the status page can
// show them. One-shot findings (a failed run, a suspicious success) are
// never open. It is safe for concurrent use.
type Incidents struct {
	mu   sync.Mutex
	open map[string]Finding // by incident key
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

// Open returns the open incidents of a cluster, job "" for the cluster's
// own (limits, monitor errors), ordered by kind.
func (in *Incidents) Open(cluster, job string) []Finding {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []Finding
	for _, f := range in.open {
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
	for _, f := range in.open {
		if f.Cluster == cluster && f.Job != "" {
			seen[f.Job] = true
		}
	}
	return sortedKeys(seen)
}
