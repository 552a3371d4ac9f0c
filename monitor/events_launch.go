package monitor

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// LaunchHandler takes a refused launch; *Launches satisfies it. An error
// means it was not delivered and the message must stay for redelivery.
type LaunchHandler interface {
	Handle(ctx context.Context, a LaunchAttempt) (Outcome, error)
}

// handleLaunchRecord handles a message that is not a task state change but
// may be a CloudTrail RunTask record; ok is false when it is not one.
func (e *Events) handleLaunchRecord(ctx context.Context, m sqstypes.Message) (Outcome, bool) {
	msgID := aws.ToString(m.MessageId)
	a, ok, err := ParseCloudTrailRunTask([]byte(aws.ToString(m.Body)))
	if !ok {
		return "", false
	}
	if err != nil {
		e.log.Warn("malformed CloudTrail record left for the dead-letter queue", "message_id", msgID, "err", err)
		e.metrics.Count("events.malformed", 1, nil)
		return OutcomeMalformed, true
	}
	if a == nil {
		// A RunTask that started its task, or one a person made.
		e.metrics.Count("events.ignored", 1, []string{"reason:not_a_launch_failure"})
		e.delete(ctx, m)
		return OutcomeIgnored, true
	}
	// As for a failed task: hidden while its alert waits (Slack's pace, a
	// roll-up), backed off when it was not delivered, made visible again at
	// once when shutdown cut it short.
	stopHeartbeat := e.keepHidden(ctx, m)
	out, err := e.o.Launches.Handle(ctx, *a)
	stopHeartbeat()
	switch {
	case out == OutcomeAbandoned || (out == OutcomeRetry && ctx.Err() != nil):
		e.release(ctx, []sqstypes.Message{m})
		return OutcomeAbandoned, true
	case out == OutcomeRetry && errors.Is(err, errLaunchHeld):
		e.log.Info("launch failure being alerted by another replica; record kept in case that fails", "message_id", msgID)
		e.setVisibility(ctx, m, retryVisibility(m, e.o.Config.VisibilityTimeout.Duration))
		return out, true
	case out == OutcomeRetry:
		vis := retryVisibility(m, e.o.Config.VisibilityTimeout.Duration)
		e.log.Warn("launch failure not delivered; record kept for redelivery", "message_id", msgID, "err", err, "retry_in", vis)
		e.metrics.Count("events.deliver_failed", 1, nil)
		e.setVisibility(ctx, m, vis)
		return out, true
	}
	e.delete(ctx, m)
	return out, true
}
