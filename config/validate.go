package config

import (
	"cmp"
	"errors"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor/schedule"
	"github.com/robfig/cron/v3"
)

// Patterns are built by functions, not kept in package variables, to keep
// the package free of package-level state; validation runs once at start-up.
func roleARNPattern() *regexp.Regexp {
	return regexp.MustCompile(`^arn:aws[-a-z]*:iam::[0-9]{12}:role/.+$`)
}

// clusterNamePattern: ECS cluster names are up to 255 letters, digits,
// hyphens and underscores; a cluster ARN is accepted too.
func clusterNamePattern() *regexp.Regexp {
	return regexp.MustCompile(`^([A-Za-z0-9_-]{1,255}|arn:aws[-a-z]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9_-]{1,255})$`)
}

func regionPattern() *regexp.Regexp {
	return regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
}

// mentionPattern: one or more Slack mentions separated by spaces: <!here>,
// <!channel>, <!everyone>, <!subteam^ID>, <@U…> / <@W…> (users), <#C…>
// (channels); user groups and users may carry a "|label".
func mentionPattern() *regexp.Regexp {
	one := `<(!here|!channel|!everyone|!subteam\^[A-Z0-9]+(\|[^<>|]+)?|@[UW][A-Z0-9]+(\|[^<>|]+)?|#C[A-Z0-9]+(\|[^<>|]+)?)>`
	return regexp.MustCompile(`^` + one + `( +` + one + `)*$`)
}

// summaryParser is the parser the dispatcher uses for summary.schedule.
func summaryParser() cron.Parser {
	return cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
}

// validate reports every problem in a decoded, defaulted Config. Messages
// never contain values: the line and key say where to look, and a value may
// be a secret or come from the environment.
func (c *Config) validate() problemList {
	v := &validator{c: c}
	v.slack()
	v.datadog()
	if _, err := summaryParser().Parse(c.Summary.Schedule); err != nil {
		v.bad("summary.schedule", `is not a valid schedule: use "@every 15m", "@hourly" or a 5-field cron spec such as "*/15 * * * *" (optionally "CRON_TZ=Area/City " first)`)
	}
	v.events()
	v.quota()
	if c.Health.Listen != "" && !isHostPort(c.Health.Listen) {
		v.bad("health.listen", `must be host:port such as "127.0.0.1:8080" (or "" to turn the endpoint off)`)
	}
	if c.Shutdown.Timeout.Duration <= 0 {
		v.bad("shutdown.timeout", "must be greater than 0")
	}
	if c.has("heartbeat.url") && c.Heartbeat.URL == "" {
		v.bad("heartbeat.url", "is empty; remove the key to turn the heartbeat off")
	} else if c.Heartbeat.URL != "" && !isWebhookURL(c.Heartbeat.URL.Reveal()) {
		v.bad("heartbeat.url", "must be an https:// URL (http:// only for 127.0.0.1 or localhost, in tests)")
	}
	if c.Heartbeat.Interval.Duration < time.Second {
		v.bad("heartbeat.interval", "must be at least 1s")
	}
	if r := c.ConfigRefresh.Duration; r != 0 && r < 10*time.Second {
		v.bad("config_refresh", "must be 0 (off) or at least 10s")
	}
	v.clusters()
	v.state()
	return v.problems
}

type validator struct {
	c        *Config
	problems problemList
}

func (v *validator) bad(key, format string, args ...any) {
	v.problems.add(v.c.problemf(key, format, args...))
}

func (v *validator) slack() {
	s := v.c.Slack
	// An empty secret usually means a ${VAR} that is set but empty; silently
	// turning Slack off would hide every alert.
	for _, k := range []struct {
		key   string
		value Secret
	}{{"slack.webhook_url", s.WebhookURL}, {"slack.token", s.Token}} {
		if v.c.has(k.key) && k.value == "" {
			v.bad(k.key, "is empty; remove the key to turn Slack off")
		}
	}
	if s.WebhookURL != "" && s.Token != "" {
		v.bad("slack.token", "webhook_url and token are mutually exclusive: set one")
	}
	if s.WebhookURL != "" && !isWebhookURL(s.WebhookURL.Reveal()) {
		v.bad("slack.webhook_url", "must be an https:// URL (http:// only for 127.0.0.1 or localhost, in tests)")
	}
	if s.Token != "" && s.Channel == "" {
		v.bad("slack.channel", "is required with token (the channel chat.postMessage posts to)")
	}
	if s.Channel != "" && s.WebhookURL != "" && s.Token == "" {
		v.bad("slack.channel", "has no effect with webhook_url: an incoming webhook posts to its own channel")
	}
	if s.APIURL != "" && !isHTTPURL(s.APIURL) {
		v.bad("slack.api_url", "must be an http:// or https:// URL")
	}
	if s.ConsoleURL != "" && !isHTTPURL(s.ConsoleURL) {
		v.bad("slack.console_url", "must be an http:// or https:// URL")
	}
}

