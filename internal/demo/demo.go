// Package demo runs the real daemon against the built-in AWS simulator and
// a short scripted scenario, rendering Slack messages to the terminal (or
// to real Slack when SLACK_WEBHOOK_URL is set). It is `ecs-cron-monitor demo`.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/daemon"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/notifier"
)

// Options configures the demo.
type Options struct {
	Stdout, Stderr io.Writer
	Logger         *slog.Logger
	// Duration is how long the scenario runs before the daemon is stopped
	// (the scenario is scaled to it). Default 40s.
	Duration  time.Duration
	LookupEnv func(string) (string, bool)
	Version   string
	// Setenv points the AWS SDK at the simulator through the standard
	// AWS_ENDPOINT_URL variable; default os.Setenv. The demo owns its
	// process, so changing its environment is the honest way to do what
	// an operator would do.
	Setenv func(key, value string) error
}

const cluster = "cron"

// The account's Fargate On-Demand vCPU quota in the demo, and what other
// teams use of it before and during their batch.
const (
	fargateQuota    = 40
	otherTeams      = 20
	otherTeamsBatch = 31
)

// Run plays the scenario and returns when it is over (or ctx is cancelled).
func Run(ctx context.Context, o Options) error {
	if o.Duration <= 0 {
		o.Duration = 40 * time.Second
	}
	if o.Setenv == nil {
		o.Setenv = os.Setenv
	}
	if o.LookupEnv == nil {
		o.LookupEnv = func(string) (string, bool) { return "", false }
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	// The story and the rendered messages share stdout.
	o.Stdout = &syncWriter{w: o.Stdout}
	// The demo's clock is shifted so that a minute boundary, when the
	// scheduled rules fire, falls at boundaryAt of the run.
	start := time.Now()
	boundary := start.Add(time.Duration(boundaryAt * float64(o.Duration)))
	offset := boundary.Truncate(time.Minute).Add(time.Minute).Sub(boundary)
	clock := func() time.Time { return time.Now().Add(offset) }
	sim := awssim.New(awssim.Options{Now: clock})
	if err := sim.Start(); err != nil {
		return err
	}
	defer sim.Close()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":          sim.URL(),
		"AWS_ACCESS_KEY_ID":         "demo",
		"AWS_SECRET_ACCESS_KEY":     "demo",
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		if err := o.Setenv(k, v); err != nil {
			return fmt.Errorf("point the AWS SDK at the simulator: %w", err)
		}
	}
	queueURL, err := setUp(sim)
	if err != nil {
		return err
	}

	_, slackSet := o.LookupEnv("SLACK_WEBHOOK_URL")
	cfg, err := config.Parse("demo.toml", []byte(demoConfig(sim.Region(), queueURL, slackSet)), o.LookupEnv)
	if err != nil {
		return fmt.Errorf("demo configuration: %w", err)
	}
	var n monitor.Notifier
	if !slackSet {
		n = notifier.NewTerminal(o.Stdout, cfg.Summary.Zone())
	}
	page, err := pageListener()
	if err != nil {
		return err
	}
	// The account checks (Fargate quota) run at the demo's pace too.
	d, err := daemon.New(ctx, cfg, daemon.Options{Logger: o.Logger, Version: o.Version, Notifier: n, Now: clock, HealthListener: page,
		AccountCheckInterval: time.Second})
	if err != nil {
		page.Close()
		return err
	}
	say := func(format string, a ...any) {
		fmt.Fprintf(o.Stdout, "\n--- %s\n", fmt.Sprintf(format, a...))
	}
	say("ecs-cron-monitor demo: the real daemon against the built-in AWS simulator at %s", sim.URL())
	say("status page: http://%s/ (served while the demo runs; it refreshes itself)", page.Addr())
	if slackSet {
		say("SLACK_WEBHOOK_URL is set: messages go to Slack")
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go sim.AdvanceEvery(ctx, 200*time.Millisecond)
	go fireRules(ctx, sim, clock, o.Logger)
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	err = play(ctx, sim, start, o.Duration, say)
	cancel()
	derr := <-done
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	if derr != nil {
		return derr
	}
	say("demo finished: ECS API calls ListTasks=%d DescribeTasks=%d, SQS ReceiveMessage=%d DeleteMessage=%d",
		sim.Calls("ecs:ListTasks"), sim.Calls("ecs:DescribeTasks"), sim.Calls("sqs:ReceiveMessage"), sim.Calls("sqs:DeleteMessage"))
	return nil
}

// setUp creates the cluster, the task definitions and the event queue.
func setUp(sim *awssim.Server) (queueURL string, err error) {
	sim.CreateCluster(cluster)
	for _, fam := range []string{"billing-batch", "sync-inventory", "image-resizer", "report-export", "points-expiry"} {
		if _, err := sim.RegisterTaskDefinition(fam,
			awssim.ContainerDef{Name: "app", Image: "example/" + fam + ":latest", LogDriver: "awslogs",
				LogOptions: map[string]string{"awslogs-group": "/ecs/" + fam, "awslogs-stream-prefix": "ecs", "awslogs-region": sim.Region()}},
			awssim.ContainerDef{Name: "log-router", Image: "amazon/aws-for-fluent-bit", NonEssential: true},
		); err != nil {
			return "", fmt.Errorf("register %s: %w", fam, err)
		}
	}
	// Two EventBridge rules fire every minute: nightly-report's next fire
	// starts no task (a missed run), and ledger-close's previous run is
	// still going when it fires (an overrun, then a duplicate).
	for _, fam := range []string{"nightly-report", "ledger-close"} {
		if _, err := sim.RegisterTaskDefinition(fam, awssim.ContainerDef{Name: "app", Image: "example/" + fam}); err != nil {
			return "", fmt.Errorf("register %s: %w", fam, err)
		}
		sim.PutScheduledRule(fam, "cron(* * * * ? *)", cluster, fam, 1, true)
	}
	sim.SkipNextFire("nightly-report")
	// payroll-export (4 vCPU) fires every minute too, but by then the
	// account's Fargate On-Demand vCPUs are nearly all in use (the quota is
	// 40; other teams use some): RunTask refuses it (a launch failure).
	if _, err := sim.RegisterTaskDefinition("payroll-export", awssim.ContainerDef{Name: "app", Image: "example/payroll-export"}); err != nil {
		return "", fmt.Errorf("register payroll-export: %w", err)
	}
	if err := sim.SetTaskDefinitionCPU("payroll-export", "4096"); err != nil {
		return "", err
	}
	sim.PutScheduledRule("payroll-export", "cron(* * * * ? *)", cluster, "payroll-export", 1, true)
	sim.SetFargateQuota(awssim.FargateOnDemand, fargateQuota)
	sim.SetFargateBaseUsage(awssim.FargateOnDemand, otherTeams)
	// billing-batch-daily runs at 02:00 UTC; the demo starts its copies
	// itself (the overlap), so the rule only has to exist.
	sim.PutScheduledRule("billing-batch-daily", "cron(0 2 * * ? *)", cluster, "billing-batch", 1, true)
	sim.CreateQueue("ecs-cron-events-dlq", nil)
	url := sim.CreateQueue("ecs-cron-events", map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":"arn:aws:sqs:%s:%s:ecs-cron-events-dlq","maxReceiveCount":"5"}`, sim.Region(), sim.Account()),
	})
	sim.RouteTaskEvents(url)
	return url, nil
}

