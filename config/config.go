// Package config holds the daemon's one typed configuration, decoded strictly
// from TOML and validated once at start-up. Other packages receive only the
// part they need; nothing here carries runtime state.
package config

import (
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor/schedule"
)

// Config is the whole configuration file.
type Config struct {
	// File is the path the configuration was read from (for messages only).
	File string `toml:"-"`
	// Unresolved names the notifier settings left empty because their
	// ${VAR} is not set (only with NotifierVarsOptional), one Problem-shaped
	// note each: file, line, key and the variable's name, never a value.
	Unresolved []*Problem `toml:"-"`

	// ConfigRefresh is how often the daemon re-reads its configuration
	// source and reloads it when it changed; 0 (the default) turns it off
	// (SIGHUP reloads either way).
	ConfigRefresh Duration `toml:"config_refresh"`

	Slack    Slack    `toml:"slack"`
	Datadog  Datadog  `toml:"datadog"`
	Summary  Summary  `toml:"summary"`
	Events   Events   `toml:"events"`
	Quota    Quota    `toml:"quota"`
	Health   Health   `toml:"health"`
	Shutdown Shutdown `toml:"shutdown"`
	State    State    `toml:"state"`
	// Heartbeat pings an external dead-man's switch while the daemon is healthy.
	Heartbeat Heartbeat `toml:"heartbeat"`
	Clusters  []Cluster `toml:"cluster"`

	// pos maps every key path present in the file (see the key path format
	// in problem.go) to where it was written. It serves two purposes: line
	// numbers for problems, and telling "absent" from "explicitly zero" when
	// defaults are applied. Never serialized.
	pos map[string]position
}

// Slack selects one of two transports: an incoming webhook, or a bot token
// posting with chat.postMessage to Channel.
type Slack struct {
	WebhookURL Secret `toml:"webhook_url"`
	Token      Secret `toml:"token"`
	Channel    string `toml:"channel"`
	APIURL     string `toml:"api_url"`
	// ConsoleURL is the base of links to the AWS console; tests and the demo
	// change it. Default https://console.aws.amazon.com.
	ConsoleURL string `toml:"console_url"`
}

// Enabled reports whether any Slack transport is configured.
func (s Slack) Enabled() bool { return s.WebhookURL != "" || s.Token != "" }

// Datadog configures DogStatsD. An empty Address turns metrics off.
type Datadog struct {
	Address   string   `toml:"address"`
	Namespace string   `toml:"namespace"`
	Tags      []string `toml:"tags"`
}

// Summary configures the periodic summary message.
type Summary struct {
	Schedule  string `toml:"schedule"` // robfig/cron spec, default "@every 15m"
	SendEmpty bool   `toml:"send_empty"`
}

// Zone is the zone messages write times in: the schedule's CRON_TZ= zone
// when it has one, else UTC. (Validation has already refused a bad zone.)
func (s Summary) Zone() *time.Location {
	loc, ok, err := schedule.SpecZone(s.Schedule)
	if err != nil || !ok {
		return time.UTC
	}
	return loc
}

// Events configures the SQS consumer of ECS Task State Change events.
// An empty QueueURL turns the consumer off.
type Events struct {
	QueueURL          string   `toml:"queue_url"`
	Region            string   `toml:"region"`
	Receivers         int      `toml:"receivers"`
	VisibilityTimeout Duration `toml:"visibility_timeout"`
	WaitTime          Duration `toml:"wait_time"` // long-poll wait, default 20s
	StormThreshold    int      `toml:"storm_threshold"`
	StormWindow       Duration `toml:"storm_window"`
	// RollupInterval is how often an open storm roll-up is posted or updated.
	RollupInterval Duration `toml:"rollup_interval"`
	// SchedulerDLQURL is an SQS queue that EventBridge Scheduler schedules
	// name as their dead-letter queue; "" turns that source off.
	SchedulerDLQURL string `toml:"scheduler_dlq_url"`
	// FailedInvocations reads the AWS/Events FailedInvocations metric of
	// every discovered rule (default true).
	FailedInvocations bool `toml:"failed_invocations"`
}

// Enabled reports whether the event consumer should run.
func (e Events) Enabled() bool { return e.QueueURL != "" }

// Quota configures the watch of the account's Fargate vCPU quotas, per
// account and region of the clusters.
type Quota struct {
	Enabled          bool     `toml:"enabled"`
	WarnPercent      float64  `toml:"warn_percent"`
	CriticalPercent  float64  `toml:"critical_percent"`
	RenotifyInterval Duration `toml:"renotify_interval"`
}

// Health configures the local health endpoint. Empty Listen turns it off.
type Health struct {
	Listen string `toml:"listen"`
}