func (v *validator) datadog() {
	d := v.c.Datadog
	if d.Address != "" && !isStatsdAddress(d.Address) {
		v.bad("datadog.address", `must be host:port (UDP, such as "127.0.0.1:8125") or unix:///path/to/dsd.socket`)
	}
	for i, tag := range d.Tags {
		if tag == "" || strings.ContainsAny(tag, ",|#\n") {
			v.bad(indexKey("datadog.tags", i), `must be a non-empty "key:value" or "key" tag without ',', '|' or '#'`)
		}
	}
}

func (v *validator) events() {
	e := v.c.Events
	if e.Enabled() {
		if !isHTTPURL(e.QueueURL) {
			v.bad("events.queue_url", "must be an https:// (or http://) SQS queue URL")
		}
		if e.Region == "" {
			v.bad("events.region", "is required: the queue URL names no region, AWS_REGION is not set and the clusters use several regions")
		}
	}
	if e.Receivers < 1 || e.Receivers > 10 {
		v.bad("events.receivers", "must be between 1 and 10")
	}
	// SQS takes these in whole seconds.
	if vt := e.VisibilityTimeout.Duration; vt < time.Second || vt > 12*time.Hour {
		v.bad("events.visibility_timeout", "must be between 1s and 12h (the SQS limits)")
	} else if vt%time.Second != 0 {
		v.bad("events.visibility_timeout", "must be a whole number of seconds")
	}
	if wt := e.WaitTime.Duration; wt < 0 || wt > 20*time.Second {
		v.bad("events.wait_time", "must be between 0s and 20s (the SQS long-poll limit)")
	} else if wt%time.Second != 0 {
		v.bad("events.wait_time", "must be a whole number of seconds")
	}
	if e.StormThreshold < 1 {
		v.bad("events.storm_threshold", "must be at least 1")
	}
	if e.StormWindow.Duration <= 0 {
		v.bad("events.storm_window", "must be greater than 0")
	}
	if e.RollupInterval.Duration <= 0 {
		v.bad("events.rollup_interval", "must be greater than 0")
	}
	if e.SchedulerDLQURL != "" && !isHTTPURL(e.SchedulerDLQURL) {
		v.bad("events.scheduler_dlq_url", `must be an https:// (or http://) SQS queue URL, or "" to turn the source off`)
	}
	if e.SchedulerDLQURL != "" && e.Region == "" && !e.Enabled() {
		v.bad("events.region", "is required with scheduler_dlq_url when the queue URL names no region and AWS_REGION is not set")
	}
}

func (v *validator) quota() {
	q := v.c.Quota
	if q.WarnPercent <= 0 || q.WarnPercent > 100 {
		v.bad("quota.warn_percent", "must be greater than 0 and at most 100")
	}
	if q.CriticalPercent <= 0 || q.CriticalPercent > 100 {
		v.bad("quota.critical_percent", "must be greater than 0 and at most 100")
	} else if q.WarnPercent > 0 && q.CriticalPercent < q.WarnPercent {
		v.bad("quota.critical_percent", "must not be below warn_percent")
	}
	if q.RenotifyInterval.Duration < 0 {
		v.bad("quota.renotify_interval", "must not be negative (0 turns re-notification off)")
	}
}

// account checks the keys that say which account a cluster is in and how
// the daemon gets there.
func (v *validator) account(key string, cl Cluster) {
	switch {
	case cl.ExternalID != "" && cl.RoleARN == "":
		v.bad(key+".external_id", "needs role_arn: the external id is sent when assuming that role")
	case cl.ExternalID != "" && (len(cl.ExternalID) < 2 || len(cl.ExternalID) > 1224 || !externalIDPattern().MatchString(cl.ExternalID)):
		v.bad(key+".external_id", "must be 2 to 1224 letters, digits or +=,.@:/-")
	}
	if cl.AccountAlias != "" && !aliasPattern().MatchString(cl.AccountAlias) {
		v.bad(key+".account_alias", "must be 1 to 63 letters, digits, '-' or '_'")
	}
}

