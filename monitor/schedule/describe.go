package schedule

import (
	"fmt"
	"strconv"
	"strings"
)

// Describe puts a schedule expression into words for people ("every 5
// minutes", "daily at 03:00 (Asia/Tokyo)"). Shapes it has no words for
// return "": the expression as written is then all there is to show.
func Describe(expr, timezone string) string {
	expr = strings.TrimSpace(expr)
	tz := timezone
	if tz == "" {
		tz = "UTC"
	}
	if inner, ok := cutCall(expr, "rate"); ok {
		return "every " + strings.TrimSuffix(strings.TrimPrefix(inner, "1 "), "s") + plural(inner)
	}
	if inner, ok := cutCall(expr, "at"); ok {
		return "once, at " + strings.Replace(inner, "T", " ", 1) + " (" + tz + ")"
	}
	var fields []string
	if inner, ok := cutCall(expr, "cron"); ok {
		fields = strings.Fields(inner)
		if len(fields) != 6 || fields[5] != "*" {
			return ""
		}
		fields = fields[:5]
	} else {
		if rest, ok := strings.CutPrefix(expr, "CRON_TZ="); ok {
			zone, spec, found := strings.Cut(rest, " ")
			if !found {
				return ""
			}
			tz, expr = zone, strings.TrimSpace(spec)
		}
		switch expr {
		case "@hourly":
			return "hourly at :00"
		case "@daily", "@midnight":
			return "daily at 00:00 (" + tz + ")"
		}
		if every, ok := strings.CutPrefix(expr, "@every "); ok {
			return "every " + every
		}
		fields = strings.Fields(expr)
		if len(fields) != 5 {
			return ""
		}
	}
	return describeCron(fields, tz)
}

// describeCron words the common 5-field shapes (minute hour dom month dow).
func describeCron(f []string, tz string) string {
	minute, hour, dom, month, dow := f[0], f[1], f[2], f[3], f[4]
	any := func(s string) bool { return s == "*" || s == "?" }
	if !any(month) {
		return ""
	}
	if any(dom) && any(dow) && any(hour) {
		switch {
		case minute == "*":
			return "every minute"
		case strings.HasPrefix(minute, "*/") || strings.HasPrefix(minute, "0/"):
			return "every " + minute[2:] + " minutes"
		case isNumber(minute):
			return fmt.Sprintf("hourly at :%02s", minute)
		}
		return ""
	}
	if !isNumber(minute) || !isNumber(hour) {
		return ""
	}
	m, _ := strconv.Atoi(minute)
	h, _ := strconv.Atoi(hour)
	at := fmt.Sprintf("%02d:%02d (%s)", h, m, tz)
	switch {
	case any(dom) && any(dow):
		return "daily at " + at
	case any(dom):
		return "at " + at + " on " + dow
	case any(dow) && isNumber(dom):
		return "at " + at + " on day " + dom + " of the month"
	}
	return ""
}

func cutCall(expr, name string) (string, bool) {
	inner, ok := strings.CutPrefix(expr, name+"(")
	if !ok || !strings.HasSuffix(inner, ")") {
		return "", false
	}
	return strings.TrimSpace(strings.TrimSuffix(inner, ")")), true
}

// plural restores the unit's "s" for a rate other than 1.
func plural(inner string) string {
	if strings.HasPrefix(inner, "1 ") {
		return ""
	}
	return "s"
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil && s != ""
}
