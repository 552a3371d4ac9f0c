package monitor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

const (
	exit1Task  = "8a1f3c5d9e2b4f6a8c0d1e2f3a4b5c6d"
	exit1Event = "5f0c2a1e-8d3b-4c6e-9a27-1b4e7d90c3a1"
	queueURL   = "http://127.0.0.1:1/123456789012/ecs-events"
)

// fakeSQS records deletes and visibility changes; receive is optional.
type fakeSQS struct {
	receive func(ctx context.Context, in *sqs.ReceiveMessageInput) (*sqs.ReceiveMessageOutput, error)

	mu         sync.Mutex
	deleted    []string           // receipt handles
	visibility map[string][]int32 // receipt handle -> timeouts set
}

func (f *fakeSQS) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	if f.receive == nil {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return f.receive(ctx, in)
}

func (f *fakeSQS) DeleteMessage(_ context.Context, in *sqs.DeleteMessageInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if aws.ToString(in.QueueUrl) != queueURL {
		return nil, errors.New("wrong queue")
	}
	f.deleted = append(f.deleted, aws.ToString(in.ReceiptHandle))
	return &sqs.DeleteMessageOutput{}, nil
}

func (f *fakeSQS) ChangeMessageVisibility(_ context.Context, in *sqs.ChangeMessageVisibilityInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.visibility == nil {
		f.visibility = map[string][]int32{}
	}
	h := aws.ToString(in.ReceiptHandle)
	f.visibility[h] = append(f.visibility[h], in.VisibilityTimeout)
	return &sqs.ChangeMessageVisibilityOutput{}, nil
}

func (f *fakeSQS) deletes(handle string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, h := range f.deleted {
		if h == handle {
			n++
		}
	}
	return n
}

func (f *fakeSQS) visibilities(handle string) []int32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.visibility[handle])
}

type recordedRun struct {
	cluster, job string
	success      bool
	result       RunResult
	duration     time.Duration
}

// fakeSink accepts failures unless deliver says otherwise.
type fakeSink struct {
	deliver func(ctx context.Context, f Finding) error

	mu       sync.Mutex
	findings []Finding
	runs     []recordedRun
}

func (s *fakeSink) DeliverFailure(ctx context.Context, f Finding) error {
	if s.deliver != nil {
		if err := s.deliver(ctx, f); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.findings = append(s.findings, f)
	return nil
}

func (s *fakeSink) RecordRun(cluster, job string, result RunResult, d time.Duration, _ time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs = append(s.runs, recordedRun{cluster, job, result == RunSucceeded, result, d})
}

func (s *fakeSink) alerts() []Finding {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.findings)
}

// recMetrics records metric calls as "name|tag,tag" -> sum.
type recMetrics struct {
	mu     sync.Mutex
	values map[string]float64
}

func (m *recMetrics) add(name string, v float64, tags []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.values == nil {
		m.values = map[string]float64{}
	}
	m.values[name] += v
	if len(tags) > 0 {
		m.values[name+"|"+strings.Join(tags, ",")] += v
	}
}
func (m *recMetrics) Gauge(n string, v float64, t []string)              { m.add(n, v, t) }
func (m *recMetrics) Count(n string, v int64, t []string)                { m.add(n, float64(v), t) }
func (m *recMetrics) Distribution(n string, v float64, t []string)       { m.add(n, v, t) }
func (m *recMetrics) ServiceCheck(string, CheckStatus, string, []string) {}

func (m *recMetrics) get(key string) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.values[key]
}

// testTaskDefs serves task definitions by family: points-expiry has a
// non-essential Datadog agent, billing-batch logs with awslogs; anything
// else fails like a missing permission would.
func testTaskDefs() TaskDefinitionAPI {
	return taskDefFunc(func(_ context.Context, in *ecs.DescribeTaskDefinitionInput) (*ecs.DescribeTaskDefinitionOutput, error) {
		arn := aws.ToString(in.TaskDefinition)
		td := &ecstypes.TaskDefinition{TaskDefinitionArn: in.TaskDefinition}
		switch {
		case strings.Contains(arn, "/points-expiry:"):
			td.ContainerDefinitions = []ecstypes.ContainerDefinition{
				{Name: aws.String("app"), Essential: aws.Bool(true)},
				{Name: aws.String("datadog-agent"), Essential: aws.Bool(false)},
			}
		case strings.Contains(arn, "/billing-batch:"):
			td.ContainerDefinitions = []ecstypes.ContainerDefinition{{
				Name: aws.String("app"), Essential: aws.Bool(true),
				LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{
					"awslogs-group": "/ecs/billing-batch", "awslogs-stream-prefix": "ecs",
				}},
			}}
		default:
			return nil, errors.New("AccessDeniedException")
		}
		return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: td}, nil
	})
}