// externalIDPattern is what STS accepts as an ExternalId.
func externalIDPattern() *regexp.Regexp { return regexp.MustCompile(`^[\w+=,.@:/-]+$`) }

func aliasPattern() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,63}$`) }

func (v *validator) clusters() {
	c := v.c
	if len(c.Clusters) == 0 {
		v.bad("cluster", "at least one [[cluster]] is required")
		return
	}
	namePat, regionPat, rolePat := clusterNamePattern(), regionPattern(), roleARNPattern()
	seen := map[string]string{} // region/name -> key of first cluster
	for i, cl := range c.Clusters {
		key := indexKey("cluster", i)
		switch {
		case cl.Name == "":
			v.bad(key+".name", "is required")
		case !namePat.MatchString(cl.Name):
			v.bad(key+".name", "must be an ECS cluster name (letters, digits, '-', '_') or cluster ARN")
		default:
			if first, dup := seen[cl.Name]; dup {
				v.bad(key+".name", "duplicate cluster name (also %s)", first)
			} else {
				seen[cl.Name] = key
			}
		}
		switch {
		case cl.Region == "":
			v.bad(key+".region", "is required (or set AWS_REGION)")
		case !regionPat.MatchString(cl.Region):
			v.bad(key+".region", `must be an AWS region such as "us-east-1"`)
		}
		if cl.RoleARN != "" && !rolePat.MatchString(cl.RoleARN) {
			v.bad(key+".role_arn", "must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>")
		}
		v.account(key, cl)
		if cl.TaskLimit <= 0 {
			v.bad(key+".task_limit", "must be greater than 0")
		}
		switch {
		case cl.WarnPercent <= 0:
			v.bad(key+".warn_percent", "must be greater than 0")
		case cl.WarnPercent >= cl.CriticalPercent:
			v.bad(key+".warn_percent", "must be less than critical_percent")
		}
		if cl.CriticalPercent <= 0 || cl.CriticalPercent > 100 {
			v.bad(key+".critical_percent", "must be greater than 0 and at most 100")
		}
		if cl.MaxConcurrent < 0 {
			v.bad(key+".max_concurrent", "must be 0 (not checked) or more")
		}
		if cl.PollInterval.Duration < time.Second {
			v.bad(key+".poll_interval", "must be at least 1s")
		}
		if cl.RenotifyInterval.Duration < cl.PollInterval.Duration {
			v.bad(key+".renotify_interval", "must be at least poll_interval")
		}
		if cl.ScheduleRefresh.Duration < time.Second {
			v.bad(key+".schedule_refresh", "must be at least 1s")
		}
		if cl.Grace.Duration < 0 {
			v.bad(key+".grace", "must be 0 or more")
		}
		for k, name := range cl.Sidecars {
			if strings.TrimSpace(name) == "" {
				v.bad(indexKey(key+".sidecars", k), "must be a container name")
			}
		}
		v.jobs(key, cl)
	}
}

func (v *validator) jobs(clusterKey string, cl Cluster) {
	mentionPat := mentionPattern()
	webhook := v.c.Slack.WebhookURL != ""
	seen := map[string]string{} // "family:x" / "rule:x" -> key of first job
	for j, job := range cl.Jobs {
		key := indexKey(clusterKey+".job", j)
		switch {
		case job.Family == "" && job.Rule == "":
			v.bad(key, "needs family (task definition family) or rule (EventBridge rule or Scheduler schedule name)")
		case job.Family != "" && job.Rule != "":
			v.bad(key+".rule", "set family or rule, not both")
		default:
			id, idKey := "family:"+job.Family, key+".family"
			if job.Rule != "" {
				id, idKey = "rule:"+job.Rule, key+".rule"
			}
			if first, dup := seen[id]; dup {
				v.bad(idKey, "duplicate job in this cluster (also %s)", first)
			} else {
				seen[id] = key
			}
		}
		if job.MaxConcurrent != nil && *job.MaxConcurrent < 0 {
			v.bad(key+".max_concurrent", "must be 0 (not checked) or more")
		}
		switch {
		case job.SlackChannel != "" && job.SlackWebhookURL != "":
			v.bad(key+".slack_channel", "slack_channel and slack_webhook_url are mutually exclusive: an incoming webhook posts to its own channel")
		case job.SlackChannel != "" && webhook:
			v.bad(key+".slack_channel", "needs slack.token: an incoming webhook cannot post to another channel (give the job its own slack_webhook_url instead)")
		}
		whKey := key + ".slack_webhook_url"
		switch {
		case v.c.has(whKey) && job.SlackWebhookURL == "":
			v.bad(whKey, "is empty; remove the key to use the global Slack settings")
		case job.SlackWebhookURL != "" && !isWebhookURL(job.SlackWebhookURL.Reveal()):
			v.bad(whKey, "must be an https:// URL (http:// only for 127.0.0.1 or localhost, in tests)")
		case job.SlackWebhookURL != "" && !v.c.has("slack.webhook_url") && !v.c.has("slack.token"):
			// Keys, not values: validate may leave the global secret
			// unresolved (NotifierVarsOptional), which is not this problem.
			v.bad(whKey, "needs slack.webhook_url or slack.token: summaries and the other jobs' alerts go there")
		}
		if job.Mention != "" && !mentionPat.MatchString(job.Mention) {
			v.bad(key+".mention", "must be Slack mentions such as <!here>, <!channel>, <!subteam^S0123>, <@U0123> or <#C0123>")
		}
		// Inherited storm values were checked once under [events].
		if v.c.has(key+".storm_threshold") && job.StormThreshold < 1 {
			v.bad(key+".storm_threshold", "must be at least 1")
		}
		if v.c.has(key+".storm_window") && job.StormWindow.Duration <= 0 {
			v.bad(key+".storm_window", "must be greater than 0")
		}
		for k, code := range job.IgnoreExitCodes {
			if code < 0 || code > 255 {
				v.bad(indexKey(key+".ignore_exit_codes", k), "must be an exit code from 0 to 255")
			}
		}
		tzOK := true
		if job.Timezone != "" {
			if _, err := time.LoadLocation(job.Timezone); err != nil {
				tzOK = false
				v.bad(key+".timezone", `is not a known IANA time zone such as "Asia/Tokyo" or "UTC"`)
			}
			if job.Schedule == "" {
				v.bad(key+".timezone", "has no effect without schedule")
			}
		}
		if job.Schedule != "" && tzOK {
			if _, err := schedule.Parse(job.Schedule, job.Timezone); err != nil {
				// The reason only: Parse's wrapper quotes the expression,
				// and problems never repeat values.
				v.bad(key+".schedule", "%v", cmp.Or(errors.Unwrap(err), err))
			}
		}
		if job.Grace.Duration < 0 {
			v.bad(key+".grace", "must be 0 or more")
		}
		// A rule-named job's schedule may be discovered from EventBridge or
		// Scheduler, and grace applies to it; a family-named job has no
		// schedule unless one is written here.
		if job.Schedule == "" && job.Rule == "" && v.c.has(key+".grace") {
			v.bad(key+".grace", "has no effect without schedule (or rule)")
		}
		if job.MaxDuration.Duration < 0 {
			v.bad(key+".max_duration", "must be 0 (not checked) or more")
		}
		if job.AlertAfterFailures < 1 {
			v.bad(key+".alert_after_failures", "must be at least 1 (1 alerts every failure)")
		}
		switch {
		case job.MinDuration.Duration < 0:
			v.bad(key+".min_duration", "must be 0 (only the usual-duration check) or more")
		case job.MinDuration.Duration > 0 && !job.CheckDuration:
			v.bad(key+".min_duration", "has no effect with check_duration = false")
		}
	}
}

// isHTTPURL reports whether s is an absolute http(s) URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// isWebhookURL allows plain http only to the local machine, where tests run
// a fake Slack; anywhere else the URL is a credential sent in clear text.
func isWebhookURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		h := u.Hostname()
		return h == "127.0.0.1" || h == "localhost" || h == "::1"
	}
	return false
}

func isHostPort(s string) bool {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

// isStatsdAddress accepts what datadog-go's statsd.New does: host:port for
// UDP, or a unix://, unixgram:// or unixstream:// socket path.
func isStatsdAddress(s string) bool {
	for _, prefix := range []string{"unix://", "unixgram://", "unixstream://"} {
		if path, ok := strings.CutPrefix(s, prefix); ok {
			return strings.HasPrefix(path, "/") && len(path) > 1
		}
	}
	host, _, err := net.SplitHostPort(s)
	return err == nil && host != "" && isHostPort(s) && !strings.HasSuffix(s, ":0")
}
