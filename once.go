package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/daemon"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// once polls every cluster once, makes the pre-flight checks and prints
// the findings and checks; exit 1 if any is critical.
func once(ctx context.Context, cfg *config.Config, logger *slog.Logger, format string, stdout io.Writer) error {
	d, err := daemon.New(ctx, cfg, daemon.Options{Logger: logger, Version: version})
	if err != nil {
		return err
	}
	findings := d.Once(ctx)
	if findings == nil {
		findings = []monitor.Finding{}
	}
	for i := range findings {
		if findings[i].Tasks == nil {
			findings[i].Tasks = []string{} // "tasks": [], never null
		}
	}
	if format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(findings); err != nil {
			return fmt.Errorf("write findings: %w", err)
		}
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEVERITY\tKIND\tCLUSTER\tJOB\tVALUE\tLIMIT\tMESSAGE")
		for _, f := range findings {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", f.Severity, f.Kind, orDash(f.Cluster), orDash(f.Job), f.Value, f.Limit, f.Message)
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write findings: %w", err)
		}
	}
	for _, f := range findings {
		if f.Severity == monitor.SeverityCritical {
			return &exitError{code: 1}
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
