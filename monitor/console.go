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
	// One builder, not four escapes and their copies: every failure alert
	// with a log link makes one.
	base, qregion := c.base(region), url.QueryEscape(region)
	var b strings.Builder
	b.Grow(len(base) + len(qregion) + 64 + 5*(len(group)+len(stream)))
	b.WriteString(base)
	b.WriteString("/cloudwatch/home?region=")
	b.WriteString(qregion)
	b.WriteString("#logsV2:log-groups/log-group/")
	writeConsoleEscaped(&b, group)
	if stream != "" {
		b.WriteString("/log-events/")
		writeConsoleEscaped(&b, stream)
	}
	return b.String()
}

// writeConsoleEscaped writes s query-escaped twice with '%' written as '$':
// an unreserved byte stays, a space becomes "$2B" ('+', escaped), any other
// byte "$25" and its two hex digits ('%XX', escaped).
func writeConsoleEscaped(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == ' ':
			b.WriteString("$2B")
		default:
			b.WriteString("$25")
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
}
