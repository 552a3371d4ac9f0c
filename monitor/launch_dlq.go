package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Message attributes of an EventBridge Scheduler dead-letter message
// (docs/AWS-NOTES.md §7). The body is the
// target's input, which for an ECS target names neither job nor cluster.
const (
	dlqErrorCode     = "ERROR_CODE"
	dlqErrorMessage  = "ERROR_MESSAGE"
	dlqExecutionID   = "EXECUTION_ID"
	dlqScheduleARN   = "SCHEDULE_ARN"
	dlqTargetARN     = "TARGET_ARN"
	dlqScheduledTime = "SCHEDULED_TIME"
)

// ParseSchedulerDeadLetter reads a Scheduler dead-letter message: the
// schedule (hence the job, named as ECS names a task it starts), the
// target cluster and the error. Errors never quote the message.
func ParseSchedulerDeadLetter(m sqstypes.Message) (LaunchAttempt, error) {
	attr := func(k string) string {
		if v, ok := m.MessageAttributes[k]; ok {
			return aws.ToString(v.StringValue)
		}
		return ""
	}
	schedARN := attr(dlqScheduleARN)
	// arn:aws:scheduler:<region>:<account>:schedule/<group>/<name>
	_, path, ok := strings.Cut(schedARN, ":schedule/")
	_, name, ok2 := strings.Cut(path, "/")
	if !ok || !ok2 || name == "" {
		return LaunchAttempt{}, errors.New("read Scheduler dead letter: no SCHEDULE_ARN attribute naming a schedule")
	}
	startedBy := startedBySchedule + name
	if len(startedBy) > startedByMax {
		startedBy = startedBy[:startedByMax]
	}
	id := attr(dlqExecutionID)
	if id == "" {
		id = aws.ToString(m.MessageId)
	}
	target := attr(dlqTargetARN)
	return LaunchAttempt{
		Source:    LaunchSourceSchedulerDLQ,
		ID:        "scheduler_dlq:" + id,
		Cluster:   target,
		Region:    arnRegion(schedARN),
		Task:      Task{StartedBy: startedBy},
		At:        eventTimeOrZero(attr(dlqScheduledTime)),
		ErrorCode: attr(dlqErrorCode),
		Text:      attr(dlqErrorMessage),
	}, nil
}

// SchedulerDLQOptions configures SchedulerDLQ. SQS, Launches and QueueURL
// are required; nil Metrics and Logger become a no-op and a discarding
// logger.
type SchedulerDLQOptions struct {
	QueueURL string
	SQS      SQSAPI
	Launches LaunchHandler
	Metrics  Metrics
	Logger   *slog.Logger
	// WaitTime is the long-poll wait (default and at most 20s).
	WaitTime time.Duration
	// AfterReceive, if set, is called after every receive (health).
	AfterReceive func(err error)
}

// SchedulerDLQ consumes the dead-letter queue that schedules name: each
// message is a launch Scheduler gave up on. A message is deleted once its
// launch failure was alerted (or found to be a copy); one that names no
// schedule is left for the queue's own retention.
type SchedulerDLQ struct {
	o       SchedulerDLQOptions
	log     *slog.Logger
	metrics Metrics
}

// NewSchedulerDLQ builds the consumer; Run starts it.
func NewSchedulerDLQ(o SchedulerDLQOptions) *SchedulerDLQ {
	d := withDefaults(o.Metrics, o.Logger, nil)
	if o.WaitTime <= 0 || o.WaitTime > sqsMaxWait {
		o.WaitTime = sqsMaxWait
	}
	return &SchedulerDLQ{o: o, log: d.logger.With("component", "scheduler_dlq"), metrics: d.metrics}
}

// Run long-polls the queue until ctx is cancelled.
func (q *SchedulerDLQ) Run(ctx context.Context) error {
	if q.o.SQS == nil || q.o.Launches == nil || q.o.QueueURL == "" {
		return errors.New("start Scheduler dead-letter consumer: SQS client, launches and queue URL are required")
	}
	in := &sqs.ReceiveMessageInput{
		QueueUrl:              aws.String(q.o.QueueURL),
		MaxNumberOfMessages:   sqsMaxMessages,
		WaitTimeSeconds:       int32(q.o.WaitTime / time.Second),
		MessageAttributeNames: []string{"All"},
	}
	backoff := time.Second
	var failures failureLog
	for ctx.Err() == nil {
		out, err := q.o.SQS.ReceiveMessage(ctx, in)
		if q.o.AfterReceive != nil && ctx.Err() == nil {
			q.o.AfterReceive(err)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if failures.changed(err) {
				q.log.Error("receive from the Scheduler dead-letter queue failed; retrying", "err", err, "retry_in", backoff)
			}
			if !sleepCtx(ctx, backoff) {
				return nil
			}
			backoff = min(backoff*2, maxReceiveBackoff)
			continue
		}
		if failures.failing() {
			q.log.Info("receive from the Scheduler dead-letter queue recovered")
			backoff = time.Second
		}
		failures.changed(nil)
		for _, m := range out.Messages {
			q.Handle(ctx, m)
		}
	}
	return nil
}

// Handle processes one dead letter.
func (q *SchedulerDLQ) Handle(ctx context.Context, m sqstypes.Message) Outcome {
	msgID := aws.ToString(m.MessageId)
	a, err := ParseSchedulerDeadLetter(m)
	if err != nil {
		q.log.Warn("dead letter names no schedule; left on the queue", "message_id", msgID, "err", err)
		q.metrics.Count("scheduler_dlq.malformed", 1, nil)
		return OutcomeMalformed
	}
	out, err := q.o.Launches.Handle(ctx, a)
	switch {
	case out == OutcomeAbandoned || (out == OutcomeRetry && ctx.Err() != nil):
		// For the next instance, at once; ctx may be the one shutdown ended.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		q.changeVisibility(rctx, m, 0)
		cancel()
		return OutcomeAbandoned
	case out == OutcomeRetry && errors.Is(err, errLaunchHeld):
		q.log.Info("launch failure being alerted by another replica; dead letter kept in case that fails", "message_id", msgID)
		q.changeVisibility(ctx, m, firstRetryVisibility)
		return out
	case out == OutcomeRetry:
		q.log.Warn("launch failure not delivered; dead letter kept for redelivery", "message_id", msgID, "err", err)
		q.changeVisibility(ctx, m, firstRetryVisibility)
		return out
	}
	if _, err := q.o.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q.o.QueueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
		q.log.Warn("delete dead letter failed", "message_id", msgID, "err", fmt.Errorf("delete SQS message: %w", err))
	}
	return out
}

func (q *SchedulerDLQ) changeVisibility(ctx context.Context, m sqstypes.Message, d time.Duration) {
	_, err := q.o.SQS.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl: aws.String(q.o.QueueURL), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: int32(d / time.Second),
	})
	if err != nil {
		q.log.Warn("change dead letter visibility failed", "message_id", aws.ToString(m.MessageId), "err", err)
	}
}
