package awssim

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func TestECSLifecycle(t *testing.T) {
	clock := newSimClock()
	s := startSim(t, clock)
	c := ecsClient(s)
	ctx := context.Background()
	s.CreateCluster("cron")
	mustRegister(t, s, "batch", ContainerDef{Name: "app", Image: "batch:1"}, ContainerDef{Name: "log-router", Image: "fluent-bit", NonEssential: true})
	mustRegister(t, s, "broken", ContainerDef{Name: "app", Image: "broken:rc1"})
	mustRegister(t, s, "server")
	s.SetTaskPlan("batch", TaskPlan{PendingFor: 20 * time.Second, RunFor: 2 * time.Minute, DeprovisionFor: 15 * time.Second,
		ExitCodes: map[string]int{"app": 137}, ContainerReason: "OutOfMemoryError: Container killed due to memory usage"})
	s.SetTaskPlan("broken", TaskPlan{PendingFor: 10 * time.Second, FailToStart: true})
	t0 := clock.Now()
	batch := mustRun(t, s, "cron", "batch", "events-rule/batch", 1)[0]
	broken := mustRun(t, s, "cron", "broken", "events-rule/broken", 1)[0]
	server := mustRun(t, s, "cron", "server", "", 1)[0]

	describe := func() map[string]types.Task {
		t.Helper()
		out, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("cron"), Tasks: []string{batch, broken, server}})
		if err != nil {
			t.Fatalf("DescribeTasks: %v", err)
		}
		m := map[string]types.Task{}
		for _, tk := range out.Tasks {
			m[aws.ToString(tk.TaskArn)] = tk
		}
		return m
	}
	status := func(tk types.Task) string {
		return fmt.Sprintf("%s/%s v%d", aws.ToString(tk.LastStatus), aws.ToString(tk.DesiredStatus), tk.Version)
	}

	m := describe()
	if got := status(m[batch]); got != "PENDING/RUNNING v2" {
		t.Errorf("batch at t0 = %s", got)
	}
	clock.Add(20 * time.Second)
	m = describe()
	if got := status(m[batch]); got != "RUNNING/RUNNING v3" || !aws.ToTime(m[batch].StartedAt).Equal(t0.Add(20*time.Second)) {
		t.Errorf("batch at t0+20s = %s, startedAt %v", got, aws.ToTime(m[batch].StartedAt))
	}
	if got := status(m[broken]); got != "STOPPED/STOPPED v5" {
		t.Errorf("broken at t0+20s = %s", got)
	}
	if b := m[broken]; b.StopCode != types.TaskStopCodeTaskFailedToStart || b.StartedAt != nil ||
		b.Containers[0].ExitCode != nil || !hasPrefix(b.Containers[0].Reason, "CannotPullContainerError") ||
		!hasPrefix(b.StoppedReason, "CannotPullContainerError") {
		t.Errorf("failed-to-start task = %+v", b)
	}

	// The clock jumps well past the run: every phase is still timestamped
	// when it was due, not when it was observed.
	clock.Add(10 * time.Minute)
	m = describe()
	b := m[batch]
	if got := status(b); got != "STOPPED/STOPPED v6" {
		t.Errorf("batch after run = %s", got)
	}
	exited := t0.Add(20*time.Second + 2*time.Minute)
	if b.StopCode != types.TaskStopCodeEssentialContainerExited || aws.ToString(b.StoppedReason) != "Essential container in task exited" ||
		!aws.ToTime(b.StoppingAt).Equal(exited) || !aws.ToTime(b.StoppedAt).Equal(exited.Add(15*time.Second)) {
		t.Errorf("batch stop = %s %q stopping %v stopped %v", b.StopCode, aws.ToString(b.StoppedReason), aws.ToTime(b.StoppingAt), aws.ToTime(b.StoppedAt))
	}
	codes := map[string]string{}
	for _, ct := range b.Containers {
		codes[aws.ToString(ct.Name)] = fmt.Sprintf("%s %d %q", aws.ToString(ct.LastStatus), aws.ToInt32(ct.ExitCode), aws.ToString(ct.Reason))
	}
	if codes["app"] != `STOPPED 137 "OutOfMemoryError: Container killed due to memory usage"` || codes["log-router"] != `STOPPED 0 ""` {
		t.Errorf("containers = %v", codes)
	}
	if got := status(m[server]); got != "RUNNING/RUNNING v3" {
		t.Errorf("zero-plan task = %s, want still running", got)
	}

	st, err := c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("cron"), Task: aws.String(server), Reason: aws.String("deploy")})
	if err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	if st.Task.StopCode != types.TaskStopCodeUserInitiated || aws.ToString(st.Task.StoppedReason) != "deploy" || aws.ToString(st.Task.DesiredStatus) != "STOPPED" {
		t.Errorf("StopTask result = %s %q %s", st.Task.StopCode, aws.ToString(st.Task.StoppedReason), aws.ToString(st.Task.DesiredStatus))
	}
	m = describe()
	// PROVISIONING, PENDING, RUNNING, stop requested, DEPROVISIONING, STOPPED.
	if sv := m[server]; status(sv) != "STOPPED/STOPPED v6" || aws.ToInt32(sv.Containers[0].ExitCode) != 143 {
		t.Errorf("stopped server = %s exit %v", status(sv), sv.Containers[0].ExitCode)
	}
	if _, err := c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("cron"), Task: aws.String("0123")}); !hasCode(err, "InvalidParameterException") {
		t.Errorf("StopTask(unknown) error = %v", err)
	}

	// Stopped tasks expire after an hour, like in ECS.
	clock.Add(time.Hour)
	out, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("cron"), Tasks: []string{batch}})
	if err != nil || len(out.Tasks) != 0 || len(out.Failures) != 1 {
		t.Errorf("expired task: tasks %d failures %d err %v", len(out.Tasks), len(out.Failures), err)
	}
}

