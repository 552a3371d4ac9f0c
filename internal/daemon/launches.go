package daemon

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// launchParts are the launch-failure sources beyond the event queue and
// the Fargate quota watchers: one builder each, none knowing the others.
type launchParts struct {
	launches   *monitor.Launches
	dlq        *monitor.SchedulerDLQ
	ruleChecks []*monitor.RuleInvocations
	quotas     []*monitor.Quota
	// quotaOf is each account scope's watcher, by scopeKey, for the
	// status page.
	quotaOf map[string]*monitor.Quota
}

// buildLaunches builds the component every launch-failure source reports
// to (CloudTrail records on the event queue, the Scheduler dead-letter
// queue, the rules' FailedInvocations).
// It needs every cluster built first.
func (d *Daemon) buildLaunches() {
	d.launch.launches = monitor.NewLaunches(monitor.LaunchesOptions{
		Clusters: d.eventClusters, Sink: d.dispatcher, History: d.history,
		Metrics: d.metrics, Logger: d.log, Now: d.o.Now,
		// As the event consumer claims stopped runs: held as long as a
		// delivery may keep its message hidden.
		Claims: d.shared(), Owner: d.owner,
		ClaimHold: 2 * max(d.cfg.Events.VisibilityTimeout.Duration, time.Second),
	})
}

// launchLookup lets the schedule checks, built before Launches, ask it why
// a run did not start.
type launchLookup struct{ d *Daemon }

func (l launchLookup) LaunchFailure(cluster, job string, since time.Time) (monitor.Cause, string, bool) {
	if l.d.launch.launches == nil {
		return "", "", false
	}
	return l.d.launch.launches.LaunchFailure(cluster, job, since)
}

// buildSchedulerDLQ consumes [events] scheduler_dlq_url, when set.
func (d *Daemon) buildSchedulerDLQ(ctx context.Context) error {
	ev := d.cfg.Events
	if ev.SchedulerDLQURL == "" {
		return nil
	}
	awsCfg, err := awsConfig(ctx, ev.Region, roleOptions{})
	if err != nil {
		return fmt.Errorf("scheduler dead-letter queue: %w", err)
	}
	loop := d.health.Register("scheduler_dlq", max(ev.WaitTime.Duration, ev.VisibilityTimeout.Duration))
	d.launch.dlq = monitor.NewSchedulerDLQ(monitor.SchedulerDLQOptions{
		QueueURL: ev.SchedulerDLQURL, SQS: sqs.NewFromConfig(awsCfg), Launches: d.launch.launches,
		Metrics: d.metrics, Logger: d.log, WaitTime: ev.WaitTime.Duration,
		AfterReceive: afterCycle(loop),
	})
	return nil
}

// accountScope is the clusters one set of credentials sees in one region:
// the unit of the account-wide checks.
type accountScope struct {
	region, roleARN string
	externalID      string // sent with AssumeRole, from the scope's clusters
	alias           string // the account's account_alias, from its clusters
	interval        time.Duration
}

func accountScopes(cfg *config.Config) []*accountScope {
	var scopes []*accountScope
	byKey := map[string]*accountScope{}
	for _, c := range cfg.Clusters {
		k := scopeKey(c.Region, c.RoleARN)
		s := byKey[k]
		if s == nil {
			s = &accountScope{region: c.Region, roleARN: c.RoleARN, externalID: c.ExternalID, alias: accountAlias(cfg, c.RoleARN)}
			byKey[k] = s
			scopes = append(scopes, s)
		}
		// At most once per poll_interval, and no more often than the
		// metrics' one-minute resolution.
		iv := max(c.PollInterval.Duration, time.Minute)
		if s.interval == 0 || iv < s.interval {
			s.interval = iv
		}
	}
	return scopes
}

// scopeKey names the account scope of a cluster in region reached
// through roleARN ("" for the daemon's own credentials).
func scopeKey(region, roleARN string) string { return region + "|" + roleARN }

// accountAlias is the first account_alias configured on a cluster in the
// account roleARN is in (the daemon's own account for ""), in any region.
func accountAlias(cfg *config.Config, roleARN string) string {
	for _, c := range cfg.Clusters {
		if c.AccountAlias != "" && roleAccount(c.RoleARN) == roleAccount(roleARN) {
			return c.AccountAlias
		}
	}
	return ""
}

