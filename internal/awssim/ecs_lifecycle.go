package awssim

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"time"
)

// Task statuses (lastStatus / desiredStatus) the simulator uses.
const (
	statusProvisioning   = "PROVISIONING"
	statusPending        = "PENDING"
	statusActivating     = "ACTIVATING"
	statusRunning        = "RUNNING"
	statusDeprovisioning = "DEPROVISIONING"
	statusStopped        = "STOPPED"
)

// Stop codes (types.TaskStopCode).
const (
	stopEssentialExited = "EssentialContainerExited"
	stopFailedToStart   = "TaskFailedToStart"
	stopUserInitiated   = "UserInitiated"
)

// stoppedRetention is how long a stopped task stays visible: ECS keeps
// stopped tasks for about an hour, then they disappear from every API.
const stoppedRetention = time.Hour

// TaskPlan scripts what tasks of a family do once started. The zero plan
// is a task that starts at once and runs until stopped.
type TaskPlan struct {
	PendingFor time.Duration // PENDING -> RUNNING (or -> failure with FailToStart)
	// RunFor > 0 makes the essential container exit after running this
	// long; 0 runs until StopTask.
	RunFor         time.Duration
	DeprovisionFor time.Duration  // DEPROVISIONING -> STOPPED
	ExitCodes      map[string]int // container name -> exit code when RunFor elapses; unnamed = 0
	// ContainerReason is set on every container with a non-zero exit code
	// (e.g. "OutOfMemoryError: Container killed due to memory usage"), or,
	// with FailToStart, on every container.
	ContainerReason string
	StoppedReason   string // default "Essential container in task exited"
	StopCode        string // default EssentialContainerExited (TaskFailedToStart with FailToStart)
	// FailToStart stops the task from PENDING with TaskFailedToStart and a
	// CannotPullContainerError: no container runs, so none has an exit code.
	FailToStart bool
}

type ecsTask struct {
	id, arn    string
	seq        int64
	cluster    *ecsCluster
	def        *ecsTaskDef
	group      string
	startedBy  string
	launchType string
	az         string
	plan       TaskPlan

	lastStatus, desiredStatus string
	version                   int64
	createdAt, pullStartedAt, pullStoppedAt, startedAt,
	stoppingAt, executionStoppedAt, stoppedAt, updatedAt time.Time
	stopCode, stoppedReason string
	containers              []ecsContainer

	due     time.Time // when the next change happens; zero = none scheduled
	removed bool      // pruned after stoppedRetention
	// vanished: gone, but still listed by ListTasks (which is eventually
	// consistent); DescribeTasks answers it as a MISSING failure.
	vanished bool
}

type ecsContainer struct {
	arn, name, image, lastStatus string
	exitCode                     *int
	reason                       string
}

// SetTaskPlan sets the plan for tasks of family started from now on.
func (s *Server) SetTaskPlan(family string, p TaskPlan) {
	p.ExitCodes = maps.Clone(p.ExitCodes)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ecs.plans[family] = p
}

// Advance moves every task whose next phase time has passed by s.now().
// ECS API calls do this too, so it is needed only to see events without
// calling ECS.
func (s *Server) Advance() {
	s.Step(s.now())
}

// Step moves every task whose next phase time is at or before now; each
// phase is timestamped with its due time, not with now, so results do not
// depend on how often Step is called.
func (s *Server) Step(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(now)
}

// AdvanceEvery calls Advance every d until ctx is done, for the demo, where
// events should flow even when nobody polls ECS.
func (s *Server) AdvanceEvery(ctx context.Context, d time.Duration) {
	tick := time.NewTicker(d)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			s.Advance()
		}
	}
}

// RouteTaskEvents sends every later task state change, as an EventBridge
// "ECS Task State Change" event, to the SQS queue (URL or name); "" stops.
func (s *Server) RouteTaskEvents(queue string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ecs.eventQueue = queue
}

// PublishedTaskEvents returns the bodies of the last events sent to the
// task event queue, oldest first (a test hook).
func (s *Server) PublishedTaskEvents() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ecs.published)
}

// TaskEventSendFailures counts events the task event queue refused (for
// instance because it does not exist), so a mis-routed demo is visible.
func (s *Server) TaskEventSendFailures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ecs.sendFailures
}

// advanceLocked applies every change due by now. Tasks are visited cluster
// by cluster in creation order so that events come out in a stable order.
func (s *Server) advanceLocked(now time.Time) {
	e := &s.ecs
	if e.nextDue.IsZero() || now.Before(e.nextDue) {
		return
	}
	var next time.Time
	for _, name := range e.clusterNames {
		c := e.clusters[name]
		pruned := false
		for _, t := range c.tasks {
			for !t.due.IsZero() && !now.Before(t.due) {
				s.transitionLocked(t, now)
			}
			if t.removed {
				pruned = true
				continue
			}
			if !t.due.IsZero() && (next.IsZero() || t.due.Before(next)) {
				next = t.due
			}
		}
		if pruned {
			c.tasks = slices.DeleteFunc(c.tasks, func(t *ecsTask) bool { return t.removed })
		}
	}
	e.nextDue = next
}

// scheduleLocked records that t changes next at due.
func (s *Server) scheduleLocked(t *ecsTask, due time.Time) {
	t.due = due
	if !due.IsZero() && (s.ecs.nextDue.IsZero() || due.Before(s.ecs.nextDue)) {
		s.ecs.nextDue = due
	}
}