type testEnv struct {
	events  *Events
	sqs     *fakeSQS
	sink    *fakeSink
	metrics *recMetrics
	state   *State
	logs    *bytes.Buffer
	now     time.Time
}

func newTestEnv(t testing.TB, edit func(*EventsOptions, *config.Cluster)) *testEnv {
	t.Helper()
	env := &testEnv{sqs: &fakeSQS{}, sink: &fakeSink{}, metrics: &recMetrics{}, state: NewState(), logs: &bytes.Buffer{},
		now: time.Date(2026, 3, 9, 1, 2, 52, 0, time.UTC)}
	cc := config.Cluster{Name: "cron", Region: "ap-northeast-1", Jobs: []config.Job{
		{Rule: "billing-batch-daily", SlackChannel: "#billing"},
	}}
	o := EventsOptions{
		Config: config.Events{QueueURL: queueURL, Receivers: 1, VisibilityTimeout: config.Duration{Duration: time.Minute},
			WaitTime: config.Duration{Duration: 20 * time.Second}},
		DrainTimeout: 10 * time.Second,
		SQS:          env.sqs,
		State:        env.state,
		Sink:         env.sink,
		Metrics:      env.metrics,
		Logger:       slog.New(slog.NewTextHandler(&syncWriter{w: env.logs}, nil)),
		Now:          func() time.Time { return env.now },
	}
	if edit != nil {
		edit(&o, &cc)
	}
	o.Clusters = append(o.Clusters, EventCluster{
		Name: cc.Name, Region: cc.Region,
		Jobs:     NewJobs(cc, o.Config),
		TaskDefs: NewTaskDefinitions(testTaskDefs(), cc.Region, o.Logger),
	})
	env.events = NewEvents(o)
	return env
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func message(id string, body []byte, receiveCount int) sqstypes.Message {
	return sqstypes.Message{
		MessageId:     aws.String(id),
		ReceiptHandle: aws.String("rh-" + id),
		Body:          aws.String(string(body)),
		Attributes:    map[string]string{"ApproximateReceiveCount": fmt.Sprint(receiveCount)},
	}
}

// variant makes the exit-1 sample about another task, with another event id.
func variant(body []byte, n int) []byte {
	s := strings.ReplaceAll(string(body), exit1Task, fmt.Sprintf("%032x", n))
	return []byte(strings.ReplaceAll(s, exit1Event, fmt.Sprintf("evt-%d", n)))
}

func TestHandleSamples(t *testing.T) {
	tests := []struct {
		file      string
		want      Outcome
		cause     Cause
		container string
		exit      int // -1: none
		job       string
		success   bool // a successful run recorded
	}{
		{"stopped-essential-exit1.json", OutcomeAlerted, CauseExit, "app", 1, "billing-batch-daily", false},
		{"stopped-all-exit0.json", OutcomeSuccess, "", "", 0, "report-export", true},
		{"stopped-failed-to-start-pull-error.json", OutcomeAlerted, CauseNeverStarted, "app", -1, "sync-inventory-hourly", false},
		{"stopped-oom-137.json", OutcomeAlerted, CauseOOM, "app", 137, "image-resizer-backfill", false},
		{"running-events-rule.json", OutcomeUpdated, "", "", 0, "", false},
		{"stopped-sidecar-143-app-0.json", OutcomeSuccess, "", "", 0, "points-expiry-daily", true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			env := newTestEnv(t, nil)
			m := message("m1", readEvent(t, tt.file), 1)
			if got := env.events.Handle(t.Context(), m); got != tt.want {
				t.Fatalf("outcome %s, want %s; logs:\n%s", got, tt.want, env.logs)
			}
			if env.sqs.deletes("rh-m1") != 1 {
				t.Errorf("message deleted %d times, want 1", env.sqs.deletes("rh-m1"))
			}
			alerts := env.sink.alerts()
			if tt.cause == "" {
				if len(alerts) != 0 {
					t.Fatalf("unexpected alert %+v", alerts[0])
				}
				if tt.success && (len(env.sink.runs) != 1 || !env.sink.runs[0].success || env.sink.runs[0].job != tt.job) {
					t.Errorf("runs = %+v, want one success of %s", env.sink.runs, tt.job)
				}
				return
			}
			if len(alerts) != 1 {
				t.Fatalf("%d alerts, want 1", len(alerts))
			}
			f := alerts[0]
			if f.Kind != KindFailedTask || f.Severity != SeverityCritical || f.Cluster != "cron" || f.Job != tt.job || f.Failure == nil {
				t.Fatalf("finding = %+v", f)
			}
			if f.Cause != tt.cause || f.Container != tt.container {
				t.Errorf("cause %s container %s, want %s %s", f.Cause, f.Container, tt.cause, tt.container)
			}
			if (tt.exit < 0) != (f.ExitCode == nil) || (f.ExitCode != nil && *f.ExitCode != tt.exit) {
				t.Errorf("exit code %v, want %d", f.ExitCode, tt.exit)
			}
			if f.EventID == "" || len(f.Tasks) != 1 || f.StartedBy == "" || f.StoppedAt.IsZero() || f.Message == "" {
				t.Errorf("finding lacks details: %+v %+v", f, *f.Failure)
			}
			if len(env.sink.runs) != 1 || env.sink.runs[0].success {
				t.Errorf("runs = %+v, want one failure", env.sink.runs)
			}
		})
	}
}

