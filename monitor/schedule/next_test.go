package schedule

import (
	"testing"
	"time"
	_ "time/tzdata" // tests must not depend on the host's zoneinfo
)

// mustTime parses an RFC 3339 time or fails the test.
func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return v
}

// nextCase lists the successive fire times after from; "" means the zero time.
type nextCase struct {
	name, expr, tz, from string
	want                 []string
}

func runNextCases(t *testing.T, cases []nextCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.expr, tc.tz)
			if err != nil {
				t.Fatalf("Parse(%q, %q): %v", tc.expr, tc.tz, err)
			}
			at := mustTime(t, tc.from)
			for i, w := range tc.want {
				got := s.Next(at)
				if w == "" {
					if !got.IsZero() {
						t.Fatalf("Next #%d after %s = %s, want the zero time", i+1, at, got)
					}
					return
				}
				want := mustTime(t, w)
				if !got.Equal(want) {
					t.Fatalf("Next #%d after %s = %s (%s UTC), want %s", i+1, at, got, got.UTC().Format(time.RFC3339), w)
				}
				at = got
			}
		})
	}
}

// The expected times below were worked out by hand from a printed calendar
// and the AWS cron reference, not produced by this package.
func TestNextAWSCron(t *testing.T) {
	runNextCases(t, []nextCase{
		{"daily 03:00 UTC", "cron(0 3 * * ? *)", "", "2026-03-10T12:00:00Z",
			[]string{"2026-03-11T03:00:00Z", "2026-03-12T03:00:00Z"}},
		{"strictly after a fire time", "cron(0 3 * * ? *)", "", "2026-03-11T03:00:00Z",
			[]string{"2026-03-12T03:00:00Z"}},
		{"seconds past a fire time", "cron(0 3 * * ? *)", "", "2026-03-11T02:59:59Z",
			[]string{"2026-03-11T03:00:00Z"}},
		{"daily 03:00 Asia/Tokyo", "cron(0 3 * * ? *)", "Asia/Tokyo", "2026-03-10T12:00:00Z",
			[]string{"2026-03-11T03:00:00+09:00", "2026-03-12T03:00:00+09:00"}},
		{"every 15 minutes", "cron(0/15 * * * ? *)", "", "2026-03-10T12:07:30Z",
			[]string{"2026-03-10T12:15:00Z", "2026-03-10T12:30:00Z", "2026-03-10T12:45:00Z", "2026-03-10T13:00:00Z"}},
		{"*/20 from the top of the hour", "cron(*/20 9 * * ? *)", "", "2026-03-10T08:00:00Z",
			[]string{"2026-03-10T09:00:00Z", "2026-03-10T09:20:00Z", "2026-03-10T09:40:00Z", "2026-03-11T09:00:00Z"}},
		// 2026-03-13 is a Friday.
		{"MON-FRI skips the weekend", "cron(0 18 ? * MON-FRI *)", "", "2026-03-13T18:00:00Z",
			[]string{"2026-03-16T18:00:00Z", "2026-03-17T18:00:00Z"}},
		{"2-6 is Monday to Friday (1 = SUN)", "cron(0 10 ? * 2-6 *)", "", "2026-03-13T11:00:00Z",
			[]string{"2026-03-16T10:00:00Z", "2026-03-17T10:00:00Z", "2026-03-18T10:00:00Z",
				"2026-03-19T10:00:00Z", "2026-03-20T10:00:00Z", "2026-03-23T10:00:00Z"}},
		{"1 is Sunday", "cron(0 10 ? * 1 *)", "", "2026-03-13T00:00:00Z",
			[]string{"2026-03-15T10:00:00Z", "2026-03-22T10:00:00Z"}},
		{"lower-case names", "cron(0 9 ? jan,jul mon *)", "", "2026-01-01T00:00:00Z",
			[]string{"2026-01-05T09:00:00Z", "2026-01-12T09:00:00Z"}},
		{"last day, non-leap February", "cron(0 0 L * ? *)", "", "2026-02-01T00:00:00Z",
			[]string{"2026-02-28T00:00:00Z", "2026-03-31T00:00:00Z", "2026-04-30T00:00:00Z"}},
		{"last day, leap February", "cron(0 0 L * ? *)", "", "2028-02-01T00:00:00Z",
			[]string{"2028-02-29T00:00:00Z", "2028-03-31T00:00:00Z"}},
		{"29 February only in leap years", "cron(0 0 29 2 ? *)", "", "2026-01-01T00:00:00Z",
			[]string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},
		// 15 Aug 2026 is a Saturday, 15 Sep and 15 Oct are weekdays, 15 Nov a Sunday.
		{"15W moves off the weekend", "cron(0 9 15W * ? *)", "", "2026-08-01T00:00:00Z",
			[]string{"2026-08-14T09:00:00Z", "2026-09-15T09:00:00Z", "2026-10-15T09:00:00Z", "2026-11-16T09:00:00Z"}},
		{"15W after a Sunday 15th fires on the 16th", "cron(0 9 15W * ? *)", "", "2026-02-15T12:00:00Z",
			[]string{"2026-02-16T09:00:00Z", "2026-03-16T09:00:00Z"}},
		// 1 Aug 2026 is a Saturday: the nearest weekday in August is Monday the 3rd.
		{"1W never crosses into the previous month", "cron(0 9 1W 8 ? *)", "", "2026-07-01T00:00:00Z",
			[]string{"2026-08-03T09:00:00Z"}},
		{"30W where every chosen month has 30 days", "cron(0 9 30W 1,5 ? *)", "", "2026-01-01T00:00:00Z",
			[]string{"2026-01-30T09:00:00Z", "2026-05-29T09:00:00Z"}},
		// Last days: 31 Jan Sat, 28 Feb Sat, 31 Mar Tue, 30 Apr Thu, 31 May Sun.
		{"LW is the last weekday", "cron(0 9 LW * ? *)", "", "2026-01-01T00:00:00Z",
			[]string{"2026-01-30T09:00:00Z", "2026-02-27T09:00:00Z", "2026-03-31T09:00:00Z",
				"2026-04-30T09:00:00Z", "2026-05-29T09:00:00Z"}},
		{"3#2 is the second Tuesday", "cron(0 12 ? * 3#2 *)", "", "2026-01-01T00:00:00Z",
			[]string{"2026-01-13T12:00:00Z", "2026-02-10T12:00:00Z", "2026-03-10T12:00:00Z"}},
		{"TUE#2 equals 3#2", "cron(0 12 ? * TUE#2 *)", "", "2026-01-01T00:00:00Z",
			[]string{"2026-01-13T12:00:00Z"}},
		{"1#5 skips months without a fifth Sunday", "cron(0 12 ? * 1#5 *)", "", "2026-02-01T13:00:00Z",
			[]string{"2026-03-29T12:00:00Z"}},
		{"6L is the last Friday", "cron(0 12 ? * 6L *)", "", "2026-01-01T00:00:00Z",
			[]string{"2026-01-30T12:00:00Z", "2026-02-27T12:00:00Z", "2026-03-27T12:00:00Z", "2026-04-24T12:00:00Z"}},
		{"L alone in day-of-week is Saturday", "cron(0 12 ? * L *)", "", "2026-01-01T00:00:00Z",
			[]string{"2026-01-03T12:00:00Z", "2026-01-10T12:00:00Z"}},
		{"year range then nothing", "cron(0 8 1 1 ? 2027-2028)", "", "2026-06-01T00:00:00Z",
			[]string{"2027-01-01T08:00:00Z", "2028-01-01T08:00:00Z", ""}},
		{"year step", "cron(0 0 1 1 ? 2030/10)", "", "2026-06-01T00:00:00Z",
			[]string{"2030-01-01T00:00:00Z", "2040-01-01T00:00:00Z"}},
		{"before 1970 starts in 1970", "cron(0 0 1 1 ? *)", "", "1900-06-01T00:00:00Z",
			[]string{"1970-01-01T00:00:00Z", "1971-01-01T00:00:00Z"}},
		{"after 2199 there is nothing", "cron(0 0 * * ? *)", "", "2199-12-31T00:00:00Z",
			[]string{""}},
		{"list, range and step in day-of-month", "cron(0 6 1-10/3,20 * ? *)", "", "2026-03-05T00:00:00Z",
			[]string{"2026-03-07T06:00:00Z", "2026-03-10T06:00:00Z", "2026-03-20T06:00:00Z", "2026-04-01T06:00:00Z"}},
		{"never matches: 30 February", "cron(0 0 30 2 ? *)", "", "2026-01-01T00:00:00Z",
			[]string{""}},
	})
}