// transitionLocked performs the one change of t that is due. now is only
// the time events are sent; the change itself happens at t.due.
func (s *Server) transitionLocked(t *ecsTask, now time.Time) {
	at, p := t.due, t.plan
	t.due = time.Time{}
	switch {
	case t.lastStatus == statusStopped:
		// Retention over: the task vanishes without an event, as in ECS.
		t.removed = true
		delete(s.ecs.tasks, t.id)
		return
	case t.desiredStatus == statusStopped && t.lastStatus != statusDeprovisioning:
		t.lastStatus = statusDeprovisioning
		t.due = at.Add(p.DeprovisionFor)
	case t.lastStatus == statusDeprovisioning:
		t.lastStatus, t.stoppedAt = statusStopped, at
		t.due = at.Add(stoppedRetention)
	case t.lastStatus == statusProvisioning:
		t.lastStatus, t.pullStartedAt = statusPending, at
		t.due = at.Add(p.PendingFor)
	case t.lastStatus == statusPending && p.FailToStart:
		reason := p.ContainerReason
		if reason == "" {
			reason = "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref " + t.containers[0].image + ": not found"
		}
		for i := range t.containers {
			t.containers[i].lastStatus, t.containers[i].reason = statusStopped, reason
		}
		code := p.StopCode
		if code == "" {
			code = stopFailedToStart
		}
		stopped := p.StoppedReason
		if stopped == "" {
			stopped = reason
		}
		s.markStoppingLocked(t, at, code, stopped)
	case t.lastStatus == statusPending:
		t.lastStatus, t.pullStoppedAt, t.startedAt = statusRunning, at, at
		for i := range t.containers {
			t.containers[i].lastStatus = statusRunning
		}
		if p.RunFor > 0 {
			t.due = at.Add(p.RunFor)
		}
	case t.lastStatus == statusRunning:
		// RunFor elapsed: the essential container exits and takes the
		// others down with it.
		for i := range t.containers {
			c := &t.containers[i]
			code := p.ExitCodes[c.name]
			c.lastStatus, c.exitCode = statusStopped, &code
			if code != 0 {
				c.reason = p.ContainerReason
			}
		}
		code := p.StopCode
		if code == "" {
			code = stopEssentialExited
		}
		reason := p.StoppedReason
		if reason == "" {
			reason = "Essential container in task exited"
		}
		s.markStoppingLocked(t, at, code, reason)
	}
	s.changedLocked(t, at, now)
}

// markStoppingLocked records the decision to stop t at `at`; the task
// deprovisions at once (the next transition is due immediately).
func (s *Server) markStoppingLocked(t *ecsTask, at time.Time, code, reason string) {
	t.desiredStatus, t.stopCode, t.stoppedReason = statusStopped, code, reason
	t.stoppingAt, t.executionStoppedAt = at, at
	t.due = at
}

// stopTaskLocked is StopTask: containers still running get SIGTERM and exit
// 143; ones that never started get no exit code. Stopping a task that is
// already stopping changes nothing, as in ECS.
func (s *Server) stopTaskLocked(t *ecsTask, reason string, now time.Time) {
	if t.desiredStatus == statusStopped {
		return
	}
	for i := range t.containers {
		c := &t.containers[i]
		if c.lastStatus == statusRunning {
			code := 143
			c.exitCode = &code
		}
		c.lastStatus = statusStopped
	}
	if reason == "" {
		reason = "Task stopped by user"
	}
	s.markStoppingLocked(t, now, stopUserInitiated, reason)
	s.changedLocked(t, now, now)
	s.scheduleLocked(t, t.due)
}

// changedLocked bumps the version, as ECS does on every state change, and
// publishes the event.
func (s *Server) changedLocked(t *ecsTask, at, now time.Time) {
	t.version++
	t.updatedAt = at
	s.publishLocked(t, now)
}

// sendEventLocked sends an EventBridge event to the routed task-event
// queue. A refused send is counted, not fatal.
func (s *Server) sendEventLocked(ev any, now time.Time) (string, bool) {
	e := &s.ecs
	body, err := json.Marshal(ev)
	if err != nil {
		e.sendFailures++
		return "", false
	}
	if err := s.sqs.sendLocked(e.eventQueue, string(body), now); err != nil {
		e.sendFailures++
		return "", false
	}
	return string(body), true
}

// publishLocked sends the task's current state to the event queue, if one
// is routed. A refused send is counted, not fatal: EventBridge delivery is
// best effort from the task's point of view too.
func (s *Server) publishLocked(t *ecsTask, now time.Time) {
	e := &s.ecs
	if e.eventQueue == "" {
		return
	}
	ev := taskEvent{
		Version:    "0",
		ID:         e.uuid(),
		DetailType: "ECS Task State Change",
		Source:     "aws.ecs",
		Account:    s.account,
		Time:       t.updatedAt.UTC().Format(time.RFC3339),
		Region:     s.region,
		Resources:  []string{t.arn},
		Detail:     renderTask[isoTime](t, true),
	}
	body, ok := s.sendEventLocked(ev, now)
	if !ok {
		return
	}
	e.published = append(e.published, body)
	if n := len(e.published); n > publishedKeep {
		e.published = slices.Delete(e.published, 0, n-publishedKeep)
	}
}
