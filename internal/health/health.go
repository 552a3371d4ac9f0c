// Package health tracks whether the daemon's long-running loops are alive and
// serves that on a local HTTP endpoint for the container health check.
//
// The final image has no shell or curl, so ECS runs
// `ecs-cron-monitor healthcheck -config FILE`, which calls Check against the
// address in `[health] listen`. /healthz answers "are the loops still
// ticking" (a wedged poller must get the task replaced); /readyz answers "has
// every loop finished one good cycle" (useful for humans and deploy scripts,
// not for restarts: a cluster that cannot be reached must not cause a restart
// loop, it is reported to Slack instead).
package health

import (
	"net/http"
	"sort"
	"sync"
	"time"
)

// beatSlack is added to 3× a loop's interval before it counts as stalled, so
// that a loop whose cycle itself takes a while (SQS long polls, paged
// ListTasks calls under throttling) is not flagged by scheduling jitter.
const beatSlack = 10 * time.Second

// missedBeats is how many intervals a loop may miss before it is stalled.
const missedBeats = 3

// Registry holds the loops of one daemon. The zero value is not usable; use
// NewRegistry. It is safe for concurrent use.
type Registry struct {
	now func() time.Time

	mu    sync.Mutex
	loops []*Loop
	pages http.Handler // served beside /healthz and /readyz; see Mount
}

// Mount serves h for every path the health endpoint does not answer itself
// (the status page). Call it before serving.
func (r *Registry) Mount(h http.Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pages = h
}

// NewRegistry returns an empty registry reading time from now (time.Now when
// nil), injected so tests can move the clock.
func NewRegistry(now func() time.Time) *Registry {
	if now == nil {
		now = time.Now
	}
	return &Registry{now: now}
}

// Loop is the handle a long-running loop uses to report progress.
type Loop struct {
	reg      *Registry
	name     string
	interval time.Duration
	// since is when the loop was registered: until the first Beat, staleness is
	// measured from here so a slow first cycle gets the same allowance.
	since time.Time

	// Guarded by reg.mu.
	lastBeat time.Time
	ready    bool
}

// Register adds a loop expected to Beat at least every interval. A loop is
// healthy while its last beat (or its registration, before the first beat) is
// no older than 3×interval plus a fixed slack. Register loops before serving,
// so /readyz cannot report ready before a loop exists.
func (r *Registry) Register(name string, interval time.Duration) *Loop {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := &Loop{reg: r, name: name, interval: interval, since: r.now()}
	r.loops = append(r.loops, l)
	return l
}

// Beat records that the loop completed a cycle, successful or not: liveness is
// about the loop turning, not about AWS answering.
func (l *Loop) Beat() {
	now := l.reg.now()
	l.reg.mu.Lock()
	defer l.reg.mu.Unlock()
	l.lastBeat = now
}

// Ready records the loop's first successful cycle (and counts as a beat).
// Calling it again is harmless.
func (l *Loop) Ready() {
	now := l.reg.now()
	l.reg.mu.Lock()
	defer l.reg.mu.Unlock()
	l.lastBeat = now
	l.ready = true
}

// LoopStatus is one loop's state at a point in time, as served in JSON.
type LoopStatus struct {
	Name     string    `json:"name"`
	Interval string    `json:"interval"`
	LastBeat time.Time `json:"last_beat,omitzero"`
	// Deadline is when the loop becomes stalled unless it beats again.
	Deadline time.Time `json:"deadline"`
	Healthy  bool      `json:"healthy"`
	Ready    bool      `json:"ready"`
}

// Status is the whole registry's state.
type Status struct {
	Time    time.Time    `json:"time"`
	Healthy bool         `json:"healthy"`
	Ready   bool         `json:"ready"`
	Loops   []LoopStatus `json:"loops"`
}

// Snapshot evaluates every loop at the registry's current time. With no
// loops registered the daemon is healthy and ready: there is nothing that
// could be stuck, and config loading already succeeded if we are serving.
func (r *Registry) Snapshot() Status {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	st := Status{Time: now, Healthy: true, Ready: true, Loops: make([]LoopStatus, 0, len(r.loops))}
	for _, l := range r.loops {
		ref := l.since
		if !l.lastBeat.IsZero() {
			ref = l.lastBeat
		}
		deadline := ref.Add(missedBeats*l.interval + beatSlack)
		ls := LoopStatus{
			Name:     l.name,
			Interval: l.interval.String(),
			LastBeat: l.lastBeat,
			Deadline: deadline,
			Healthy:  !now.After(deadline),
			Ready:    l.ready,
		}
		st.Healthy = st.Healthy && ls.Healthy
		st.Ready = st.Ready && ls.Ready
		st.Loops = append(st.Loops, ls)
	}
	sort.SliceStable(st.Loops, func(i, j int) bool { return st.Loops[i].Name < st.Loops[j].Name })
	return st
}

// Remove takes the loop out of the registry: a reload that drops or
// replaces a loop must not leave it behind, stalled.
func (l *Loop) Remove() {
	l.reg.mu.Lock()
	defer l.reg.mu.Unlock()
	for i, m := range l.reg.loops {
		if m == l {
			l.reg.loops = append(l.reg.loops[:i], l.reg.loops[i+1:]...)
			return
		}
	}
}
