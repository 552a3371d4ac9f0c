package demo

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// The demo runs the real daemon against the simulator and tells its story
// on stdout; a shortened run must still show the alerts it promises.
func TestDemoShort(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 15s")
	}
	var out bytes.Buffer
	err := Run(t.Context(), Options{
		Stdout:    &out,
		Duration:  15 * time.Second,
		LookupEnv: func(string) (string, bool) { return "", false },
		Setenv:    func(k, v string) error { t.Setenv(k, v); return nil },
	})
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"[WARNING] task limit",
		"[CRITICAL] task limit",
		"[CRITICAL] failed task: cluster cron (ap-northeast-1) job sync-inventory-hourly",
		"failures of image-resizer-backfill",
		"[WARNING] overrun",
		"[CRITICAL] missed run",
		"[RESOLVED] task limit",
		"[SUMMARY]",
		"demo finished",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(text)
	}
}
