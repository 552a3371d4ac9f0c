package monitor

import (
	"encoding/json"
	"testing"
)

// The JSON of `once -o json` has every documented key, empty or null
// rather than absent: job on cluster findings, and on failed runs
// exit_code (null when no container exited), container, stop_code, reason
// and cause.
func TestFindingJSONHasEveryDocumentedKey(t *testing.T) {
	cluster := Finding{Kind: KindTaskLimit, Severity: SeverityWarning, Cluster: "cron"}
	failed := Finding{Kind: KindFailedTask, Severity: SeverityCritical, Cluster: "cron", Job: "etl",
		Failure: &Failure{Cause: CauseNeverStarted}}
	for _, tc := range []struct {
		f    Finding
		keys []string
	}{
		{cluster, []string{"kind", "severity", "cluster", "job", "value", "limit", "tasks", "message"}},
		{failed, []string{"kind", "severity", "cluster", "job", "value", "limit", "tasks", "message", "exit_code", "container", "stop_code", "reason", "cause"}},
	} {
		b, err := json.Marshal(tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range tc.keys {
			if _, ok := m[k]; !ok {
				t.Errorf("%s finding JSON lacks %q: %s", tc.f.Kind, k, b)
			}
		}
	}
}
