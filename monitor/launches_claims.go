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
// letter) one alerts, as for stopped tasks (events_claims.go). A report
// claims every bucket of its fire window lo..hi (launch_window.go), one
// key each naming the job and the bucket, in time order: two reports of
// one run share a bucket, even when they straddle a minute, and the first
// to take their earliest shared bucket alerts (the other stops there, so
// neither holds a bucket the other needs). Any bucket already alerted
// makes the report a copy; any held by another replica keeps it for
// redelivery. On taking them all (or without Claims, or when the store
// cannot answer: handled as by one replica) it returns done, to be called
// with whether the alert was delivered; otherwise done is nil and out is
// what Handle answers.
func (l *Launches) claim(ctx context.Context, key string, a LaunchAttempt, lo, hi, now time.Time) (done func(delivered bool), out Outcome, err error) {
	noop := func(bool) {}
	if l.o.Claims == nil {
		return noop, "", nil
	}
	hold := l.o.ClaimHold
	if hold <= 0 {
		hold = time.Minute
	}
	var taken []string
	end := func(delivered bool) {
		for _, ck := range taken {
			if !delivered {
				if err := l.o.Claims.Release(context.WithoutCancel(ctx), ck, l.o.Owner); err != nil {
					l.log.Warn("launch claim not released; another replica retries once it expires", "err", err)
				}
				continue
			}
			if err := l.o.Claims.Finish(context.WithoutCancel(ctx), ck, l.o.Owner, now.Add(launchMemory)); err != nil {
				l.log.Warn("launch claim not finished; another report of the run may alert again", "err", err)
			}
		}
	}
	for _, b := range launchBuckets(lo, hi) {
		ck := "launch#" + key + "|" + b.Format(time.RFC3339)
		res, err := l.o.Claims.Claim(ctx, ck, l.o.Owner, now, hold)
		switch {
		case err != nil:
			l.log.Warn("launch failure not claimed; handling it here", "source", a.Source, "err", err)
			return end, "", nil
		case res == ClaimDone:
			// Alerted elsewhere: the buckets taken are of that run too,
			// as this replica now remembers it.
			end(true)
			l.metrics.Count("launches.claimed_elsewhere", 1, []string{"source:" + a.Source, "state:done"})
			return nil, OutcomeDuplicate, nil
		case res == ClaimHeld:
			end(false)
			l.metrics.Count("launches.claimed_elsewhere", 1, []string{"source:" + a.Source, "state:held"})
			return nil, OutcomeRetry, errLaunchHeld
		}
		taken = append(taken, ck)
	}
	return end, "", nil
}
