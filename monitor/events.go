package monitor

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
)

// SQSAPI is the SQS operations the event consumer calls; *sqs.Client
// satisfies it.
type SQSAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// FailureSink takes failed runs and finished-run counts from the event
// consumer. The Dispatcher implements it (storms, Slack delivery, summary).
type FailureSink interface {
	// DeliverFailure blocks until the failure was accepted by the notifier,
	// or folded into a roll-up that was; an error means "not delivered,
	// retry later", and the SQS message is kept for redelivery, unless it
	// is a *PermanentError: then no retry can help and the message is
	// deleted.
	DeliverFailure(ctx context.Context, f Finding) error
	// RecordRun counts a finished run for the summary.
	RecordRun(cluster, job string, result RunResult, duration time.Duration, stoppedAt time.Time)
}

// RunResult is how a finished run ended, as the summary counts it.
type RunResult string

// Results of a finished run.
const (
	RunSucceeded RunResult = "success"
	RunFailed    RunResult = "failure"
	// RunStopped is a run a person (or a tool) stopped through the API:
	// neither a success nor a failure, but not silently dropped either.
	RunStopped RunResult = "stopped"
)

// EventCluster is one configured cluster as the event consumer sees it.
// Name is the configured name (a name or an ARN) and is what findings and
// State use. Jobs and TaskDefs may be nil: jobs are then named by family,
// and every container counts as essential.
type EventCluster struct {
	Name     string
	Region   string
	Jobs     *Jobs
	TaskDefs *TaskDefinitions

	tag string // "cluster:<Name>", made once by NewEvents
}

// EventsOptions configures Events. SQS, Sink and Config.QueueURL are
// required; a nil Metrics, Logger, State or Now becomes a no-op or default.
type EventsOptions struct {
	Config   config.Events
	SQS      SQSAPI
	Clusters []EventCluster
	State    *State
	Sink     FailureSink
	Metrics  Metrics
	Logger   *slog.Logger
	Now      func() time.Time
	// DrainTimeout bounds finishing in-flight messages after the run
	// context is cancelled (required: a share of [shutdown] timeout); what
	// is unfinished then is left on the queue to reappear.
	DrainTimeout time.Duration
	// AfterReceive, if set, is called after every ReceiveMessage with its
	// error; the health endpoint uses it to see the receivers alive.
	AfterReceive func(err error)
	// OnTask, if set, is told of every task an event describes (after
	// State); the schedule checks learn of starts this way, even of runs
	// that start and stop between two checks.
	OnTask func(cluster string, t Task)
	// Launches, if set, takes CloudTrail RunTask records that arrive on the
	// same queue (see launch_cloudtrail.go).
	Launches LaunchHandler
	// ReceiveBackoff is the first wait after a failed ReceiveMessage
	// (default 1s, doubling to 1m).
	ReceiveBackoff time.Duration
	// History records every finished run; the checks that need history
	// (alert_after_failures, suspicious_success) decide on what it knew.
	// Nil: runs are not remembered, and every failure is alerted.
	History RunRecorder
	// Findings takes the findings those checks make (a recovery, a
	// suspicious success); nil drops them.
	Findings FindingHandler
	// Claims de-duplicates stopped runs between replicas, as Owner; nil:
	// this replica's own memory only.
	Claims EventClaims
	Owner  string
}

// RunRecorder keeps finished runs; *History satisfies it.
type RunRecorder interface {
	Record(cluster, job string, r Run) Recorded
}

// FindingHandler takes a finding without blocking; *Dispatcher satisfies it.
type FindingHandler interface {
	Handle(f Finding)
}

// Outcome says what Handle did with one message.
type Outcome string

