package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The EventBridge envelope values of an ECS Task State Change event
// (docs/AWS-NOTES.md §1).
const (
	eventSource     = "aws.ecs"
	eventDetailType = "ECS Task State Change"
)

// ErrNotTaskEvent is returned (wrapped) by ParseEvent for a well-formed JSON
// message that is not an ECS Task State Change event, or lacks the task or
// cluster ARN the monitor needs.
var ErrNotTaskEvent = errors.New("not an ECS Task State Change event")

// TaskEvent is one ECS Task State Change event, reduced to what the monitor
// uses. Task carries the detail; the envelope fields sit beside it.
type TaskEvent struct {
	ID         string    // EventBridge event id; the same for every copy of one event
	Time       time.Time // when EventBridge saw the change (envelope "time")
	Region     string
	Account    string
	ClusterARN string
	Task       Task
}

// envelope is the EventBridge event. Unknown fields are ignored on purpose:
// AWS documents that new properties may appear at any time.
type envelope struct {
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       eventTime       `json:"time"`
	Region     string          `json:"region"`
	Detail     json.RawMessage `json:"detail"`
}

// snsEnvelope is an SNS notification wrapping the event when the queue is
// subscribed to an SNS topic without raw message delivery.
type snsEnvelope struct {
	Type    string `json:"Type"`
	Message string `json:"Message"`
}

type eventDetail struct {
	TaskARN           string           `json:"taskArn"`
	ClusterARN        string           `json:"clusterArn"`
	TaskDefinitionARN string           `json:"taskDefinitionArn"`
	Group             string           `json:"group"`
	StartedBy         string           `json:"startedBy"`
	LastStatus        string           `json:"lastStatus"`
	DesiredStatus     string           `json:"desiredStatus"`
	LaunchType        string           `json:"launchType"`
	Version           int64            `json:"version"`
	CreatedAt         eventTime        `json:"createdAt"`
	StartedAt         eventTime        `json:"startedAt"`
	StoppingAt        eventTime        `json:"stoppingAt"`
	StoppedAt         eventTime        `json:"stoppedAt"`
	StopCode          string           `json:"stopCode"`
	StoppedReason     string           `json:"stoppedReason"`
	Containers        []eventContainer `json:"containers"`
}

type eventContainer struct {
	Name       string `json:"name"`
	Image      string `json:"image"`
	LastStatus string `json:"lastStatus"`
	ExitCode   *int   `json:"exitCode"`
	Reason     string `json:"reason"`
}

// eventTime reads the event's ISO-8601 timestamps. It also accepts Unix
// seconds (the DescribeTasks form) and, because a bad timestamp should not
// cost us a failure alert, turns anything unreadable into the zero time.
type eventTime struct{ time.Time }

func (t *eventTime) UnmarshalJSON(b []byte) error {
	t.Time = time.Time{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return nil
		}
		t.Time = parseEventTime(s)
		return nil
	}
	t.Time = unixEventTime(string(b))
	return nil
}

// parseEventTime reads an ISO-8601 timestamp; the zero time if it is not one.
func parseEventTime(s string) time.Time {
	for _, layout := range [...]string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"} {
		if v, err := time.Parse(layout, s); err == nil {
			return v.UTC()
		}
	}
	return time.Time{}
}

// unixEventTime reads Unix seconds; the zero time if s is not a plausible
// number of them.
func unixEventTime(s string) time.Time {
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f < 1e11 {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC()
	}
	return time.Time{}
}

// ParseEvent decodes an ECS Task State Change event from an SQS message
// body, raw or wrapped in one SNS notification envelope. It is lenient about
// fields it does not know and strict about what it needs: the envelope's
// source and detail-type, the task ARN and the cluster ARN. Errors never
// quote the body, so they are safe to log.
func ParseEvent(body []byte) (TaskEvent, error) { return parseEvent(string(body)) }

// parseEvent is ParseEvent on a message body as SQS hands it over. The
// fast path (scanEvent) takes the events it can; decodeEvent, with
// encoding/json, decides everything else and words the errors.
func parseEvent(body string) (TaskEvent, error) {
	if ev, ok := scanEvent(body); ok {
		return ev, nil
	}
	return decodeEvent([]byte(body))
}

// decodeEvent is the reference decoding with encoding/json: envelope (raw
// or in SNS), then detail.
func decodeEvent(body []byte) (TaskEvent, error) {
	var sns snsEnvelope
	if err := json.Unmarshal(body, &sns); err != nil {
		return TaskEvent{}, fmt.Errorf("decode event JSON: %w", err)
	}
	if sns.Type == "Notification" && sns.Message != "" {
		body = []byte(sns.Message)
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return TaskEvent{}, fmt.Errorf("decode event JSON: %w", err)
	}
	if env.Source != eventSource || env.DetailType != eventDetailType {
		return TaskEvent{}, fmt.Errorf("check event type: %w", ErrNotTaskEvent)
	}
	if len(env.Detail) == 0 {
		return TaskEvent{}, fmt.Errorf("check event detail: %w: no detail", ErrNotTaskEvent)
	}
	var d eventDetail
	if err := json.Unmarshal(env.Detail, &d); err != nil {
		return TaskEvent{}, fmt.Errorf("decode event detail: %w", err)
	}
	if d.TaskARN == "" || d.ClusterARN == "" {
		return TaskEvent{}, fmt.Errorf("check event detail: %w: taskArn or clusterArn missing", ErrNotTaskEvent)
	}
	ev := TaskEvent{
		ID:         env.ID,
		Time:       env.Time.Time,
		Region:     env.Region,
		Account:    env.Account,
		ClusterARN: d.ClusterARN,
		Task: Task{
			ARN:               d.TaskARN,
			ClusterARN:        d.ClusterARN,
			TaskDefinitionARN: d.TaskDefinitionARN,
			Group:             d.Group,
			StartedBy:         d.StartedBy,
			LastStatus:        d.LastStatus,
			DesiredStatus:     d.DesiredStatus,
			LaunchType:        d.LaunchType,
			Version:           d.Version,
			CreatedAt:         d.CreatedAt.Time,
			StartedAt:         d.StartedAt.Time,
			StoppingAt:        d.StoppingAt.Time,
			StoppedAt:         d.StoppedAt.Time,
			StopCode:          d.StopCode,
			StoppedReason:     d.StoppedReason,
		},
	}
	if ev.Region == "" {
		ev.Region = arnRegion(d.ClusterARN)
	}
	for _, c := range d.Containers {
		ev.Task.Containers = append(ev.Task.Containers, Container{
			Name: c.Name, Image: c.Image, LastStatus: c.LastStatus, ExitCode: c.ExitCode, Reason: c.Reason,
		})
	}
	return ev, nil
}

