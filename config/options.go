package config

import "strings"

// LoadOption changes how Load and Parse treat a file.
type LoadOption func(*loadOptions)

type loadOptions struct {
	notifierVarsOptional bool
}

// NotifierVarsOptional is for the commands that deliver nothing (validate,
// once, healthcheck): a ${VAR} in a notifier setting whose variable is not
// set is not a problem. The setting is left empty, so that notifier is off,
// and named in Config.Unresolved. Notifier settings are those only the
// notifiers read: slack.*, datadog.*, heartbeat.url, and a job's
// slack_channel, mention and slack_webhook_url. Every other unset variable is still a problem, and
// `run` (which loads without this option) still fails on any.
func NotifierVarsOptional() LoadOption {
	return func(o *loadOptions) { o.notifierVarsOptional = true }
}

// isNotifierKey reports whether a key path (see problem.go) is a notifier
// setting.
func isNotifierKey(key string) bool {
	if strings.HasPrefix(key, "slack.") || strings.HasPrefix(key, "datadog.") || key == "heartbeat.url" {
		return true
	}
	if !strings.HasPrefix(key, "cluster[") || !strings.Contains(key, ".job[") {
		return false
	}
	switch key[strings.LastIndex(key, ".")+1:] {
	case "slack_channel", "mention", "slack_webhook_url":
		return true
	}
	return false
}
