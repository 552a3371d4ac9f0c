package daemon

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awshttp"
)

// awsConfig loads the SDK's standard configuration (credentials chain,
// AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> endpoints) for a region,
// with the adaptive retryer so throttling slows us down instead of failing
// a poll, and, when roleARN is set, credentials from assuming that role.
func awsConfig(ctx context.Context, region, roleARN string) (aws.Config, error) {
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
	if roleARN != "" {
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), roleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "ecs-cron-monitor"
		})
		cfg.Credentials = aws.NewCredentialsCache(provider)
	}
	return cfg, nil
}