// DedupKey identifies the state change the event reports. Copies of one
// event share the id; when the id is missing, the task and its
// detail.version identify it (AWS: duplicates carry the same version).
func (e TaskEvent) DedupKey() string {
	if e.ID != "" {
		return e.ID
	}
	return e.Task.ARN + "#" + strconv.FormatInt(e.Task.Version, 10)
}

// arnRegion returns the region field of an ARN, "" if s is not an ARN.
func arnRegion(s string) string {
	// arn:partition:service:region:account:resource
	rest, ok := strings.CutPrefix(s, "arn:")
	if !ok {
		return ""
	}
	var field [4]string
	for i := range field {
		var found bool
		if field[i], rest, found = strings.Cut(rest, ":"); !found {
			return ""
		}
	}
	return field[2]
}

// How long, and how many, handled events are remembered for
// de-duplication. Redeliveries and EventBridge duplicates arrive within
// minutes; two hours matches how long State remembers stopped tasks.
const (
	eventMemoryTTL = 2 * time.Hour
	eventMemoryMax = 100_000
)

// eventMemory remembers which events were seen and handled, and per task
// the highest version handled, so copies and late, older events change
// nothing. Bounded by eventMemoryTTL and eventMemoryMax.
type eventMemory struct {
	mu        sync.Mutex
	keys      map[string]keyMemory  // TaskEvent.DedupKey -> seen/handled
	tasks     map[string]taskMemory // task ARN -> highest handled version
	lastPrune time.Time
}

type keyMemory struct {
	at   time.Time
	done bool
}

type taskMemory struct {
	at       time.Time
	version  int64
	finished bool // its STOPPED event was handled: the run is accounted for
}

// memoryVerdict is what the memory knows of an event.
type memoryVerdict struct {
	redelivered bool // this event (id) was seen before
	done        bool // and was handled completely
	stale       bool // the task has a handled version >= this one, or its run is accounted for
}

func newEventMemory() *eventMemory {
	return &eventMemory{keys: map[string]keyMemory{}, tasks: map[string]taskMemory{}}
}

// check notes the event as seen and says what is known of it.
func (m *eventMemory) check(ev TaskEvent, now time.Time) memoryVerdict {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.prune(now)
	k := ev.DedupKey()
	km, seen := m.keys[k]
	v := memoryVerdict{redelivered: seen, done: km.done}
	if !seen {
		m.keys[k] = keyMemory{at: now}
	}
	if tm, ok := m.tasks[ev.Task.ARN]; ok && (tm.finished || ev.Task.Version <= tm.version) {
		v.stale = true
	}
	return v
}

// complete records that the event was handled (its message may be deleted).
func (m *eventMemory) complete(ev TaskEvent, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys[ev.DedupKey()] = keyMemory{at: now, done: true}
	tm := m.tasks[ev.Task.ARN]
	tm.at = now
	tm.version = max(tm.version, ev.Task.Version)
	tm.finished = tm.finished || ev.Task.LastStatus == "STOPPED"
	m.tasks[ev.Task.ARN] = tm
}

// prune drops expired entries (at most once a minute unless full), then,
// if still full, arbitrary ones: forgetting early only risks a duplicate
// alert, never a lost one.
func (m *eventMemory) prune(now time.Time) {
	full := len(m.keys) >= eventMemoryMax || len(m.tasks) >= eventMemoryMax
	if !full && now.Sub(m.lastPrune) < time.Minute {
		return
	}
	m.lastPrune = now
	for k, v := range m.keys {
		if now.Sub(v.at) > eventMemoryTTL || len(m.keys) >= eventMemoryMax {
			delete(m.keys, k)
		}
	}
	for k, v := range m.tasks {
		if now.Sub(v.at) > eventMemoryTTL || len(m.tasks) >= eventMemoryMax {
			delete(m.tasks, k)
		}
	}
}

// taskLocks serialises the handling of one task's events, so two copies of
// one event received by two receivers cannot both alert.
type taskLocks struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

// lock waits for the task's lock or ctx; the returned func unlocks.
func (l *taskLocks) lock(ctx context.Context, key string) (func(), error) {
	for {
		l.mu.Lock()
		held, busy := l.m[key]
		if !busy {
			ch := make(chan struct{})
			l.m[key] = ch
			l.mu.Unlock()
			return func() {
				l.mu.Lock()
				delete(l.m, key)
				l.mu.Unlock()
				close(ch)
			}, nil
		}
		l.mu.Unlock()
		select {
		case <-held:
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for task %s: %w", ShortID(key), ctx.Err())
		}
	}
}