func TestECSTaskEvents(t *testing.T) {
	clock := newSimClock()
	s := startSim(t, clock)
	s.CreateCluster("cron")
	mustRegister(t, s, "billing-batch")
	s.SetTaskPlan("billing-batch", TaskPlan{PendingFor: 20 * time.Second, RunFor: 2 * time.Minute, ExitCodes: map[string]int{"app": 1}})
	// Changes before routing publish nothing; this task then stays RUNNING.
	mustRegister(t, s, "server")
	mustRun(t, s, "cron", "server", "", 1)
	s.Advance()
	if n := len(s.PublishedTaskEvents()); n != 0 {
		t.Fatalf("%d events published before routing", n)
	}
	// A queue that does not exist refuses events; they are counted.
	s.RouteTaskEvents("no-such-queue")
	if err := s.StopTasks("cron", "", mustRun(t, s, "cron", "server", "", 1)...); err != nil {
		t.Fatal(err)
	}
	s.Advance()
	// PROVISIONING, PENDING, RUNNING, stop requested, DEPROVISIONING, STOPPED.
	if s.TaskEventSendFailures() != 6 || len(s.PublishedTaskEvents()) != 0 {
		t.Errorf("refused sends = %d, published %d; want 6 and 0", s.TaskEventSendFailures(), len(s.PublishedTaskEvents()))
	}
	s.CreateQueue("task-events", nil)
	s.RouteTaskEvents("task-events")
	arn := mustRun(t, s, "cron", "billing-batch", "events-rule/billing-batch-daily", 1)[0]
	clock.Add(5 * time.Minute)
	s.Advance()

	bodies := s.PublishedTaskEvents()
	type event struct {
		Version    string   `json:"version"`
		ID         string   `json:"id"`
		DetailType string   `json:"detail-type"`
		Source     string   `json:"source"`
		Resources  []string `json:"resources"`
		Detail     struct {
			TaskArn    string `json:"taskArn"`
			LastStatus string `json:"lastStatus"`
			Version    int64  `json:"version"`
			UpdatedAt  string `json:"updatedAt"`
			StoppedAt  string `json:"stoppedAt"`
			Containers []struct {
				ExitCode *int `json:"exitCode"`
			} `json:"containers"`
		} `json:"detail"`
	}
	var statuses []string
	ids := map[string]bool{}
	var last event
	for i, b := range bodies {
		var ev event
		if err := json.Unmarshal([]byte(b), &ev); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if ev.Version != "0" || ev.DetailType != "ECS Task State Change" || ev.Source != "aws.ecs" ||
			!slices.Equal(ev.Resources, []string{arn}) || ev.Detail.TaskArn != arn || ev.Detail.Version != int64(i+1) || ids[ev.ID] {
			t.Errorf("event %d envelope/version wrong: %s", i, b)
		}
		ids[ev.ID] = true
		statuses = append(statuses, ev.Detail.LastStatus)
		last = ev
	}
	want := []string{"PROVISIONING", "PENDING", "RUNNING", "RUNNING", "DEPROVISIONING", "STOPPED"}
	if !slices.Equal(statuses, want) {
		t.Fatalf("event statuses = %v, want %v", statuses, want)
	}
	if last.Detail.StoppedAt != "2026-03-09T01:02:22.481Z" || last.Detail.UpdatedAt != last.Detail.StoppedAt ||
		len(last.Detail.Containers) != 1 || last.Detail.Containers[0].ExitCode == nil || *last.Detail.Containers[0].ExitCode != 1 {
		t.Errorf("final event detail = %+v", last.Detail)
	}
	if got := s.Messages("task-events"); !slices.Equal(got, bodies) {
		t.Errorf("queue holds %d messages, %d events published", len(got), len(bodies))
	}
	assertSameShape(t, "stopped-essential-exit1.json", bodies[len(bodies)-1])

	// A failed start has the fixture's shape too (no startedAt, no exitCode).
	mustRegister(t, s, "sync-inventory")
	s.SetTaskPlan("sync-inventory", TaskPlan{FailToStart: true})
	mustRun(t, s, "cron", "sync-inventory", "events-rule/sync-inventory-hourly", 1)
	s.Advance()
	bodies = s.PublishedTaskEvents()
	assertSameShape(t, "stopped-failed-to-start-pull-error.json", bodies[len(bodies)-1])
}

