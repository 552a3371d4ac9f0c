package schedule

import (
	"errors"
	"testing"
)

// 2026 transitions: America/New_York springs forward on Sun 8 March
// (02:00 EST -> 03:00 EDT) and falls back on Sun 1 November (02:00 EDT ->
// 01:00 EST); Europe/Berlin on Sun 29 March (02:00 CET -> 03:00 CEST) and
// Sun 25 October (03:00 CEST -> 02:00 CET). AWS Scheduler skips a wall time
// that does not exist and runs a repeated one once.
func TestNextDST(t *testing.T) {
	runNextCases(t, []nextCase{
		{"NY gap: 02:30 does not exist on 8 March, skipped", "cron(30 2 * * ? *)", "America/New_York", "2026-03-07T12:00:00-05:00",
			[]string{"2026-03-09T02:30:00-04:00", "2026-03-10T02:30:00-04:00"}},
		{"NY gap: hourly jumps from 01:00 EST to 03:00 EDT", "cron(0 * * * ? *)", "America/New_York", "2026-03-08T00:30:00-05:00",
			[]string{"2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"}},
		{"NY gap: times after the gap keep their wall clock", "cron(0 9 * * ? *)", "America/New_York", "2026-03-07T10:00:00-05:00",
			[]string{"2026-03-08T09:00:00-04:00", "2026-03-09T09:00:00-04:00"}},
		{"NY overlap: 01:30 runs once, at its first occurrence", "cron(30 1 * * ? *)", "America/New_York", "2026-10-31T12:00:00-04:00",
			[]string{"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"}},
		{"NY overlap: inside the repeated hour, 01:30 is not due again", "cron(30 1 * * ? *)", "America/New_York", "2026-11-01T01:45:00-04:00",
			[]string{"2026-11-02T01:30:00-05:00"}},
		{"NY overlap: from the second 01:15 (EST) as well", "cron(30 1 * * ? *)", "America/New_York", "2026-11-01T01:15:00-05:00",
			[]string{"2026-11-02T01:30:00-05:00"}},
		{"NY overlap: every 30 minutes does not repeat the hour", "cron(0/30 * * * ? *)", "America/New_York", "2026-11-01T00:45:00-04:00",
			[]string{"2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-01T02:00:00-05:00", "2026-11-01T02:30:00-05:00"}},
		{"Berlin overlap: 02:30 on 25 October runs once", "cron(30 2 * * ? *)", "Europe/Berlin", "2026-10-24T12:00:00+02:00",
			[]string{"2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"}},
		{"Berlin gap: Sunday 02:30 on 29 March is skipped", "cron(30 2 ? * SUN *)", "Europe/Berlin", "2026-03-28T00:00:00+01:00",
			[]string{"2026-04-05T02:30:00+02:00"}},
		{"always in the gap: second Sunday of March 02:30 never fires", "cron(30 2 ? 3 1#2 2026-2030)", "America/New_York", "2026-01-01T00:00:00-05:00",
			[]string{""}},
		// Lord Howe falls back half an hour on Sun 5 April 2026: 02:00
		// (+11:00) -> 01:30 (+10:30), so 01:30-01:59 repeats.
		{"Lord Howe half-hour overlap runs once", "cron(0/15 1 * * ? *)", "Australia/Lord_Howe", "2026-04-05T00:50:00+11:00",
			[]string{"2026-04-05T01:00:00+11:00", "2026-04-05T01:15:00+11:00", "2026-04-05T01:30:00+11:00",
				"2026-04-05T01:45:00+11:00", "2026-04-06T01:00:00+10:30"}},
		{"robfig spec follows the same rule: once in the overlap", "30 1 * * *", "America/New_York", "2026-10-31T12:00:00-04:00",
			[]string{"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"}},
		{"at() in the overlap is the first occurrence", "at(2026-11-01T01:30:00)", "America/New_York", "2026-10-01T00:00:00Z",
			[]string{"2026-11-01T01:30:00-04:00", ""}},
		// Scheduler: rate(n days) is 24 hours after the last invocation,
		// so the wall time shifts by an hour across the transition.
		{"rate(1 day) is 24 hours across spring-forward", "rate(1 day)", "America/New_York", "2026-03-07T09:00:00-05:00",
			[]string{"2026-03-08T10:00:00-04:00"}},
	})
}

func TestAtInDSTGapIsUnsupported(t *testing.T) {
	_, err := Parse("at(2026-03-08T02:30:00)", "America/New_York")
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("err = %v, want ErrUnsupported", err)
	}
}