func TestHandleAlertCarriesRouteAndLogLink(t *testing.T) {
	env := newTestEnv(t, nil)
	env.events.Handle(t.Context(), message("m1", readEvent(t, "stopped-essential-exit1.json"), 1))
	alerts := env.sink.alerts()
	if len(alerts) != 1 {
		t.Fatalf("%d alerts", len(alerts))
	}
	f := alerts[0]
	if f.Route.Channel != "#billing" {
		t.Errorf("route = %+v", f.Route)
	}
	wantLink := "https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-1#logsV2:log-groups/log-group/" +
		"$252Fecs$252Fbilling-batch/log-events/ecs$252Fapp$252F" + exit1Task
	if f.LogURL != wantLink {
		t.Errorf("LogURL = %s\nwant     %s", f.LogURL, wantLink)
	}
	if f.Duration() <= 0 {
		t.Errorf("duration = %v", f.Duration())
	}
	if got := env.metrics.get("task.failed|cluster:cron,job:billing-batch-daily,exit_code:1,container:app,cause:exit_code"); got != 1 {
		t.Errorf("task.failed = %v; metrics %v", got, env.metrics.values)
	}
	if got := env.metrics.get("job.duration_seconds|cluster:cron,job:billing-batch-daily,result:failure"); got != f.Duration().Seconds() {
		t.Errorf("duration metric = %v, want %v", got, f.Duration().Seconds())
	}
	if got := env.metrics.get("events.lag_seconds|cluster:cron"); got != 5 {
		t.Errorf("lag = %v, want 5", got)
	}
}

func TestHandleSidecarWithoutTaskDefinition(t *testing.T) {
	body := strings.ReplaceAll(string(readEvent(t, "stopped-sidecar-143-app-0.json")), "/points-expiry:31", "/points-expiry-v2:1")
	t.Run("all essential when the definition cannot be read", func(t *testing.T) {
		env := newTestEnv(t, nil)
		if got := env.events.Handle(t.Context(), message("m1", []byte(body), 1)); got != OutcomeAlerted {
			t.Fatalf("outcome %s", got)
		}
		if f := env.sink.alerts()[0]; f.Container != "datadog-agent" || f.LogURL != "" {
			t.Errorf("finding = %+v", *f.Failure)
		}
	})
	t.Run("cluster sidecars still apply", func(t *testing.T) {
		env := newTestEnv(t, func(_ *EventsOptions, c *config.Cluster) { c.Sidecars = []string{"datadog-agent"} })
		if got := env.events.Handle(t.Context(), message("m1", []byte(body), 1)); got != OutcomeSuccess {
			t.Fatalf("outcome %s", got)
		}
	})
}

