package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/web"
)

// status prints the running daemon's /api/jobs: the status page's table.
func status(ctx context.Context, cfg *config.Config, format string, stdout io.Writer) error {
	if format != "text" && format != "json" {
		return &exitError{code: 2, err: fmt.Errorf("-o must be text or json, not %q", format)}
	}
	jobs, err := web.Fetch(ctx, cfg.Health.Listen)
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("status: %w", err)}
	}
	if format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(jobs); err != nil {
			return fmt.Errorf("write status: %w", err)
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLUSTER\tJOB\tSCHEDULE\tLAST RUN\tRESULT\tLAST SUCCESS\tNEXT EXPECTED\tRUNS\tFAILED\tP50\tP95\tINCIDENTS")
	for _, j := range jobs {
		lastRun, result := "-", "-"
		if r := j.LastRun; r != nil {
			lastRun, result = clock(r.StoppedAt), r.Result
			if r.ExitCode != nil {
				result += fmt.Sprintf(" (exit %d)", *r.ExitCode)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%d\n", j.Cluster, j.Job, dash(j.Schedule), lastRun, result,
			clock(j.LastSuccess), clock(j.NextExpected), j.Runs, j.Failures,
			seconds(j.DurationP50Seconds), seconds(j.DurationP95Seconds), len(j.OpenIncidents))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}

func clock(t web.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func seconds(s float64) string {
	if s <= 0 {
		return "-"
	}
	return (time.Duration(s * float64(time.Second))).Round(time.Second).String()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
