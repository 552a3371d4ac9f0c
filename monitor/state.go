package monitor

import (
	"sort"
	"sync"
	"time"
)

// State is what the daemon knows of the tasks in each cluster, fed by both
// the poller and the event consumer. It keeps non-stopped tasks, plus the
// last version of recently stopped ones so a late, older event cannot bring
// a stopped task back to life.
type State struct {
	mu       sync.Mutex
	clusters map[string]*clusterTasks
}

type clusterTasks struct {
	live    map[string]Task      // ARN -> task not yet STOPPED
	stopped map[string]tombstone // ARN -> last version seen when it stopped
}

type tombstone struct {
	version int64
	at      time.Time
}

// stoppedMemory is how long a stopped task's version is remembered. ECS
// itself forgets stopped tasks after about an hour; events arrive within
// minutes.
const stoppedMemory = 2 * time.Hour

// NewState returns an empty State.
func NewState() *State { return &State{clusters: map[string]*clusterTasks{}} }

func (s *State) cluster(name string) *clusterTasks {
	c := s.clusters[name]
	if c == nil {
		c = &clusterTasks{live: map[string]Task{}, stopped: map[string]tombstone{}}
		s.clusters[name] = c
	}
	return c
}

// Observe records a task seen in a poll or an event. It returns false, and
// changes nothing, when the state already holds this version or a newer one
// (ECS events arrive at least once and out of order; detail.version orders
// them). A version of 0 (unknown) is taken as newer than nothing only.
func (s *State) Observe(cluster string, t Task, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cluster(cluster)
	if ts, ok := c.stopped[t.ARN]; ok && (t.Version <= ts.version || t.Version == 0) {
		return false
	}
	if old, ok := c.live[t.ARN]; ok && t.Version <= old.Version && !(t.Version == 0 && old.Version == 0) {
		return false
	}
	if t.LastStatus == "STOPPED" {
		delete(c.live, t.ARN)
		c.stopped[t.ARN] = tombstone{version: t.Version, at: now}
		return true
	}
	c.live[t.ARN] = t
	return true
}

// Known reports whether the task is held (live or recently stopped), so the
// poller need not describe it again.
func (s *State) Known(cluster, arn string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cluster(cluster)
	if _, ok := c.live[arn]; ok {
		return true
	}
	_, ok := c.stopped[arn]
	return ok
}

// Retain forgets live tasks that a complete listing no longer returns, and
// stopped-task memories older than stoppedMemory. listed holds every ARN
// the poll listed.
func (s *State) Retain(cluster string, listed map[string]bool, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cluster(cluster)
	for arn := range c.live {
		if !listed[arn] {
			delete(c.live, arn)
		}
	}
	for arn, ts := range c.stopped {
		if now.Sub(ts.at) > stoppedMemory {
			delete(c.stopped, arn)
		}
	}
}

// Live returns the cluster's non-stopped tasks, ordered by ARN.
func (s *State) Live(cluster string) []Task {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cluster(cluster)
	out := make([]Task, 0, len(c.live))
	for _, t := range c.live {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out
}
