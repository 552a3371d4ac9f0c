package config

import "testing"

// TestValidation checks each rule on its own: a snippet, and the one problem
// it must produce, at its line. Snippets after `cluster` start at line 4.
func TestValidation(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		env  env
		want want
	}{
		{"no cluster", "[health]\n", nil, want{0, "cluster", "at least one [[cluster]]"}},
		{"heartbeat url http", "[heartbeat]\nurl = \"http://hc-ping.com/x\"\n" + cluster, nil, want{2, "heartbeat.url", "https://"}},
		{"heartbeat interval", "[heartbeat]\ninterval = \"0s\"\n" + cluster, nil, want{2, "heartbeat.interval", "at least 1s"}},
		{"config_refresh too short", "config_refresh = \"1s\"\n" + cluster, nil, want{1, "config_refresh", "at least 10s"}},
		{"cluster name missing", "[[cluster]]\nregion = \"us-east-1\"\n", nil, want{1, "cluster[0].name", "is required"}},
		{"cluster name invalid", "[[cluster]]\nname = \"a b\"\nregion = \"us-east-1\"\n", nil, want{2, "cluster[0].name", "ECS cluster name"}},
		{"cluster name duplicate", cluster + cluster, nil, want{5, "cluster[1].name", "duplicate cluster name (also cluster[0])"}},
		{"region missing, no AWS_REGION", "[[cluster]]\nname = \"a\"\n", nil, want{1, "cluster[0].region", "or set AWS_REGION"}},
		{"region invalid", "[[cluster]]\nname = \"a\"\nregion = \"Tokyo\"\n", nil, want{3, "cluster[0].region", "AWS region"}},
		{"role_arn", cluster + "role_arn = \"arn:aws:iam::123456789012:user/x\"\n", nil, want{4, "cluster[0].role_arn", "IAM role ARN"}},
		{"external_id without role", cluster + "external_id = \"ext-123\"\n", nil, want{4, "cluster[0].external_id", "needs role_arn"}},
		{"external_id invalid", cluster + "role_arn = \"arn:aws:iam::123456789012:role/r\"\nexternal_id = \"a b\"\n", nil, want{5, "cluster[0].external_id", "2 to 1224"}},
		{"account_alias invalid", cluster + "account_alias = \"prod account\"\n", nil, want{4, "cluster[0].account_alias", "1 to 63"}},
		{"task_limit 0", cluster + "task_limit = 0\n", nil, want{4, "cluster[0].task_limit", "greater than 0"}},
		{"warn_percent 0", cluster + "warn_percent = 0\n", nil, want{4, "cluster[0].warn_percent", "greater than 0"}},
		{"warn >= critical", cluster + "warn_percent = 95\n", nil, want{4, "cluster[0].warn_percent", "less than critical_percent"}},
		{"critical > 100", cluster + "critical_percent = 100.5\n", nil, want{4, "cluster[0].critical_percent", "at most 100"}},
		{"cluster max_concurrent < 0", cluster + "max_concurrent = -1\n", nil, want{4, "cluster[0].max_concurrent", "0 (not checked) or more"}},
		{"poll_interval < 1s", cluster + "poll_interval = \"999ms\"\n", nil, want{4, "cluster[0].poll_interval", "at least 1s"}},
		{"renotify < poll", cluster + "poll_interval = \"2h\"\n", nil, want{1, "cluster[0].renotify_interval", "at least poll_interval"}},
		{"schedule_refresh 0", cluster + "schedule_refresh = \"0s\"\n", nil, want{4, "cluster[0].schedule_refresh", "at least 1s"}},
		{"sidecar empty", cluster + "sidecars = [\"a\", \" \"]\n", nil, want{4, "cluster[0].sidecars[1]", "container name"}},

		{"job without name", cluster + "[[cluster.job]]\nmention = \"<!here>\"\n", nil, want{4, "cluster[0].job[0]", "needs family"}},
		{"job both names", cluster + "[[cluster.job]]\nfamily = \"a\"\nrule = \"b\"\n", nil, want{6, "cluster[0].job[0].rule", "not both"}},
		{"job duplicate rule", cluster + "job = [{rule = \"r\"},\n  {rule = \"r\"}]\n", nil, want{5, "cluster[0].job[1].rule", "duplicate job"}},
		{"job max_concurrent < 0", cluster + "[[cluster.job]]\nfamily = \"a\"\nmax_concurrent = -2\n", nil, want{6, "cluster[0].job[0].max_concurrent", "or more"}},
		{"job mention", cluster + "[[cluster.job]]\nfamily = \"a\"\nmention = \"@channel\"\n", nil, want{6, "cluster[0].job[0].mention", "Slack mentions"}},
		{"job storm_threshold 0", cluster + "[[cluster.job]]\nfamily = \"a\"\nstorm_threshold = 0\n", nil, want{6, "cluster[0].job[0].storm_threshold", "at least 1"}},
		{"job storm_window 0", cluster + "[[cluster.job]]\nfamily = \"a\"\nstorm_window = \"0s\"\n", nil, want{6, "cluster[0].job[0].storm_window", "greater than 0"}},
		{"job exit code", cluster + "[[cluster.job]]\nfamily = \"a\"\nignore_exit_codes = [-1]\n", nil, want{6, "cluster[0].job[0].ignore_exit_codes[0]", "0 to 255"}},
		{"job timezone unknown", cluster + "[[cluster.job]]\nfamily = \"a\"\nschedule = \"@daily\"\ntimezone = \"Asia/Tokio\"\n", nil, want{7, "cluster[0].job[0].timezone", "IANA"}},
		{"job timezone without schedule", cluster + "[[cluster.job]]\nfamily = \"a\"\ntimezone = \"UTC\"\n", nil, want{6, "cluster[0].job[0].timezone", "without schedule"}},
		{"job grace < 0", cluster + "[[cluster.job]]\nfamily = \"a\"\nschedule = \"@daily\"\ngrace = \"-1s\"\n", nil, want{7, "cluster[0].job[0].grace", "0 or more"}},
		{"job max_duration < 0", cluster + "[[cluster.job]]\nfamily = \"a\"\nmax_duration = \"-1h\"\n", nil, want{6, "cluster[0].job[0].max_duration", "or more"}},
		{"job alert_after_failures 0", cluster + "[[cluster.job]]\nfamily = \"a\"\nalert_after_failures = 0\n", nil, want{6, "cluster[0].job[0].alert_after_failures", "at least 1"}},
		{"job min_duration < 0", cluster + "[[cluster.job]]\nfamily = \"a\"\nmin_duration = \"-1s\"\n", nil, want{6, "cluster[0].job[0].min_duration", "or more"}},
		{"job min_duration without check", cluster + "[[cluster.job]]\nfamily = \"a\"\ncheck_duration = false\nmin_duration = \"1m\"\n", nil, want{7, "cluster[0].job[0].min_duration", "no effect"}},
		{"job slack_channel with webhook", "[slack]\nwebhook_url = \"https://hooks.slack.com/x\"\n" + cluster + "[[cluster.job]]\nfamily = \"a\"\nslack_channel = \"C1\"\n", nil, want{8, "cluster[0].job[0].slack_channel", "needs slack.token"}},

		{"webhook and token", "[slack]\nwebhook_url = \"https://hooks.slack.com/x\"\ntoken = \"xoxb-x\"\nchannel = \"C1\"\n" + cluster, nil, want{3, "slack.token", "mutually exclusive"}},
		{"token without channel", "[slack]\ntoken = \"xoxb-x\"\n" + cluster, nil, want{1, "slack.channel", "required with token"}},
		{"channel with webhook", "[slack]\nwebhook_url = \"https://hooks.slack.com/x\"\nchannel = \"C1\"\n" + cluster, nil, want{3, "slack.channel", "no effect with webhook_url"}},
		{"job webhook with slack_channel", "[slack]\ntoken = \"xoxb-x\"\nchannel = \"C1\"\n" + cluster + "[[cluster.job]]\nfamily = \"a\"\nslack_channel = \"C2\"\nslack_webhook_url = \"https://hooks.slack.com/services/T/B/x\"\n", nil, want{9, "cluster[0].job[0].slack_channel", "mutually exclusive"}},
		{"job webhook not a URL", "[slack]\nwebhook_url = \"https://hooks.slack.com/x\"\n" + cluster + "[[cluster.job]]\nfamily = \"a\"\nslack_webhook_url = \"http://hooks.slack.com/services/T/B/x\"\n", nil, want{8, "cluster[0].job[0].slack_webhook_url", "https://"}},
		{"job webhook empty from env", "[slack]\nwebhook_url = \"https://hooks.slack.com/x\"\n" + cluster + "[[cluster.job]]\nfamily = \"a\"\nslack_webhook_url = \"${JOB_HOOK}\"\n", env{"JOB_HOOK": ""}, want{8, "cluster[0].job[0].slack_webhook_url", "is empty"}},
		{"job webhook without Slack", cluster + "[[cluster.job]]\nfamily = \"a\"\nslack_webhook_url = \"https://hooks.slack.com/services/T/B/x\"\n", nil, want{6, "cluster[0].job[0].slack_webhook_url", "needs slack.webhook_url or slack.token"}},
		{"webhook http remote", "[slack]\nwebhook_url = \"http://hooks.slack.com/x\"\n" + cluster, nil, want{2, "slack.webhook_url", "https://"}},
		{"webhook not a URL", "[slack]\nwebhook_url = \"hooks.slack.com/x\"\n" + cluster, nil, want{2, "slack.webhook_url", "https://"}},
		{"webhook empty from env", "[slack]\nwebhook_url = \"${HOOK}\"\n" + cluster, env{"HOOK": ""}, want{2, "slack.webhook_url", "is empty; remove the key"}},
		{"api_url", "[slack]\ntoken = \"xoxb-x\"\nchannel = \"C1\"\napi_url = \"ftp://x\"\n" + cluster, nil, want{4, "slack.api_url", "http:// or https://"}},
		{"console_url", "[slack]\nconsole_url = \"console\"\n" + cluster, nil, want{2, "slack.console_url", "http:// or https://"}},
		{"datadog address no port", "[datadog]\naddress = \"localhost\"\n" + cluster, nil, want{2, "datadog.address", "host:port"}},
		{"datadog relative socket", "[datadog]\naddress = \"unix://dsd.socket\"\n" + cluster, nil, want{2, "datadog.address", "host:port"}},
		{"datadog tag", "[datadog]\naddress = \"127.0.0.1:8125\"\ntags = [\"a:b\", \"\"]\n" + cluster, nil, want{3, "datadog.tags[1]", "non-empty"}},
		{"summary schedule 6 fields", "[summary]\nschedule = \"0 */15 * * * *\"\n" + cluster, nil, want{2, "summary.schedule", "not a valid schedule"}},
		{"events queue_url", "[events]\nqueue_url = \"sqs/queue\"\nregion = \"us-east-1\"\n" + cluster, nil, want{2, "events.queue_url", "queue URL"}},
		{"events region unknown", "[events]\nqueue_url = \"http://127.0.0.1:9/q\"\n" + cluster + cluster[:12] + "name = \"b\"\nregion = \"eu-west-1\"\n", nil, want{1, "events.region", "is required"}},
		{"events receivers 0", "[events]\nreceivers = 0\n" + cluster, nil, want{2, "events.receivers", "between 1 and 10"}},
		{"events visibility too long", "[events]\nvisibility_timeout = \"13h\"\n" + cluster, nil, want{2, "events.visibility_timeout", "between 1s and 12h"}},
		{"events visibility fraction", "[events]\nvisibility_timeout = \"1.5s\"\n" + cluster, nil, want{2, "events.visibility_timeout", "whole number of seconds"}},
		{"events wait_time negative", "[events]\nwait_time = \"-1s\"\n" + cluster, nil, want{2, "events.wait_time", "between 0s and 20s"}},
		{"events storm_threshold", "[events]\nstorm_threshold = 0\n" + cluster, nil, want{2, "events.storm_threshold", "at least 1"}},
		{"events storm_window", "[events]\nstorm_window = \"0s\"\n" + cluster, nil, want{2, "events.storm_window", "greater than 0"}},
		{"events rollup_interval", "[events]\nrollup_interval = \"0s\"\n" + cluster, nil, want{2, "events.rollup_interval", "greater than 0"}},
		{"events scheduler_dlq_url", "[events]\nscheduler_dlq_url = \"queue\"\n" + cluster, nil, want{2, "events.scheduler_dlq_url", "SQS queue URL"}},
		{"events region for the scheduler DLQ", "[events]\nscheduler_dlq_url = \"http://127.0.0.1:9/q\"\n" + cluster + cluster[:12] + "name = \"b\"\nregion = \"eu-west-1\"\n", nil, want{1, "events.region", "required with scheduler_dlq_url"}},
		{"quota warn_percent 0", "[quota]\nwarn_percent = 0\n" + cluster, nil, want{2, "quota.warn_percent", "greater than 0"}},
		{"quota critical below warn", "[quota]\nwarn_percent = 90\ncritical_percent = 85\n" + cluster, nil, want{3, "quota.critical_percent", "not be below warn_percent"}},
		{"quota critical > 100", "[quota]\ncritical_percent = 101\n" + cluster, nil, want{2, "quota.critical_percent", "at most 100"}},
		{"quota renotify negative", "[quota]\nrenotify_interval = \"-1m\"\n" + cluster, nil, want{2, "quota.renotify_interval", "not be negative"}},
		{"health listen", "[health]\nlisten = \"localhost\"\n" + cluster, nil, want{2, "health.listen", "host:port"}},
		{"shutdown timeout 0", "[shutdown]\ntimeout = \"0s\"\n" + cluster, nil, want{2, "shutdown.timeout", "greater than 0"}},
		{"state backend", "[state]\nbackend = \"redis\"\n" + cluster, nil, want{2, "state.backend", `"memory" or "dynamodb"`}},
		{"state table missing", "[state]\nbackend = \"dynamodb\"\n" + cluster, nil, want{1, "state.table", "is required"}},
		{"state region", "[state]\nbackend = \"dynamodb\"\ntable = \"t\"\nregion = \"Tokyo\"\n" + cluster, nil, want{4, "state.region", "AWS region"}},
		{"state renew too slow", "[state]\nbackend = \"dynamodb\"\ntable = \"t\"\nrenew_interval = \"15s\"\n" + cluster, nil, want{4, "state.renew_interval", "less than half of lease_duration"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseString(t, tt.doc, tt.env)
			assertProblems(t, err, "test.toml", tt.want)
		})
	}
}

