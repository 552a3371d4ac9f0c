package notifier

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// This file makes the findings and summaries the golden files show by
// running the monitor's own code: the Poller and Tracker against the AWS
// simulator, Schedules on configured schedules, the failure classification
// on the sample events of testdata/events, and the Dispatcher's storms and
// summary window. No Finding here is written by hand, so a golden file
// shows what production sends.

// scenarioConfig is the configuration the scenario runs, defaults applied
// by the config package as in production.
const scenarioConfig = `
[summary]
schedule = "@every 30m"

[events]
queue_url = "https://sqs.ap-northeast-1.amazonaws.com/123456789012/ecs-events"
storm_threshold = 3
storm_window = "1m"

[[cluster]]
name = "cron"
region = "ap-northeast-1"
task_limit = 10
max_concurrent = 0
renotify_interval = "15m"

  [[cluster.job]]
  family = "billing-batch"
  max_concurrent = 1
  mention = "<!subteam^S0123ABC>"

  [[cluster.job]]
  family = "nightly-report"
  schedule = "cron(0 5 * * ? *)"

  [[cluster.job]]
  family = "ledger-close"
  schedule = "cron(0/15 * * * ? *)"

[[cluster]]
name = "batch"
region = "ap-northeast-1"
task_limit = 100
`

// production holds what the scenario produced, by golden name.
type production struct {
	alerts    map[string]monitor.Finding
	summaries map[string]monitor.Summary
}

// teeSink records every transition and hands it on to the dispatcher.
type teeSink struct {
	d   *monitor.Dispatcher
	got []monitor.Finding
}

func (s *teeSink) Handle(f monitor.Finding) { s.got = append(s.got, f); s.d.Handle(f) }
func (s *teeSink) ObserveCount(cluster, region string, total, limit int, now time.Time) {
	s.d.ObserveCount(cluster, region, total, limit, now)
}

// take returns the one recorded transition of kind and transition since
// the last take, failing the test when there is not exactly one.
func (s *teeSink) take(t *testing.T, kind monitor.Kind, tr monitor.Transition) monitor.Finding {
	t.Helper()
	var match []monitor.Finding
	var rest []monitor.Finding
	for _, f := range s.got {
		if f.Kind == kind && f.Transition == tr {
			match = append(match, f)
		} else {
			rest = append(rest, f)
		}
	}
	if len(match) != 1 {
		t.Fatalf("%s %s transitions = %+v, want exactly one (all: %+v)", kind, tr, match, s.got)
	}
	s.got = rest
	return match[0]
}

// recordingNotifier keeps what the dispatcher delivers and hands out
// receipts, so roll-ups are updated in place as with a bot token.
type recordingNotifier struct {
	mu        sync.Mutex
	alerts    []monitor.Finding
	summaries []monitor.Summary
}

func (n *recordingNotifier) Notify(_ context.Context, f monitor.Finding, update monitor.Receipt) (monitor.Receipt, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.alerts = append(n.alerts, f)
	if update != (monitor.Receipt{}) {
		return update, nil
	}
	return monitor.Receipt{Channel: "C0ALERTS", TS: fmt.Sprint(len(n.alerts))}, nil
}

func (n *recordingNotifier) Summarize(_ context.Context, s monitor.Summary) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.summaries = append(n.summaries, s)
	return nil
}

func (n *recordingNotifier) delivered() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.alerts)
}

func (n *recordingNotifier) last() monitor.Finding {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.alerts[len(n.alerts)-1]
}

// sampleEvent parses one of the repository's sample ECS events.
func sampleEvent(t *testing.T, name string) monitor.TaskEvent {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := monitor.ParseEvent(b)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return ev
}