// buildAccountChecks builds, per account scope, the Fargate quota watcher
// ([quota]) and the rules' FailedInvocations check ([events]
// failed_invocations).
func (d *Daemon) buildAccountChecks(ctx context.Context) error {
	if !d.cfg.Quota.Enabled && !d.cfg.Events.FailedInvocations {
		return nil
	}
	for _, sc := range accountScopes(d.cfg) {
		if d.o.AccountCheckInterval > 0 {
			sc.interval = d.o.AccountCheckInterval
		}
		awsCfg, err := awsConfig(ctx, sc.region, roleOptions{ARN: sc.roleARN, ExternalID: sc.externalID, ExpiryWindow: d.o.CredentialExpiryWindow})
		if err != nil {
			return fmt.Errorf("account checks in %s: %w", sc.region, err)
		}
		cw := cloudwatch.NewFromConfig(awsCfg)
		if d.cfg.Quota.Enabled {
			q := monitor.NewQuota(monitor.QuotaOptions{
				Config: d.cfg.Quota, Region: sc.region, Account: roleAccount(sc.roleARN), AccountAlias: sc.alias,
				CloudWatch: cw, ServiceQuotas: servicequotas.NewFromConfig(awsCfg),
				Sink: leaderOnly{d, findingSink{d.dispatcher, d.incidents}}, Metrics: d.metrics, Logger: d.log, Now: d.o.Now,
				// No health loop: a quota check that cannot run is a
				// monitor_error, not a reason to restart the daemon.
				Interval: sc.interval,
			})
			d.launch.quotas = append(d.launch.quotas, q)
			if d.launch.quotaOf == nil {
				d.launch.quotaOf = map[string]*monitor.Quota{}
			}
			d.launch.quotaOf[scopeKey(sc.region, sc.roleARN)] = q
		}
		if d.cfg.Events.FailedInvocations {
			region, roleARN := sc.region, sc.roleARN
			d.launch.ruleChecks = append(d.launch.ruleChecks, monitor.NewRuleInvocations(monitor.RuleInvocationsOptions{
				Region: sc.region, CloudWatch: cw, Launches: d.launch.launches,
				Metrics: d.metrics, Logger: d.log, Now: d.o.Now, Interval: sc.interval,
				Rules: func() []monitor.RuleRef {
					if !d.leading() {
						return nil // the leader reads the metric
					}
					return d.rulesIn(region, roleARN)
				},
			}))
		}
	}
	return nil
}

// rulesIn is every discovered rule of the clusters in one account scope,
// read from the parts running now: after a reload, the new clusters' rules
// (and none of a removed cluster) are the ones whose FailedInvocations are
// read.
func (d *Daemon) rulesIn(region, roleARN string) []monitor.RuleRef {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []monitor.RuleRef
	for i, c := range d.cfg.Clusters {
		if c.Region == region && c.RoleARN == roleARN && i < len(d.schedules) {
			out = append(out, d.schedules[i].Rules()...)
		}
	}
	return out
}

// roleAccount is the account of a role ARN (arn:aws:iam::<account>:role/x).
func roleAccount(roleARN string) string {
	parts := strings.Split(roleARN, ":")
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// launchSources names the launch-failure sources that run, for the
// start-up line.
func (d *Daemon) launchSources() []string {
	out := []string{}
	if d.events != nil {
		out = append(out, monitor.LaunchSourceCloudTrail)
	}
	if d.launch.dlq != nil {
		out = append(out, monitor.LaunchSourceSchedulerDLQ)
	}
	if len(d.launch.ruleChecks) > 0 {
		out = append(out, monitor.LaunchSourceRuleMetric)
	}
	return out
}

// launchRunners are the long-running launch and account parts, for Run.
func (d *Daemon) launchRunners() []func(context.Context) error {
	var out []func(context.Context) error
	if d.launch.dlq != nil {
		out = append(out, d.launch.dlq.Run)
	}
	for _, q := range d.launch.quotas {
		out = append(out, q.Run)
	}
	for _, r := range d.launch.ruleChecks {
		out = append(out, r.Run)
	}
	return out
}

// onceAccountFindings checks every quota once (for `once`).
func (d *Daemon) onceAccountFindings(ctx context.Context, now time.Time) []monitor.Finding {
	var out []monitor.Finding
	for _, q := range d.launch.quotas {
		out = append(out, q.Check(ctx, now)...)
	}
	return out
}
