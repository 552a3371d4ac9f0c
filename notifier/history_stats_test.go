package notifier

import (
	"strings"
	"testing"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// The summary's facts from run history: the window's success rate, the
// current streak (one run is no streak) and suspicious successes.
func TestHistoryStats(t *testing.T) {
	for _, tc := range []struct {
		j    monitor.JobSummary
		want string
	}{
		{monitor.JobSummary{Runs: 4, Successes: 3, Failures: 1, SuccessRate: 75, Streak: 3, StreakResult: monitor.ResultSuccess}, "success rate 75%, 3 successes in a row"},
		{monitor.JobSummary{Runs: 2, Failures: 2, SuccessRate: 0, Streak: 9, StreakResult: monitor.ResultFailure}, "success rate 0%, 9 failures in a row"},
		{monitor.JobSummary{Runs: 1, Successes: 1, SuccessRate: 100, Streak: 1, StreakResult: monitor.ResultSuccess, Suspicious: 1}, "success rate 100%, 1 suspiciously short success"},
		{monitor.JobSummary{Missed: 1}, ""},
		// Runs a person stopped are neither: no rate to give.
		{monitor.JobSummary{Runs: 2, Stopped: 2}, ""},
	} {
		if got := strings.Join(historyStats(tc.j), ", "); got != tc.want {
			t.Errorf("historyStats(%+v) = %q, want %q", tc.j, got, tc.want)
		}
	}
}
