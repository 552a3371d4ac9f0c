package monitor

import "sort"

// Rules names the EventBridge rules discovered (or configured) as starting
// this cluster's jobs, for the FailedInvocations check.
func (s *Schedules) Rules() []RuleRef {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []RuleRef
	for _, e := range s.jobs {
		if e.job.Source == SourceRule && e.job.Enabled {
			out = append(out, RuleRef{Cluster: s.o.Cluster.Name, Rule: e.job.Name})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rule < out[j].Rule })
	return out
}
