package monitor

import (
	"testing"
	"time"
)

func TestTrackerIncidentLifecycle(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	tr := NewTracker(time.Hour)
	kinds := []Kind{KindTaskLimit, KindDuplicateRun}
	limit := func(sev Severity, v int) Observation {
		return Observation{Kind: KindTaskLimit, Severity: sev, Cluster: "cron", Value: v, Limit: 50}
	}
	dup := func(v int, tasks ...string) Observation {
		return Observation{Kind: KindDuplicateRun, Severity: SeverityWarning, Cluster: "cron", Job: "etl", Value: v, Limit: 1, Tasks: tasks}
	}
	type step struct {
		at   time.Duration
		obs  []Observation
		want []Transition
	}
	steps := []step{
		{0, []Observation{limit(SeverityWarning, 41)}, []Transition{Opened}},
		{10 * time.Second, []Observation{limit(SeverityWarning, 41)}, nil},
		{20 * time.Second, []Observation{limit(SeverityWarning, 43)}, []Transition{Updated}},
		{30 * time.Second, []Observation{limit(SeverityCritical, 48), dup(2, "a", "b")}, []Transition{Escalated, Opened}},
		{40 * time.Second, []Observation{limit(SeverityWarning, 42), dup(2, "a", "b")}, []Transition{Updated}},
		{50 * time.Second, []Observation{limit(SeverityWarning, 42), dup(2, "a", "c")}, []Transition{Updated}},
		{time.Hour + 40*time.Second, []Observation{limit(SeverityWarning, 42)}, []Transition{Renotify, Resolved}},
		{time.Hour + 50*time.Second, nil, []Transition{Resolved}},
		{time.Hour + 60*time.Second, nil, nil},
	}
	for i, s := range steps {
		got := tr.Update(t0.Add(s.at), "cron", kinds, s.obs)
		if len(got) != len(s.want) {
			t.Fatalf("step %d: got %d transitions %+v, want %v", i, len(got), got, s.want)
		}
		for j := range got {
			if got[j].Transition != s.want[j] {
				t.Errorf("step %d[%d]: transition %s, want %s", i, j, got[j].Transition, s.want[j])
			}
		}
		if i == 6 {
			res := got[1]
			if res.Kind != KindDuplicateRun || res.Peak != 2 || len(res.Tasks) != 3 || !res.Since.Equal(t0.Add(30*time.Second)) {
				t.Errorf("resolved duplicate: %+v, want peak 2, tasks a,b,c, since t0+30s", res)
			}
		}
	}
	if tr.Open() != 0 {
		t.Errorf("open incidents = %d, want 0", tr.Open())
	}
}

func TestTrackerLeavesOtherKindsAndClustersAlone(t *testing.T) {
	t0 := time.Now()
	tr := NewTracker(0)
	tr.Update(t0, "a", []Kind{KindTaskLimit}, []Observation{{Kind: KindTaskLimit, Severity: SeverityWarning, Cluster: "a"}})
	tr.Update(t0, "b", []Kind{KindTaskLimit}, []Observation{{Kind: KindTaskLimit, Severity: SeverityWarning, Cluster: "b"}})
	// A failed poll of "a" observes only monitor errors: the limit incident stays open.
	got := tr.Update(t0, "a", []Kind{KindMonitorError}, []Observation{{Kind: KindMonitorError, Severity: SeverityCritical, Cluster: "a"}})
	if len(got) != 1 || got[0].Kind != KindMonitorError || got[0].Transition != Opened {
		t.Fatalf("got %+v, want one monitor_error opened", got)
	}
	got = tr.Update(t0, "a", []Kind{KindTaskLimit, KindMonitorError}, nil)
	if len(got) != 2 {
		t.Fatalf("got %+v, want a's two incidents resolved", got)
	}
	for _, f := range got {
		if f.Cluster != "a" || f.Transition != Resolved {
			t.Errorf("unexpected %+v", f)
		}
	}
	if tr.Open() != 1 {
		t.Errorf("open = %d, want b's incident only", tr.Open())
	}
}
