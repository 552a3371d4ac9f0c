package monitor

import (
	"context"
	"errors"
	"time"
)

// errLaunchHeld: another replica is delivering the run's alert; the report
// is kept for redelivery, so that if that replica fails, this one alerts.
var errLaunchHeld = errors.New("another replica is alerting this run")

// claim takes the run's claim in the store, so that of two replicas given
// reports of one run (CloudTrail on the event queue, the Scheduler dead
// letter) one alerts, as for stopped tasks (events_claims.go). The key
// names the job and the minute of the attempt: the sources name the fire
// time, CloudTrail seconds after it. On ClaimTaken (or without Claims, or
// when the store cannot answer: handled as by one replica) it returns
// done, to be called with whether the alert was delivered; otherwise done
// is nil and out is what Handle answers.
func (l *Launches) claim(ctx context.Context, key string, a LaunchAttempt, now time.Time) (done func(delivered bool), out Outcome, err error) {
	noop := func(bool) {}
	if l.o.Claims == nil {
		return noop, "", nil
	}
	ck := "launch#" + key + "|" + a.At.UTC().Truncate(time.Minute).Format(time.RFC3339)
	hold := l.o.ClaimHold
	if hold <= 0 {
		hold = time.Minute
	}
	res, err := l.o.Claims.Claim(ctx, ck, l.o.Owner, now, hold)
	switch {
	case err != nil:
		l.log.Warn("launch failure not claimed; handling it here", "source", a.Source, "err", err)
		return noop, "", nil
	case res == ClaimDone:
		l.metrics.Count("launches.claimed_elsewhere", 1, []string{"source:" + a.Source, "state:done"})
		return nil, OutcomeDuplicate, nil
	case res == ClaimHeld:
		l.metrics.Count("launches.claimed_elsewhere", 1, []string{"source:" + a.Source, "state:held"})
		return nil, OutcomeRetry, errLaunchHeld
	}
	return func(delivered bool) {
		if !delivered {
			if err := l.o.Claims.Release(context.WithoutCancel(ctx), ck, l.o.Owner); err != nil {
				l.log.Warn("launch claim not released; another replica retries once it expires", "err", err)
			}
			return
		}
		if err := l.o.Claims.Finish(context.WithoutCancel(ctx), ck, l.o.Owner, now.Add(launchMemory)); err != nil {
			l.log.Warn("launch claim not finished; another report of the run may alert again", "err", err)
		}
	}, "", nil
}
