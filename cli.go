package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/daemon"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/demo"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/health"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

const defaultConfig = "config.toml"

// command is one subcommand: what it takes and which flags beyond
// -log-level (which every command takes).
type command struct {
	name    string
	args    string // "[FILE]" for the commands that read the configuration
	summary string
	flags   []string // "config", "o", "duration"
}

func (c command) takesFile() bool { return c.args == "[FILE]" }

// commands lists the subcommands in the order help shows them.
func commands() []command {
	return []command{
		{"run", "[FILE]", "run the daemon (the default command)", []string{"config"}},
		{"validate", "[FILE]", "check the configuration: exit 0 if valid, else exit 2 listing every problem\n" +
			"with file and line; notifier settings whose ${VAR} is unset are named, not problems", []string{"config"}},
		{"once", "[FILE]", "pre-flight: poll every cluster once, discover each cluster's rules and\n" +
			"schedules, reach the events queue, and print the findings and checks;\n" +
			"exit 1 if any is critical. Needs no notifier secrets", []string{"config", "o"}},
		{"demo", "", "run the daemon against the built-in AWS simulator", []string{"duration"}},
		{"healthcheck", "[FILE]", "exit 0 only if the running daemon reports healthy (container health check)", []string{"config"}},
		{"status", "[FILE]", "print the running daemon's job table (its status page)", []string{"config", "o"}},
		{"version", "", "print the version", nil},
		{"help", "[COMMAND]", "describe every command, or one", nil},
	}
}

func lookupCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// flags are the values every command's flag set writes to.
type flags struct {
	config, logLevel, output string
	duration                 time.Duration
}

// flagSet declares the command's flags; it prints nothing itself (run
// prints help and errors).
func (c command) flagSet(f *flags) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	level := "info"
	if c.name == "demo" {
		level = "warn" // keep the terminal for the story; JSON logs stay on stderr
	}
	fs.StringVar(&f.logLevel, "log-level", level, "`LEVEL` of the JSON logs on stderr: debug, info, warn or error")
	for _, name := range c.flags {
		switch name {
		case "config":
			fs.StringVar(&f.config, "config", defaultConfig, "the configuration `FILE` (or give FILE as the argument); FILE may also be\nssm:/path/to/parameter (SecureString allowed) or s3://bucket/key, read through the AWS SDK")
		case "o":
			fs.StringVar(&f.output, "o", "text", "output `FORMAT`: text (a table) or json")
		case "duration":
			fs.DurationVar(&f.duration, "duration", 40*time.Second, "how long the scenario runs")
		}
	}
	return fs
}

// usage describes every command and flag.
func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: ecs-cron-monitor <command> [flags] [FILE]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		head := strings.TrimSpace(c.name + " " + c.args)
		lines := strings.Split(c.summary, "\n")
		fmt.Fprintf(w, "  %-20s %s\n", head, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(w, "  %-20s %s\n", "", l)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "flags:")
	fmt.Fprintln(w, "  -config FILE         run, validate, once, healthcheck, status: the configuration file")
	fmt.Fprintln(w, "                       (default config.toml); FILE as the argument says the same")
	fmt.Fprintln(w, "  -log-level LEVEL     every command: debug, info, warn or error (default info;")
	fmt.Fprintln(w, "                       demo: warn); logs are JSON lines on stderr")
	fmt.Fprintln(w, "  -o text|json         once, status: a table, or JSON (default text)")
	fmt.Fprintln(w, "  -duration D          demo: how long the scenario runs (default 40s)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "'ecs-cron-monitor help COMMAND' or 'ecs-cron-monitor COMMAND -h' describes one command.")
}

// commandUsage describes one command and its flags.
func commandUsage(w io.Writer, c command) {
	fmt.Fprintf(w, "usage: ecs-cron-monitor %s\n\n", strings.TrimSpace(c.name+" [flags] "+c.args))
	fmt.Fprintln(w, c.summary)
	if c.takesFile() {
		fmt.Fprintf(w, "\nFILE is the configuration file (default %s); -config FILE says the same.\n", defaultConfig)
	}
	fmt.Fprintln(w, "\nflags:")
	fs := c.flagSet(&flags{})
	fs.SetOutput(w)
	fs.PrintDefaults()
}

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

