package config

import (
	"net/url"
	"strings"
	"time"
)

// Defaults. A default applies only when its key is absent from the file: an
// explicit value, even 0 or "", is kept and then validated, so that
// "max_concurrent = 0" (not checked) and `listen = ""` (off) mean what they
// say.
const (
	DefaultSummarySchedule  = "@every 15m"
	DefaultDatadogNamespace = "ecs_cron."
	DefaultSlackAPIURL      = "https://slack.com/api/"
	DefaultConsoleURL       = "https://console.aws.amazon.com"
	DefaultHealthListen     = "127.0.0.1:8080"

	DefaultTaskLimit        = 50
	DefaultWarnPercent      = 80
	DefaultCriticalPercent  = 95
	DefaultMaxConcurrent    = 1
	DefaultPollInterval     = 30 * time.Second
	DefaultRenotifyInterval = time.Hour
	DefaultScheduleRefresh  = 10 * time.Minute

	DefaultReceivers         = 2
	DefaultVisibilityTimeout = 60 * time.Second
	DefaultWaitTime          = 20 * time.Second
	DefaultStormThreshold    = 5
	DefaultStormWindow       = time.Minute
	DefaultRollupInterval    = 10 * time.Second
	DefaultFailedInvocations = true

	DefaultQuotaEnabled          = true
	DefaultQuotaWarnPercent      = 80
	DefaultQuotaCriticalPercent  = 95
	DefaultQuotaRenotifyInterval = time.Hour

	// DefaultShutdownTimeout stays under ECS's default 30 s stop timeout,
	// after which the container gets SIGKILL.
	DefaultShutdownTimeout = 25 * time.Second
	DefaultJobGrace        = 5 * time.Minute

	DefaultAlertAfterFailures = 1
	DefaultCheckDuration      = true
	DefaultHeartbeat          = time.Minute

	DefaultStateBackend  = StateMemory
	DefaultLeaseDuration = 30 * time.Second
	DefaultRenewInterval = 10 * time.Second
)