func TestValidConfigs(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"log only: neither Slack nor Datadog", cluster},
		{"job webhook beside the global webhook", "[slack]\nwebhook_url = \"https://hooks.slack.com/services/T/B/a\"\n" + cluster + "[[cluster.job]]\nrule = \"r\"\nslack_webhook_url = \"https://hooks.slack.com/services/T/B/b\"\n"},
		{"job webhook beside a token", "[slack]\ntoken = \"xoxb-1\"\nchannel = \"#ops\"\n" + cluster + "[[cluster.job]]\nrule = \"r\"\nslack_webhook_url = \"https://hooks.slack.com/services/T/B/b\"\n"},
		{"token with channel", "[slack]\ntoken = \"xoxb-1\"\nchannel = \"#ops\"\n" + cluster + "[[cluster.job]]\nrule = \"r\"\nslack_channel = \"C2\"\n"},
		{"webhook on localhost over http", "[slack]\nwebhook_url = \"http://127.0.0.1:4567/hook\"\n" + cluster},
		{"datadog unix socket", "[datadog]\naddress = \"unix:///var/run/datadog/dsd.socket\"\n" + cluster},
		{"summary cron with zone", "[summary]\nschedule = \"CRON_TZ=UTC 0 9 * * 1-5\"\n" + cluster},
		{"mentions", cluster + "[[cluster.job]]\nfamily = \"a\"\nmention = \"<!subteam^S0AB|@oncall> <@U0123> <#C0123> <!here>\"\n"},
		{"cluster ARN and GovCloud role", "[[cluster]]\nname = \"arn:aws:ecs:us-east-1:123456789012:cluster/cron\"\nregion = \"us-gov-west-1\"\nrole_arn = \"arn:aws-us-gov:iam::123456789012:role/path/mon\"\n"},
		{"same family in two clusters", cluster + "job = [{family = \"a\"}]\n[[cluster]]\nname = \"b\"\nregion = \"us-east-1\"\njob = [{family = \"a\"}]\n"},
		{"family and rule with the same name", cluster + "job = [{family = \"a\"}, {rule = \"a\"}]\n"},
		{"timezone with schedule", cluster + "[[cluster.job]]\nrule = \"r\"\nschedule = \"cron(0 3 * * ? *)\"\ntimezone = \"Asia/Tokyo\"\n"},
		{"health off", "[health]\nlisten = \"\"\n" + cluster},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustParse(t, tt.doc, nil)
		})
	}
}

func TestInheritedStormProblemReportedOnce(t *testing.T) {
	_, err := parseString(t, "[events]\nstorm_threshold = 0\n"+cluster+"job = [{family = \"a\"}, {family = \"b\"}]\n", nil)
	assertProblems(t, err, "test.toml", want{2, "events.storm_threshold", "at least 1"})
}