// Outcomes of Handle. Only OutcomeMalformed, OutcomeRetry and
// OutcomeAbandoned leave the message on the queue.
const (
	OutcomeAlerted   Outcome = "alerted"   // failure delivered; deleted
	OutcomeRejected  Outcome = "rejected"  // failure alert refused for good by the notifier; deleted
	OutcomeSuccess   Outcome = "success"   // successful run recorded; deleted
	OutcomeUserStop  Outcome = "user_stop" // stopped by a person, not a failure; deleted
	OutcomeHeld      Outcome = "held"      // failure below alert_after_failures: recorded, not alerted; deleted
	OutcomeUpdated   Outcome = "updated"   // not a stop: state fed; deleted
	OutcomeIgnored   Outcome = "ignored"   // cluster not configured; deleted
	OutcomeDuplicate Outcome = "duplicate" // already handled (redelivered copy); deleted
	OutcomeStale     Outcome = "stale"     // older than what was handled; deleted
	OutcomeMalformed Outcome = "malformed" // kept, for the redrive policy to move to the DLQ
	OutcomeRetry     Outcome = "retry"     // delivery failed; visibility set to a backoff
	OutcomeAbandoned Outcome = "abandoned" // shutdown came first; made visible again at once
)

// SQS limits (docs/AWS-NOTES.md §4) and our defaults.
const (
	sqsMaxMessages       = 10
	sqsMaxWait           = 20 * time.Second
	sqsMaxVisibility     = 12 * time.Hour
	firstRetryVisibility = 10 * time.Second
	maxReceiveBackoff    = time.Minute
	maxInFlight          = 200 // messages handled at once, across receivers
	// settleTimeout bounds the calls that settle a message (delete it,
	// change its visibility). They run on a context of their own, not
	// cancelled with the handler's: a message abandoned at shutdown must
	// still be made visible again, and a visibility extension already sent
	// must be answered before the message is made visible, or it could
	// land after and hide the message from the next instance.
	settleTimeout = 5 * time.Second
)

// Events consumes ECS Task State Change events from SQS: it feeds State,
// classifies stopped tasks and hands failures to the sink, deleting each
// message only once its work is done (at-least-once end to end).
type Events struct {
	o       EventsOptions
	log     *slog.Logger
	metrics Metrics
	now     func() time.Time
	mem     *eventMemory
	locks   taskLocks
	// inflight bounds the messages being handled at once; handlers is
	// every handler goroutine, waited for on shutdown.
	inflight chan struct{}
	handlers sync.WaitGroup
	queueURL *string // Config.QueueURL, shared by every (read-only) request
}

// NewEvents builds the consumer; Run starts it.
func NewEvents(o EventsOptions) *Events {
	d := withDefaults(o.Metrics, o.Logger, o.Now)
	e := &Events{o: o, log: d.logger.With("component", "events"), metrics: d.metrics, now: d.now}
	require("NewEvents", "DrainTimeout", o.DrainTimeout > 0)
	require("NewEvents", "Config.Receivers", o.Config.Receivers > 0)
	require("NewEvents", "Config.VisibilityTimeout", o.Config.VisibilityTimeout.Duration > 0)
	if e.o.ReceiveBackoff <= 0 {
		e.o.ReceiveBackoff = time.Second
	}
	e.queueURL = aws.String(e.o.Config.QueueURL)
	e.o.Clusters = slices.Clone(o.Clusters)
	for i := range e.o.Clusters {
		e.o.Clusters[i].tag = "cluster:" + e.o.Clusters[i].Name
	}
	e.mem = newEventMemory()
	e.inflight = make(chan struct{}, maxInFlight)
	e.locks.m = map[string]chan struct{}{}
	return e
}

// Run long-polls the queue with Config.Receivers loops until ctx is
// cancelled, then stops receiving, lets in-flight messages finish within
// DrainTimeout and returns nil.
func (e *Events) Run(ctx context.Context) error {
	if e.o.SQS == nil || e.o.Sink == nil || e.o.Config.QueueURL == "" {
		return errors.New("start event consumer: SQS client, sink and queue URL are required")
	}
	// Work on a context that outlives ctx by at most DrainTimeout, so a
	// message being alerted when SIGTERM arrives is still finished.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	n := e.o.Config.Receivers
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { e.receive(ctx, work) })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); e.handlers.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	t := time.NewTimer(e.o.DrainTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		e.log.Warn("drain timeout reached; unfinished messages will reappear", "timeout", e.o.DrainTimeout)
		cancelWork()
		<-done
	}
	return nil
}

