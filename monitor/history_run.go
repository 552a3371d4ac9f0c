package monitor

// RunOf turns a stopped task into a Run: a failure when f is non-nil (as
// FailedRun judged it), else a success. Its log link is the failure's, or
// for a success the first essential container's.
func RunOf(t Task, f *Failure, info TaskDefInfo) Run {
	r := Run{TaskARN: t.ARN, StartedAt: t.StartedAt, StoppedAt: t.StoppedAt, Result: ResultSuccess}
	if f != nil {
		r.Result, r.ExitCode, r.Cause, r.LogURL = ResultFailure, f.ExitCode, f.Cause, f.LogURL
		return r
	}
	for _, c := range t.Containers {
		if info.Essential(c.Name) {
			r.LogURL = info.LogURL(c.Name, ShortID(t.ARN))
			break
		}
	}
	return r
}