func TestNextRobfig(t *testing.T) {
	runNextCases(t, []nextCase{
		{"@daily", "@daily", "", "2026-03-10T12:00:00Z",
			[]string{"2026-03-11T00:00:00Z", "2026-03-12T00:00:00Z"}},
		{"robfig 1-5 is Monday to Friday (0 = SUN)", "0 10 * * 1-5", "", "2026-03-14T00:00:00Z",
			[]string{"2026-03-16T10:00:00Z", "2026-03-17T10:00:00Z"}},
		{"CRON_TZ prefix", "CRON_TZ=Asia/Tokyo 0 9 * * *", "", "2026-03-10T00:00:00Z",
			[]string{"2026-03-11T09:00:00+09:00"}},
		{"timezone argument", "0 9 * * *", "Asia/Tokyo", "2026-03-10T00:00:00Z",
			[]string{"2026-03-11T09:00:00+09:00"}},
		{"matching CRON_TZ and timezone", "CRON_TZ=Asia/Tokyo 0 9 * * *", "Asia/Tokyo", "2026-03-10T00:00:00Z",
			[]string{"2026-03-11T09:00:00+09:00"}},
		// April 2026: Fridays 3, 10, 17, 24; the 13th is a Monday.
		{"day-of-month OR day-of-week, as classic cron", "0 0 13 * 5", "", "2026-04-01T00:00:00Z",
			[]string{"2026-04-03T00:00:00Z", "2026-04-10T00:00:00Z", "2026-04-13T00:00:00Z", "2026-04-17T00:00:00Z"}},
		{"29 February past 2100, which is not a leap year", "0 0 29 2 *", "", "2097-01-01T00:00:00Z",
			[]string{"2104-02-29T00:00:00Z"}},
	})
}

func TestNextReturnsScheduleLocation(t *testing.T) {
	s, err := Parse("cron(0 3 * * ? *)", "Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	got := s.Next(mustTime(t, "2026-03-10T12:00:00Z"))
	if got.Location().String() != "Asia/Tokyo" {
		t.Errorf("Next location = %s, want Asia/Tokyo", got.Location())
	}
}

func TestStringIsOriginalExpression(t *testing.T) {
	for _, expr := range []string{"cron(0 3 * * ? *)", "rate(5 minutes)", "at(2026-12-01T09:00:00)", "@daily", "@every 1h"} {
		s, err := Parse(expr, "")
		if err != nil {
			t.Fatalf("Parse(%q): %v", expr, err)
		}
		if s.String() != expr {
			t.Errorf("String() = %q, want %q", s.String(), expr)
		}
	}
}