// fireRules plays EventBridge: it starts the tasks of every rule whose
// fire time has come.
func fireRules(ctx context.Context, sim *awssim.Server, clock func() time.Time, logger *slog.Logger) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := sim.FireDue(clock()); err != nil {
				logger.Warn("simulated EventBridge could not fire a rule", "err", err)
			}
		}
	}
}

func demoConfig(region, queueURL string, slack bool) string {
	var b strings.Builder
	if slack {
		b.WriteString("[slack]\nwebhook_url = \"${SLACK_WEBHOOK_URL}\"\n\n")
	}
	fmt.Fprintf(&b, `[summary]
schedule = "@every 15s"

[events]
queue_url = %q
region = %q
receivers = 2
wait_time = "1s"
visibility_timeout = "30s"
storm_threshold = 3
storm_window = "8s"
rollup_interval = "2s"

[health]
listen = ""

[shutdown]
timeout = "9s"

[[cluster]]
name = %q
region = %q
task_limit = 20
warn_percent = 80
critical_percent = 95
max_concurrent = 0   # copies are checked only for the job below
poll_interval = "1s"
renotify_interval = "1h"
schedule_refresh = "5s"

  [[cluster.job]]
  rule = "billing-batch-daily"
  max_concurrent = 1

  [[cluster.job]]
  rule = "nightly-report"
  grace = "3s"

  [[cluster.job]]
  rule = "payroll-export"
  grace = "3s"

  [[cluster.job]]
  rule = "ledger-close"
  max_concurrent = 1
  grace = "3s"
  max_duration = "6s"
`, queueURL, region, cluster, region)
	return b.String()
}

// syncWriter serialises writes from the narration and the notifier.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// pageListener is where the demo serves the status page: 127.0.0.1:8080,
// the daemon's default, or any free loopback port when that is taken.
func pageListener() (net.Listener, error) {
	if ln, err := net.Listen("tcp", "127.0.0.1:8080"); err == nil {
		return ln, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the status page: %w", err)
	}
	return ln, nil
}