func (e *Events) receive(ctx, work context.Context) {
	// 0 is short polling, as SQS defines it; config bounds it by 20s.
	wait := min(e.o.Config.WaitTime.Duration, sqsMaxWait)
	in := &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(e.o.Config.QueueURL),
		MaxNumberOfMessages:         sqsMaxMessages,
		WaitTimeSeconds:             int32(wait / time.Second),
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount},
	}
	in.VisibilityTimeout = int32(min(e.o.Config.VisibilityTimeout.Duration, sqsMaxVisibility) / time.Second)
	backoff := e.o.ReceiveBackoff
	var failures failureLog
	for ctx.Err() == nil {
		out, err := e.o.SQS.ReceiveMessage(ctx, in)
		if e.o.AfterReceive != nil && ctx.Err() == nil {
			e.o.AfterReceive(err)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			// Log a repeating failure once per change, not once per attempt.
			if failures.changed(err) {
				e.log.Error("receive from SQS failed; retrying", "err", err, "retry_in", backoff)
			}
			if !sleepCtx(ctx, backoff) {
				return
			}
			backoff = min(backoff*2, maxReceiveBackoff)
			continue
		}
		if failures.failing() {
			e.log.Info("receive from SQS recovered")
			backoff = e.o.ReceiveBackoff
		}
		failures.changed(nil)
		// Messages are handled concurrently and the next receive does not
		// wait for them: a failure folded into a storm roll-up waits for the
		// roll-up's next delivery, and a storm must not wait once per batch.
		// inflight bounds the work held at once.
		for i, m := range out.Messages {
			select {
			case e.inflight <- struct{}{}:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				e.release(work, out.Messages[i:])
				break
			}
			e.handlers.Go(func() {
				defer func() { <-e.inflight }()
				e.Handle(work, m)
			})
		}
	}
}

// release makes messages received but not handled (shutdown came first)
// visible again at once, so the next instance need not wait out the
// visibility timeout. Best effort: if it fails they reappear later anyway.
func (e *Events) release(ctx context.Context, ms []sqstypes.Message) {
	for _, m := range ms {
		e.setVisibility(ctx, m, 0)
	}
}

// Handle processes one message: parse, match the cluster, de-duplicate,
// classify a stopped task, deliver a failure, then delete the message. It
// is safe for concurrent use; copies of one task's events are handled one
// at a time.
func (e *Events) Handle(ctx context.Context, m sqstypes.Message) Outcome {
	msgID := aws.ToString(m.MessageId)
	e.metrics.Count("events.received", 1, nil)
	ev, err := parseEvent(aws.ToString(m.Body))
	if err != nil && errors.Is(err, ErrNotTaskEvent) && e.o.Launches != nil {
		if out, ok := e.handleLaunchRecord(ctx, m); ok {
			return out
		}
	}
	if err != nil {
		// The body is never logged: it is not ours to print. The message is
		// neither deleted nor made visible early, so after maxReceiveCount
		// the queue's redrive policy moves it to the DLQ for a person.
		e.log.Warn("malformed event left for the dead-letter queue", "message_id", msgID, "err", err)
		e.metrics.Count("events.malformed", 1, nil)
		return OutcomeMalformed
	}
	cl, ok := e.cluster(ev)
	if !ok {
		e.log.Debug("event for an unmonitored cluster", "message_id", msgID, "cluster_arn", ev.ClusterARN)
		e.metrics.Count("events.ignored", 1, []string{"reason:unknown_cluster"})
		e.delete(ctx, m)
		return OutcomeIgnored
	}
	now := e.now()
	log := eventLogger{base: e.log, messageID: msgID, eventID: ev.ID, cluster: cl.Name, taskARN: ev.Task.ARN}
	if !ev.Time.IsZero() {
		e.metrics.Gauge("events.lag_seconds", now.Sub(ev.Time).Seconds(), []string{cl.tag})
	}
	// The poller's view is fed first and independently: its "stale" answer
	// cannot decide alerting, because the poller may have described the
	// stopped task before its event arrived.
	if e.o.State != nil {
		e.o.State.Observe(cl.Name, ev.Task, now)
	}
	if e.o.OnTask != nil {
		e.o.OnTask(cl.Name, ev.Task)
	}
	unlock, err := e.locks.lock(ctx, ev.Task.ARN)
	if err != nil {
		e.release(ctx, []sqstypes.Message{m})
		return OutcomeAbandoned
	}
	defer unlock()
	v := e.mem.check(ev, now)
	if v.redelivered {
		e.metrics.Count("events.redelivered", 1, []string{cl.tag})
	}
	switch {
	case v.done:
		e.delete(ctx, m)
		return OutcomeDuplicate
	case v.stale:
		e.metrics.Count("events.stale", 1, []string{cl.tag})
		e.delete(ctx, m)
		return OutcomeStale
	}
	if ev.Task.LastStatus != "STOPPED" {
		e.mem.complete(ev, now)
		e.delete(ctx, m)
		return OutcomeUpdated
	}
	out := e.claimed(ctx, log, cl, ev, now, m)
	switch out {
	case OutcomeRetry: // stopped set its visibility to a backoff
	case OutcomeAbandoned:
		// Its visibility heartbeat has stopped (stopped waits for it), so
		// nothing extends the message after this.
		e.release(ctx, []sqstypes.Message{m})
	default:
		e.mem.complete(ev, now)
		e.delete(ctx, m)
	}
	return out
}