func TestHandleOlderVersionAfterStoppedIsStale(t *testing.T) {
	env := newTestEnv(t, nil)
	ctx := t.Context()
	if got := env.events.Handle(ctx, message("m6", readEvent(t, "stopped-essential-exit1.json"), 1)); got != OutcomeAlerted {
		t.Fatalf("v6: %s", got)
	}
	if got := env.events.Handle(ctx, message("m3", readEvent(t, "running-events-rule.json"), 1)); got != OutcomeStale {
		t.Fatalf("v3 after v6: %s, want stale", got)
	}
	if env.sqs.deletes("rh-m3") != 1 || len(env.sink.alerts()) != 1 {
		t.Errorf("stale event: deleted %d, alerts %d", env.sqs.deletes("rh-m3"), len(env.sink.alerts()))
	}
	if live := env.state.Live("cron"); len(live) != 0 {
		t.Errorf("stale RUNNING event revived the task: %+v", live)
	}
	if env.metrics.get("events.stale") != 1 {
		t.Errorf("events.stale = %v", env.metrics.get("events.stale"))
	}
}

func TestHandleInOrderRunningThenStopped(t *testing.T) {
	env := newTestEnv(t, nil)
	env.events.Handle(t.Context(), message("m3", readEvent(t, "running-events-rule.json"), 1))
	if live := env.state.Live("cron"); len(live) != 1 {
		t.Fatalf("running task not in state: %+v", live)
	}
	if got := env.events.Handle(t.Context(), message("m6", readEvent(t, "stopped-essential-exit1.json"), 1)); got != OutcomeAlerted {
		t.Fatalf("v6 after v3: %s", got)
	}
	if live := env.state.Live("cron"); len(live) != 0 {
		t.Errorf("stopped task still live: %+v", live)
	}
}

func TestHandleSameEventThriceAlertsOnce(t *testing.T) {
	env := newTestEnv(t, nil)
	body := readEvent(t, "stopped-essential-exit1.json")
	want := []Outcome{OutcomeAlerted, OutcomeDuplicate, OutcomeDuplicate}
	for i, w := range want {
		// Two SQS copies of one EventBridge event, then a redelivery.
		id := fmt.Sprintf("m%d", i)
		if got := env.events.Handle(t.Context(), message(id, body, 1)); got != w {
			t.Errorf("copy %d: %s, want %s", i, got, w)
		}
		if env.sqs.deletes("rh-"+id) != 1 {
			t.Errorf("copy %d not deleted", i)
		}
	}
	if n := len(env.sink.alerts()); n != 1 {
		t.Errorf("%d alerts, want 1", n)
	}
	if len(env.sink.runs) != 1 || env.metrics.get("task.failed") != 1 {
		t.Errorf("runs %d, task.failed %v: a duplicate was counted", len(env.sink.runs), env.metrics.get("task.failed"))
	}
	if env.metrics.get("events.redelivered") != 2 {
		t.Errorf("events.redelivered = %v, want 2", env.metrics.get("events.redelivered"))
	}
}

func TestHandleLaterStoppedVersionDoesNotRealert(t *testing.T) {
	env := newTestEnv(t, nil)
	body := string(readEvent(t, "stopped-essential-exit1.json"))
	env.events.Handle(t.Context(), message("m1", []byte(body), 1))
	v7 := strings.Replace(strings.Replace(body, `"version": 6`, `"version": 7`, 1), exit1Event, "another-event", 1)
	if got := env.events.Handle(t.Context(), message("m2", []byte(v7), 1)); got != OutcomeStale {
		t.Errorf("second STOPPED version: %s, want stale", got)
	}
	if n := len(env.sink.alerts()); n != 1 {
		t.Errorf("%d alerts, want 1", n)
	}
}