// runProduction plays a morning on two clusters and returns every message
// it caused. Times are fixed, so the output is the same on every run.
func runProduction(t *testing.T) production {
	t.Helper()
	ctx := context.Background()
	base := time.Date(2026, 3, 9, 4, 58, 0, 0, time.UTC)
	clock := testkit.NewClock(base)
	at := func(hhmmss string) time.Time {
		d, err := time.Parse("15:04:05", hhmmss)
		if err != nil {
			t.Fatal(err)
		}
		want := time.Date(2026, 3, 9, d.Hour(), d.Minute(), d.Second(), 0, time.UTC)
		return clock.Add(want.Sub(clock.Now()))
	}

	cfg, err := config.Parse("scenario.toml", []byte(scenarioConfig), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("scenario config: %v", err)
	}
	cron, batch := cfg.Clusters[0], cfg.Clusters[1]

	sim := awssim.New(awssim.Options{Now: clock.Now})
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	ecsc := ecs.New(ecs.Options{BaseEndpoint: aws.String(sim.URL()), Region: sim.Region(),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), RetryMaxAttempts: 1, HTTPClient: awssim.HTTPClient()})
	sim.CreateCluster("cron")
	sim.CreateCluster("batch")
	taskDefs := map[string]string{}
	for _, fam := range []string{"billing-batch", "ledger-close", "image-resizer", "sync-inventory", "report-export", "nightly-report", "etl"} {
		arn, err := sim.RegisterTaskDefinition(fam, awssim.ContainerDef{Name: "app", Image: fam + ":latest",
			LogDriver: "awslogs", LogOptions: map[string]string{"awslogs-group": "/ecs/" + fam, "awslogs-stream-prefix": "ecs"}})
		if err != nil {
			t.Fatal(err)
		}
		taskDefs[fam] = arn
	}

	rec := &recordingNotifier{}
	jobs := monitor.NewJobs(cron, cfg.Events)
	hist := monitor.NewHistory(clock.Now)
	stormPolicy := func(_, job string) (int, time.Duration) {
		r := jobs.Named(job)
		return r.StormThreshold, r.StormWindow
	}
	// The settings the daemon passes from the configuration.
	d := monitor.NewDispatcher(monitor.DispatcherOptions{Notifier: rec, Now: clock.Now, StormPolicy: stormPolicy, History: hist,
		RollupInterval: cfg.Events.RollupInterval.Duration, DrainTimeout: cfg.Shutdown.Timeout.Duration / 3})
	sink := &teeSink{d: d}
	state := monitor.NewState()
	poller := monitor.NewPoller(monitor.PollerOptions{Cluster: cron, ECS: ecsc, Jobs: jobs, State: state, Sink: sink, Now: clock.Now})
	batchPoller := monitor.NewPoller(monitor.PollerOptions{Cluster: batch, ECS: ecsc, Jobs: monitor.NewJobs(batch, cfg.Events),
		State: state, Sink: sink, Now: clock.Now})
	schedules := monitor.NewSchedules(monitor.SchedulesOptions{Cluster: cron, Jobs: jobs, State: state, Sink: sink,
		Notes: d, Success: hist, Now: clock.Now, CheckInterval: time.Minute})
	// recordRun is what the event consumer does with a finished run: into
	// the run history and the summary window.
	recordRun := func(job string, ev *monitor.TaskEvent, f *monitor.Failure) {
		r := monitor.RunOf(ev.Task, f, monitor.TaskDefInfo{})
		hist.Record("cron", job, r)
		result := monitor.RunFailed
		if f == nil {
			result = monitor.RunSucceeded
		}
		d.RecordRun("cron", job, result, r.Duration(), r.StoppedAt)
	}
	poll := func(p *monitor.Poller, hhmmss string) {
		t.Helper()
		at(hhmmss)
		sim.Advance()
		if err := p.PollAndReport(ctx); err != nil && p != batchPoller {
			t.Fatalf("poll at %s: %v", hhmmss, err)
		}
	}
	check := func(hhmmss string) { schedules.CheckAndReport(at(hhmmss)) }
	run := func(family, startedBy string, n int) []string {
		t.Helper()
		arns, err := sim.RunTasks("cron", family, startedBy, n)
		if err != nil {
			t.Fatal(err)
		}
		return arns
	}

	out := production{alerts: map[string]monitor.Finding{}, summaries: map[string]monitor.Summary{}}
	if err := schedules.Refresh(ctx, at("04:58:00")); err != nil {
		t.Fatalf("refresh schedules: %v", err)
	}

	// 05:00 the morning's jobs start; billing-batch twice (max 1).
	at("05:00:00")
	var started []string
	started = append(started, run("billing-batch", "events-rule/billing-batch-daily", 2)...)
	started = append(started, run("ledger-close", "events-rule/ledger-close", 1)...)
	started = append(started, run("etl", "ecs-svc/worker", 5)...)
	poll(poller, "05:00:30")
	out.alerts["task_limit_warning_opened"] = sink.take(t, monitor.KindTaskLimit, monitor.Opened)
	out.alerts["duplicate_run_opened"] = sink.take(t, monitor.KindDuplicateRun, monitor.Opened)

	started = append(started, run("etl", "ecs-svc/worker", 2)...)
	poll(poller, "05:01:00")
	out.alerts["task_limit_critical_escalated"] = sink.take(t, monitor.KindTaskLimit, monitor.Escalated)

	// batch cannot be polled: the monitor's role lost ecs:ListTasks.
	remove := sim.InjectFault(awssim.Fault{Op: "ecs:ListTasks", Cluster: "batch", Code: "AccessDeniedException",
		Message: "User: arn:aws:sts::123456789012:assumed-role/ecs-cron-monitor/task is not authorized to perform: ecs:ListTasks on resource: arn:aws:ecs:ap-northeast-1:123456789012:cluster/batch"})
	poll(batchPoller, "05:02:00")
	out.alerts["monitor_error_opened"] = sink.take(t, monitor.KindMonitorError, monitor.Opened)

	// nightly-report was due at 05:00 and never started.
	check("05:05:30")
	out.alerts["missed_run_opened"] = sink.take(t, monitor.KindMissedRun, monitor.Opened)

	// ledger-close (started 05:00) is still running a minute before its
	// next start at 05:15.
	poll(poller, "05:14:00")
	check("05:14:00")
	out.alerts["overrun_opened"] = sink.take(t, monitor.KindOverrun, monitor.Opened)

	// EventBridge starts the next ledger-close on time.
	at("05:15:00")
	started = append(started, run("ledger-close", "events-rule/ledger-close", 1)...)
	poll(poller, "05:16:00")
	check("05:16:00")
	out.alerts["task_limit_critical_renotify"] = sink.take(t, monitor.KindTaskLimit, monitor.Renotify)

	// 05:18 three runs fail, as the event consumer sees them.
	failures := []struct{ name, sample string }{
		{"failed_task_exit1", "stopped-essential-exit1.json"},
		{"failed_task_oom", "stopped-oom-137.json"},
		{"failed_task_never_started", "stopped-failed-to-start-pull-error.json"},
	}
	tdefs := monitor.NewTaskDefinitions(ecsc, sim.Region(), nil)
	oom := stoppedAt(sampleEvent(t, "stopped-oom-137.json"), at("05:17:53"))
	for _, fc := range failures {
		ev := stoppedAt(sampleEvent(t, fc.sample), clock.Now().Add(-time.Second))
		if fc.sample == "stopped-oom-137.json" {
			ev = oom
		}
		f := failed(t, ctx, tdefs, jobs, taskDefs, cron, &ev, clock.Now())
		at(f.StoppedAt.Add(time.Second).Format("15:04:05"))
		f.At = clock.Now()
		if err := d.DeliverFailure(ctx, f); err != nil {
			t.Fatal(err)
		}
		recordRun(f.Job, &ev, f.Failure)
		out.alerts[fc.name] = rec.last()
	}
	// image-resizer keeps running out of memory: 8 failures, the first 3
	// alerted alone, then one roll-up that keeps counting.
	for i := 1; i < 8; i++ {
		clock.Add(5 * time.Second)
		ev := oom
		ev.ID = fmt.Sprintf("0d6f2b8e-51a4-4c93-8e7d-b2a9f4c6e0%02d", i)
		ev.Task.ARN = strings.Replace(oom.Task.ARN, "b5a4c3d2", fmt.Sprintf("b5a4c3%02d", i), 1)
		ev.Task.StoppedAt = oom.Task.StoppedAt.Add(time.Duration(i) * 5 * time.Second)
		f := failed(t, ctx, tdefs, jobs, taskDefs, cron, &ev, clock.Now())
		deliverInStorm(t, ctx, d, clock.Now(), f)
		recordRun(f.Job, &ev, f.Failure)
	}
	out.alerts["rollup_counting"] = rec.last()
	clock.Add(2 * time.Minute)
	d.FlushStorms(ctx, clock.Now(), false)
	out.alerts["rollup_final"] = rec.last()
	if !out.alerts["rollup_final"].Rollup.Final {
		t.Fatalf("the storm did not close: %+v", out.alerts["rollup_final"].Rollup)
	}
	// And one run succeeds.
	ok := stoppedAt(sampleEvent(t, "stopped-all-exit0.json"), clock.Now().Add(-10*time.Second))
	if f := failed(t, ctx, tdefs, jobs, taskDefs, cron, &ok, clock.Now()); f.Kind != "" {
		t.Fatalf("a run that exited 0 was judged a failure: %+v", f)
	}
	recordRun(jobs.Resolve(ok.Task).Name, &ok, nil)

	// 05:25 everything stops, nightly-report starts late: all resolves.
	at("05:25:00")
	if err := sim.StopTasks("cron", "done", started...); err != nil {
		t.Fatal(err)
	}
	run("nightly-report", "events-rule/nightly-report", 1)
	poll(poller, "05:25:30")
	out.alerts["task_limit_resolved"] = sink.take(t, monitor.KindTaskLimit, monitor.Resolved)
	out.alerts["duplicate_run_resolved"] = sink.take(t, monitor.KindDuplicateRun, monitor.Resolved)
	check("05:25:30")
	out.alerts["missed_run_resolved"] = sink.take(t, monitor.KindMissedRun, monitor.Resolved)
	out.alerts["overrun_resolved"] = sink.take(t, monitor.KindOverrun, monitor.Resolved)

	// 05:30 the summary; batch has not been polled once in the window.
	if err := d.FlushSummary(ctx, at("05:30:00")); err != nil {
		t.Fatal(err)
	}
	out.summaries["summary"] = rec.summaries[len(rec.summaries)-1]

	remove()
	poll(batchPoller, "05:31:00")
	out.alerts["monitor_error_resolved"] = sink.take(t, monitor.KindMonitorError, monitor.Resolved)

	// A quiet window, for deployments with send_empty.
	quiet := &recordingNotifier{}
	qd := monitor.NewDispatcher(monitor.DispatcherOptions{Notifier: quiet, Now: clock.Now, SendEmpty: true, StormPolicy: stormPolicy,
		RollupInterval: cfg.Events.RollupInterval.Duration, DrainTimeout: cfg.Shutdown.Timeout.Duration / 3})
	qp := monitor.NewPoller(monitor.PollerOptions{Cluster: cron, ECS: ecsc, Jobs: jobs, State: monitor.NewState(), Sink: qd, Now: clock.Now})
	at("05:40:00")
	if err := qp.PollAndReport(ctx); err != nil {
		t.Fatal(err)
	}
	qd.RecordRun("cron", "etl", monitor.RunSucceeded, 3*time.Minute, clock.Now())
	if err := qd.FlushSummary(ctx, at("05:45:00")); err != nil {
		t.Fatal(err)
	}
	out.summaries["summary_empty"] = quiet.summaries[0]
	return out
}