// eventLogger is the logger of one message's handling, built only when
// something is logged: slog's With formats its attributes at once, which
// cost more than the rest of handling an event that logs nothing.
type eventLogger struct {
	base                                 *slog.Logger
	messageID, eventID, cluster, taskARN string
}

func (l eventLogger) logger() *slog.Logger {
	return l.base.With("message_id", l.messageID, "event_id", l.eventID, "cluster", l.cluster, "task", ShortID(l.taskARN))
}

func (l eventLogger) Debug(msg string, args ...any) { l.logger().Debug(msg, args...) }
func (l eventLogger) Info(msg string, args ...any)  { l.logger().Info(msg, args...) }
func (l eventLogger) Warn(msg string, args ...any)  { l.logger().Warn(msg, args...) }
func (l eventLogger) Error(msg string, args ...any) { l.logger().Error(msg, args...) }

// cluster finds the configured cluster of an event: by cluster name and
// region, or by full ARN when the configuration names the cluster by ARN.
func (e *Events) cluster(ev TaskEvent) (EventCluster, bool) {
	return matchCluster(e.o.Clusters, ev.ClusterARN, ev.Region)
}

// matchCluster finds the configured cluster a cluster ARN (or name, ""
// being "default") in region names.
func matchCluster(clusters []EventCluster, clusterARN, region string) (EventCluster, bool) {
	if clusterARN == "" {
		clusterARN = "default"
	}
	name := ShortID(clusterARN)
	for _, c := range clusters {
		if c.Name == clusterARN {
			return c, true
		}
		cregion := c.Region
		if r := arnRegion(c.Name); r != "" {
			cregion = r
			if c.Name != clusterARN {
				continue
			}
		}
		if ShortID(c.Name) == name && (cregion == "" || region == "" || cregion == region) {
			return c, true
		}
	}
	return EventCluster{}, false
}

func (e *Events) delete(ctx context.Context, m sqstypes.Message) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	_, err := e.o.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{
		QueueUrl:      e.queueURL,
		ReceiptHandle: m.ReceiptHandle,
	})
	if err != nil {
		// The message will come back; the memory of handled events makes
		// that copy a no-op.
		e.log.Warn("delete SQS message failed", "message_id", aws.ToString(m.MessageId), "err", err)
	}
}

func (e *Events) setVisibility(ctx context.Context, m sqstypes.Message, d time.Duration) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	_, err := e.o.SQS.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl:          e.queueURL,
		ReceiptHandle:     m.ReceiptHandle,
		VisibilityTimeout: int32(d / time.Second),
	})
	if err != nil {
		e.log.Warn("change SQS message visibility failed", "message_id", aws.ToString(m.MessageId), "err", err)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
