package daemon

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// accountChecks are the checks of each account scope: the Fargate quota
// watchers and the rules' FailedInvocations checks. They are reloadable
// parts (parts.go): Daemon.mu guards them.
type accountChecks struct {
	quotas []*monitor.Quota
	// quotaOf is each account scope's watcher, by scopeKey, for the
	// status page and the next reload.
	quotaOf map[string]*monitor.Quota
	rules   []*monitor.RuleInvocations
}

// runners are the checks' loops, for runParts.
func (a accountChecks) runners() []func(context.Context) error {
	var out []func(context.Context) error
	for _, q := range a.quotas {
		out = append(out, q.Run)
	}
	for _, r := range a.rules {
		out = append(out, r.Run)
	}
	return out
}

// onceAccountFindings checks every quota once (for `once`).
func (d *Daemon) onceAccountFindings(ctx context.Context, now time.Time) []monitor.Finding {
	var out []monitor.Finding
	for _, q := range d.checks.quotas {
		out = append(out, q.Check(ctx, now)...)
	}
	return out
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
// failed_invocations). A reload builds them anew from its configuration,
// so a scope it adds is checked and one it removes is not; each scope that
// stays hands its watcher's open incidents over from prev, which must
// have stopped (nothing open is alerted again; the new thresholds may
// resolve it).
func (d *Daemon) buildAccountChecks(ctx context.Context, prev accountChecks) error {
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
		key := scopeKey(sc.region, sc.roleARN)
		cw := cloudwatch.NewFromConfig(awsCfg)
		if d.cfg.Quota.Enabled {
			var carried *monitor.Tracker
			if q := prev.quotaOf[key]; q != nil {
				carried = q.Tracker()
			}
			q := monitor.NewQuota(monitor.QuotaOptions{
				Config: d.cfg.Quota, Region: sc.region, Account: roleAccount(sc.roleARN), AccountAlias: sc.alias,
				CloudWatch: cw, ServiceQuotas: servicequotas.NewFromConfig(awsCfg),
				Sink: leaderOnly{d, findingSink{d.dispatcher, d.incidents}}, Metrics: d.metrics, Logger: d.log, Now: d.o.Now,
				// No health loop: a quota check that cannot run is a
				// monitor_error, not a reason to restart the daemon.
				Interval: sc.interval, Tracker: carried,
			})
			d.checks.quotas = append(d.checks.quotas, q)
			if d.checks.quotaOf == nil {
				d.checks.quotaOf = map[string]*monitor.Quota{}
			}
			d.checks.quotaOf[key] = q
		}
		if d.cfg.Events.FailedInvocations {
			region, roleARN := sc.region, sc.roleARN
			d.checks.rules = append(d.checks.rules, monitor.NewRuleInvocations(monitor.RuleInvocationsOptions{
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