func TestHandleDeliveryFailureKeepsMessage(t *testing.T) {
	env := newTestEnv(t, nil)
	failures := 3
	env.sink.deliver = func(context.Context, Finding) error {
		if failures > 0 {
			failures--
			return errors.New("slack: 503")
		}
		return nil
	}
	body := readEvent(t, "stopped-oom-137.json")
	for n, wantVis := range []int32{10, 20, 40} {
		m := message("m1", body, n+1)
		if got := env.events.Handle(t.Context(), m); got != OutcomeRetry {
			t.Fatalf("attempt %d: %s, want retry", n+1, got)
		}
		if vis := env.sqs.visibilities("rh-m1"); len(vis) != n+1 || vis[n] != wantVis {
			t.Errorf("attempt %d: visibility %v, want last %d", n+1, vis, wantVis)
		}
	}
	if env.sqs.deletes("rh-m1") != 0 || len(env.sink.runs) != 0 {
		t.Fatalf("undelivered message deleted or run recorded")
	}
	if got := env.events.Handle(t.Context(), message("m1", body, 4)); got != OutcomeAlerted {
		t.Fatalf("after recovery: %s", got)
	}
	if got := env.events.Handle(t.Context(), message("m1", body, 5)); got != OutcomeDuplicate {
		t.Fatalf("copy after delivery: %s", got)
	}
	if env.sqs.deletes("rh-m1") != 2 || len(env.sink.alerts()) != 1 || len(env.sink.runs) != 1 {
		t.Errorf("deletes %d alerts %d runs %d", env.sqs.deletes("rh-m1"), len(env.sink.alerts()), len(env.sink.runs))
	}
	if n := len(env.sqs.visibilities("rh-m1")); n != 3 {
		t.Errorf("visibility changed %d times, want 3", n)
	}
}

func TestRetryVisibility(t *testing.T) {
	for _, tt := range []struct {
		count string
		limit time.Duration
		want  time.Duration
	}{
		{"1", time.Minute, 10 * time.Second},
		{"", time.Minute, 10 * time.Second},
		{"3", time.Minute, 40 * time.Second},
		{"4", time.Minute, time.Minute},
		{"1000000", 5 * time.Minute, 5 * time.Minute},
		{"2", 5 * time.Second, 5 * time.Second},
	} {
		m := sqstypes.Message{Attributes: map[string]string{"ApproximateReceiveCount": tt.count}}
		if got := retryVisibility(m, tt.limit); got != tt.want {
			t.Errorf("count %q limit %v: %v, want %v", tt.count, tt.limit, got, tt.want)
		}
	}
}

func TestHandleMalformedLeftForDLQ(t *testing.T) {
	env := newTestEnv(t, nil)
	const secret = "xoxb-should-never-be-logged"
	bodies := [][]byte{
		[]byte(`{"oops": "` + secret),
		[]byte(`{"source":"aws.ecs","detail-type":"ECS Service Action","detail":{"note":"` + secret + `"}}`),
		[]byte(`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"clusterArn":"arn:aws:ecs:ap-northeast-1:1:cluster/cron","stoppedReason":"` + secret + `"}}`),
	}
	for i, b := range bodies {
		id := fmt.Sprintf("bad%d", i)
		if got := env.events.Handle(t.Context(), message(id, b, 1)); got != OutcomeMalformed {
			t.Errorf("body %d: %s", i, got)
		}
		if env.sqs.deletes("rh-"+id) != 0 || len(env.sqs.visibilities("rh-"+id)) != 0 {
			t.Errorf("body %d: malformed message deleted or its visibility changed", i)
		}
		if !strings.Contains(env.logs.String(), "message_id="+id) {
			t.Errorf("body %d: message id not logged", i)
		}
	}
	if strings.Contains(env.logs.String(), secret) {
		t.Errorf("body leaked into logs:\n%s", env.logs)
	}
	if env.metrics.get("events.malformed") != 3 || env.metrics.get("events.received") != 3 {
		t.Errorf("malformed %v received %v", env.metrics.get("events.malformed"), env.metrics.get("events.received"))
	}
}

