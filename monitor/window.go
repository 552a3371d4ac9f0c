package monitor

import (
	"slices"
	"sort"
	"time"
)

// window accumulates one summary window. It is owned by the Dispatcher and
// guarded by the Dispatcher's mutex.
type window struct {
	from     time.Time
	clusters map[string]*clusterWindow
}

type clusterWindow struct {
	region         string
	peak, limit    int
	polled         bool // a poll succeeded in the window, so peak is known
	limitIncidents int
	errors         map[string]*ErrorSummary // incident key -> summary
	jobs           map[string]*jobWindow
	notes          []string
	undelivered    []UndeliveredAlert
}

type jobWindow struct {
	duplicates     map[string]bool // this job's duplicate incidents in the window, by opening time (Since.String())
	peakCopies     int
	maxConcurrent  int
	longestOverlap time.Duration
	tasks          map[string]bool
	runs           int
	successes      int
	failures       int
	stopped        int
	missed         int
	overruns       int
	suspicious     int
	launchFailures int
	durations      []time.Duration
}

func newWindow(from time.Time) *window {
	return &window{from: from, clusters: map[string]*clusterWindow{}}
}

func (w *window) cluster(name, region string) *clusterWindow {
	c := w.clusters[name]
	if c == nil {
		c = &clusterWindow{region: region, errors: map[string]*ErrorSummary{}, jobs: map[string]*jobWindow{}}
		w.clusters[name] = c
	}
	if c.region == "" {
		c.region = region
	}
	return c
}

func (c *clusterWindow) job(name string) *jobWindow {
	j := c.jobs[name]
	if j == nil {
		j = &jobWindow{duplicates: map[string]bool{}, tasks: map[string]bool{}}
		c.jobs[name] = j
	}
	return j
}

// add folds an incident transition into the window. Duplicates are counted
// as incidents (one per opening), with their peak and overlap, however many
// polls saw them.
func (w *window) add(f Finding) {
	if f.Cluster == "" {
		// Account-wide findings (fargate_quota and its monitor_error) are
		// alerted, not summarised per cluster.
		return
	}
	c := w.cluster(f.Cluster, f.Region)
	switch f.Kind {
	case KindTaskLimit:
		if f.Transition == Opened {
			c.limitIncidents++
		}
	case KindMonitorError:
		e := c.errors[f.Key()]
		if e == nil {
			e = &ErrorSummary{Since: f.Since}
			c.errors[f.Key()] = e
		}
		if f.Message != "" {
			e.Message = f.Message
		}
		e.Resolved = f.Transition == Resolved
	case KindDuplicateRun:
		j := c.job(f.Job)
		j.duplicates[f.Since.String()] = true
		j.peakCopies = max(j.peakCopies, f.Peak, f.Value)
		j.maxConcurrent = f.Limit
		j.longestOverlap = max(j.longestOverlap, f.At.Sub(f.Since))
		for _, t := range f.Tasks {
			j.tasks[t] = true
		}
	case KindMissedRun:
		if f.Transition == Opened {
			c.job(f.Job).missed++
		}
	case KindOverrun:
		if f.Transition == Opened {
			c.job(f.Job).overruns++
		}
	case KindSuspiciousSuccess:
		c.job(f.Job).suspicious++
	}
}

// dropRepeatedNotes removes the notes that the previous window had too: a
// fact that did not change since the last summary is not news. It returns
// this window's notes as they were noted, for the next window to compare.
func (w *window) dropRepeatedNotes(prev map[string][]string) map[string][]string {
	noted := map[string][]string{}
	for name, c := range w.clusters {
		if len(c.notes) == 0 {
			continue
		}
		noted[name] = c.notes
		c.notes = slices.DeleteFunc(slices.Clone(c.notes), func(n string) bool { return slices.Contains(prev[name], n) })
	}
	return noted
}

// addUndelivered names an alert given up on.
func (w *window) addUndelivered(f Finding, reason string, at time.Time) {
	c := w.cluster(f.Cluster, f.Region)
	c.undelivered = append(c.undelivered, UndeliveredAlert{Kind: f.Kind, Job: f.Job, At: at, Message: f.Message, Reason: reason})
}

// addRun counts a finished run. A stopped run's duration says when
// someone stopped it, not how long the job takes: it stays out of the
// percentiles.
func (w *window) addRun(cluster, job string, result RunResult, d time.Duration) {
	j := w.cluster(cluster, "").job(job)
	j.runs++
	switch result {
	case RunSucceeded:
		j.successes++
	case RunFailed:
		j.failures++
	case RunStopped:
		j.stopped++
		return
	}
	if d > 0 {
		j.durations = append(j.durations, d)
	}
}

// summary renders the window as a Summary ending at to. hist (may be nil)
// gives each job's last success and current streak, which outlive windows.
func (w *window) summary(to time.Time, hist HistoryReader) Summary {
	s := Summary{From: w.from, To: to}
	names := make([]string, 0, len(w.clusters))
	for n := range w.clusters {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := w.clusters[n]
		cs := ClusterSummary{Cluster: n, Region: c.region, Polled: c.polled, PeakTasks: c.peak, TaskLimit: c.limit,
			LimitIncidents: c.limitIncidents, Notes: slices.Clone(c.notes), Undelivered: slices.Clone(c.undelivered)}
		for _, e := range c.errors {
			cs.Errors = append(cs.Errors, *e)
		}
		sort.Slice(cs.Errors, func(i, j int) bool { return cs.Errors[i].Since.Before(cs.Errors[j].Since) })
		jobs := make([]string, 0, len(c.jobs))
		for j := range c.jobs {
			jobs = append(jobs, j)
		}
		sort.Strings(jobs)
		for _, jn := range jobs {
			j := c.jobs[jn]
			js := JobSummary{Job: jn, Duplicates: len(j.duplicates), PeakCopies: j.peakCopies,
				MaxConcurrent: j.maxConcurrent, LongestOverlap: j.longestOverlap,
				Runs: j.runs, Successes: j.successes, Failures: j.failures, Stopped: j.stopped, Missed: j.missed, Overruns: j.overruns,
				Suspicious: j.suspicious, LaunchFailures: j.launchFailures}
			// A run a person stopped neither succeeded nor failed.
			if judged := j.successes + j.failures; judged > 0 {
				js.SuccessRate = 100 * float64(j.successes) / float64(judged)
			}
			if hist != nil {
				if h, ok := hist.Job(n, jn); ok {
					js.LastSuccess, js.Streak, js.StreakResult = h.LastSuccess, h.Streak, h.StreakResult
				}
			}
			for t := range j.tasks {
				js.Tasks = append(js.Tasks, t)
			}
			sort.Strings(js.Tasks)
			js.P50, js.P95, js.MaxDuration = percentiles(j.durations)
			cs.Jobs = append(cs.Jobs, js)
		}
		s.Clusters = append(s.Clusters, cs)
	}
	return s
}

// percentiles returns the nearest-rank p50, p95 and max of ds.
func percentiles(ds []time.Duration) (p50, p95, maxD time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(s))+0.999999) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return rank(0.50), rank(0.95), s[len(s)-1]
}
