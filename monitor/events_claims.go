package monitor

import (
	"context"
	"time"

	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// claimed handles a stopped task's event under the run's claim, so that
// of two replicas given copies of its events one alerts: the one that
// claims the run handles it; a copy finding the run done is a duplicate,
// one finding it held by another replica comes back later (that replica
// may yet fail to deliver, and then releases it). Without Claims, or when
// the store cannot answer, the event is handled as by one replica.
func (e *Events) claimed(ctx context.Context, log eventLogger, cl EventCluster, ev TaskEvent, now time.Time, m sqstypes.Message) Outcome {
	if e.o.Claims == nil {
		return e.stopped(ctx, log, cl, ev, now, m)
	}
	key := "run#" + ev.Task.ARN
	// Held at most as long as a delivery may keep the message hidden; a
	// replica that died holding it is then taken over.
	hold := 2 * max(e.o.Config.VisibilityTimeout.Duration, time.Second)
	res, err := e.o.Claims.Claim(ctx, key, e.o.Owner, now, hold)
	switch {
	case err != nil:
		log.Warn("run not claimed; handling it here", "err", err)
	case res == ClaimDone:
		e.metrics.Count("events.claimed_elsewhere", 1, []string{"cluster:" + cl.Name, "state:done"})
		return OutcomeDuplicate
	case res == ClaimHeld:
		e.metrics.Count("events.claimed_elsewhere", 1, []string{"cluster:" + cl.Name, "state:held"})
		e.setVisibility(ctx, m, retryVisibility(m, e.o.Config.VisibilityTimeout.Duration))
		return OutcomeRetry
	}
	out := e.stopped(ctx, log, cl, ev, now, m)
	switch out {
	case OutcomeRetry, OutcomeAbandoned:
		if err := e.o.Claims.Release(context.WithoutCancel(ctx), key, e.o.Owner); err != nil {
			log.Warn("run claim not released; another replica retries once it expires", "err", err)
		}
	default:
		if err := e.o.Claims.Finish(ctx, key, e.o.Owner, now.Add(eventMemoryTTL)); err != nil {
			log.Warn("run claim not finished; a copy of the event may alert again", "err", err)
		}
	}
	return out
}
