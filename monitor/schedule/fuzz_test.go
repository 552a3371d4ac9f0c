package schedule

import (
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// fuzzZones are the zones the fuzz target picks from: none, fixed offsets,
// ordinary DST, a 30-minute DST shift (Lord Howe), a zone that skipped a
// whole day (Apia, 2011) and ones whose DST started at midnight.
func fuzzZones() []string {
	return []string{"", "UTC", "Asia/Tokyo", "America/New_York", "Europe/Berlin",
		"Australia/Lord_Howe", "Pacific/Apia", "America/Sao_Paulo", "America/Santiago"}
}

// robfigParser is the parser Parse uses for robfig specs, for differential checks.
func robfigParser() cron.Parser {
	return cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
}

func FuzzParse(f *testing.F) {
	seeds := []string{
		"cron(0 3 * * ? *)", "cron(0/15 * * * ? *)", "cron(0 18 ? * MON-FRI *)",
		"cron(0 0 L * ? *)", "cron(0 9 15W * ? *)", "cron(0 9 LW * ? *)",
		"cron(0 12 ? * 3#2 *)", "cron(0 12 ? * 6L *)", "cron(0 8 1 1 ? 2027-2028)",
		"cron(30 2 ? 3 1#2 *)", "cron(0 0 29 2 ? *)", "cron(0 0 30 2 ? *)", "cron(*/7 1-5,20 * JAN,jun ? 1970/50)",
		"rate(5 minutes)", "rate(1 day)", "at(2026-12-01T09:00:00)", "at(2026-03-08T02:30:00)",
		"@daily", "@every 1h", "*/5 * * * *", "0 0 29 2 *", "CRON_TZ=Asia/Tokyo 0 9 * * *",
		"CRON_TZ=Asia/Tokyo", "0 0 13 * 5", "cron(0 22-2 * * ? *)",
	}
	for i, s := range seeds {
		f.Add(s, uint8(i), int64(1773144000+i*86400*37)) // from 2026-03-10 onwards
	}
	zones := fuzzZones()
	f.Fuzz(func(t *testing.T, expr string, zone uint8, unix int64) {
		tz := zones[int(zone)%len(zones)]
		s, err := Parse(expr, tz)
		if err != nil {
			if s != nil {
				t.Fatalf("Parse(%q) returned both a schedule and an error", expr)
			}
			return
		}
		// About ±544 years around 1970, so the AWS 1970-2199 bounds and
		// historic zone rules are both reached.
		from := time.Unix(unix%(1<<34), 0)
		n1 := s.Next(from)
		if n1.IsZero() {
			return
		}
		if !n1.After(from) {
			t.Fatalf("%q in %q: Next(%s) = %s, not after", expr, tz, from, n1)
		}
		if c, ok := s.(*calendar); ok {
			if n1.Second() != 0 || n1.Nanosecond() != 0 {
				t.Fatalf("%q: Next(%s) = %s, not on a whole minute", expr, from, n1)
			}
			if n1.Location() != c.loc {
				t.Fatalf("%q: Next returned location %s, want %s", expr, n1.Location(), c.loc)
			}
			checkAgainstRobfig(t, expr, tz, from, n1)
		}
		n2 := s.Next(n1)
		if !n2.IsZero() && !n2.After(n1) {
			t.Fatalf("%q in %q: Next(%s) = %s, not after", expr, tz, n1, n2)
		}
	})
}

// checkAgainstRobfig compares a robfig spec evaluated in UTC, where DST
// plays no part, with robfig/cron's own Next. robfig gives up after five
// years (zero time), so only its non-zero answers are compared.
func checkAgainstRobfig(t *testing.T, expr, tz string, from, got time.Time) {
	t.Helper()
	expr = strings.TrimSpace(expr) // as Parse does
	if (tz != "" && tz != "UTC") || strings.HasPrefix(expr, "cron(") || strings.Contains(expr, "TZ=") {
		return
	}
	rs, err := robfigParser().Parse("CRON_TZ=UTC " + expr)
	if err != nil {
		t.Fatalf("Parse accepted %q but robfig/cron did not: %v", expr, err)
	}
	if want := rs.Next(from); !want.IsZero() && !want.Equal(got) {
		t.Fatalf("%q: Next(%s) = %s, robfig/cron says %s", expr, from, got, want)
	}
}

// TestNextMatchesRobfigInUTC checks the evaluator against robfig/cron, an
// independent implementation, where their semantics coincide: UTC (no DST),
// for robfig specs and for AWS expressions with a plain robfig equivalent.
func TestNextMatchesRobfigInUTC(t *testing.T) {
	pairs := []struct{ ours, robfig string }{
		{"*/5 * * * *", "*/5 * * * *"},
		{"0 9 * * MON-FRI", "0 9 * * MON-FRI"},
		{"0 0 13 * 5", "0 0 13 * 5"},
		{"@weekly", "@weekly"},
		{"15 3 29 2 *", "15 3 29 2 *"},
		{"cron(0 10 ? * 2-6 *)", "0 10 * * 1-5"},
		{"cron(*/7 1-5,20 * JAN,JUN ? *)", "*/7 1-5,20 * 1,6 *"},
		{"cron(15 3 1,15 * ? *)", "15 3 1,15 * *"},
		{"cron(0 */4 ? * SUN,SAT *)", "0 */4 * * 0,6"},
		{"cron(5/20 6-18/3 10-20 * ? *)", "5/20 6-18/3 10-20 * *"},
	}
	rp := robfigParser()
	for _, p := range pairs {
		ours, err := Parse(p.ours, "")
		if err != nil {
			t.Fatalf("Parse(%q): %v", p.ours, err)
		}
		theirs, err := rp.Parse("CRON_TZ=UTC " + p.robfig)
		if err != nil {
			t.Fatalf("robfig Parse(%q): %v", p.robfig, err)
		}
		// Deterministic spread of start times over 2020-2043, with seconds.
		base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i < 300; i++ {
			at := base.Add(time.Duration(i)*39989*time.Minute + time.Duration(i%60)*time.Second)
			got, want := ours.Next(at), theirs.Next(at)
			if want.IsZero() && got.Sub(at) > 5*365*24*time.Hour {
				continue // robfig gives up after five years; ours need not
			}
			if !got.Equal(want) {
				t.Fatalf("%q: Next(%s) = %s, robfig %q says %s", p.ours, at, got, p.robfig, want)
			}
		}
	}
}
