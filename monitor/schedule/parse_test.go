package schedule

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	cases := []struct {
		expr, tz    string
		want        string // must appear in the error
		unsupported bool   // whether the error wraps ErrUnsupported
	}{
		{"", "", "expression is empty", false},
		{"cron(0 3 * * *)", "", "cron() needs 6 fields", false},
		{"cron(0 3 * * ? *", "", "missing its closing parenthesis", false},
		{"cron(0 3 * * (?) *)", "", "unexpected parenthesis", false},
		{"cron(0 3 * * * *)", "", "both day-of-month and day-of-week are set; one must be ?", false},
		{"cron(0 3 1 * 2 *)", "", "both day-of-month and day-of-week are set; one must be ?", false},
		{"cron(0 3 ? * ? *)", "", "both day-of-month and day-of-week are ?; exactly one must be ?", false},
		{"cron(0 3 ? * 8 *)", "", "day-of-week: 8 is out of range 1-7", false},
		{"cron(0 3 ? * 0 *)", "", "day-of-week: 0 is out of range 1-7", false},
		{"cron(0 3 ? * MON-FUN *)", "", `day-of-week: "FUN" is not a number or a name (SUN-SAT)`, false},
		{"cron(60 3 * * ? *)", "", "minutes: 60 is out of range 0-59", false},
		{"cron(0 24 * * ? *)", "", "hours: 24 is out of range 0-23", false},
		{"cron(0 3 32 * ? *)", "", "day-of-month: 32 is out of range 1-31", false},
		{"cron(0 3 0 * ? *)", "", "day-of-month: 0 is out of range 1-31", false},
		{"cron(0 3 * 13 ? *)", "", "month: 13 is out of range 1-12", false},
		{"cron(0 3 * FOO ? *)", "", `month: "FOO" is not a number or a name (JAN-DEC)`, false},
		{"cron(0 3 * * ? 1969)", "", "year: 1969 is out of range 1970-2199", false},
		{"cron(0 3 * * ? 2200)", "", "year: 2200 is out of range 1970-2199", false},
		{"cron(0 3 * * ? 99999999999999999999)", "", "year: 99999999999999999999 is out of range", false},
		{"cron(0 HALF * * ? *)", "", `hours: "HALF" is not a number`, false},
		{"cron(+5 3 * * ? *)", "", `minutes: "+5" is not a number`, false},
		{"cron(0,,5 3 * * ? *)", "", "minutes: empty value in list", false},
		{"cron(0/0 3 * * ? *)", "", "the step after / must be a positive number", false},
		{"cron(0/x 3 * * ? *)", "", "the step after / must be a positive number", false},
		{"cron(? 3 * * ? *)", "", "minutes: ? is only allowed in day-of-month or day-of-week", false},
		{"cron(0 3 * * ? ?)", "", "year: ? is only allowed", false},
		{"cron(0 3 ? * */2 *)", "", "day-of-week: \"*/2\": / is not allowed here", false},
		{"cron(0 3 ? * 3#1,6#3 *)", "", "only one # expression is allowed", false},
		{"cron(0 3 ? * 3#6 *)", "", "the number after # must be 1-5", false},
		{"cron(0 3 ? * 3#0 *)", "", "the number after # must be 1-5", false},
		{"cron(0 3 ? * 9#2 *)", "", "day-of-week: 9 is out of range 1-7", false},
		{"cron(0 3 ? * 1,L *)", "", "L must be used alone", false},
		{"cron(0 3 ? * 8L *)", "", "day-of-week: 8 is out of range 1-7", false},
		{"cron(0 3 1,L * ? *)", "", "L and W must be used alone", false},
		{"cron(0 3 1-5W * ? *)", "", "W takes a single day", false},
		{"cron(0 3 32W * ? *)", "", "day-of-month: 32 is out of range 1-31", false},
		// Valid for AWS (or at least not documented as invalid) but not
		// evaluated exactly: refused rather than guessed.
		{"cron(0 3 L-3 * ? *)", "", "only L and LW are evaluated", true},
		{"cron(0 3 30W * ? *)", "", "30W in FEB, which can be shorter than 30 days", true},
		{"cron(0 3 31W * ? *)", "", "31W in FEB,APR,JUN,SEP,NOV", true},
		{"cron(0 3 29W 2 ? *)", "", "29W in FEB", true},
		{"cron(0 22-2 * * ? *)", "", `hours: range "22-2" wraps around`, true},
		{"cron(0 3 ? * FRI-MON *)", "", "wraps around", true},
		{"rate(1 hours)", "", "a value of 1 takes the singular unit (hour)", false},
		{"rate(5 minute)", "", "a value of 5 takes the plural unit (minutes)", false},
		{"rate(0 minutes)", "", "must be a positive whole number", false},
		{"rate(-5 minutes)", "", "must be a positive whole number", false},
		{"rate(1.5 hours)", "", "must be a positive whole number", false},
		{"rate(5 weeks)", "", `unit "weeks" must be minute(s), hour(s) or day(s)`, false},
		{"rate(5)", "", "rate() needs a value and a unit", false},
		{"rate(9999999999999 days)", "", "is too long", false},
		{"at(2026-13-01T09:00:00)", "", "at(): \"2026-13-01T09:00:00\" is not yyyy-mm-ddThh:mm:ss", false},
		{"at(2026-02-30T09:00:00)", "", "is not yyyy-mm-ddThh:mm:ss", false},
		{"at(2026-12-01 09:00:00)", "", "is not yyyy-mm-ddThh:mm:ss", false},
		{"at(2026-12-01T09:00:00.5)", "", "unexpected text after the seconds", false},
		{"at(2026-03-08T02:30:00)", "America/New_York", "does not exist in America/New_York", true},
		{"0 3 * * 7", "", "not a robfig/cron spec", false},
		{"0 3 * *", "", "not a robfig/cron spec", false},
		{"@fortnightly", "", "not a robfig/cron spec", false},
		{"@every 30s", "", "intervals below 1 minute are not supported", false},
		{"@every -5m", "", "intervals below 1 minute are not supported", false},
		// robfig/cron v3.0.1 panics (slice bounds) on a prefix without a space.
		{"CRON_TZ=Asia/Tokyo", "", "must be followed by a space and a spec", false},
		{"TZ=", "", "must be followed by a space and a spec", false},
		{"CRON_TZ=Asia/Tokyo 0 9 * * *", "Europe/Berlin", `CRON_TZ=Asia/Tokyo conflicts with timezone "Europe/Berlin"`, false},
		{"CRON_TZ=Asia/Tokyo cron(0 3 * * ? *)", "", "only for robfig specs", false},
		{"CRON_TZ=Local 0 9 * * *", "", "depends on the host", false},
		{"cron(0 3 * * ? *)", "Mars/Olympus_Mons", `load timezone "Mars/Olympus_Mons"`, false},
		{"cron(0 3 * * ? *)", "Local", "depends on the host", false},
	}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			s, err := Parse(tc.expr, tc.tz)
			if err == nil {
				t.Fatalf("Parse(%q, %q) = %v, want an error containing %q", tc.expr, tc.tz, s, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), "parse schedule") {
				t.Errorf("error %q does not say what was attempted", err)
			}
			if got := errors.Is(err, ErrUnsupported); got != tc.unsupported {
				t.Errorf("errors.Is(err, ErrUnsupported) = %v, want %v (err: %v)", got, tc.unsupported, err)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	for _, expr := range []string{
		"cron(0 3 * * ? *)",
		"cron(0 3 ? * * *)",
		"  cron(0 3 * * ? *)  ",
		"cron(0  3 *  * ? *)",
		"cron(0 10 ? * MON-FRI *)",
		"cron(0 10 ? * mon-fri *)",
		"cron(0 10 ? JAN-MAR,OCT/2 2-6 2026-2030,2040/5)",
		"cron(0 0 15W * ? *)",
		"cron(0 0 28W * ? *)",
		"cron(0 0 LW * ? *)",
		"cron(0 0 L * ? *)",
		"cron(0 0 ? * L *)",
		"cron(0 0 ? * 6L *)",
		"cron(0 0 ? * FRIL *)",
		"cron(0 0 ? * MON#1 *)",
		"cron(0/5 8-17/2 * * ? *)",
		"cron(*/5 * * * ? *)",
		"cron(59 23 31 12 ? 2199)",
		"rate(1 minute)",
		"rate(1 hour)",
		"rate(1 day)",
		"rate(15 minutes)",
		"rate(12 hours)",
		"rate(7 days)",
		"at(2026-12-01T09:00:00)",
		"*/5 * * * *",
		"0 9 * * MON-FRI",
		"@hourly",
		"@every 1h30m",
		"TZ=Asia/Tokyo @daily",
	} {
		if _, err := Parse(expr, ""); err != nil {
			t.Errorf("Parse(%q): %v", expr, err)
		}
	}
}
