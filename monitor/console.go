package monitor

import (
	"net/url"
	"strings"
)

// globalConsole is the AWS console's global address; links made for it go
// to the regional host instead, which opens the page without a redirect.
const globalConsole = "https://console.aws.amazon.com"

// Console builds links into the AWS console, the one place that knows its
// URL shapes. Base "" means the real console; any other value (the demo,
// tests, a proxy) is used as given.
type Console struct{ Base string }

func (c Console) base(region string) string {
	b := strings.TrimSuffix(c.Base, "/")
	if b == "" || b == globalConsole {
		if region == "" {
			return globalConsole
		}
		return "https://" + url.PathEscape(region) + ".console.aws.amazon.com"
	}
	return b
}

// TaskURL is the console page of one ECS task.
func (c Console) TaskURL(region, cluster, taskARN string) string {
	u := c.base(region) + "/ecs/v2/clusters/" + url.PathEscape(cluster) + "/tasks/" + url.PathEscape(ShortID(taskARN)) + "/configuration"
	if region != "" {
		u += "?region=" + url.QueryEscape(region)
	}
	return u
}

// LogsURL is a CloudWatch Logs page: a log group, or one stream of it when
// stream is not empty. The console's logsV2 fragment wants each name
// query-escaped twice with '%' written as '$' ("/" becomes "$252F"); that
// is the convention the console itself produces.
func (c Console) LogsURL(region, group, stream string) string {
	u := c.base(region) + "/cloudwatch/home?region=" + url.QueryEscape(region) +
		"#logsV2:log-groups/log-group/" + consoleEscape(group)
	if stream != "" {
		u += "/log-events/" + consoleEscape(stream)
	}
	return u
}

func consoleEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(url.QueryEscape(s)), "%", "$")
}
