package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
)

// Where a launch failure was learnt (the finding's source field).
const (
	LaunchSourceCloudTrail   = "cloudtrail"         // a CloudTrail RunTask record on the event queue
	LaunchSourceSchedulerDLQ = "scheduler_dlq"      // an EventBridge Scheduler dead-letter message
	LaunchSourceRuleMetric   = "failed_invocations" // the AWS/Events FailedInvocations metric of a rule
)

// LaunchAttempt is one refused launch of a scheduled run, as one source
// reports it.
type LaunchAttempt struct {
	Source string
	// ID is the source's own identity of the report (CloudTrail event id,
	// SQS message id, rule and minute): a redelivered copy has the same.
	ID string
	// Cluster names the cluster (name or ARN, "" for "default") and Region
	// its region, when the source knows it.
	Cluster string
	Region  string
	// Task carries what names the job: startedBy, group, task definition.
	Task      Task
	At        time.Time // when the launch was attempted
	ErrorCode string    // AWS's error code, "" when there is none
	Text      string    // AWS's error text or failure reason
}

// LaunchSink takes launch failures; *Dispatcher satisfies it.
type LaunchSink interface {
	// DeliverFailure blocks until the alert was accepted (alone or in a
	// storm roll-up); an error means "not delivered, retry later".
	DeliverFailure(ctx context.Context, f Finding) error
	// RecordLaunchFailure counts one for the job's summary line.
	RecordLaunchFailure(cluster, job string, cause Cause)
}

// LaunchesOptions configures Launches. Sink is required; nil Metrics,
// Logger and Now become a no-op, a discarding logger and time.Now.
type LaunchesOptions struct {
	// Clusters are the monitored clusters at start (SetClusters replaces
	// them); a report of any other is ignored.
	Clusters []EventCluster
	Sink     LaunchSink
	// History, if set, records each refused launch as a failed run that
	// never started (the job's streak, the status page).
	History RunRecorder
	// Claims de-duplicates launch failures between replicas, as Owner: the
	// replica that claims the run alerts it (launches_claims.go); nil: per
	// replica only. ClaimHold is how long a claim is held before another
	// replica may take it (the holder died); default one minute.
	Claims    EventClaims
	Owner     string
	ClaimHold time.Duration
	Metrics   Metrics
	Logger    *slog.Logger
	Now       func() time.Time
}

// Launches turns refused launches from any source into one launch_failed
// finding per failed run: the same run reported by two sources, or a
// redelivered report, alerts once. It remembers each job's latest failure
// so that the missed-run check can say why the run did not start. Safe for
// concurrent use.
type Launches struct {
	o       LaunchesOptions
	log     *slog.Logger
	metrics Metrics
	now     func() time.Time

	mu       sync.Mutex
	clusters []EventCluster       // the monitored clusters (SetClusters)
	seen     map[string]time.Time // report ids handled -> when
	runs     map[string]launchRun // cluster|job -> latest failed run
}

type launchRun struct {
	at     time.Time
	lo, hi time.Time // its fire window (launch_window.go)
	cause  Cause
	text   string
	source string
	// pending: being delivered; a concurrent report of the run waits for
	// the outcome rather than alerting a second time.
	pending chan struct{}
	failed  bool
}

// Remembered reports are forgotten after this long. Which reports are of
// one run: launch_window.go.
const launchMemory = 6 * time.Hour

// NewLaunches builds the launch-failure component.
func NewLaunches(o LaunchesOptions) *Launches {
	d := withDefaults(o.Metrics, o.Logger, o.Now)
	return &Launches{o: o, log: d.logger.With("component", "launches"), metrics: d.metrics, now: d.now,
		clusters: o.Clusters, seen: map[string]time.Time{}, runs: map[string]launchRun{}}
}

// SetClusters replaces the monitored clusters (a reload's): the next
// report is matched against them, so a cluster the reload adds has its
// refused launches alerted and one it removes has them ignored. What was
// alerted stays remembered.
func (l *Launches) SetClusters(cs []EventCluster) {
	l.mu.Lock()
	l.clusters = cs
	l.mu.Unlock()
}

