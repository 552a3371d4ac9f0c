package monitor

import (
	"strconv"
	"strings"
	"time"
)

// TimeLayout is the one way a time is written in anything people read:
// messages, summaries and log-facing text. The zone is always shown; a
// notifier may render in another zone (summary.schedule's CRON_TZ) with the
// same layout.
const TimeLayout = "2006-01-02 15:04:05 MST"

// Plural writes a count with its noun: "1 failure", "8 failures". Nouns
// whose plural is not noun+"s" pass it as the optional third argument.
func Plural(n int, noun string, plural ...string) string {
	if n == 1 {
		return "1 " + noun
	}
	p := noun + "s"
	if len(plural) > 0 {
		p = plural[0]
	}
	return strconv.Itoa(n) + " " + p
}

// FormatDuration writes a duration for people: to the second (to the
// millisecond below one), without zero tails ("5m", not "5m0s"; "1h", not
// "1h0m0s"). Sub-second precision is noise for cron jobs.
func FormatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	}
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
