package web

import (
	"encoding/json"
	"fmt"
	"time"
)

// APIJob is one element of GET /api/jobs. Times are RFC 3339 in UTC, null
// when unknown.
type APIJob struct {
	Cluster            string        `json:"cluster"`
	Job                string        `json:"job"`
	Schedule           string        `json:"schedule"`
	LastRun            *APIRun       `json:"last_run"`
	LastSuccess        Time          `json:"last_success"`
	NextExpected       Time          `json:"next_expected"`
	Runs               int           `json:"runs"`
	Failures           int           `json:"failures"`
	DurationP50Seconds float64       `json:"duration_p50_seconds"`
	DurationP95Seconds float64       `json:"duration_p95_seconds"`
	OpenIncidents      []APIIncident `json:"open_incidents"`
}

// APIRun is a job's last run.
type APIRun struct {
	StartedAt Time   `json:"started_at"`
	StoppedAt Time   `json:"stopped_at"`
	Result    string `json:"result"`
	ExitCode  *int   `json:"exit_code"`
	Cause     string `json:"cause"`
	TaskARN   string `json:"task_arn"`
}

// APIIncident is an open incident of a job.
type APIIncident struct {
	Kind     string `json:"kind"`
	Severity string `json:"severity"`
	Since    Time   `json:"since"`
	Message  string `json:"message"`
}

// Time is a time in JSON as RFC 3339 UTC, or null when zero.
type Time struct{ time.Time }

// MarshalJSON writes RFC 3339 UTC, or null.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(time.RFC3339))
}

// UnmarshalJSON reads what MarshalJSON writes.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("read time: %w", err)
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("read time %q: %w", s, err)
	}
	t.Time = v
	return nil
}

// apiJobs flattens the status into /api/jobs, cluster by cluster.
func apiJobs(st Status) []APIJob {
	out := []APIJob{}
	for _, c := range st.Clusters {
		for _, j := range c.Jobs {
			a := APIJob{
				Cluster: j.Cluster, Job: j.Name, Schedule: j.Schedule,
				LastSuccess: Time{j.LastSuccess}, NextExpected: Time{j.NextExpected},
				Runs: j.Runs, Failures: j.Failures,
				DurationP50Seconds: j.P50.Seconds(), DurationP95Seconds: j.P95.Seconds(),
				OpenIncidents: []APIIncident{},
			}
			if r := j.LastRun; r != nil {
				a.LastRun = &APIRun{StartedAt: Time{r.StartedAt}, StoppedAt: Time{r.StoppedAt}, Result: r.Result,
					ExitCode: r.ExitCode, Cause: r.Cause, TaskARN: r.TaskARN}
			}
			for _, in := range j.Incidents {
				a.OpenIncidents = append(a.OpenIncidents, APIIncident{Kind: in.Kind, Severity: in.Severity, Since: Time{in.Since}, Message: in.Message})
			}
			out = append(out, a)
		}
	}
	return out
}
