package monitor

import (
	"slices"
	"sort"
	"sync"
	"time"
)

// Bounds of the run history: per job, the last HistoryRuns runs or those
// of the last HistoryAge, whichever is less.
const (
	HistoryRuns = 100
	HistoryAge  = 7 * 24 * time.Hour
)

// Result says how a run ended.
type Result string

// Run results.
const (
	ResultSuccess Result = "success"
	ResultFailure Result = "failure"
)

// Run is one finished run of a job, as plain values.
type Run struct {
	TaskARN   string
	StartedAt time.Time // zero when the task never started
	StoppedAt time.Time
	Result    Result
	ExitCode  *int  // the failing container's exit code, if any
	Cause     Cause // failures only
	LogURL    string
}

// Duration is how long the run lasted, zero if it never started.
func (r Run) Duration() time.Duration {
	if r.StartedAt.IsZero() || !r.StoppedAt.After(r.StartedAt) {
		return 0
	}
	return r.StoppedAt.Sub(r.StartedAt)
}

// Recorded is what History knew when a run was recorded: the facts the
// checks that need history decide on.
type Recorded struct {
	// Duplicate is set when the task was already recorded (a redelivered
	// event, or a run both backfilled and reported); the other fields are
	// then those of the first recording.
	Duplicate bool
	// Failures is the job's run of consecutive failures including this
	// run: 0 for a success.
	Failures int
	// RecoveredAfter is, for a success, how many failures in a row it
	// ends (0 when the previous run succeeded).
	RecoveredAfter int
	// MedianSuccess is the median duration of the job's last
	// medianWindow successful runs before this one; KnownSuccesses how
	// many that was (0..medianWindow).
	MedianSuccess  time.Duration
	KnownSuccesses int
}

// medianWindow is how many recent successful runs the usual duration is
// taken from.
const medianWindow = 20

// JobKey names a job of a cluster.
type JobKey struct{ Cluster, Job string }

// JobHistory is one job's retained runs, oldest first, with what outlives
// them.
type JobHistory struct {
	JobKey
	Runs        []Run
	LastSuccess time.Time
	// Streak is the job's current run of equal results: Streak runs in a
	// row ended with StreakResult.
	Streak       int
	StreakResult Result
}

// Failures counts the failed runs retained.
func (h JobHistory) Failures() int {
	n := 0
	for _, r := range h.Runs {
		if r.Result == ResultFailure {
			n++
		}
	}
	return n
}

// Percentiles are the nearest-rank p50 and p95 durations of the retained
// runs that started.
func (h JobHistory) Percentiles() (p50, p95 time.Duration) {
	var ds []time.Duration
	for _, r := range h.Runs {
		if d := r.Duration(); d > 0 {
			ds = append(ds, d)
		}
	}
	p50, p95, _ = percentiles(ds)
	return p50, p95
}

// Last is the most recent run; ok is false when none is retained.
func (h JobHistory) Last() (Run, bool) {
	if len(h.Runs) == 0 {
		return Run{}, false
	}
	return h.Runs[len(h.Runs)-1], true
}

// History owns job run history: every run seen per job, bounded, with each
// job's last success and current streak. The event consumer and the
// start-up backfill record runs; the schedule checks, the summary and the
// status page read it. It is safe for concurrent use.
type History struct {
	now func() time.Time

	mu   sync.Mutex
	jobs map[JobKey]*jobRuns
	// unsaved are the runs recorded since TakeUnsaved, per cluster, for
	// the store (RunArchive); restored runs are not among them.
	unsaved map[string][]StoredRun
}

type jobRuns struct {
	runs        []Run // by StoppedAt, oldest first
	recorded    map[string]Recorded
	lastSuccess time.Time
	streak      int
	streakOf    Result
}

// NewHistory returns an empty History reading the time from now
// (time.Now when nil), which decides what is older than HistoryAge.
func NewHistory(now func() time.Time) *History {
	if now == nil {
		now = time.Now
	}
	return &History{now: now, jobs: map[JobKey]*jobRuns{}, unsaved: map[string][]StoredRun{}}
}

// Record adds a finished run of a job and returns what the history knew
// at that moment. Recording the same task again changes nothing.
func (h *History) Record(cluster, job string, r Run) Recorded {
	h.mu.Lock()
	defer h.mu.Unlock()
	rec := h.record(cluster, job, r)
	if !rec.Duplicate {
		h.unsaved[cluster] = append(h.unsaved[cluster], StoredRun{Job: job, Run: r})
	}
	return rec
}

// Restore records runs of cluster read back from the store, oldest first,
// as Record does but not to be saved again; runs already known (by task)
// are skipped.
func (h *History) Restore(cluster string, runs []StoredRun) {
	runs = slices.Clone(runs)
	slices.SortStableFunc(runs, func(a, b StoredRun) int { return a.Run.StoppedAt.Compare(b.Run.StoppedAt) })
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range runs {
		h.record(cluster, r.Job, r.Run)
	}
}

