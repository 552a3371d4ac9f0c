package monitor

import (
	"os"
	"path/filepath"
	"testing"
)

// repoEvent reads a sample event from the repository's testdata/events.
func repoEvent(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A Fargate Spot reclaim (stopCode SpotInterruption, the app ending on the
// reclaim's SIGTERM) is its own cause, not "exit code 143".
func TestHandleSpotInterruptionSample(t *testing.T) {
	env := newTestEnv(t, nil)
	if got := env.events.Handle(t.Context(), message("m1", repoEvent(t, "stopped-spot-interruption.json"), 1)); got != OutcomeAlerted {
		t.Fatalf("outcome %s, want alerted; logs:\n%s", got, env.logs)
	}
	alerts := env.sink.alerts()
	if len(alerts) != 1 {
		t.Fatalf("%d alerts, want 1", len(alerts))
	}
	f := alerts[0]
	if f.Cause != CauseSpotInterrupted || f.Job != "nightly-report" || f.Container != "app" || f.StopCode != "SpotInterruption" {
		t.Errorf("failure = %+v, want spot_interrupted of nightly-report", *f.Failure)
	}
	if f.Message != "the task was interrupted by a Fargate Spot reclaim" {
		t.Errorf("message %q", f.Message)
	}
	if n := env.metrics.values["task.failed|cluster:cron,job:nightly-report,exit_code:143,container:app,cause:spot_interrupted"]; n != 1 {
		t.Errorf("task.failed by cause spot_interrupted = %v; metrics %v", n, env.metrics.values)
	}
}
