package monitor

import "time"

// Which reports are of one run. The sources do not all name the fire
// time: the Scheduler dead letter does (SCHEDULED_TIME), CloudTrail names
// the RunTask call, made seconds after it, and FailedInvocations the
// minute the invocation failed in (a rule fires anywhere in its minute).
// So each report stands for a window of fire times, and two reports are of
// one run when their windows meet. The windows are measured in buckets of
// launchBucket, the same for the in-memory check (launches.go) and the
// store's claims (launches_claims.go), which claim every bucket of the
// window: two replicas, or one, judge alike. Reports whose windows meet
// always share a bucket, even across a minute (fire 05:00:58, CloudTrail
// 05:01:03); windows a bucket or more apart never do, so the runs of a job
// firing every minute stay apart (their dead letters and CloudTrail calls
// are 60 s apart, their windows more than 40 s).
const (
	// launchCallLag is how long after the fire time the call may be made:
	// "a delay of several seconds" (EventBridge's scheduled rules).
	launchCallLag = 15 * time.Second
	// launchBucket is the width of the buckets claimed.
	launchBucket = 20 * time.Second
)

// fireWindow is when the run a report names may have fired, lo to hi.
func fireWindow(a LaunchAttempt) (lo, hi time.Time) {
	switch a.Source {
	case LaunchSourceSchedulerDLQ:
		return a.At, a.At
	case LaunchSourceRuleMetric:
		// The minute the invocation failed in: the run fired in it, or
		// just before it.
		return a.At.Add(-launchCallLag), a.At.Add(time.Minute - time.Second)
	default: // CloudTrail: the time of the call
		return a.At.Add(-launchCallLag), a.At
	}
}

// launchBuckets are the starts of the buckets from lo's to hi's, in order.
func launchBuckets(lo, hi time.Time) []time.Time {
	var out []time.Time
	for b := lo.UTC().Truncate(launchBucket); !b.After(hi); b = b.Add(launchBucket) {
		out = append(out, b)
	}
	return out
}

// sameRun says whether two fire windows share a bucket.
func sameRun(lo1, hi1, lo2, hi2 time.Time) bool {
	return !lo1.Truncate(launchBucket).After(hi2) && !lo2.Truncate(launchBucket).After(hi1)
}