func TestHandleUnknownClusterDeleted(t *testing.T) {
	body := string(readEvent(t, "stopped-essential-exit1.json"))
	for name, b := range map[string]string{
		"other cluster": strings.ReplaceAll(body, "cluster/cron", "cluster/web"),
		"other region":  strings.ReplaceAll(body, `"region": "ap-northeast-1"`, `"region": "us-east-1"`),
	} {
		t.Run(name, func(t *testing.T) {
			env := newTestEnv(t, nil)
			if got := env.events.Handle(t.Context(), message("m1", []byte(b), 1)); got != OutcomeIgnored {
				t.Fatalf("outcome %s", got)
			}
			if env.sqs.deletes("rh-m1") != 1 || len(env.sink.alerts()) != 0 || env.metrics.get("events.ignored") != 1 {
				t.Errorf("deleted %d alerts %d ignored %v", env.sqs.deletes("rh-m1"), len(env.sink.alerts()), env.metrics.get("events.ignored"))
			}
		})
	}
}

func TestHandleClusterConfiguredByARN(t *testing.T) {
	env := newTestEnv(t, func(_ *EventsOptions, c *config.Cluster) {
		c.Name, c.Region = "arn:aws:ecs:ap-northeast-1:123456789012:cluster/cron", ""
	})
	if got := env.events.Handle(t.Context(), message("m1", readEvent(t, "stopped-essential-exit1.json"), 1)); got != OutcomeAlerted {
		t.Fatalf("outcome %s", got)
	}
	if f := env.sink.alerts()[0]; f.Cluster != "arn:aws:ecs:ap-northeast-1:123456789012:cluster/cron" {
		t.Errorf("cluster = %q", f.Cluster)
	}
}

func TestHandleSNSWrapped(t *testing.T) {
	env := newTestEnv(t, nil)
	body := snsWrap(t, readEvent(t, "stopped-failed-to-start-pull-error.json"))
	if got := env.events.Handle(t.Context(), message("m1", body, 1)); got != OutcomeAlerted {
		t.Fatalf("outcome %s", got)
	}
	if f := env.sink.alerts()[0]; f.Cause != CauseNeverStarted {
		t.Errorf("cause %s", f.Cause)
	}
}

// A run a person stopped is no failure, and no success either: it is
// counted as stopped, not silently dropped.
func TestHandleUserStopCountedAsStopped(t *testing.T) {
	env := newTestEnv(t, nil)
	body := strings.Replace(string(readEvent(t, "stopped-essential-exit1.json")), `"exitCode": 1`, `"exitCode": 143`, 1)
	body = strings.Replace(body, `"stopCode": "EssentialContainerExited"`, `"stopCode": "UserInitiated"`, 1)
	if got := env.events.Handle(t.Context(), message("m1", []byte(body), 1)); got != OutcomeUserStop {
		t.Fatalf("outcome %s", got)
	}
	if len(env.sink.alerts()) != 0 || env.sqs.deletes("rh-m1") != 1 {
		t.Errorf("alerts %d deletes %d", len(env.sink.alerts()), env.sqs.deletes("rh-m1"))
	}
	if len(env.sink.runs) != 1 || env.sink.runs[0].result != RunStopped || env.sink.runs[0].job != "billing-batch-daily" {
		t.Errorf("runs = %+v, want one stopped run of billing-batch-daily", env.sink.runs)
	}
}

func TestHandleConcurrentCopiesAlertOnce(t *testing.T) {
	env := newTestEnv(t, nil)
	entered := make(chan struct{}, 2)
	release := make(chan struct{})
	env.sink.deliver = func(context.Context, Finding) error {
		entered <- struct{}{}
		<-release
		return nil
	}
	body := readEvent(t, "stopped-essential-exit1.json")
	outcomes := make(chan Outcome, 2)
	for i := range 2 {
		go func() { outcomes <- env.events.Handle(t.Context(), message(fmt.Sprint("m", i), body, 1)) }()
	}
	<-entered
	close(release)
	got := []Outcome{<-outcomes, <-outcomes}
	slices.Sort(got)
	if !slices.Equal(got, []Outcome{OutcomeAlerted, OutcomeDuplicate}) {
		t.Errorf("outcomes %v", got)
	}
	if n := len(env.sink.alerts()); n != 1 {
		t.Errorf("%d alerts, want 1", n)
	}
}