// failed judges a sample event as the event consumer does (job identity,
// task definition over the ECS API, classification); the zero Finding when
// the run did not fail.
func failed(t *testing.T, ctx context.Context, tdefs *monitor.TaskDefinitions, jobs *monitor.Jobs, taskDefs map[string]string,
	cl config.Cluster, ev *monitor.TaskEvent, now time.Time) monitor.Finding {
	t.Helper()
	ev.Task.TaskDefinitionARN = taskDefs[ev.Task.Family()]
	info, err := tdefs.Get(ctx, ev.Task.TaskDefinitionARN)
	if err != nil {
		t.Fatalf("task definition of %s: %v", ev.Task.Family(), err)
	}
	f := monitor.FailedRun(cl.Name, cl.Region, jobs.Resolve(ev.Task), *ev, info, now)
	if f == nil {
		return monitor.Finding{}
	}
	return *f
}

// deliverInStorm delivers a failure that a roll-up may hold: then it
// blocks until a flush delivers the roll-up, so flush until it returns.
func deliverInStorm(t *testing.T, ctx context.Context, d *monitor.Dispatcher, now time.Time, f monitor.Finding) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- d.DeliverFailure(ctx, f) }()
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			return
		case <-time.After(2 * time.Millisecond):
			d.FlushStorms(ctx, now, false)
		}
	}
}

// stoppedAt moves a sample event's times so its task stopped at stop, as
// if it had happened during the scenario.
func stoppedAt(ev monitor.TaskEvent, stop time.Time) monitor.TaskEvent {
	delta := stop.Sub(ev.Task.StoppedAt.Truncate(time.Second))
	for _, tp := range []*time.Time{&ev.Time, &ev.Task.CreatedAt, &ev.Task.StartedAt, &ev.Task.StoppingAt, &ev.Task.StoppedAt} {
		if !tp.IsZero() {
			*tp = tp.Add(delta)
		}
	}
	return ev
}
