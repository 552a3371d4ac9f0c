package schedule

import "testing"

func TestDescribe(t *testing.T) {
	for _, tc := range []struct{ expr, tz, want string }{
		{"rate(5 minutes)", "", "every 5 minutes"},
		{"rate(1 hour)", "", "every hour"},
		{"rate(1 day)", "", "every day"},
		{"cron(0 3 * * ? *)", "Asia/Tokyo", "daily at 03:00 (Asia/Tokyo)"},
		{"cron(30 18 ? * MON-FRI *)", "", "at 18:30 (UTC) on MON-FRI"},
		{"cron(0 1 1 * ? *)", "", "at 01:00 (UTC) on day 1 of the month"},
		{"cron(*/10 * * * ? *)", "", "every 10 minutes"},
		{"cron(* * * * ? *)", "", "every minute"},
		{"cron(15 * * * ? *)", "", "hourly at :15"},
		{"cron(0 3 * * ? 2027)", "", ""},
		{"cron(0 3 L * ? *)", "", ""},
		{"at(2026-12-01T09:00:00)", "", "once, at 2026-12-01 09:00:00 (UTC)"},
		{"@every 15m", "", "every 15m"},
		{"@daily", "", "daily at 00:00 (UTC)"},
		{"CRON_TZ=Europe/Paris 0 6 * * *", "", "daily at 06:00 (Europe/Paris)"},
		{"5 4 * * 0", "", "at 04:05 (UTC) on 0"},
		{"nonsense", "", ""},
	} {
		if got := Describe(tc.expr, tc.tz); got != tc.want {
			t.Errorf("Describe(%q, %q) = %q, want %q", tc.expr, tc.tz, got, tc.want)
		}
	}
}
