package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// spansAccounts reports whether a cluster name alone may be ambiguous:
// some cluster is reached through a role (another account) or names its
// account.
func spansAccounts(cfg *config.Config) bool {
	for _, c := range cfg.Clusters {
		if c.RoleARN != "" || c.AccountAlias != "" {
			return true
		}
	}
	return false
}

// resolveAccounts says which account each cluster is in, or returns nil
// when the configuration does not span accounts. A role's account is read
// off its ARN; a cluster without a role is in the daemon's own account,
// which own reports (STS GetCallerIdentity, which needs no permission).
// When that fails the id stays unknown and the alias alone is shown.
func resolveAccounts(ctx context.Context, cfg *config.Config, log *slog.Logger, own func(ctx context.Context, region string) (string, error)) map[string]monitor.Account {
	if !spansAccounts(cfg) {
		return nil
	}
	out := make(map[string]monitor.Account, len(cfg.Clusters))
	var self string
	asked := false
	for _, c := range cfg.Clusters {
		a := monitor.Account{ID: roleAccount(c.RoleARN), Alias: c.AccountAlias}
		if c.RoleARN == "" {
			if !asked {
				asked = true
				id, err := own(ctx, c.Region)
				if err != nil {
					log.Warn("could not learn the daemon's own account; its clusters are named by alias only", "err", err)
				}
				self = id
			}
			a.ID = self
		}
		out[c.Name] = a
	}
	return out
}

// callerAccount asks STS which account the daemon's own credentials are in.
func callerAccount(ctx context.Context, region string) (string, error) {
	awsCfg, err := awsConfig(ctx, region, roleOptions{})
	if err != nil {
		return "", err
	}
	out, err := sts.NewFromConfig(awsCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("get caller identity: %w", err)
	}
	return aws.ToString(out.Account), nil
}

// accountMetrics adds the account tags to every metric tagged with a
// cluster, so dashboards tell staging's "cron" from production's.
type accountMetrics struct {
	next    monitor.Metrics
	account func(cluster string) monitor.Account
}

func (m accountMetrics) tags(tags []string) []string {
	for _, t := range tags {
		if c, ok := strings.CutPrefix(t, "cluster:"); ok {
			if a := m.account(c); !a.IsZero() {
				return append(slices.Clip(tags), a.Tags()...)
			}
		}
	}
	return tags
}

func (m accountMetrics) Gauge(name string, v float64, tags []string) {
	m.next.Gauge(name, v, m.tags(tags))
}
func (m accountMetrics) Count(name string, v int64, tags []string) {
	m.next.Count(name, v, m.tags(tags))
}
func (m accountMetrics) Distribution(name string, v float64, tags []string) {
	m.next.Distribution(name, v, m.tags(tags))
}
func (m accountMetrics) ServiceCheck(name string, s monitor.CheckStatus, msg string, tags []string) {
	m.next.ServiceCheck(name, s, msg, m.tags(tags))
}
