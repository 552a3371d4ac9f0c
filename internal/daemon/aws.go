package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awshttp"
)

// roleOptions say which role to assume, if any, and how early to renew
// its credentials.
type roleOptions struct {
	ARN, ExternalID string
	// ExpiryWindow is how long before expiry the credentials are renewed,
	// so no call goes out with credentials about to lapse. Default 1m.
	ExpiryWindow time.Duration
}

// defaultExpiryWindow renews assumed credentials (15 minutes by default)
// one minute before they expire.
const defaultExpiryWindow = time.Minute

// awsConfig loads the SDK's standard configuration (credentials chain,
// AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> endpoints) for a region,
// with the adaptive retryer so throttling slows us down instead of failing
// a poll, and, when a role is given, credentials from assuming that role
// (with its external id), cached and renewed before they expire.
func awsConfig(ctx context.Context, region string, role roleOptions) (aws.Config, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx,
		awsconfig.WithRegion(region),
		awsconfig.WithRetryer(func() aws.Retryer {
			return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
				o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
					so.MaxAttempts = 5
				})
			})
		}),
	)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration for %s: %w", region, err)
	}
	cfg.HTTPClient = awshttp.Wrap(cfg.HTTPClient)
	if role.ARN != "" {
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), role.ARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "ecs-cron-monitor"
			if role.ExternalID != "" {
				o.ExternalID = aws.String(role.ExternalID)
			}
		})
		window := role.ExpiryWindow
		if window <= 0 {
			window = defaultExpiryWindow
		}
		cfg.Credentials = aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) {
			o.ExpiryWindow = window
		})
	}
	return cfg, nil
}