// Heartbeat configures the ping to an external dead-man's switch
// (Healthchecks, Cronitor, Datadog): sent every Interval while every loop
// is healthy, so a stuck daemon stops pinging and the service alerts.
// An empty URL turns it off.
type Heartbeat struct {
	URL      Secret   `toml:"url"` // often carries a token: never logged
	Interval Duration `toml:"interval"`
}

// Shutdown bounds graceful shutdown (ECS sends SIGKILL after its stop timeout).
type Shutdown struct {
	Timeout Duration `toml:"timeout"`
}

// Cluster is one monitored ECS cluster.
type Cluster struct {
	Name    string `toml:"name"`
	Region  string `toml:"region"`
	RoleARN string `toml:"role_arn"`
	// ExternalID is sent with AssumeRole (only with RoleARN): the member
	// account's role trusts the daemon only with it.
	ExternalID string `toml:"external_id"`
	// AccountAlias names the cluster's account in messages and metrics
	// ("prod"), beside its id.
	AccountAlias     string   `toml:"account_alias"`
	TaskLimit        int      `toml:"task_limit"`
	WarnPercent      float64  `toml:"warn_percent"`
	CriticalPercent  float64  `toml:"critical_percent"`
	MaxConcurrent    int      `toml:"max_concurrent"`
	PollInterval     Duration `toml:"poll_interval"`
	RenotifyInterval Duration `toml:"renotify_interval"`
	ScheduleRefresh  Duration `toml:"schedule_refresh"`
	// Grace is how late a scheduled run may start before it is a missed
	// run, for every schedule of the cluster whose job sets none (the
	// discovered ones included). 0: missed as soon as the start is due.
	Grace Duration `toml:"grace"`
	// Sidecars names containers whose exit never makes a run fail, in
	// addition to those the task definition marks non-essential.
	Sidecars []string `toml:"sidecars"`
	Jobs     []Job    `toml:"job"`
}

// Job configures one scheduled job, named by task-definition family or by the
// EventBridge rule / Scheduler schedule that starts it.
type Job struct {
	Family string `toml:"family"`
	Rule   string `toml:"rule"`
	// MaxConcurrent is resolved when the file is loaded: when absent it
	// holds the cluster's max_concurrent (nil only in a Job built by hand).
	MaxConcurrent *int   `toml:"max_concurrent"`
	SlackChannel  string `toml:"slack_channel"`
	// SlackWebhookURL posts this job's alerts through its own incoming
	// webhook (a secret, like slack.webhook_url), whatever the global
	// transport; summaries still go to the global one.
	SlackWebhookURL Secret `toml:"slack_webhook_url"`
	Mention         string `toml:"mention"`
	// StormThreshold and StormWindow are resolved when the file is loaded:
	// when absent they hold the [events] values, so consumers read them as is.
	StormThreshold  int      `toml:"storm_threshold"`
	StormWindow     Duration `toml:"storm_window"`
	IgnoreExitCodes []int    `toml:"ignore_exit_codes"`
	ReportSidecars  bool     `toml:"report_sidecars"`
	// Schedule is an AWS cron()/rate()/at() expression or a robfig spec,
	// checked with monitor/schedule, the evaluator the daemon runs.
	Schedule string `toml:"schedule"`
	Timezone string `toml:"timezone"`
	// Grace is resolved when the file is loaded: when absent it holds the
	// cluster's grace. 0: missed as soon as the start is due.
	Grace       Duration `toml:"grace"`
	MaxDuration Duration `toml:"max_duration"` // 0: not checked
	// AlertAfterFailures: alert when this many runs in a row failed (and
	// once more when the job recovers); 1 alerts every failure.
	AlertAfterFailures int `toml:"alert_after_failures"`
	// CheckDuration turns the suspicious_success check on: a successful
	// run shorter than MinDuration, or than a tenth of the job's usual
	// duration.
	CheckDuration bool     `toml:"check_duration"`
	MinDuration   Duration `toml:"min_duration"` // 0: only the usual-duration check
}

// Name is the job's display name: its rule if set, else its family.
func (j Job) Name() string {
	if j.Rule != "" {
		return j.Rule
	}
	return j.Family
}

// Duration is a time.Duration written as a string ("30s") in TOML.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration back as a string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// Secret is a string that never prints its value: fmt, %v, %s, logs and
// JSON all see "[redacted]". Use Reveal only where the value is sent.
type Secret string

// Reveal returns the secret value for use on the wire.
func (s Secret) Reveal() string { return string(s) }

// String redacts the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString redacts the value for %#v.
func (s Secret) GoString() string { return s.String() }

// MarshalText redacts the value when a Secret is encoded.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
