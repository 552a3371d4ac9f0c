package notifier

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// TestTerminalCleansControlCharacters: the golden files show what the
// terminal prints for each kind (TestGolden); this is the guard against
// text from AWS repainting the operator's terminal.
func TestTerminalCleansControlCharacters(t *testing.T) {
	f := monitor.Finding{Kind: monitor.KindMonitorError, Severity: monitor.SeverityWarning, Cluster: "c", Message: "bad\x1b[31mred\nsecond line"}
	var buf bytes.Buffer
	rcpt, err := NewTerminal(&buf, nil).Notify(context.Background(), f, monitor.Receipt{})
	if err != nil || rcpt != (monitor.Receipt{}) {
		t.Fatalf("Notify = %+v, %v", rcpt, err)
	}
	for _, w := range []string{"[WARNING] Monitor error · c\n", "  bad[31mred second line\n"} {
		if !strings.Contains(buf.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, buf.String())
		}
	}
	if strings.ContainsRune(buf.String(), 0x1b) {
		t.Error("escape character reached the terminal")
	}
}

// TestTerminalConcurrentWritesDoNotInterleave checks each message is
// written whole: every block starts with a tag and ends with a blank line.
func TestTerminalConcurrentWritesDoNotInterleave(t *testing.T) {
	var buf bytes.Buffer
	term := NewTerminal(&buf, nil)
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
		if !strings.HasPrefix(b, "[WARNING] Task limit") && !strings.HasPrefix(b, "[SUMMARY]") {
			t.Errorf("interleaved block:\n%s", b)
		}
	}
}

func TestTerminalHonoursCancelledContext(t *testing.T) {
	var buf bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewTerminal(&buf, nil).Notify(ctx, sampleFinding(), monitor.Receipt{}); err == nil || buf.Len() != 0 {
		t.Errorf("Notify on a cancelled ctx: err %v, wrote %q", err, buf.String())
	}
}
