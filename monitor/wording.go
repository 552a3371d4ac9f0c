package monitor

import "strconv"

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
