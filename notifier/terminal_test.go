package notifier

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

func TestTerminalAlerts(t *testing.T) {
	cases := []struct {
		name string
		f    monitor.Finding
		want []string
	}{
		{"critical limit", limitFinding(monitor.SeverityCritical, monitor.Opened, 48), []string{
			"[CRITICAL] task limit: cluster cron (ap-northeast-1) 48/50 tasks (96%), peak 49, PENDING 6, PROVISIONING 2, RUNNING 40 since 2026-03-09 05:00:00 UTC\n",
			"  tasks: a1b2c3d4e5f60718293a4b5c6d7e8f90, 0f1e2d3c4b5a69788796a5b4c3d2e1f0\n",
		}},
		{"resolved", limitFinding(monitor.SeverityCritical, monitor.Resolved, 20), []string{"[RESOLVED] task limit: cluster cron", "[resolved]"}},
		{"oom", failedFinding(monitor.CauseOOM, intp(137), "app", "OutOfMemoryError: Container killed", "Essential container in task exited"), []string{
			"[CRITICAL] failed task: cluster cron (ap-northeast-1) job image-resizer",
			"  cause: killed for memory (OOM), container: app, exit code: 137, started by: events-rule/image-resizer-nightly",
			"duration: 17m25s",
			"  reason: OutOfMemoryError: Container killed\n",
			"  event: 0d6f2b8e-51a4-4c93-8e7d-b2a9f4c6e013\n",
		}},
		{"control characters", monitor.Finding{Kind: monitor.KindMonitorError, Severity: monitor.SeverityWarning, Cluster: "c", Message: "bad\x1b[31mred\nsecond line"}, []string{
			"[WARNING] monitor error: cluster c\n", "  bad[31mred second line\n",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			rcpt, err := NewTerminal(&buf).Notify(context.Background(), c.f, monitor.Receipt{})
			if err != nil || rcpt != (monitor.Receipt{}) {
				t.Fatalf("Notify = %+v, %v", rcpt, err)
			}
			for _, w := range c.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, buf.String())
				}
			}
			if strings.ContainsRune(buf.String(), 0x1b) {
				t.Error("escape character reached the terminal")
			}
		})
	}
}

func TestTerminalRollupAndSummary(t *testing.T) {
	storm := failedFinding(monitor.CauseExit, intp(1), "app", "", "")
	storm.Rollup = &monitor.Rollup{Count: 200, First: t0, Last: t0.Add(time.Minute), ExitCodes: map[int]int{1: 180, 137: 20}, Final: true}
	if got := AlertText(storm); !strings.Contains(got, "200 failures of image-resizer since 2026-03-09 05:00:00 UTC (exit codes: 1×180, 137×20) (final count") {
		t.Errorf("rollup text:\n%s", got)
	}
	got := SummaryText(richSummary())
	for _, w := range []string{
		"[SUMMARY] 2026-03-09 05:00:00 UTC – 2026-03-09 05:15:00 UTC\n",
		"  cluster cron (ap-northeast-1): peak 48/50 tasks, 1 limit incident(s)\n",
		"    image-resizer: runs 6, ok 5, failed 1, missed 0, overruns 0, p50 1m2s, p95 3m0s, max 4m2s",
		"      duplicates: 2 incident(s), peak 3 copies (max 1), longest overlap 5m10s: aaaa1111, bbbb2222, cccc3333, dddd4444\n",
		"    monitor error: ListTasks: AccessDeniedException (since 2026-03-09 05:02:00 UTC, resolved)\n",
		"    note: rule report-daily is DISABLED\n",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("summary lacks %q:\n%s", w, got)
		}
	}
	if got := SummaryText(monitor.Summary{From: t0, To: t0}); !strings.Contains(got, "all clear") {
		t.Errorf("empty summary:\n%s", got)
	}
}

// TestTerminalConcurrentWritesDoNotInterleave checks each message is
// written whole: every block starts with a tag and ends with a blank line.
func TestTerminalConcurrentWritesDoNotInterleave(t *testing.T) {
	var buf bytes.Buffer
	term := NewTerminal(&buf)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_, _ = term.Notify(context.Background(), limitFinding(monitor.SeverityWarning, monitor.Opened, 42), monitor.Receipt{})
			_ = term.Summarize(context.Background(), richSummary())
		})
	}
	wg.Wait()
	blocks := strings.Split(strings.TrimSuffix(buf.String(), "\n\n"), "\n\n")
	if len(blocks) != 40 {
		t.Fatalf("%d blocks, want 40", len(blocks))
	}
	for _, b := range blocks {
		if !strings.HasPrefix(b, "[WARNING] task limit") && !strings.HasPrefix(b, "[SUMMARY]") {
			t.Errorf("interleaved block:\n%s", b)
		}
	}
}

func TestTerminalHonoursCancelledContext(t *testing.T) {
	var buf bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewTerminal(&buf).Notify(ctx, sampleFinding(), monitor.Receipt{}); err == nil || buf.Len() != 0 {
		t.Errorf("Notify on a cancelled ctx: err %v, wrote %q", err, buf.String())
	}
}