// TakeUnsaved returns the runs recorded since the last call, per cluster,
// and forgets them.
func (h *History) TakeUnsaved() map[string][]StoredRun {
	h.mu.Lock()
	defer h.mu.Unlock()
	u := h.unsaved
	h.unsaved = map[string][]StoredRun{}
	return u
}

func (h *History) record(cluster, job string, r Run) Recorded {
	k := JobKey{cluster, job}
	j := h.jobs[k]
	if j == nil {
		j = &jobRuns{recorded: map[string]Recorded{}}
		h.jobs[k] = j
	}
	if r.TaskARN != "" {
		if rec, ok := j.recorded[r.TaskARN]; ok {
			rec.Duplicate = true
			return rec
		}
	}
	var rec Recorded
	rec.MedianSuccess, rec.KnownSuccesses = j.usualDuration()
	switch {
	case r.Result == ResultSuccess && j.streakOf == ResultFailure:
		rec.RecoveredAfter = j.streak
	case r.Result == ResultFailure && j.streakOf == ResultFailure:
		rec.Failures = j.streak + 1
	case r.Result == ResultFailure:
		rec.Failures = 1
	}
	if r.Result == ResultSuccess && r.StoppedAt.After(j.lastSuccess) {
		j.lastSuccess = r.StoppedAt
	}
	i := sort.Search(len(j.runs), func(i int) bool { return j.runs[i].StoppedAt.After(r.StoppedAt) })
	j.runs = slices.Insert(j.runs, i, r)
	j.countStreak(r.Result, len(j.runs)-1-i)
	if r.TaskARN != "" {
		j.recorded[r.TaskARN] = rec
	}
	j.trim(h.now())
	return rec
}

// countStreak folds a run just inserted, with later runs after it, into
// the streak of the latest runs' result. A run older than the latest (the
// other replica's, read back from the store; a late event) extends the
// streak only when it falls within it or at its start with the same
// result, and cuts it short when it falls within it with another.
func (j *jobRuns) countStreak(result Result, later int) {
	switch {
	case later == 0 && result == j.streakOf:
		j.streak++
	case later == 0:
		j.streakOf, j.streak = result, 1
	case result == j.streakOf && later <= j.streak:
		j.streak++
	case result != j.streakOf && later < j.streak:
		j.streak = later
	}
}

// trim drops runs beyond HistoryRuns and older than HistoryAge, and their
// de-duplication entries.
func (j *jobRuns) trim(now time.Time) {
	drop := max(len(j.runs)-HistoryRuns, 0)
	for drop < len(j.runs) && now.Sub(j.runs[drop].StoppedAt) > HistoryAge {
		drop++
	}
	if drop == 0 {
		return
	}
	for _, r := range j.runs[:drop] {
		delete(j.recorded, r.TaskARN)
	}
	// A fresh slice, so the dropped runs' memory is released.
	j.runs = slices.Clone(j.runs[drop:])
}

// usualDuration is the median duration of the last medianWindow
// successful runs that started, and how many there were.
func (j *jobRuns) usualDuration() (time.Duration, int) {
	var ds []time.Duration
	for i := len(j.runs) - 1; i >= 0 && len(ds) < medianWindow; i-- {
		if r := j.runs[i]; r.Result == ResultSuccess && r.Duration() > 0 {
			ds = append(ds, r.Duration())
		}
	}
	if len(ds) == 0 {
		return 0, 0
	}
	slices.Sort(ds)
	m := ds[len(ds)/2]
	if len(ds)%2 == 0 {
		m = (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
	}
	return m, len(ds)
}

// LastSuccess returns when the job last succeeded, zero if unknown.
func (h *History) LastSuccess(cluster, job string) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	if j := h.jobs[JobKey{cluster, job}]; j != nil {
		return j.lastSuccess
	}
	return time.Time{}
}

// Job returns one job's history; ok is false when no run of it was seen.
func (h *History) Job(cluster, job string) (JobHistory, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	j := h.jobs[JobKey{cluster, job}]
	if j == nil {
		return JobHistory{}, false
	}
	return j.snapshot(JobKey{cluster, job}, h.now()), true
}

// Jobs returns every job's history, ordered by cluster and job.
func (h *History) Jobs() []JobHistory {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	out := make([]JobHistory, 0, len(h.jobs))
	for k, j := range h.jobs {
		out = append(out, j.snapshot(k, now))
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Cluster != out[b].Cluster {
			return out[a].Cluster < out[b].Cluster
		}
		return out[a].Job < out[b].Job
	})
	return out
}

// snapshot copies the runs within HistoryAge of now.
func (j *jobRuns) snapshot(k JobKey, now time.Time) JobHistory {
	runs := make([]Run, 0, len(j.runs))
	for _, r := range j.runs {
		if now.Sub(r.StoppedAt) <= HistoryAge {
			runs = append(runs, r)
		}
	}
	return JobHistory{JobKey: k, Runs: runs, LastSuccess: j.lastSuccess, Streak: j.streak, StreakResult: j.streakOf}
}

// Len is the number of runs retained across all jobs.
func (h *History) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, j := range h.jobs {
		n += len(j.runs)
	}
	return n
}
