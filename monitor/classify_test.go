package monitor

import (
	"testing"
	"time"
)

func exit(code int) *int { return &code }

func stoppedTask(stopCode string, cs ...Container) Task {
	start := time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC)
	return Task{
		ARN:           "arn:aws:ecs:ap-northeast-1:123456789012:task/cron/abc",
		LastStatus:    "STOPPED",
		StopCode:      stopCode,
		StoppedReason: "Essential container in task exited",
		StartedBy:     "events-rule/nightly",
		StartedAt:     start,
		StoppedAt:     start.Add(90 * time.Second),
		Containers:    cs,
	}
}

func TestClassify(t *testing.T) {
	app := func(code *int, reason string) Container {
		return Container{Name: "app", ExitCode: code, Reason: reason}
	}
	agent := func(code *int) Container { return Container{Name: "datadog-agent", ExitCode: code} }
	nonEssentialAgent := func(name string) bool { return name != "datadog-agent" }
	const oomReason = "OutOfMemoryError: Container killed due to memory usage"

	tests := []struct {
		name      string
		task      Task
		job       JobRef
		essential func(string) bool
		cause     Cause // "" = no failure
		container string
		exit      *int
	}{
		{name: "success", task: stoppedTask("EssentialContainerExited", app(exit(0), ""))},
		{name: "exit 1", task: stoppedTask("EssentialContainerExited", app(exit(1), "")), cause: CauseExit, container: "app", exit: exit(1)},
		{name: "ignored exit code", task: stoppedTask("EssentialContainerExited", app(exit(3), "")), job: JobRef{IgnoreExitCodes: []int{3}}},
		{name: "ignore list is per code", task: stoppedTask("EssentialContainerExited", app(exit(4), "")), job: JobRef{IgnoreExitCodes: []int{3}}, cause: CauseExit, container: "app", exit: exit(4)},
		{name: "oom", task: stoppedTask("EssentialContainerExited", app(exit(137), oomReason)), cause: CauseOOM, container: "app", exit: exit(137)},
		{name: "sigkill without oom", task: stoppedTask("EssentialContainerExited", app(exit(137), "")), cause: CauseExit, container: "app", exit: exit(137)},
		{name: "non-essential sidecar failure not judged", task: stoppedTask("EssentialContainerExited", app(exit(0), ""), agent(exit(1))), essential: nonEssentialAgent},
		{name: "sidecar 143 not judged", task: stoppedTask("EssentialContainerExited", app(exit(0), ""), agent(exit(143))), essential: nonEssentialAgent},
		{name: "unknown essentiality judges all", task: stoppedTask("EssentialContainerExited", app(exit(0), ""), agent(exit(143))), cause: CauseExit, container: "datadog-agent", exit: exit(143)},
		{name: "config sidecar not judged", task: stoppedTask("EssentialContainerExited", app(exit(0), ""), agent(exit(2))), job: JobRef{Sidecars: []string{"datadog-agent"}}},
		{name: "ReportSidecars reports a crashed sidecar", task: stoppedTask("EssentialContainerExited", app(exit(0), ""), agent(exit(2))), essential: nonEssentialAgent, job: JobRef{ReportSidecars: true}, cause: CauseExit, container: "datadog-agent", exit: exit(2)},
		{name: "ReportSidecars excuses the stop signal", task: stoppedTask("EssentialContainerExited", app(exit(0), ""), agent(exit(143))), essential: nonEssentialAgent, job: JobRef{ReportSidecars: true}},
		{name: "ReportSidecars reports sidecar oom", task: stoppedTask("EssentialContainerExited", app(exit(0), ""), Container{Name: "datadog-agent", ExitCode: exit(137), Reason: oomReason}), essential: nonEssentialAgent, job: JobRef{ReportSidecars: true}, cause: CauseOOM, container: "datadog-agent", exit: exit(137)},
		{name: "own exit named before a killed container", task: stoppedTask("EssentialContainerExited", Container{Name: "init", ExitCode: exit(143)}, app(exit(2), "")), cause: CauseExit, container: "app", exit: exit(2)},
		{name: "user stop with SIGTERM", task: stoppedTask("UserInitiated", app(exit(143), "")), cause: ""},
		{name: "user stop with SIGKILL", task: stoppedTask("UserInitiated", app(exit(137), "")), cause: ""},
		{name: "user stop before start", task: func() Task { t := stoppedTask("UserInitiated", app(nil, "")); t.StartedAt = time.Time{}; return t }()},
		{name: "user stop but app crashed", task: stoppedTask("UserInitiated", app(exit(1), "")), cause: CauseExit, container: "app", exit: exit(1)},
		{name: "user stop but oom", task: stoppedTask("UserInitiated", app(exit(137), oomReason)), cause: CauseOOM, container: "app", exit: exit(137)},
		{name: "failed to start, reason on task only", task: func() Task {
			t := stoppedTask("TaskFailedToStart", app(nil, ""))
			t.StoppedReason = "ResourceInitializationError: unable to pull secrets"
			return t
		}(), cause: CauseNeverStarted},
		{name: "pull error on container, unknown stop code", task: stoppedTask("InfrastructureHealth", app(nil, "CannotPullContainerError: not found")), cause: CauseNeverStarted, container: "app"},
		{name: "unknown stop code, clean exit", task: stoppedTask("SomethingNew", app(exit(0), ""))},
		{name: "spot interruption before exit code", task: stoppedTask("SpotInterruption", app(nil, "")), cause: CauseSpotInterrupted, container: "app"},
		{name: "spot interruption sigterm", task: stoppedTask("SpotInterruption", app(exit(143), "")), cause: CauseSpotInterrupted, container: "app", exit: exit(143)},
		{name: "spot interruption, app exited 0 on SIGTERM", task: stoppedTask("SpotInterruption", app(exit(0), "")), cause: CauseSpotInterrupted, container: "app", exit: exit(0)},
		{name: "spot interruption while provisioning", task: func() Task {
			t := stoppedTask("SpotInterruption", app(nil, ""))
			t.StartedAt = time.Time{}
			return t
		}(), cause: CauseSpotInterrupted, container: "app"},
		{name: "running", task: func() Task { t := stoppedTask("", app(nil, "")); t.LastStatus = "RUNNING"; return t }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Classify(tt.task, tt.job, tt.essential)
			if tt.cause == "" {
				if f != nil {
					t.Fatalf("want no failure, got %+v", f)
				}
				return
			}
			if f == nil {
				t.Fatalf("want %s, got no failure", tt.cause)
			}
			if f.Cause != tt.cause || f.Container != tt.container {
				t.Errorf("cause %s container %q, want %s %q", f.Cause, f.Container, tt.cause, tt.container)
			}
			switch {
			case tt.exit == nil && f.ExitCode != nil:
				t.Errorf("exit code %d, want none", *f.ExitCode)
			case tt.exit != nil && (f.ExitCode == nil || *f.ExitCode != *tt.exit):
				t.Errorf("exit code %v, want %d", f.ExitCode, *tt.exit)
			}
			if f.StopCode != tt.task.StopCode || f.StartedBy != tt.task.StartedBy || !f.StoppedAt.Equal(tt.task.StoppedAt) {
				t.Errorf("task details not copied: %+v", f)
			}
		})
	}
}

func TestClassifyDoesNotAliasExitCode(t *testing.T) {
	task := stoppedTask("EssentialContainerExited", Container{Name: "app", ExitCode: exit(1)})
	f := Classify(task, JobRef{}, nil)
	*task.Containers[0].ExitCode = 9
	if *f.ExitCode != 1 {
		t.Errorf("failure shares the task's exit code pointer")
	}
}

func TestClassifyNeverStartedKeepsReason(t *testing.T) {
	task := stoppedTask("TaskFailedToStart", Container{Name: "app", Reason: "CannotPullContainerError: manifest unknown"})
	task.StartedAt = time.Time{}
	f := Classify(task, JobRef{}, nil)
	if f == nil || f.Cause != CauseNeverStarted || f.Reason != "CannotPullContainerError: manifest unknown" || f.Duration() != 0 {
		t.Fatalf("failure = %+v", f)
	}
}
