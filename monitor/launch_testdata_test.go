package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
)

func readTestdata(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every sample record gives the documented cause and job, and the records
// that are no launch failure give none. Every cause of the table has a
// sample.
func TestLaunchSamplesClassify(t *testing.T) {
	cases := []struct {
		file, job string
		cause     Cause
	}{
		{"runtask-fargate-vcpu-quota.json", "billing-batch-daily", CauseFargateVCPUQuota},
		{"runtask-capacity-spot.json", "image-resizer-backfill", CauseCapacity},
		{"runtask-capacity-resource-memory.json", "points-expiry-daily", CauseCapacity},
		{"runtask-access-denied-passrole.json", "sync-inventory-hourly", CauseAccessDenied},
		{"runtask-invalid-subnet.json", "report-export", CauseInvalidConfiguration},
		{"runtask-platform-incompatible.json", "nightly-ledger", CauseInvalidConfiguration},
		{"runtask-throttled.json", "metrics-rollup", CauseThrottled},
		{"runtask-server-error.json", "cache-warmup", CauseUnknown},
		{"runtask-started.json", "", ""},
		{"runtask-by-person.json", "", ""},
	}
	jobs := NewJobs(config.Cluster{Name: "cron"}, config.Events{})
	covered := map[Cause]bool{}
	for _, c := range cases {
		a, ok, err := ParseCloudTrailRunTask(readTestdata(t, "cloudtrail", c.file))
		if !ok || err != nil {
			t.Errorf("%s: ok %v, err %v; want a CloudTrail record", c.file, ok, err)
			continue
		}
		if c.cause == "" {
			if a != nil {
				t.Errorf("%s: got a launch failure %+v, want none", c.file, a)
			}
			continue
		}
		if a == nil {
			t.Errorf("%s: no launch failure", c.file)
			continue
		}
		if got := ClassifyLaunch(a.ErrorCode, a.Text); got != c.cause {
			t.Errorf("%s: cause %s, want %s (code %q, text %q)", c.file, got, c.cause, a.ErrorCode, a.Text)
		}
		if got := jobs.Resolve(a.Task).Name; got != c.job {
			t.Errorf("%s: job %q, want %q", c.file, got, c.job)
		}
		if a.Cluster != "arn:aws:ecs:ap-northeast-1:123456789012:cluster/cron" || a.At.IsZero() || a.Source != LaunchSourceCloudTrail {
			t.Errorf("%s: cluster %q, at %v, source %q", c.file, a.Cluster, a.At, a.Source)
		}
		covered[c.cause] = true
	}

	dlq := []struct {
		file, job string
		cause     Cause
	}{
		{"dlq-access-denied.json", "report-export", CauseAccessDenied},
		{"dlq-invalid-parameter.json", "report-export", CauseInvalidConfiguration},
		// A name longer than startedBy's 36 characters is cut as ECS cuts
		// it, so this report and the CloudTrail one name the same job.
		{"dlq-throttled.json", "points-expiry-night", CauseThrottled},
	}
	for _, c := range dlq {
		var m sqstypes.Message
		if err := json.Unmarshal(readTestdata(t, "scheduler-dlq", c.file), &m); err != nil {
			t.Fatal(err)
		}
		a, err := ParseSchedulerDeadLetter(m)
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		if got := ClassifyLaunch(a.ErrorCode, a.Text); got != c.cause {
			t.Errorf("%s: cause %s, want %s", c.file, got, c.cause)
		}
		if got := jobs.Resolve(a.Task).Name; got != c.job {
			t.Errorf("%s: job %q, want %q", c.file, got, c.job)
		}
		if want := time.Date(2026, 3, 9, 2, 0, 0, 0, time.UTC); !a.At.Equal(want) || !strings.HasSuffix(a.Cluster, ":cluster/cron") {
			t.Errorf("%s: at %v, cluster %q", c.file, a.At, a.Cluster)
		}
		covered[c.cause] = true
	}
	for _, c := range []Cause{CauseFargateVCPUQuota, CauseCapacity, CauseAccessDenied, CauseInvalidConfiguration, CauseThrottled, CauseUnknown} {
		if !covered[c] {
			t.Errorf("cause %s has no sample record", c)
		}
	}
}

type launchSinkFunc struct {
	mu        sync.Mutex
	deliver   func(Finding) error
	delivered []Finding
	recorded  int
}

func (s *launchSinkFunc) DeliverFailure(_ context.Context, f Finding) error {
	if s.deliver != nil {
		if err := s.deliver(f); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delivered = append(s.delivered, f)
	return nil
}

func (s *launchSinkFunc) RecordLaunchFailure(string, string, Cause) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recorded++
}

// One failed run reported by three sources, and redelivered, alerts once;
// a failed delivery is retried by the next report; a later run alerts
// again; the missed-run lookup names the cause.
func TestLaunchesOneFindingPerRun(t *testing.T) {
	sink := &launchSinkFunc{}
	now := time.Date(2026, 3, 9, 2, 1, 0, 0, time.UTC)
	l := NewLaunches(LaunchesOptions{
		Clusters: []EventCluster{{Name: "cron", Region: "ap-northeast-1"}},
		Sink:     sink, Now: func() time.Time { return now },
	})
	at := time.Date(2026, 3, 9, 2, 0, 1, 0, time.UTC)
	ct := LaunchAttempt{Source: LaunchSourceCloudTrail, ID: "cloudtrail:1", Cluster: "arn:aws:ecs:ap-northeast-1:123456789012:cluster/cron",
		Task: Task{StartedBy: "chronos-schedule/report-export"}, At: at, ErrorCode: "InvalidParameterException", Text: "subnet <b>gone</b>"}
	dl := LaunchAttempt{Source: LaunchSourceSchedulerDLQ, ID: "scheduler_dlq:9", Cluster: "arn:aws:ecs:ap-northeast-1:123456789012:cluster/cron",
		Task: Task{StartedBy: "chronos-schedule/report-export"}, At: at.Add(-time.Second), ErrorCode: "InvalidParameterException"}
	other := LaunchAttempt{Source: LaunchSourceCloudTrail, ID: "cloudtrail:2", Cluster: "web", Task: Task{StartedBy: "events-rule/x"}, At: at}

	sink.deliver = func(Finding) error { return context.DeadlineExceeded }
	if out, err := l.Handle(t.Context(), ct); out != OutcomeRetry || err == nil {
		t.Fatalf("failed delivery: %s, %v; want retry with an error", out, err)
	}
	sink.deliver = nil
	for _, a := range []LaunchAttempt{ct, ct, dl, dl} {
		if _, err := l.Handle(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}
	if out, _ := l.Handle(t.Context(), other); out != OutcomeIgnored {
		t.Errorf("unmonitored cluster: %s, want ignored", out)
	}
	if len(sink.delivered) != 1 || sink.recorded != 1 {
		t.Fatalf("delivered %d, recorded %d; want 1 each", len(sink.delivered), sink.recorded)
	}
	f := sink.delivered[0]
	if f.Kind != KindLaunchFailed || f.Job != "report-export" || f.Cause != CauseInvalidConfiguration ||
		f.Source != LaunchSourceCloudTrail || f.ErrorCode != "InvalidParameterException" || f.Severity != SeverityCritical {
		t.Errorf("finding = %+v / %+v", f, *f.Failure)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"cause":"invalid_configuration"`) || !strings.Contains(string(b), `"source":"cloudtrail"`) {
		t.Errorf("JSON lacks cause and source: %s", b)
	}
	if cause, _, ok := l.LaunchFailure("cron", "report-export", at.Add(-time.Minute)); !ok || cause != CauseInvalidConfiguration {
		t.Errorf("LaunchFailure = %s, %v", cause, ok)
	}
	if _, _, ok := l.LaunchFailure("cron", "report-export", at.Add(time.Minute)); ok {
		t.Error("LaunchFailure names a failure older than asked for")
	}

	next := ct
	next.ID, next.At = "cloudtrail:3", at.Add(time.Hour)
	now = now.Add(time.Hour)
	if out, _ := l.Handle(t.Context(), next); out != OutcomeAlerted {
		t.Errorf("the next run's failure: %s, want alerted", out)
	}
}

// A launch failure Slack refuses for good (PermanentError) is not retried:
// the run is done with, and another source's report of it alerts nothing.
func TestLaunchesPermanentRefusal(t *testing.T) {
	sink := &launchSinkFunc{}
	now := time.Date(2026, 3, 9, 2, 1, 0, 0, time.UTC)
	l := NewLaunches(LaunchesOptions{Clusters: []EventCluster{{Name: "cron", Region: "ap-northeast-1"}}, Sink: sink,
		Now: func() time.Time { return now }})
	a := LaunchAttempt{Source: LaunchSourceCloudTrail, ID: "cloudtrail:1", Cluster: "cron",
		Task: Task{StartedBy: "events-rule/nightly"}, At: now, Text: "RESOURCE:MEMORY"}
	calls := 0
	sink.deliver = func(Finding) error {
		calls++
		return &PermanentError{Reason: "channel_not_found", Err: errors.New("slack: channel_not_found")}
	}
	if out, err := l.Handle(t.Context(), a); out != OutcomeRejected || err != nil {
		t.Fatalf("permanent refusal: %s, %v; want rejected without an error", out, err)
	}
	b := a
	b.Source, b.ID = LaunchSourceRuleMetric, "failed_invocations:nightly@1"
	if out, _ := l.Handle(t.Context(), b); out != OutcomeDuplicate || calls != 1 {
		t.Errorf("the other source's report: %s after %d deliveries; want a duplicate, no second try", out, calls)
	}
}