// usageError is a command line that cannot be run: exit 2.
func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf("ecs-cron-monitor: "+format+"\n(ecs-cron-monitor help describes the commands)", args...)}
}

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
// and no process environment except through lookupEnv. A value on reload
// (main sends one per SIGHUP; nil: none) makes the daemon reload its
// configuration.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool), reload <-chan struct{}) error {
	name := "run"
	if len(args) > 0 {
		switch {
		case isHelpFlag(args[0]):
			usage(stdout)
			return nil
		case !strings.HasPrefix(args[0], "-"):
			name, args = args[0], args[1:]
		}
	}
	c, ok := lookupCommand(name)
	if !ok {
		return usageError("unknown command %q", name)
	}
	var f flags
	fs := c.flagSet(&f)
	positional, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		commandUsage(stdout, c)
		return nil
	}
	if err != nil {
		return usageError("%s: %v", c.name, err)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return usageError("%s: bad -log-level %q: use debug, info, warn or error", c.name, f.logLevel)
	}
	logger := newLogger(stderr, level)

	if c.name == "help" {
		return help(stdout, positional)
	}
	if !c.takesFile() {
		if len(positional) > 0 {
			return usageError("%s takes no arguments, got %q", c.name, positional)
		}
		switch c.name {
		case "version":
			fmt.Fprintln(stdout, "ecs-cron-monitor", version)
			return nil
		case "demo":
			return demo.Run(ctx, demo.Options{Stdout: stdout, Stderr: stderr, Logger: logger,
				Duration: f.duration, LookupEnv: lookupEnv, Version: version})
		}
	}
	path, err := configPath(c, fs, f.config, positional)
	if err != nil {
		return err
	}
	switch c.name {
	case "validate":
		cfg, err := loadConfig(ctx, path, lookupEnv, config.NotifierVarsOptional())
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		logUnresolved(logger, cfg)
		fmt.Fprintf(stdout, "%s: ok (%s)\n", cfg.File, monitor.Plural(len(cfg.Clusters), "cluster"))
		return nil
	case "healthcheck", "status":
		// They read health.listen only: they need no notifier secret.
		cfg, err := loadConfig(ctx, path, lookupEnv, config.NotifierVarsOptional())
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		if c.name == "status" {
			return status(ctx, cfg, f.output, stdout)
		}
		if err := health.Check(ctx, cfg.Health.Listen); err != nil {
			return &exitError{code: 1, err: fmt.Errorf("unhealthy: %w", err)}
		}
		return nil
	case "once":
		if f.output != "text" && f.output != "json" {
			return usageError("once: -o must be text or json, not %q", f.output)
		}
		cfg, err := loadConfig(ctx, path, lookupEnv, config.NotifierVarsOptional())
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		logUnresolved(logger, cfg)
		return once(ctx, cfg, logger, f.output, stdout)
	default: // run
		cfg, src, data, err := readConfig(ctx, path, lookupEnv)
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		d, err := daemon.New(ctx, cfg, daemon.Options{Logger: logger, Version: version})
		if err != nil {
			return err
		}
		w := &configWatch{src: src, lookupEnv: lookupEnv, apply: d.Reload, log: logger,
			signal: reload, every: cfg.ConfigRefresh.Duration, last: data}
		return runBounded(ctx, func(ctx context.Context) error { return runWatched(ctx, d.Run, w) }, cfg.Shutdown.Timeout.Duration)
	}
}

func isHelpFlag(s string) bool { return s == "-h" || s == "-help" || s == "--help" }

// parseInterspersed parses flags before and after positional arguments
// ("validate my.toml -log-level debug"), which flag.Parse alone stops at.
// Everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if len(args) >= len(rest)+1 && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// configPath is the configuration file a command reads: its one argument
// or -config, never both, and never a second argument silently ignored.
func configPath(c command, fs *flag.FlagSet, flagValue string, positional []string) (string, error) {
	switch {
	case len(positional) > 1:
		return "", usageError("%s takes one configuration file, got %d arguments: %q", c.name, len(positional), positional)
	case len(positional) == 1 && flagSet(fs, "config"):
		return "", usageError("%s: the configuration file is given twice (-config %s and %s): give it once", c.name, flagValue, positional[0])
	case len(positional) == 1:
		return positional[0], nil
	}
	return flagValue, nil
}

// help prints the usage of every command, or of the one named.
func help(stdout io.Writer, positional []string) error {
	switch len(positional) {
	case 0:
		usage(stdout)
		return nil
	case 1:
		c, ok := lookupCommand(positional[0])
		if !ok {
			return usageError("help: unknown command %q", positional[0])
		}
		commandUsage(stdout, c)
		return nil
	}
	return usageError("help takes one command, got %q", positional)
}

// logUnresolved says which notifier settings were left empty because
// their ${VAR} is unset: fine for validate and once, which deliver
// nothing; run would refuse the file.
func logUnresolved(logger *slog.Logger, cfg *config.Config) {
	if len(cfg.Unresolved) == 0 {
		return
	}
	notes := make([]string, len(cfg.Unresolved))
	for i, p := range cfg.Unresolved {
		notes[i] = p.Error()
	}
	logger.Warn("notifier settings left unresolved (their notifiers are off here; run needs the variables set)", "unresolved", notes)
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

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
