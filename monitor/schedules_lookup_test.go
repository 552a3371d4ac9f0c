package monitor

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// TestSchedulesIdleClusterResolvesARN: a cluster named in config, on
// which no task has ever run, still has its rules discovered (its ARN from
// DescribeClusters), so a rule that never starts a task is a missed run.
func TestSchedulesIdleClusterResolvesARN(t *testing.T) {
	ctx := context.Background()
	clock := testkit.NewClock(time.Date(2026, 3, 9, 10, 0, 30, 0, time.UTC))
	sim, ecsc, eb, _ := startSchedSim(t, clock)
	sim.CreateCluster("idle")
	sim.PutScheduledRule("every-minute", "cron(* * * * ? *)", "idle", "report", 1, true)

	cl := clusterFrom(t, "[[cluster]]\nname = \"idle\"\nregion = \""+sim.Region()+"\"\n[[cluster.job]]\nrule = \"every-minute\"\ngrace = \"10s\"\n")
	notes := &schedNotes{}
	s := NewSchedules(SchedulesOptions{Cluster: cl, Clusters: ecsc, Events: eb, Notes: notes, Now: clock.Now, CheckInterval: time.Second})
	if err := s.Refresh(ctx, clock.Now()); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if n := sim.Calls("ecs:DescribeClusters"); n != 1 {
		t.Errorf("DescribeClusters calls = %d, want 1", n)
	}
	if n := sim.Calls("events:ListRuleNamesByTarget"); n != 1 {
		t.Errorf("ListRuleNamesByTarget calls = %d, want 1 (rules discovered by the resolved ARN)", n)
	}
	if j, ok := s.Jobs()["every-minute"]; !ok || j.Source != SourceRule || j.Family != "report" {
		t.Fatalf("jobs = %+v, want the rule every-minute", s.Jobs())
	}
	if anyContains(notes.notes, "ARN is not known") {
		t.Errorf("notes = %q, want no unknown-ARN note", notes.notes)
	}
	// 10:01:00 is due; with 10 s of grace, 10:01:05 is not late yet, 10:01:11 is.
	if fs := s.Check(clock.Now().Add(35 * time.Second)); len(fs) != 0 {
		t.Errorf("within grace: findings = %+v, want none", fs)
	}
	fs := s.Check(clock.Now().Add(41 * time.Second))
	if len(fs) != 1 || fs[0].Kind != KindMissedRun || fs[0].Job != "every-minute" || fs[0].Transition != Opened {
		t.Fatalf("after grace: findings = %+v, want one missed_run of every-minute", fs)
	}
	// The ARN is resolved once, not at every refresh.
	if err := s.Refresh(ctx, clock.Now()); err != nil {
		t.Fatalf("second refresh: %v", err)
	}
	if n := sim.Calls("ecs:DescribeClusters"); n != 1 {
		t.Errorf("DescribeClusters calls after a second refresh = %d, want 1", n)
	}
}

// TestSchedulesMissingClusterIsAnError: a misspelt cluster is an error
// naming it at the first refresh, not an empty rule list.
func TestSchedulesMissingClusterIsAnError(t *testing.T) {
	clock := testkit.NewClock(time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC))
	sim, ecsc, eb, _ := startSchedSim(t, clock)
	cl := clusterFrom(t, "[[cluster]]\nname = \"nope\"\nregion = \""+sim.Region()+"\"\n")
	s := NewSchedules(SchedulesOptions{Cluster: cl, Clusters: ecsc, Events: eb, Now: clock.Now, CheckInterval: cl.PollInterval.Duration})
	err := s.Refresh(context.Background(), clock.Now())
	if err == nil || !strings.Contains(err.Error(), "nope") || !strings.Contains(err.Error(), "MISSING") {
		t.Fatalf("refresh error = %v, want one naming cluster nope as MISSING", err)
	}
}

// TestSchedulesConfiguredRuleReadByName: a rule named in config is read by
// name even when discovery cannot find it (here: no ARN is known at all,
// and the rule's target names the cluster in a form discovery does not
// match); a configured name that exists nowhere is noted once.
func TestSchedulesConfiguredRuleReadByName(t *testing.T) {
	ctx := context.Background()
	clock := testkit.NewClock(time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC))
	sim, _, eb, sc := startSchedSim(t, clock)
	sim.CreateCluster("batch")
	sim.PutScheduledRule("nightly", "cron(0 2 * * ? *)", "batch", "report", 1, true)

	cl := clusterFrom(t, "[[cluster]]\nname = \"batch\"\nregion = \""+sim.Region()+"\"\n[[cluster.job]]\nrule = \"nightly\"\n[[cluster.job]]\nrule = \"ghost\"\n")
	notes := &schedNotes{}
	s := NewSchedules(SchedulesOptions{Cluster: cl, Events: eb, Scheduler: sc, Notes: notes, Now: clock.Now, CheckInterval: cl.PollInterval.Duration})
	for range 2 {
		if err := s.Refresh(ctx, clock.Now()); err != nil {
			t.Fatalf("refresh: %v", err)
		}
	}
	j, ok := s.Jobs()["nightly"]
	if !ok || j.Source != SourceRule || j.Expression != "cron(0 2 * * ? *)" || j.Family != "report" || !j.Enabled {
		t.Fatalf("jobs = %+v, want nightly read by name", s.Jobs())
	}
	ghost := 0
	for _, n := range notes.notes {
		if strings.Contains(n, "ghost: configured rule is neither") {
			ghost++
		}
	}
	if ghost != 1 {
		t.Errorf("ghost noted %d times, want once: %q", ghost, notes.notes)
	}
}

// TestPollFailureLoggedOncePerChange: AWS puts a fresh request id into
// every error's text; twenty denied polls still log one line, and the
// recovery one more.
func TestPollFailureLoggedOncePerChange(t *testing.T) {
	ctx := context.Background()
	clock := testkit.NewClock(time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC))
	sim, ecsc, _, _ := startSchedSim(t, clock)
	sim.CreateCluster("denied")
	var logs bytes.Buffer
	p := NewPoller(PollerOptions{Cluster: clusterFrom(t, "[[cluster]]\nname = \"denied\"\nregion = \""+sim.Region()+"\"\n"), ECS: ecsc,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Now: clock.Now})
	remove := sim.InjectFault(awssim.Fault{Op: "ecs:ListTasks", Code: "AccessDeniedException", Message: "User is not authorized to perform ecs:ListTasks"})
	var texts []string
	for range 20 {
		_, err := p.Poll(ctx, clock.Add(time.Second))
		if err == nil {
			t.Fatal("poll succeeded under an AccessDenied fault")
		}
		texts = append(texts, err.Error())
	}
	if texts[0] == texts[1] {
		t.Fatalf("test premise: error texts should differ (a fresh request id each), both are %q", texts[0])
	}
	if n := strings.Count(logs.String(), `"msg":"poll failed"`); n != 1 {
		t.Errorf("poll failed logged %d times over 20 denied polls, want 1:\n%s", n, logs.String())
	}
	remove()
	for range 3 {
		if _, err := p.Poll(ctx, clock.Add(time.Second)); err != nil {
			t.Fatalf("poll after the fault: %v", err)
		}
	}
	if n := strings.Count(logs.String(), `"msg":"poll recovered"`); n != 1 {
		t.Errorf("poll recovered logged %d times, want 1", n)
	}
}