// burst returns a receive func that hands out msgs once, then long-polls
// until the context ends, and records each request.
func burst(msgs []sqstypes.Message, seen chan<- *sqs.ReceiveMessageInput) func(context.Context, *sqs.ReceiveMessageInput) (*sqs.ReceiveMessageOutput, error) {
	var once sync.Once
	return func(ctx context.Context, in *sqs.ReceiveMessageInput) (*sqs.ReceiveMessageOutput, error) {
		if seen != nil {
			select {
			case seen <- in:
			default:
			}
		}
		var out []sqstypes.Message
		once.Do(func() { out = msgs })
		if out != nil {
			return &sqs.ReceiveMessageOutput{Messages: out}, nil
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}
}

// wait_time = "0s" is short polling, as SQS defines it: the receive asks
// for exactly that, not for the longest wait.
func TestRunShortPollingWhenWaitTimeZero(t *testing.T) {
	env := newTestEnv(t, func(o *EventsOptions, _ *config.Cluster) { o.Config.WaitTime.Duration = 0 })
	seen := make(chan *sqs.ReceiveMessageInput, 1)
	env.sqs.receive = burst(nil, seen)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- env.events.Run(ctx) }()
	in := <-seen
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if in.WaitTimeSeconds != 0 {
		t.Errorf("WaitTimeSeconds = %d with wait_time 0s, want 0 (short polling)", in.WaitTimeSeconds)
	}
}

func TestRunShutdownMidBurst(t *testing.T) {
	env := newTestEnv(t, nil)
	body := readEvent(t, "stopped-essential-exit1.json")
	var msgs []sqstypes.Message
	for i := range 10 {
		msgs = append(msgs, message(fmt.Sprint("m", i), variant(body, i), 1))
	}
	seen := make(chan *sqs.ReceiveMessageInput, 1)
	env.sqs.receive = burst(msgs, seen)
	started := make(chan struct{})
	release := make(chan struct{})
	env.sink.deliver = func(ctx context.Context, f Finding) error {
		if f.EventID == "evt-0" {
			close(started)
			<-release
		}
		return nil
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- env.events.Run(ctx) }()
	<-started
	cancel() // SIGTERM while the first alert is in flight
	close(release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if env.sqs.deletes("rh-m0") != 1 {
		t.Errorf("in-flight message not finished and deleted")
	}
	// Received messages are handled concurrently, so the others were in
	// flight too: each is either finished (alerted, then deleted) or
	// released for redelivery, never lost and never both.
	handled := 0
	for i := 0; i < 10; i++ {
		h := fmt.Sprint("rh-m", i)
		del, vis := env.sqs.deletes(h), env.sqs.visibilities(h)
		switch {
		case del == 1 && len(vis) == 0:
			handled++
		case del == 0 && slices.Equal(vis, []int32{0}):
		default:
			t.Errorf("%s: %d deletes, visibility %v: want finished or released", h, del, vis)
		}
	}
	if n := len(env.sink.alerts()); n != handled {
		t.Errorf("%d alerts for %d finished messages", n, handled)
	}
	in := <-seen
	if in.MaxNumberOfMessages != 10 || in.WaitTimeSeconds != 20 || in.VisibilityTimeout != 60 || aws.ToString(in.QueueUrl) != queueURL ||
		!slices.Contains(in.MessageSystemAttributeNames, sqstypes.MessageSystemAttributeNameApproximateReceiveCount) {
		t.Errorf("receive request = %+v", in)
	}
}

// A message whose delivery the drain timeout cut short is neither deleted
// nor left hidden: it is made visible at once for the next instance.
func TestRunDrainTimeoutReleasesMessage(t *testing.T) {
	env := newTestEnv(t, func(o *EventsOptions, _ *config.Cluster) { o.DrainTimeout = 30 * time.Millisecond })
	env.sqs.receive = burst([]sqstypes.Message{message("m0", readEvent(t, "stopped-oom-137.json"), 1)}, nil)
	started := make(chan struct{})
	env.sink.deliver = func(ctx context.Context, f Finding) error {
		close(started)
		<-ctx.Done() // Slack never answers
		return ctx.Err()
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- env.events.Run(ctx) }()
	<-started
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not honour the drain timeout")
	}
	if env.sqs.deletes("rh-m0") != 0 || !slices.Equal(env.sqs.visibilities("rh-m0"), []int32{0}) || len(env.sink.runs) != 0 {
		t.Errorf("abandoned message: deletes %d visibility %v runs %d; want visibility [0] only",
			env.sqs.deletes("rh-m0"), env.sqs.visibilities("rh-m0"), len(env.sink.runs))
	}
}

