package monitor

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sampleEvents is the one copy of the sample ECS events, at the module root.
const sampleEvents = "../testdata/events"

func readEvent(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sampleEvents, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// snsWrap puts an event in an SNS notification envelope, as SQS receives
// it from a topic subscription without raw message delivery.
func snsWrap(t testing.TB, body []byte) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]string{
		"Type":      "Notification",
		"MessageId": "5b3c6f0e-1111-2222-3333-444455556666",
		"TopicArn":  "arn:aws:sns:ap-northeast-1:123456789012:ecs-events",
		"Message":   string(body),
		"Timestamp": "2026-03-09T02:15:41.000Z",
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseEventEssentialExit1(t *testing.T) {
	ev, err := ParseEvent(readEvent(t, "stopped-essential-exit1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID == "" || ev.Region != "ap-northeast-1" || ev.Account != "123456789012" {
		t.Errorf("envelope = %q %q %q", ev.ID, ev.Region, ev.Account)
	}
	if ev.Time.IsZero() || ev.Time.Location() != time.UTC {
		t.Errorf("time = %v", ev.Time)
	}
	task := ev.Task
	if task.ARN == "" || task.ClusterARN != "arn:aws:ecs:ap-northeast-1:123456789012:cluster/cron" || ev.ClusterARN != task.ClusterARN {
		t.Errorf("arns = %q %q", task.ARN, task.ClusterARN)
	}
	if task.LastStatus != "STOPPED" || task.Version != 6 || task.StopCode != "EssentialContainerExited" {
		t.Errorf("status = %q v%d %q", task.LastStatus, task.Version, task.StopCode)
	}
	if task.StartedBy != "events-rule/billing-batch-daily" || task.Family() != "billing-batch" {
		t.Errorf("startedBy %q family %q", task.StartedBy, task.Family())
	}
	if task.StartedAt.IsZero() || !task.StoppedAt.After(task.StartedAt) {
		t.Errorf("times started %v stopped %v", task.StartedAt, task.StoppedAt)
	}
	if len(task.Containers) != 1 || task.Containers[0].Name != "app" || task.Containers[0].ExitCode == nil || *task.Containers[0].ExitCode != 1 {
		t.Errorf("containers = %+v", task.Containers)
	}
}

func TestParseEventFractionalTimes(t *testing.T) {
	ev, err := ParseEvent(readEvent(t, "stopped-sidecar-143-app-0.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 3, 9, 6, 0, 29, 117_000_000, time.UTC)
	if !ev.Task.StartedAt.Equal(want) {
		t.Errorf("startedAt = %v, want %v", ev.Task.StartedAt, want)
	}
}

func TestParseEventPullErrorHasNoExitCode(t *testing.T) {
	ev, err := ParseEvent(readEvent(t, "stopped-failed-to-start-pull-error.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := ev.Task.Containers[0]
	if c.ExitCode != nil || !strings.HasPrefix(c.Reason, "CannotPullContainerError") || !ev.Task.StartedAt.IsZero() {
		t.Errorf("container = %+v startedAt %v", c, ev.Task.StartedAt)
	}
}

func TestParseEventSNSEnvelope(t *testing.T) {
	raw := readEvent(t, "stopped-oom-137.json")
	want, err := ParseEvent(raw)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseEvent(snsWrap(t, raw))
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != want.ID || got.Task.ARN != want.Task.ARN || got.Task.Version != want.Task.Version || len(got.Task.Containers) != 1 {
		t.Errorf("SNS-wrapped event = %+v, want %+v", got, want)
	}
}

func TestParseEventLenientTimestamps(t *testing.T) {
	body := `{"id":"x","source":"aws.ecs","detail-type":"ECS Task State Change","time":"not a time",
	  "detail":{"taskArn":"arn:aws:ecs:us-east-1:1:task/c/t","clusterArn":"arn:aws:ecs:us-east-1:1:cluster/c",
	  "startedAt":1773036029.5,"stoppedAt":"garbage","newField":{"x":[1,2]},"version":2}}`
	ev, err := ParseEvent([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if !ev.Time.IsZero() || !ev.Task.StoppedAt.IsZero() {
		t.Errorf("bad timestamps should be zero: %v %v", ev.Time, ev.Task.StoppedAt)
	}
	if want := time.Unix(1773036029, 500_000_000).UTC(); !ev.Task.StartedAt.Equal(want) {
		t.Errorf("unix startedAt = %v, want %v", ev.Task.StartedAt, want)
	}
	if ev.Region != "us-east-1" {
		t.Errorf("region from cluster ARN = %q", ev.Region)
	}
}

func TestParseEventRejects(t *testing.T) {
	const secret = "hunter2-secret-token"
	valid := `"source":"aws.ecs","detail-type":"ECS Task State Change"`
	tests := []struct {
		name, body string
		notTask    bool // errors.Is ErrNotTaskEvent
	}{
		{"not JSON", `{"token":"` + secret + `"`, false},
		{"array", `["` + secret + `"]`, false},
		{"other detail-type", `{"source":"aws.ecs","detail-type":"ECS Container Instance State Change","detail":{"taskArn":"` + secret + `"}}`, true},
		{"other source", `{"source":"aws.ec2","detail-type":"ECS Task State Change","detail":{}}`, true},
		{"no detail", `{` + valid + `}`, true},
		{"no taskArn", `{` + valid + `,"detail":{"clusterArn":"arn:aws:ecs:r:1:cluster/c","stoppedReason":"` + secret + `"}}`, true},
		{"no clusterArn", `{` + valid + `,"detail":{"taskArn":"arn:aws:ecs:r:1:task/c/t"}}`, true},
		{"wrong type", `{` + valid + `,"detail":{"taskArn":"a","clusterArn":"b","version":"` + secret + `"}}`, false},
		{"SNS of garbage", `{"Type":"Notification","Message":"` + secret + `"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEvent([]byte(tt.body))
			if err == nil {
				t.Fatal("want error")
			}
			if got := errors.Is(err, ErrNotTaskEvent); got != tt.notTask {
				t.Errorf("errors.Is(ErrNotTaskEvent) = %v for %v", got, err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error quotes the body: %v", err)
			}
		})
	}
}

func TestDedupKeyWithoutID(t *testing.T) {
	ev := TaskEvent{Task: Task{ARN: "arn:t", Version: 4}}
	if ev.DedupKey() != "arn:t#4" {
		t.Errorf("key = %q", ev.DedupKey())
	}
	ev.ID = "abc"
	if ev.DedupKey() != "abc" {
		t.Errorf("key = %q", ev.DedupKey())
	}
}
