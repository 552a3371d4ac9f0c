package monitor

import (
	"maps"
	"slices"
	"time"
)

// WindowShare is one replica's part of a summary window, as stored for the
// leader: a standby handles events too (its runs, failures and launch
// failures belong in the one summary), but only the leader sends it.
type WindowShare struct {
	Owner    string                  `json:"owner"`
	From     time.Time               `json:"from"`
	To       time.Time               `json:"to"`
	Clusters map[string]ClusterShare `json:"clusters"`
	// Handover marks the whole window of a leader that stopped (From is
	// its last summary): the next leader's summary starts there.
	Handover bool `json:"handover,omitempty"`
}

// ClusterShare is a cluster's part of a WindowShare.
type ClusterShare struct {
	Region         string                  `json:"region,omitempty"`
	Peak           int                     `json:"peak,omitempty"`
	Limit          int                     `json:"limit,omitempty"`
	Polled         bool                    `json:"polled,omitempty"`
	LimitIncidents int                     `json:"limit_incidents,omitempty"`
	Errors         map[string]ErrorSummary `json:"errors,omitempty"`
	Jobs           map[string]JobShare     `json:"jobs,omitempty"`
	Notes          []string                `json:"notes,omitempty"`
	Undelivered    []UndeliveredAlert      `json:"undelivered,omitempty"`
}

// JobShare is a job's part of a ClusterShare.
type JobShare struct {
	Duplicates     []string        `json:"duplicates,omitempty"` // openings (Since.String())
	PeakCopies     int             `json:"peak_copies,omitempty"`
	MaxConcurrent  int             `json:"max_concurrent,omitempty"`
	LongestOverlap time.Duration   `json:"longest_overlap,omitempty"`
	Tasks          []string        `json:"tasks,omitempty"`
	Runs           int             `json:"runs,omitempty"`
	Successes      int             `json:"successes,omitempty"`
	Failures       int             `json:"failures,omitempty"`
	Stopped        int             `json:"stopped,omitempty"`
	Missed         int             `json:"missed,omitempty"`
	Overruns       int             `json:"overruns,omitempty"`
	Suspicious     int             `json:"suspicious,omitempty"`
	LaunchFailures int             `json:"launch_failures,omitempty"`
	Durations      []time.Duration `json:"durations,omitempty"`
}

// shareDurationsMax bounds the run durations a share carries per job (the
// latest are kept): the stored item stays small however busy the job, and
// the leader's percentiles are then over a sample of the standby's runs.
const shareDurationsMax = 200

// share returns the window's content as a WindowShare ending at to, and
// whether there is any.
func (w *window) share(owner string, to time.Time) (WindowShare, bool) {
	s := WindowShare{Owner: owner, From: w.from, To: to, Clusters: map[string]ClusterShare{}}
	for name, c := range w.clusters {
		cs := ClusterShare{Region: c.region, Peak: c.peak, Limit: c.limit, Polled: c.polled, LimitIncidents: c.limitIncidents,
			Notes: slices.Clone(c.notes), Undelivered: slices.Clone(c.undelivered)}
		if len(c.errors) > 0 {
			cs.Errors = map[string]ErrorSummary{}
			for k, e := range c.errors {
				cs.Errors[k] = *e
			}
		}
		for jn, j := range c.jobs {
			js := JobShare{Duplicates: slices.Sorted(maps.Keys(j.duplicates)), PeakCopies: j.peakCopies,
				MaxConcurrent: j.maxConcurrent, LongestOverlap: j.longestOverlap, Tasks: slices.Sorted(maps.Keys(j.tasks)),
				Runs: j.runs, Successes: j.successes, Failures: j.failures, Stopped: j.stopped, Missed: j.missed,
				Overruns: j.overruns, Suspicious: j.suspicious, LaunchFailures: j.launchFailures,
				Durations: slices.Clone(j.durations[max(0, len(j.durations)-shareDurationsMax):])}
			if js.empty() {
				continue
			}
			if cs.Jobs == nil {
				cs.Jobs = map[string]JobShare{}
			}
			cs.Jobs[jn] = js
		}
		if cs.empty() {
			continue
		}
		s.Clusters[name] = cs
	}
	return s, len(s.Clusters) > 0
}

func (j JobShare) empty() bool {
	return len(j.Duplicates) == 0 && j.Runs == 0 && j.Missed == 0 && j.Overruns == 0 && j.Suspicious == 0 && j.LaunchFailures == 0
}

func (c ClusterShare) empty() bool {
	return !c.Polled && c.LimitIncidents == 0 && len(c.Errors) == 0 && len(c.Jobs) == 0 && len(c.Notes) == 0 && len(c.Undelivered) == 0
}

// merge folds another replica's share into the window.
func (w *window) merge(s WindowShare) {
	for name, cs := range s.Clusters {
		c := w.cluster(name, cs.Region)
		if cs.Polled {
			c.peak, c.limit, c.polled = max(c.peak, cs.Peak), cs.Limit, true
		}
		c.limitIncidents += cs.LimitIncidents
		for k, e := range cs.Errors {
			if cur, ok := c.errors[k]; ok {
				// Resolved once either replica saw it resolved.
				cur.Resolved = cur.Resolved || e.Resolved
				continue
			}
			c.errors[k] = &e
		}
		for _, n := range cs.Notes {
			if !slices.Contains(c.notes, n) {
				c.notes = append(c.notes, n)
			}
		}
		c.undelivered = append(c.undelivered, cs.Undelivered...)
		for jn, js := range cs.Jobs {
			j := c.job(jn)
			for _, d := range js.Duplicates {
				j.duplicates[d] = true
			}
			for _, t := range js.Tasks {
				j.tasks[t] = true
			}
			j.peakCopies = max(j.peakCopies, js.PeakCopies)
			j.maxConcurrent = max(j.maxConcurrent, js.MaxConcurrent)
			j.longestOverlap = max(j.longestOverlap, js.LongestOverlap)
			j.runs += js.Runs
			j.successes += js.Successes
			j.failures += js.Failures
			j.stopped += js.Stopped
			j.missed += js.Missed
			j.overruns += js.Overruns
			j.suspicious += js.Suspicious
			j.launchFailures += js.LaunchFailures
			j.durations = append(j.durations, js.Durations...)
		}
	}
}

// addShare adds s to the shares waiting, coalesced with the latest waiting
// share of the same owner and kind (a standby's part, or a leader's window
// handed over): a replica sharing every roll-up interval keeps one share
// per window, not one per interval, so the bound below drops none of a
// busy window's. Past windowSharesMax the oldest are dropped.
func addShare(shares []WindowShare, s WindowShare) []WindowShare {
	for i := len(shares) - 1; i >= 0; i-- {
		cur := shares[i]
		if cur.Owner != s.Owner || cur.Handover != s.Handover {
			continue
		}
		w := newWindow(cur.From)
		w.merge(cur)
		w.merge(s)
		if s.From.Before(w.from) {
			w.from = s.From
		}
		merged, _ := w.share(s.Owner, laterOf(cur.To, s.To))
		merged.Handover = s.Handover
		shares = slices.Delete(shares, i, i+1)
		s = merged
		break
	}
	shares = append(shares, s)
	if n := len(shares) - windowSharesMax; n > 0 {
		shares = slices.Delete(shares, 0, n)
	}
	return shares
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
