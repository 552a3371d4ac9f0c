package monitor

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// State keeps its own compact copy of a task: nothing points into the
// decoded response it came from, and strings tasks share are held once.
func TestStateKeepsCompactCopies(t *testing.T) {
	s := NewState()
	now := time.Now()
	task := func(id string) Task {
		// Fresh strings each time, as each decoded response has its own.
		cluster := strings.Clone("arn:aws:ecs:ap-northeast-1:123456789012:cluster/cron")
		return Task{ARN: "arn:aws:ecs:ap-northeast-1:123456789012:task/cron/" + id, ClusterARN: cluster,
			TaskDefinitionARN: strings.Clone("arn:aws:ecs:ap-northeast-1:123456789012:task-definition/etl:3"),
			LastStatus:        strings.Clone("RUNNING"), Version: 2,
			Containers: []Container{{Name: strings.Clone("app"), Image: strings.Clone("etl:1")}}}
	}
	a, b := task("a1"), task("b2")
	s.Observe("cron", a, now)
	s.Observe("cron", b, now)
	live := s.Live("cron")
	if len(live) != 2 || live[0].ARN != a.ARN || live[1].ARN != b.ARN {
		t.Fatalf("live = %+v", live)
	}
	same := func(x, y string) bool { return unsafe.StringData(x) == unsafe.StringData(y) }
	if !same(live[0].ClusterARN, live[1].ClusterARN) || !same(live[0].Containers[0].Image, live[1].Containers[0].Image) {
		t.Error("shared strings are held twice")
	}
	if same(live[0].ARN, a.ARN) || same(live[0].ClusterARN, a.ClusterARN) {
		t.Error("the kept task points into the observed one")
	}
	want := a
	if live[0].ClusterARN != want.ClusterARN || live[0].TaskDefinitionARN != want.TaskDefinitionARN ||
		!slices.Equal(live[0].Containers, want.Containers) || live[0].Version != 2 {
		t.Errorf("kept %+v, observed %+v", live[0], want)
	}
}

// Unknown lists what a poll must describe: tasks not held, and held ones
// still starting; not running ones, nor recently stopped ones.
func TestStateUnknown(t *testing.T) {
	s := NewState()
	now := time.Now()
	s.Observe("cron", Task{ARN: "running", LastStatus: "RUNNING", Version: 1}, now)
	s.Observe("cron", Task{ARN: "pending", LastStatus: "PENDING", Version: 1}, now)
	s.Observe("cron", Task{ARN: "stopped", LastStatus: "STOPPED", Version: 3}, now)
	got := s.Unknown("cron", []string{"new", "running", "pending", "stopped", "other"})
	if want := []string{"new", "pending", "other"}; !slices.Equal(got, want) {
		t.Errorf("Unknown = %q, want %q", got, want)
	}
}
