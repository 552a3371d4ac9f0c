package config

import "fmt"

// LogAttrs returns slog attributes (key, value pairs for logger.Info) describing what is configured, for one
// start-up log line. It names transports, never secrets.
func (c *Config) LogAttrs() []any {
	names := make([]string, len(c.Clusters))
	jobs := 0
	for i, cl := range c.Clusters {
		names[i] = cl.Region + "/" + cl.Name
		jobs += len(cl.Jobs)
	}
	slack := "off (log only)"
	switch {
	case c.Slack.WebhookURL != "":
		slack = "webhook"
	case c.Slack.Token != "":
		slack = fmt.Sprintf("token, channel %s", c.Slack.Channel)
	}
	datadog := "off"
	if c.Datadog.Address != "" {
		datadog = c.Datadog.Address
	}
	events := "off (polling only)"
	if c.Events.Enabled() {
		events = fmt.Sprintf("%d receivers in %s", c.Events.Receivers, c.Events.Region)
	}
	health := "off"
	if c.Health.Listen != "" {
		health = c.Health.Listen
	}
	return []any{
		"config", c.File,
		"clusters", names,
		"jobs", jobs,
		"slack", slack,
		"datadog", datadog,
		"events", events,
		"summary", c.Summary.Schedule,
		"health", health,
	}
}
