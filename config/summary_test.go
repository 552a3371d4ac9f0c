package config

import "testing"

func TestSummaryZone(t *testing.T) {
	for _, c := range []struct{ schedule, want string }{
		{"@every 15m", "UTC"},
		{"CRON_TZ=Asia/Tokyo 0 9 * * *", "Asia/Tokyo"},
		{"TZ=Europe/Paris */15 * * * *", "Europe/Paris"},
	} {
		if got := (Summary{Schedule: c.schedule}).Zone().String(); got != c.want {
			t.Errorf("Zone of %q = %s, want %s", c.schedule, got, c.want)
		}
	}
}