// applyDefaults is the one place defaults are set. It runs after decoding
// and before validation. lookupEnv supplies AWS_REGION for clusters that
// name no region, as the AWS SDK itself would.
func applyDefaults(c *Config, lookupEnv func(string) (string, bool)) {
	if !c.has("slack.api_url") {
		c.Slack.APIURL = DefaultSlackAPIURL
	} else if c.Slack.APIURL != "" && !strings.HasSuffix(c.Slack.APIURL, "/") {
		// slack-go appends the method name to this base directly.
		c.Slack.APIURL += "/"
	}
	if !c.has("slack.console_url") {
		c.Slack.ConsoleURL = DefaultConsoleURL
	}
	if c.Datadog.Address != "" && !c.has("datadog.namespace") {
		c.Datadog.Namespace = DefaultDatadogNamespace
	}
	if !c.has("summary.schedule") {
		c.Summary.Schedule = DefaultSummarySchedule
	}

	e := &c.Events
	setInt(c, "events.receivers", &e.Receivers, DefaultReceivers)
	setDuration(c, "events.visibility_timeout", &e.VisibilityTimeout, DefaultVisibilityTimeout)
	setDuration(c, "events.wait_time", &e.WaitTime, DefaultWaitTime)
	setInt(c, "events.storm_threshold", &e.StormThreshold, DefaultStormThreshold)
	setDuration(c, "events.storm_window", &e.StormWindow, DefaultStormWindow)
	setDuration(c, "events.rollup_interval", &e.RollupInterval, DefaultRollupInterval)
	setBool(c, "events.failed_invocations", &e.FailedInvocations, DefaultFailedInvocations)

	q := &c.Quota
	setBool(c, "quota.enabled", &q.Enabled, DefaultQuotaEnabled)
	setFloat(c, "quota.warn_percent", &q.WarnPercent, DefaultQuotaWarnPercent)
	setFloat(c, "quota.critical_percent", &q.CriticalPercent, DefaultQuotaCriticalPercent)
	setDuration(c, "quota.renotify_interval", &q.RenotifyInterval, DefaultQuotaRenotifyInterval)

	if !c.has("health.listen") {
		c.Health.Listen = DefaultHealthListen
	}
	setDuration(c, "shutdown.timeout", &c.Shutdown.Timeout, DefaultShutdownTimeout)
	setDuration(c, "heartbeat.interval", &c.Heartbeat.Interval, DefaultHeartbeat)

	envRegion, _ := lookupEnv("AWS_REGION")
	for i := range c.Clusters {
		cl := &c.Clusters[i]
		key := indexKey("cluster", i)
		if cl.Region == "" {
			cl.Region = envRegion
		}
		setInt(c, key+".task_limit", &cl.TaskLimit, DefaultTaskLimit)
		setFloat(c, key+".warn_percent", &cl.WarnPercent, DefaultWarnPercent)
		setFloat(c, key+".critical_percent", &cl.CriticalPercent, DefaultCriticalPercent)
		setInt(c, key+".max_concurrent", &cl.MaxConcurrent, DefaultMaxConcurrent)
		setDuration(c, key+".poll_interval", &cl.PollInterval, DefaultPollInterval)
		setDuration(c, key+".renotify_interval", &cl.RenotifyInterval, DefaultRenotifyInterval)
		setDuration(c, key+".schedule_refresh", &cl.ScheduleRefresh, DefaultScheduleRefresh)
		setDuration(c, key+".grace", &cl.Grace, DefaultJobGrace)
		for j := range cl.Jobs {
			job := &cl.Jobs[j]
			jkey := indexKey(key+".job", j)
			// Jobs inherit the cluster's max_concurrent and grace and the
			// [events] storm settings, so consumers read one value.
			if job.MaxConcurrent == nil {
				inherited := cl.MaxConcurrent
				job.MaxConcurrent = &inherited
			}
			setInt(c, jkey+".storm_threshold", &job.StormThreshold, e.StormThreshold)
			setDuration(c, jkey+".storm_window", &job.StormWindow, e.StormWindow.Duration)
			setDuration(c, jkey+".grace", &job.Grace, cl.Grace.Duration)
			setInt(c, jkey+".alert_after_failures", &job.AlertAfterFailures, DefaultAlertAfterFailures)
			if !c.has(jkey + ".check_duration") {
				job.CheckDuration = DefaultCheckDuration
			}
		}
	}

	if e.Region == "" && (e.Enabled() || e.SchedulerDLQURL != "") {
		queue := e.QueueURL
		if queue == "" {
			queue = e.SchedulerDLQURL
		}
		e.Region = eventsRegion(queue, envRegion, c.Clusters)
	}

	if !c.has("state.backend") {
		c.State.Backend = DefaultStateBackend
	}
	if c.State.Region == "" && len(c.Clusters) > 0 {
		c.State.Region = c.Clusters[0].Region
	}
	setDuration(c, "state.lease_duration", &c.State.LeaseDuration, DefaultLeaseDuration)
	setDuration(c, "state.renew_interval", &c.State.RenewInterval, DefaultRenewInterval)
}

// eventsRegion picks the SQS region when [events] names none: the region in
// an AWS queue URL (https://sqs.<region>.amazonaws.com/...), else
// AWS_REGION, else the clusters' region when they all share one. Empty when
// none applies; validation then asks for it.
func eventsRegion(queueURL, envRegion string, clusters []Cluster) string {
	if u, err := url.Parse(queueURL); err == nil {
		labels := strings.Split(u.Hostname(), ".")
		if len(labels) >= 4 && labels[0] == "sqs" && labels[2] == "amazonaws" {
			return labels[1]
		}
	}
	if envRegion != "" {
		return envRegion
	}
	region := ""
	for _, cl := range clusters {
		if region != "" && cl.Region != region {
			return ""
		}
		region = cl.Region
	}
	return region
}

func setInt(c *Config, key string, dst *int, def int) {
	if !c.has(key) {
		*dst = def
	}
}

func setBool(c *Config, key string, dst *bool, def bool) {
	if !c.has(key) {
		*dst = def
	}
}

func setFloat(c *Config, key string, dst *float64, def float64) {
	if !c.has(key) {
		*dst = def
	}
}

func setDuration(c *Config, key string, dst *Duration, def time.Duration) {
	if !c.has(key) {
		dst.Duration = def
	}
}
