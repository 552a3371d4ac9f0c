package monitor

import (
	"context"
	"errors"
	"testing"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
)

type launchHandlerRec struct {
	out  Outcome
	err  error
	seen []LaunchAttempt
}

func (h *launchHandlerRec) Handle(_ context.Context, a LaunchAttempt) (Outcome, error) {
	h.seen = append(h.seen, a)
	return h.out, h.err
}

// A CloudTrail RunTask record on the event queue goes to Launches: deleted
// once alerted, backed off and kept when not delivered; a record that
// reports no refused launch is deleted untouched; without Launches it is
// left for the dead-letter queue, as any message the consumer cannot use.
func TestEventsHandOverCloudTrailRecords(t *testing.T) {
	h := &launchHandlerRec{out: OutcomeAlerted}
	env := newTestEnv(t, func(o *EventsOptions, _ *config.Cluster) { o.Launches = h })
	quota := readTestdata(t, "cloudtrail", "runtask-fargate-vcpu-quota.json")

	if out := env.events.Handle(t.Context(), message("m1", quota, 1)); out != OutcomeAlerted || env.sqs.deletes("rh-m1") != 1 {
		t.Errorf("alerted record: %s, deletes %d; want alerted and deleted", out, env.sqs.deletes("rh-m1"))
	}
	if len(h.seen) != 1 || h.seen[0].Task.StartedBy != "events-rule/billing-batch-daily" {
		t.Errorf("Launches got %+v", h.seen)
	}

	h.out, h.err = OutcomeRetry, errors.New("slack: 503")
	if out := env.events.Handle(t.Context(), message("m2", quota, 2)); out != OutcomeRetry || env.sqs.deletes("rh-m2") != 0 {
		t.Errorf("undelivered record: %s, deletes %d; want kept", out, env.sqs.deletes("rh-m2"))
	}
	if v := env.sqs.visibilities("rh-m2"); len(v) == 0 || v[len(v)-1] != 20 {
		t.Errorf("undelivered record's visibility = %v, want the backoff for a second receive (20s)", v)
	}

	n := len(h.seen)
	started := readTestdata(t, "cloudtrail", "runtask-started.json")
	if out := env.events.Handle(t.Context(), message("m3", started, 1)); out != OutcomeIgnored || env.sqs.deletes("rh-m3") != 1 || len(h.seen) != n {
		t.Errorf("a RunTask that started its task: %s, deletes %d, handed over %d; want ignored, deleted, not handed over",
			out, env.sqs.deletes("rh-m3"), len(h.seen)-n)
	}

	without := newTestEnv(t, nil)
	if out := without.events.Handle(t.Context(), message("m4", quota, 1)); out != OutcomeMalformed || without.sqs.deletes("rh-m4") != 0 {
		t.Errorf("without Launches: %s; want left for the dead-letter queue", out)
	}
}
