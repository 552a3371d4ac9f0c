package monitor

import (
	"context"
	"strconv"
	"sync"
	"time"

	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// What the consumer does with a STOPPED task: judge it, deliver a failure,
// count the run, or leave the message for a retry.

// stopped judges a stopped task and delivers its failure, if any.
func (e *Events) stopped(ctx context.Context, log eventLogger, cl EventCluster, ev TaskEvent, now time.Time, m sqstypes.Message) Outcome {
	t := ev.Task
	job := JobRef{Name: t.Family()}
	if cl.Jobs != nil {
		job = cl.Jobs.Resolve(t)
	}
	var info TaskDefInfo
	if cl.TaskDefs != nil {
		// An error is logged once by the cache; the zero info still works.
		info, _ = cl.TaskDefs.Get(ctx, t.TaskDefinitionARN)
	}
	finding := FailedRun(cl.Name, cl.Region, job, ev, info, now)
	var dur time.Duration
	if !t.StartedAt.IsZero() && t.StoppedAt.After(t.StartedAt) {
		dur = t.StoppedAt.Sub(t.StartedAt)
	}
	jobTags := []string{cl.tag, "job:" + job.Name}
	if finding == nil {
		if UserStopped(t) {
			// Neither a success nor a failure: the summary counts it as
			// stopped.
			log.Info("task stopped by a user; counted as stopped", "job", job.Name, "stopped_reason", t.StoppedReason)
			e.o.Sink.RecordRun(cl.Name, job.Name, RunStopped, dur, t.StoppedAt)
			return OutcomeUserStop
		}
		r := RunOf(t, nil, info)
		rec := e.record(cl.Name, job.Name, r)
		e.o.Sink.RecordRun(cl.Name, job.Name, RunSucceeded, dur, t.StoppedAt)
		if dur > 0 {
			e.metrics.Distribution("job.duration_seconds", dur.Seconds(), append(jobTags, "result:success"))
		}
		for _, check := range []func(EventCluster, JobRef, Recorded, Run, time.Time) (Finding, bool){recoveryFinding, suspiciousFinding} {
			if f, ok := check(cl, job, rec, r, now); ok && e.o.Findings != nil {
				e.o.Findings.Handle(f)
			}
		}
		return OutcomeSuccess
	}
	f := finding.Failure
	// Recorded before delivery: recording again on a redelivery changes
	// nothing, and the decision below stays the same.
	rec := e.record(cl.Name, job.Name, RunOf(t, f, info))
	if !failureAlertDue(job, rec) {
		log.Info("failure not alerted: below alert_after_failures", "job", job.Name,
			"failures_in_a_row", rec.Failures, "alert_after_failures", job.AlertAfterFailures)
		if !rec.Duplicate {
			e.o.Sink.RecordRun(cl.Name, job.Name, RunFailed, dur, t.StoppedAt)
			e.countFailure(jobTags, f, dur)
		}
		return OutcomeHeld
	}
	finding.Message += failureStreakNote(job, rec)
	stopHeartbeat := e.keepHidden(ctx, m)
	err := e.o.Sink.DeliverFailure(ctx, *finding)
	stopHeartbeat()
	outcome := OutcomeAlerted
	if reason, ok := Permanent(err); ok {
		// No retry can deliver it: redelivering the event would only be
		// refused again, up to the dead-letter queue. The dispatcher has
		// logged, counted and noted it for the summary; the run is still
		// counted as failed.
		log.Debug("failure alert refused for good; event deleted", "job", job.Name, "reason", reason)
		outcome, err = OutcomeRejected, nil
	}
	if err != nil {
		if ctx.Err() != nil {
			log.Warn("shutdown before the failure alert was delivered; the event is made visible for the next instance", "err", err)
			return OutcomeAbandoned
		}
		vis := retryVisibility(m, e.o.Config.VisibilityTimeout.Duration)
		log.Warn("failure alert not delivered; event kept for redelivery", "job", job.Name, "err", err, "retry_in", vis)
		e.metrics.Count("events.deliver_failed", 1, jobTags)
		e.setVisibility(ctx, m, vis)
		return OutcomeRetry
	}
	e.o.Sink.RecordRun(cl.Name, job.Name, RunFailed, dur, t.StoppedAt)
	e.countFailure(jobTags, f, dur)
	return outcome
}

func (e *Events) countFailure(jobTags []string, f *Failure, dur time.Duration) {
	exit := "none"
	if f.ExitCode != nil {
		exit = strconv.Itoa(*f.ExitCode)
	}
	e.metrics.Count("task.failed", 1, append(jobTags, "exit_code:"+exit, "container:"+f.Container, "cause:"+string(f.Cause)))
	if dur > 0 {
		e.metrics.Distribution("job.duration_seconds", dur.Seconds(), append(jobTags, "result:failure"))
	}
}

// record keeps the run in History; without one, a failure counts as the
// first of its streak.
func (e *Events) record(cluster, job string, r Run) Recorded {
	if e.o.History == nil {
		if r.Result == ResultFailure {
			return Recorded{Failures: 1}
		}
		return Recorded{}
	}
	return e.o.History.Record(cluster, job, r)
}

// keepHidden extends the message's visibility every half visibility
// timeout until stop is called, so a delivery that waits (for Slack's pace,
// a storm roll-up or a retry) does not let the message reappear and be
// handled twice meanwhile. stop returns only once no extension is in
// flight (setVisibility is not cut short by ctx), so a visibility set
// after it is the last word.
func (e *Events) keepHidden(ctx context.Context, m sqstypes.Message) (stop func()) {
	vis := e.o.Config.VisibilityTimeout.Duration
	vis = max(vis.Truncate(time.Second), time.Second) // SQS takes whole seconds
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(vis / 2)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				e.setVisibility(ctx, m, vis)
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// retryVisibility is how long a message whose alert failed stays hidden:
// 10s, 20s, 40s... by receive count, capped by the configured visibility
// timeout, so a Slack outage does not spin the queue. The queue's
// maxReceiveCount must leave room for an outage (deploy/ sets 60).
func retryVisibility(m sqstypes.Message, limit time.Duration) time.Duration {
	limit = min(limit, sqsMaxVisibility)
	n, err := strconv.Atoi(m.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)])
	if err != nil || n < 1 {
		n = 1
	}
	d := firstRetryVisibility
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// FailedRun judges a stopped task of job on cluster (named as configured,
// in region) and returns its failed_task finding, or nil when the run did
// not fail. info is the task definition (the zero value when unknown).
func FailedRun(cluster, region string, job JobRef, ev TaskEvent, info TaskDefInfo, now time.Time) *Finding {
	t := ev.Task
	f := Classify(t, job, info.Essential)
	if f == nil {
		return nil
	}
	f.EventID = ev.ID
	if f.Cause != CauseNeverStarted {
		// A task that never started wrote no logs; a link would open an
		// empty or missing stream.
		f.LogURL = info.LogURL(f.Container, ShortID(t.ARN))
	}
	since := t.StoppedAt
	if since.IsZero() {
		since = now
	}
	return &Finding{
		// A failed cron run is always critical: the job's work did not get
		// done, whatever the cause; storms are the dispatcher's business.
		Kind:       KindFailedTask,
		Severity:   SeverityCritical,
		Transition: Opened,
		Cluster:    cluster,
		Region:     region,
		Job:        job.Name,
		Value:      1,
		Tasks:      []string{t.ARN},
		Message:    failureMessage(f),
		Since:      since,
		At:         now,
		Failure:    f,
		Route:      job.Route,
	}
}