// sampleEvents is the one copy of the sample ECS events, at the module root.
const sampleEvents = "../../testdata/events"

// assertSameShape checks a published event against a sample event: every
// member the simulator models is present in both with the same JSON kind,
// and members absent from the sample (say, exitCode) are absent here too.
func assertSameShape(t *testing.T, fixture, body string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(sampleEvents, fixture))
	if err != nil {
		t.Fatal(err)
	}
	var want, got map[string]any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatalf("%s: %v", fixture, err)
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("event: %v", err)
	}
	compareKinds(t, fixture, "", want, got)
}

func compareKinds(t *testing.T, fixture, path string, want, got map[string]any) {
	t.Helper()
	for k, g := range got {
		w, ok := want[k]
		if !ok {
			t.Errorf("%s: event has %s%s, the sample does not", fixture, path, k)
			continue
		}
		if fmt.Sprintf("%T", w) != fmt.Sprintf("%T", g) {
			t.Errorf("%s: %s%s is %T, sample has %T", fixture, path, k, g, w)
		}
		switch w := w.(type) {
		case map[string]any:
			compareKinds(t, fixture, path+k+".", w, g.(map[string]any))
		case []any:
			if gs := g.([]any); len(w) > 0 && len(gs) > 0 {
				wm, wok := w[0].(map[string]any)
				gm, gok := gs[0].(map[string]any)
				if wok && gok {
					compareKinds(t, fixture, path+k+"[0].", wm, gm)
				}
			}
		}
	}
	// Members the simulator models must not be missing.
	for _, k := range []string{"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail",
		"clusterArn", "containers", "createdAt", "desiredStatus", "group", "lastStatus", "launchType", "startedBy",
		"stopCode", "stoppedAt", "stoppedReason", "stoppingAt", "taskArn", "taskDefinitionArn", "updatedAt",
		"containerArn", "name", "image", "exitCode", "reason"} {
		if _, inWant := want[k]; inWant {
			if _, inGot := got[k]; !inGot {
				t.Errorf("%s: event lacks %s%s", fixture, path, k)
			}
		}
	}
}
