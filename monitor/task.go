package monitor

import (
	"strings"
	"time"
)

// Task is what the monitor knows of one ECS task, from DescribeTasks or from
// a Task State Change event. Only the fields the monitor uses are kept.
type Task struct {
	ARN               string
	ClusterARN        string
	TaskDefinitionARN string
	Group             string
	StartedBy         string
	LastStatus        string
	DesiredStatus     string
	LaunchType        string
	Version           int64
	CreatedAt         time.Time
	StartedAt         time.Time
	StoppingAt        time.Time
	StoppedAt         time.Time
	StopCode          string
	StoppedReason     string
	Containers        []Container
}

// Container is one container of a task.
type Container struct {
	Name       string
	Image      string
	LastStatus string
	ExitCode   *int
	Reason     string
}

// Family returns the task definition family from the task definition ARN
// (arn:aws:ecs:region:acct:task-definition/family:rev).
func (t Task) Family() string {
	s := t.TaskDefinitionARN
	if i := strings.LastIndex(s, "/"); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.LastIndex(s, ":"); i >= 0 {
		s = s[:i]
	}
	return s
}

// ShortID returns the last path element of an ARN: a task's id, a
// cluster's name. A name without a path is returned as it is.
func ShortID(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// Started-by prefixes of the two scheduling services (see docs/AWS-NOTES.md §1).
const (
	startedByRule     = "events-rule/"
	startedBySchedule = "chronos-schedule/"
	// startedByMax is the length ECS cuts startedBy to for Scheduler tasks.
	startedByMax = 36
)

// Scheduler returns the rule or schedule name that started the task (as far
// as startedBy carries it, possibly cut to 36 characters), or "".
func (t Task) Scheduler() string {
	for _, p := range []string{startedByRule, startedBySchedule} {
		if strings.HasPrefix(t.StartedBy, p) {
			return strings.TrimPrefix(t.StartedBy, p)
		}
	}
	return ""
}
