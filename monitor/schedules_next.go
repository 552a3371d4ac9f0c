package monitor

import "time"

// Expectation is a scheduled job as the status page shows it: its schedule
// as written and when its next run is expected.
type Expectation struct {
	Job        string
	Source     string // SourceRule, SourceSchedule or SourceConfig
	Expression string
	Timezone   string
	Enabled    bool
	// Next is the next expected start: a start still within its grace
	// (so possibly just past), else the next one; zero when unknown
	// (disabled, not evaluable, no further start).
	Next time.Time
}

// Expected returns the cluster's scheduled jobs with their next expected
// start at now, ordered by job.
func (s *Schedules) Expected(now time.Time) []Expectation {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Expectation, 0, len(s.jobs))
	for _, name := range sortedKeys(s.jobs) {
		e := s.jobs[name]
		x := Expectation{Job: name, Source: e.job.Source, Expression: e.job.Expression, Timezone: e.job.Timezone, Enabled: e.job.Enabled}
		if e.job.Enabled && e.sched != nil {
			last := s.lastStart(name)
			if every, ok := e.unanchored(); ok {
				x.Next = later(e.since, last).Add(every)
			} else {
				x.Next = e.sched.Next(later(last.Add(startTolerance), now.Add(-e.job.Grace)))
			}
		}
		out = append(out, x)
	}
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
