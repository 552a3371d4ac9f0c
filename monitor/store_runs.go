package monitor

import (
	"context"
	"slices"
)

// RunHistoryStore keeps each cluster's recent runs, so a restarted replica
// starts with the history its status page and checks had, beyond what the
// start-up backfill finds, and a standby starts with the leader's.
// Whichever replica recorded a run adds it (RunArchive); adding merges
// with what is stored, so two replicas never undo each other's runs.
type RunHistoryStore interface {
	// LoadRuns returns the runs stored for cluster, newest first.
	LoadRuns(ctx context.Context, cluster string) ([]StoredRun, error)
	// AddRuns merges runs into those stored for cluster.
	AddRuns(ctx context.Context, cluster string, runs []StoredRun) error
}

// StoredRun is one run as the store keeps it: its job and the run.
type StoredRun struct {
	Job string `json:"job"`
	Run Run    `json:"run"`
}

// mergeRuns merges add into old, newest first by StoppedAt: one run per
// task (the stored copy wins), at most HistoryRuns per job, as History
// keeps.
func mergeRuns(old, add []StoredRun) []StoredRun {
	all := append(slices.Clone(old), add...)
	slices.SortStableFunc(all, func(a, b StoredRun) int { return b.Run.StoppedAt.Compare(a.Run.StoppedAt) })
	seen := map[string]bool{}
	perJob := map[string]int{}
	out := all[:0]
	for _, r := range all {
		if r.Run.TaskARN != "" && seen[r.Run.TaskARN] {
			continue
		}
		if perJob[r.Job] >= HistoryRuns {
			continue
		}
		seen[r.Run.TaskARN] = true
		perJob[r.Job]++
		out = append(out, r)
	}
	return slices.Clip(out)
}