// Handle alerts one refused launch unless it is a copy or another source's
// report of a run already alerted. An error means it was not delivered:
// the caller keeps its message for redelivery.
func (l *Launches) Handle(ctx context.Context, a LaunchAttempt) (Outcome, error) {
	l.mu.Lock()
	clusters := l.clusters
	l.mu.Unlock()
	cl, ok := matchCluster(clusters, a.Cluster, a.Region)
	if !ok {
		l.log.Debug("launch failure for an unmonitored cluster", "source", a.Source, "cluster", a.Cluster)
		return OutcomeIgnored, nil
	}
	js := cl.Jobs
	if js == nil {
		js = NewJobs(config.Cluster{Name: cl.Name}, config.Events{})
	}
	job := js.Resolve(a.Task)
	now := l.now()
	if a.At.IsZero() {
		a.At = now
	}
	cause := ClassifyLaunch(a.ErrorCode, a.Text)
	key := cl.Name + "|" + job.Name
	lo, hi := fireWindow(a)

	for {
		l.mu.Lock()
		l.pruneLocked(now)
		if _, dup := l.seen[a.ID]; dup && a.ID != "" {
			l.mu.Unlock()
			return OutcomeDuplicate, nil
		}
		r, known := l.runs[key]
		same := known && sameRun(r.lo, r.hi, lo, hi)
		if same && r.pending != nil {
			l.mu.Unlock()
			select {
			case <-r.pending:
				continue // decided; look again
			case <-ctx.Done():
				return OutcomeAbandoned, ctx.Err()
			}
		}
		if same && !r.failed {
			l.seen[a.ID] = now
			l.mu.Unlock()
			l.metrics.Count("launches.duplicate", 1, []string{"source:" + a.Source})
			return OutcomeDuplicate, nil
		}
		pending := make(chan struct{})
		l.runs[key] = launchRun{at: a.At, lo: lo, hi: hi, cause: cause, text: a.Text, source: a.Source, pending: pending}
		l.mu.Unlock()

		claim, out, err := l.claim(ctx, key, a, lo, hi, now)
		if claim == nil {
			// Alerted elsewhere: this replica's later reports are copies
			// and the missed-run check may name the cause. Held elsewhere:
			// the next report tries again.
			l.settle(key, a.ID, now, pending, out != OutcomeDuplicate)
			return out, err
		}

		err = l.o.Sink.DeliverFailure(ctx, l.finding(cl, job, a, cause, now))
		_, permanent := Permanent(err)
		if permanent {
			// No retry can deliver it (the dispatcher logged and counted
			// it): the run is done with, for this source and the others.
			err = nil
		}
		l.settle(key, a.ID, now, pending, err != nil)
		claim(err == nil)
		if err != nil {
			return OutcomeRetry, fmt.Errorf("deliver launch failure of %s: %w", job.Name, err)
		}
		l.o.Sink.RecordLaunchFailure(cl.Name, job.Name, cause)
		if l.o.History != nil {
			l.o.History.Record(cl.Name, job.Name, Run{StoppedAt: a.At, Result: ResultFailure, Cause: cause})
		}
		l.metrics.Count("job.launch_failed", 1, []string{"cluster:" + cl.Name, "job:" + job.Name, "cause:" + string(cause)})
		if permanent {
			return OutcomeRejected, nil
		}
		return OutcomeAlerted, nil
	}
}

// settle ends the delivery pending for the run of key: failed, the next
// report of the run tries again; otherwise the report id is remembered.
func (l *Launches) settle(key, id string, now time.Time, pending chan struct{}, failed bool) {
	l.mu.Lock()
	run := l.runs[key]
	run.pending, run.failed = nil, failed
	l.runs[key] = run
	if !failed {
		l.seen[id] = now
	}
	l.mu.Unlock()
	close(pending)
}

func (l *Launches) finding(cl EventCluster, job JobRef, a LaunchAttempt, cause Cause, now time.Time) Finding {
	// Messages name no subject (the notifiers show the job); AWS's own text
	// is the failure's reason.
	msg := "did not start: " + LaunchCauseText(cause)
	return Finding{
		Kind: KindLaunchFailed, Severity: SeverityCritical, Transition: Opened,
		Cluster: cl.Name, Region: cl.Region, Job: job.Name, Value: 1,
		Tasks: []string{}, Message: msg, Since: a.At, At: now, Route: job.Route,
		Failure: &Failure{
			Cause: cause, Reason: a.Text, StartedBy: a.Task.StartedBy,
			EventID: a.ID, Source: a.Source, ErrorCode: a.ErrorCode,
		},
	}
}

// LaunchFailure returns the latest refused launch of the job at or after
// since, if one was alerted: the missed-run check names it.
func (l *Launches) LaunchFailure(cluster, job string, since time.Time) (Cause, string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.runs[cluster+"|"+job]
	if !ok || r.failed || r.pending != nil || r.at.Before(since) {
		return "", "", false
	}
	return r.cause, r.text, true
}

func (l *Launches) pruneLocked(now time.Time) {
	for id, t := range l.seen {
		if now.Sub(t) > launchMemory {
			delete(l.seen, id)
		}
	}
	for k, r := range l.runs {
		if r.pending == nil && now.Sub(r.at) > launchMemory {
			delete(l.runs, k)
		}
	}
}
