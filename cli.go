package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/daemon"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/demo"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/health"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

const usage = `usage: ecs-cron-monitor <command> [flags]

commands:
  run         -config FILE   run the daemon (the default command)
  validate    -config FILE   check the configuration; exit 2 listing every problem
  once        -config FILE [-o text|json]   poll every cluster once and print the findings;
                             exit 1 if any is critical
  demo                       run the daemon against the built-in AWS simulator
  healthcheck -config FILE   exit 0 only if the running daemon reports healthy
  status      -config FILE [-o text|json]   print the running daemon's job table (its status page)
  version                    print the version
`

// exitError carries a process exit code with its message.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// exitCode prints err (if any) and maps it to the process exit code:
// 0 success, 1 failure, 2 bad usage or configuration.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "ecs-cron-monitor:", err)
	return 1
}

// run is the whole program below main: it touches no signals, no os.Exit
// and no process environment except through lookupEnv.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	cmd := "run"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	configPath := fs.String("config", "config.toml", "configuration file")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	output := fs.String("o", "text", "once, status: output format, text or json")
	demoFor := fs.Duration("duration", 40*time.Second, "demo: how long the scenario runs")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: 2}
	}
	if cmd == "demo" && !flagSet(fs, "log-level") {
		*logLevel = "warn" // keep the terminal for the story; JSON logs stay on stderr
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return &exitError{code: 2, err: fmt.Errorf("bad -log-level %q: %w", *logLevel, err)}
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "ecs-cron-monitor", version)
		return nil
	case "validate":
		cfg, err := config.Load(*configPath, lookupEnv)
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		fmt.Fprintf(stdout, "%s: ok (%d clusters)\n", cfg.File, len(cfg.Clusters))
		return nil
	case "healthcheck":
		cfg, err := config.Load(*configPath, lookupEnv)
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		if err := health.Check(ctx, cfg.Health.Listen); err != nil {
			return &exitError{code: 1, err: fmt.Errorf("unhealthy: %w", err)}
		}
		return nil
	case "status":
		cfg, err := config.Load(*configPath, lookupEnv)
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		return status(ctx, cfg, *output, stdout)
	case "once":
		cfg, err := config.Load(*configPath, lookupEnv)
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		return once(ctx, cfg, logger, *output, stdout)
	case "run":
		cfg, err := config.Load(*configPath, lookupEnv)
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		d, err := daemon.New(ctx, cfg, daemon.Options{Logger: logger, Version: version})
		if err != nil {
			return err
		}
		return runBounded(ctx, d.Run, cfg.Shutdown.Timeout.Duration)
	case "demo":
		return demo.Run(ctx, demo.Options{Stdout: stdout, Stderr: stderr, Logger: logger,
			Duration: *demoFor, LookupEnv: lookupEnv, Version: version})
	}
	fmt.Fprint(stderr, usage)
	return &exitError{code: 2, err: fmt.Errorf("unknown command %q", cmd)}
}

// runBounded runs the daemon and, once ctx is cancelled, gives it at most
// timeout to finish: ECS kills the container at its stop timeout anyway,
// and exiting first lets us say so.
func runBounded(ctx context.Context, run func(context.Context) error, timeout time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("shutdown did not finish within %s; unfinished work is left to SQS redelivery", timeout)
	}
}

// once polls every cluster once and prints what it found.
func once(ctx context.Context, cfg *config.Config, logger *slog.Logger, format string, stdout io.Writer) error {
	if format != "text" && format != "json" {
		return &exitError{code: 2, err: fmt.Errorf("-o must be text or json, not %q", format)}
	}
	d, err := daemon.New(ctx, cfg, daemon.Options{Logger: logger, Version: version})
	if err != nil {
		return err
	}
	findings := d.Once(ctx)
	if findings == nil {
		findings = []monitor.Finding{}
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
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", f.Severity, f.Kind, f.Cluster, f.Job, f.Value, f.Limit, f.Message)
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

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