func TestRunRetriesReceiveErrorsLoggingOnce(t *testing.T) {
	env := newTestEnv(t, func(o *EventsOptions, _ *config.Cluster) {
		o.ReceiveBackoff = time.Millisecond
		o.Config.Receivers = 2
	})
	var mu sync.Mutex
	calls := 0
	handled := make(chan struct{})
	good := burst([]sqstypes.Message{message("m0", readEvent(t, "stopped-all-exit0.json"), 1)}, nil)
	env.sqs.receive = func(ctx context.Context, in *sqs.ReceiveMessageInput) (*sqs.ReceiveMessageOutput, error) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n <= 6 {
			return nil, errors.New("AWS.SimpleQueueService.NonExistentQueue")
		}
		return good(ctx, in)
	}
	env.sink.deliver = nil
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- env.events.Run(ctx) }()
	go func() {
		for env.sqs.deletes("rh-m0") == 0 {
			time.Sleep(time.Millisecond)
		}
		close(handled)
	}()
	select {
	case <-handled:
	case <-time.After(5 * time.Second):
		t.Fatal("message not handled after receive errors")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Two receivers, each logging the repeated error once.
	if n := strings.Count(env.logs.String(), "receive from SQS failed"); n < 1 || n > 2 {
		t.Errorf("receive failure logged %d times:\n%s", n, env.logs)
	}
}

func TestRunRequiresQueue(t *testing.T) {
	e := NewEvents(EventsOptions{DrainTimeout: time.Second,
		Config: config.Events{Receivers: 1, VisibilityTimeout: config.Duration{Duration: time.Minute}}})
	if err := e.Run(t.Context()); err == nil {
		t.Error("want error without SQS client and queue URL")
	}
}

// BenchmarkHandleEvent measures parse -> classify -> dispatch of a failed
// task with a sink that accepts and discards everything, and metrics off:
// what is counted is the consumer's own work, not the test recorders'.
func BenchmarkHandleEvent(b *testing.B) {
	body := readEvent(b, "stopped-essential-exit1.json")
	const distinct = 1024
	bodies := make([]sqstypes.Message, distinct)
	for i := range bodies {
		bodies[i] = message(fmt.Sprint("m", i), variant(body, i), 1)
	}
	discard := func(o *EventsOptions, _ *config.Cluster) {
		o.Sink, o.Metrics = discardSink{}, nil
	}
	env := newTestEnv(b, discard)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%distinct == 0 && i > 0 {
			b.StopTimer()
			env = newTestEnv(b, discard) // fresh memory, so every event is new
			b.StartTimer()
		}
		if got := env.events.Handle(ctx, bodies[i%distinct]); got != OutcomeAlerted {
			b.Fatalf("outcome %s", got)
		}
	}
}

// discardSink accepts every failure and forgets it.
type discardSink struct{}

func (discardSink) DeliverFailure(context.Context, Finding) error                 { return nil }
func (discardSink) RecordRun(string, string, RunResult, time.Duration, time.Time) {}

// A delivery that waits longer than half the visibility timeout keeps
// its message hidden, so it is not received and handled a second time.
func TestSlowDeliveryKeepsMessageHidden(t *testing.T) {
	env := newTestEnv(t, func(o *EventsOptions, _ *config.Cluster) {
		o.Config.VisibilityTimeout = config.Duration{Duration: time.Second}
	})
	release := make(chan struct{})
	env.sink.deliver = func(ctx context.Context, f Finding) error {
		<-release
		return nil
	}
	m := message("m1", readEvent(t, "stopped-essential-exit1.json"), 1)
	done := make(chan Outcome, 1)
	go func() { done <- env.events.Handle(t.Context(), m) }()
	testkit.Eventually(t, "two extensions", func() bool { return len(env.sqs.visibilities("rh-m1")) >= 2 })
	close(release)
	if got := <-done; got != OutcomeAlerted {
		t.Fatalf("outcome %s", got)
	}
	for _, v := range env.sqs.visibilities("rh-m1") {
		if v != 1 {
			t.Errorf("visibility extended to %ds, want the 1s timeout", v)
		}
	}
	if env.sqs.deletes("rh-m1") != 1 {
		t.Error("message not deleted after delivery")
	}
}
