package demo

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
)

// boundaryAt is the share of the run at which the demo clock turns a
// minute and the every-minute rules fire.
const boundaryAt = 0.62

// step is one moment of the scenario, at a fraction of its duration.
type step struct {
	at  float64 // 0..1 of the demo's duration
	say string
	do  func(*world) error
}

// world is the scenario's memory: the tasks it started, to stop them later.
type world struct {
	sim    *awssim.Server
	filler []string
	dups   []string
}

func (w *world) run(family, startedBy string, n int) ([]string, error) {
	return w.sim.RunTasks(cluster, family, startedBy, n)
}

// scenario is the script, built fresh for each run.
func scenario() []step {
	return []step{
		{0.00, "the nightly jobs start: 6 tasks in cluster cron (limit 20)", func(w *world) error {
			for _, f := range []string{"report-export", "points-expiry", "sync-inventory"} {
				arns, err := w.run(f, "events-rule/"+f, 2)
				if err != nil {
					return err
				}
				w.filler = append(w.filler, arns...)
			}
			return nil
		}},
		{0.10, "a backlog builds: 17 tasks, past the 80% warning", func(w *world) error {
			arns, err := w.run("report-export", "events-rule/report-export-backfill", 11)
			w.filler = append(w.filler, arns...)
			return err
		}},
		{0.22, "19 tasks: past the 95% critical threshold (escalation)", func(w *world) error {
			arns, err := w.run("points-expiry", "events-rule/points-expiry-catchup", 2)
			w.filler = append(w.filler, arns...)
			return err
		}},
		{0.30, "billing-batch-daily overlaps itself: a slow run and the next start", func(w *world) error {
			arns, err := w.run("billing-batch", "events-rule/billing-batch-daily", 2)
			w.dups = arns
			return err
		}},
		{0.36, "sync-inventory fails: its app container exits 1", func(w *world) error {
			w.sim.SetTaskPlan("sync-inventory", awssim.TaskPlan{RunFor: time.Second, ExitCodes: map[string]int{"app": 1}})
			_, err := w.run("sync-inventory", "events-rule/sync-inventory-hourly", 1)
			return err
		}},
		{0.42, "a crash storm: image-resizer is killed for memory 8 times in a row", func(w *world) error {
			w.sim.SetTaskPlan("image-resizer", awssim.TaskPlan{RunFor: 500 * time.Millisecond,
				ExitCodes: map[string]int{"app": 137}, ContainerReason: "OutOfMemoryError: Container killed due to memory usage"})
			_, err := w.run("image-resizer", "events-rule/image-resizer-backfill", 8)
			return err
		}},
		{0.33, "ledger-close starts (max_duration 6s) and keeps running towards its next scheduled start", func(w *world) error {
			_, err := w.run("ledger-close", "events-rule/ledger-close", 1)
			return err
		}},
		{0.50, "another team's batch takes most of the account's Fargate vCPUs: over 80% of the quota", func(w *world) error {
			w.sim.SetFargateBaseUsage(awssim.FargateOnDemand, otherTeamsBatch)
			return nil
		}},
		{boundaryAt, "the minute turns: EventBridge fires nightly-report (its task never starts), ledger-close (a second copy) and payroll-export (4 vCPU: refused, the quota is full)", func(*world) error {
			return nil
		}},
		{0.80, "the backlog drains and the overlap ends: incidents resolve", func(w *world) error {
			if err := w.sim.StopTasks(cluster, "backlog done", w.filler[6:]...); err != nil {
				return err
			}
			return w.sim.StopTasks(cluster, "finished", w.dups[1:]...)
		}},
		{0.86, "the other team's batch ends: the Fargate quota incident resolves", func(w *world) error {
			w.sim.SetFargateBaseUsage(awssim.FargateOnDemand, otherTeams)
			return nil
		}},
	}
}

// play runs the scenario, each step at its share of total, then waits out
// the rest so the summary and resolutions are shown.
func play(ctx context.Context, sim *awssim.Server, start time.Time, total time.Duration, say func(string, ...any)) error {
	w := &world{sim: sim}
	steps := scenario()
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].at < steps[j].at })
	for _, s := range steps {
		if err := sleepUntil(ctx, start.Add(time.Duration(s.at*float64(total)))); err != nil {
			return err
		}
		say("%s", s.say)
		if err := s.do(w); err != nil {
			return fmt.Errorf("demo step %q: %w", s.say, err)
		}
	}
	say("waiting for the summary window; the daemon flushes it again on shutdown")
	return sleepUntil(ctx, start.Add(total))
}

func sleepUntil(ctx context.Context, t time.Time) error {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
