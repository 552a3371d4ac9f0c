package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
)

// taskDefFunc adapts a function to TaskDefinitionAPI.
type taskDefFunc func(ctx context.Context, in *ecs.DescribeTaskDefinitionInput) (*ecs.DescribeTaskDefinitionOutput, error)

func (f taskDefFunc) DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	return f(ctx, in)
}

// taskDefJSON is a DescribeTaskDefinition response as ECS sends it: an
// essential app logging with awslogs, a non-essential Datadog agent, and a
// container with "essential" omitted (ECS's default is true).
const taskDefJSON = `{"taskDefinition":{
  "taskDefinitionArn":"arn:aws:ecs:ap-northeast-1:123456789012:task-definition/points-expiry:31",
  "family":"points-expiry","revision":31,
  "containerDefinitions":[
    {"name":"app","essential":true,"logConfiguration":{"logDriver":"awslogs","options":{
      "awslogs-group":"/ecs/points-expiry","awslogs-region":"ap-northeast-1","awslogs-stream-prefix":"ecs"}}},
    {"name":"datadog-agent","essential":false,"logConfiguration":{"logDriver":"awsfirelens","options":{"Name":"datadog"}}},
    {"name":"migrate"}
  ]}}`

// ecsServer answers DescribeTaskDefinition like ECS (JSON 1.1) and counts calls.
func ecsServer(t *testing.T, calls *atomic.Int32) *ecs.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		if got := r.Header.Get("X-Amz-Target"); got != "AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition" {
			t.Errorf("X-Amz-Target = %q", got)
		}
		var in struct{ TaskDefinition string }
		if err := json.Unmarshal(body, &in); err != nil || !strings.Contains(in.TaskDefinition, "points-expiry:31") {
			t.Errorf("request body %s (%v)", body, err)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, taskDefJSON)
	}))
	t.Cleanup(srv.Close)
	return ecs.New(ecs.Options{
		Region:       "ap-northeast-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		HTTPClient:   awssim.HTTPClient(),
	})
}

const pointsTaskDef = "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/points-expiry:31"

func TestTaskDefinitionsRealClient(t *testing.T) {
	var calls atomic.Int32
	d := NewTaskDefinitions(ecsServer(t, &calls), "ap-northeast-1", nil)
	info, err := d.Get(t.Context(), pointsTaskDef)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Essential("app") || info.Essential("datadog-agent") || !info.Essential("migrate") || !info.Essential("unknown") {
		t.Errorf("essential: app %v agent %v migrate %v unknown %v",
			info.Essential("app"), info.Essential("datadog-agent"), info.Essential("migrate"), info.Essential("unknown"))
	}
	want := "https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-1" +
		"#logsV2:log-groups/log-group/$252Fecs$252Fpoints-expiry/log-events/ecs$252Fapp$252F4d3c2b1a"
	if got := info.LogURL("app", "4d3c2b1a"); got != want {
		t.Errorf("LogURL =\n %s\nwant\n %s", got, want)
	}
	if got := info.LogURL("datadog-agent", "4d3c2b1a"); got != "" {
		t.Errorf("firelens container has a link: %s", got)
	}
	// A revision never changes: the second Get is served from the cache.
	if _, err := d.Get(t.Context(), pointsTaskDef); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("DescribeTaskDefinition called %d times, want 1", n)
	}
}

func TestCloudWatchLogsURLEscaping(t *testing.T) {
	// The console's own encoding of a Lambda log group and a stream with
	// brackets (as produced by the console and reproduced by the
	// aws-cloudwatch-logs-url package's tests).
	got := Console{}.LogsURL("ap-northeast-1",
		"/aws/lambda/luciferous-devio-index-cl-FunctionCheckIndividualS-qNWf7JYCZBBM",
		"2024/06/30/[39]3ca88f3a2fff4810b2de52cf027d0a40")
	want := "https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-1#logsV2:log-groups/log-group/" +
		"$252Faws$252Flambda$252Fluciferous-devio-index-cl-FunctionCheckIndividualS-qNWf7JYCZBBM/log-events/" +
		"2024$252F06$252F30$252F$255B39$255D3ca88f3a2fff4810b2de52cf027d0a40"
	if got != want {
		t.Errorf("got\n %s\nwant\n %s", got, want)
	}
	if got := (Console{Base: "http://127.0.0.1:9/"}).LogsURL("us-east-1", "g", ""); got != "http://127.0.0.1:9/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/g" {
		t.Errorf("custom console: %s", got)
	}
}

func TestTaskDefinitionsSharesConcurrentLookups(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	api := taskDefFunc(func(ctx context.Context, in *ecs.DescribeTaskDefinitionInput) (*ecs.DescribeTaskDefinitionOutput, error) {
		calls.Add(1)
		<-release
		var out ecs.DescribeTaskDefinitionOutput
		return &out, errors.New("boom")
	})
	d := NewTaskDefinitions(api, "ap-northeast-1", nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { _, _ = d.Get(t.Context(), pointsTaskDef) })
	}
	// Let the goroutines pile up on the one call; a few ms is enough and
	// the assertion below holds even if some arrive after the release
	// (they then hit the remembered failure).
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("DescribeTaskDefinition called %d times for 8 concurrent lookups, want 1", n)
	}
}

func TestTaskDefinitionsFailureFallsBackAndLogsOnce(t *testing.T) {
	var calls atomic.Int32
	fail := atomic.Bool{}
	fail.Store(true)
	api := taskDefFunc(func(ctx context.Context, in *ecs.DescribeTaskDefinitionInput) (*ecs.DescribeTaskDefinitionOutput, error) {
		calls.Add(1)
		if fail.Load() {
			return nil, errors.New("AccessDeniedException: not authorized")
		}
		return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: &ecstypes.TaskDefinition{}}, nil
	})
	var logs bytes.Buffer
	now := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	d := NewTaskDefinitions(api, "ap-northeast-1", slog.New(slog.NewTextHandler(&logs, nil)),
		WithTaskDefClock(func() time.Time { return now }))
	for range 3 {
		info, err := d.Get(t.Context(), pointsTaskDef)
		if err == nil {
			t.Fatal("want error")
		}
		if !info.Essential("datadog-agent") || info.LogURL("app", "x") != "" {
			t.Errorf("fallback info should call everything essential and have no links")
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("failed lookup retried %d times within the retry delay", n)
	}
	if n := strings.Count(logs.String(), "cannot read task definition"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, logs.String())
	}
	// After the retry delay the next Get asks again.
	now = now.Add(taskDefRetryAfter)
	_, _ = d.Get(t.Context(), pointsTaskDef)
	if n := strings.Count(logs.String(), "cannot read task definition"); n != 1 {
		t.Errorf("repeat failure logged again:\n%s", logs.String())
	}
	fail.Store(false)
	now = now.Add(taskDefRetryAfter)
	if _, err := d.Get(t.Context(), pointsTaskDef); err != nil {
		t.Errorf("recovered lookup: %v", err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("calls = %d, want 3", n)
	}
}

func TestTaskDefinitionsNilAPI(t *testing.T) {
	d := NewTaskDefinitions(nil, "eu-west-1", nil)
	info, err := d.Get(t.Context(), pointsTaskDef)
	if err == nil || !info.Essential("anything") {
		t.Errorf("nil API: err %v", err)
	}
}
