package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"sort"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
)

// maxStoredTasks bounds the task ARNs kept per stored incident, so a
// cluster's snapshot stays far below DynamoDB's 400 KB item limit; an
// incident restored with fewer tasks may report an update (summary
// material), never a new alert.
const maxStoredTasks = 100

// Snapshot returns the open incidents as records, ordered by key.
func (t *Tracker) Snapshot() []IncidentRecord {
	keys := make([]string, 0, len(t.open))
	for k := range t.open {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]IncidentRecord, 0, len(keys))
	for _, k := range keys {
		inc := t.open[k]
		tasks := make([]string, 0, len(inc.tasks))
		for a := range inc.tasks {
			tasks = append(tasks, a)
		}
		sort.Strings(tasks)
		if len(tasks) > maxStoredTasks {
			tasks = tasks[:maxStoredTasks]
		}
		out = append(out, IncidentRecord{Obs: inc.obs, Since: inc.since, Peak: inc.peak, Tasks: tasks, LastNotified: inc.lastNotified})
	}
	return out
}

// Restore replaces the open incidents with recs: what a restarted daemon,
// or a replica taking the lease over, carries on with.
func (t *Tracker) Restore(recs []IncidentRecord) {
	t.open = make(map[string]*incident, len(recs))
	for _, r := range recs {
		inc := &incident{obs: r.Obs, since: r.Since, peak: r.Peak, tasks: map[string]bool{}, lastNotified: r.LastNotified}
		addTasks(inc.tasks, r.Tasks)
		t.open[r.Obs.key()] = inc
	}
}

// The scopes a cluster's open incidents are stored under: the poller's
// (limits, duplicates, monitor errors) and the schedule checks' (missed
// runs, overruns).
func pollScope(c config.Cluster) string      { return "poll#" + c.Name + "@" + c.Region }
func schedulesScope(c config.Cluster) string { return "schedules#" + c.Name + "@" + c.Region }

// storedFindings are stored open incidents as the status page shows them
// (Updated transitions at now, by key), for a replica that only follows
// them: a standby.
func storedFindings(recs []IncidentRecord, now time.Time) []Finding {
	t := NewTracker(0)
	t.Restore(recs)
	out := make([]Finding, 0, len(t.open))
	for _, k := range sortedKeys(t.open) {
		out = append(out, t.open[k].finding(Updated, now))
	}
	return out
}

// persistedTracker is a Tracker whose open incidents live in an
// IncidentStore under one scope: loaded when this replica starts leading
// (or leads under a new fence), saved after a pass only when they changed.
// Pollers and schedule checks each own one.
type persistedTracker struct {
	*Tracker
	store IncidentStore // nil: memory only
	// jobs routes the incidents restored (records keep no route).
	jobs  *Jobs
	lead  Leadership // nil: always leading, fence 0
	scope string
	log   *slog.Logger
	// sink, when set, is told of each incident carried on (as an Updated
	// transition: summary material and the status page, never an alert).
	sink   FindingHandler
	fence  int64
	loaded bool
	saved  []byte // the last snapshot written
}

// leading says whether the pass may run now, loading the stored incidents
// first when this replica has just become leader.
func (p *persistedTracker) leading(ctx context.Context, now time.Time) bool {
	var fence int64
	if p.lead != nil {
		f, ok := p.lead.Leading()
		if !ok {
			p.loaded = false // reload when leading again: the leader moved on
			return false
		}
		fence = f
	}
	if p.store == nil || (p.loaded && fence == p.fence) {
		p.fence = fence
		return true
	}
	recs, err := p.store.LoadIncidents(ctx, p.scope)
	if err != nil {
		p.log.Warn("open incidents not loaded; starting from none", "err", err)
	}
	p.Restore(recs)
	p.reroute(p.jobs)
	p.fence, p.loaded = fence, true
	p.saved, _ = json.Marshal(p.Snapshot())
	if len(recs) > 0 {
		p.log.Info("carrying on open incidents", "incidents", len(recs), "fence", fence)
	}
	if p.sink != nil {
		for _, k := range sortedKeys(p.open) {
			p.sink.Handle(p.open[k].finding(Updated, now))
		}
	}
	return true
}

// save writes the open incidents when they changed since the last write.
func (p *persistedTracker) save(ctx context.Context) {
	if p.store == nil {
		return
	}
	recs := p.Snapshot()
	data, err := json.Marshal(recs)
	if err != nil || slices.Equal(data, p.saved) {
		return
	}
	err = p.store.SaveIncidents(ctx, p.scope, p.fence, recs)
	switch {
	case errors.Is(err, ErrFenced):
		p.loaded = false
		if p.lead != nil {
			p.lead.Deposed(p.fence)
		}
	case err != nil:
		if ctx.Err() == nil {
			p.log.Warn("open incidents not saved", "err", err)
		}
	default:
		p.saved = data
	}
}
