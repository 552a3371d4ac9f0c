package monitor

import (
	"sort"
	"strings"
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
	// interned holds the strings many tasks share (cluster and task
	// definition ARNs, groups, startedBy, statuses, container names and
	// images), so 100,000 tasks of a few hundred jobs keep one copy each.
	interned map[string]string
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
func NewState() *State {
	return &State{clusters: map[string]*clusterTasks{}, interned: map[string]string{}}
}

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
	t = s.compact(t)
	c.live[t.ARN] = t
	return true
}

// maxInterned bounds the shared strings; past it strings are copied per
// task (a startedBy unique per task, say, must not grow the table forever).
const maxInterned = 4096

// compact copies a task for keeping: its strings no longer point into the
// decoded response or message they came from (the SDK decodes a response's
// strings into shared chunks, so one kept ARN would keep the whole
// DescribeTasks response alive), and the strings tasks share are held once.
func (s *State) compact(t Task) Task {
	t.ARN = strings.Clone(t.ARN)
	t.StoppedReason = strings.Clone(t.StoppedReason)
	for _, f := range [...]*string{&t.ClusterARN, &t.TaskDefinitionARN, &t.Group, &t.StartedBy,
		&t.LastStatus, &t.DesiredStatus, &t.LaunchType, &t.StopCode} {
		*f = s.intern(*f)
	}
	if t.Containers != nil {
		cs := make([]Container, len(t.Containers))
		for i, c := range t.Containers {
			cs[i] = Container{Name: s.intern(c.Name), Image: s.intern(c.Image), LastStatus: s.intern(c.LastStatus),
				ExitCode: c.ExitCode, Reason: strings.Clone(c.Reason)}
		}
		t.Containers = cs
	}
	return t
}

func (s *State) intern(v string) string {
	if v == "" {
		return ""
	}
	if w, ok := s.interned[v]; ok {
		return w
	}
	v = strings.Clone(v)
	if len(s.interned) < maxInterned {
		s.interned[v] = v
	}
	return v
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

// Unknown returns the ARNs, in order, that the poller must describe: those
// not held (live or recently stopped) and those still starting, whose
// status it follows. One pass under the lock, instead of Known per ARN.
func (s *State) Unknown(cluster string, arns []string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cluster(cluster)
	var out []string
	for _, a := range arns {
		if t, ok := c.live[a]; ok {
			if isStarting(t.LastStatus) {
				out = append(out, a)
			}
			continue
		}
		if _, ok := c.stopped[a]; !ok {
			out = append(out, a)
		}
	}
	return out
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
