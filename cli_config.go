package main

import (
	"context"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/configsrc"
)

// loadConfig reads the configuration from a file, ssm:/path/to/parameter
// or s3://bucket/key, and parses it; problems cite the source as given.
func loadConfig(ctx context.Context, ref string, lookupEnv func(string) (string, bool), opts ...config.LoadOption) (*config.Config, error) {
	cfg, _, _, err := readConfig(ctx, ref, lookupEnv, opts...)
	return cfg, err
}

// readConfig is loadConfig, also returning the source and the document
// read, for the reload watch.
func readConfig(ctx context.Context, ref string, lookupEnv func(string) (string, bool), opts ...config.LoadOption) (*config.Config, configsrc.Source, []byte, error) {
	src, err := configsrc.Parse(ref)
	if err != nil {
		return nil, src, nil, err
	}
	data, err := src.Read(ctx)
	if err != nil {
		return nil, src, nil, err
	}
	cfg, err := config.Parse(src.String(), data, lookupEnv, opts...)
	return cfg, src, data, err
}
