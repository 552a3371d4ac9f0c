package daemon

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "write the browser test's screenshots to docs/status-page.png and docs/status-page-phone.png")

// chromium finds Debian's Chromium (the `chromium` package), or skips.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium installed (apt-get install chromium); .ci/run installs it, so CI runs this test")
	return ""
}

// headless runs Chromium headless on url with extra flags and returns its
// standard output. Its environment is explicit: a PATH and a temporary
// HOME, nothing from this process.
func headless(t *testing.T, bin, url string, extra ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	home := t.TempDir()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--no-first-run", "--disable-extensions", "--hide-scrollbars", "--user-data-dir=" + filepath.Join(home, "profile")}, extra...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", extra, err, stderr.String())
	}
	return string(out)
}

// The page as a browser renders it, served by the real daemon on
// loopback: every job of the scenario with its result, the hostile job
// name shown as text and never run, and a screenshot at phone width in
// the test's temp dir (with -update-screenshot, a desktop one in docs/).
func TestBrowserStatusPage(t *testing.T) {
	bin := chromium(t)
	base := statusScenario(t)

	dom := headless(t, bin, base+"/", "--dump-dom")
	results := map[string]string{}
	for _, m := range regexp.MustCompile(`data-job="([^"]*)" data-result="([a-z]+)"`).FindAllStringSubmatch(dom, -1) {
		results[m[1]] = m[2]
	}
	want := map[string]string{
		"billing-batch-daily": "failure", "report-export": "success", "nightly-report": "none",
		"ledger-close": "none", "&lt;script&gt;alert(1)&lt;/script&gt;": "success",
	}
	for job, res := range want {
		if results[job] != res {
			t.Errorf("rendered %s: result %q, want %q (all: %v)", job, results[job], res, results)
		}
	}
	if len(results) != len(want) {
		t.Errorf("rendered %d jobs, want %d: %v", len(results), len(want), results)
	}
	if strings.Contains(dom, "<script") {
		t.Error("the rendered page has a script element")
	}
	if !strings.Contains(dom, `<span class="name">&lt;script&gt;alert(1)&lt;/script&gt;</span>`) {
		t.Error("the hostile job name is not shown as text")
	}

	shot := filepath.Join(t.TempDir(), "status-page-400.png")
	headless(t, bin, base+"/", "--screenshot="+shot, "--window-size=400,1800")
	if st, err := os.Stat(shot); err != nil || st.Size() < 10_000 {
		t.Fatalf("screenshot %s: %v (%d bytes)", shot, err, sizeOf(st))
	}
	t.Logf("screenshot at phone width: %s", shot)
	if *updateScreenshot {
		for file, size := range map[string]string{"status-page.png": "1280,820", "status-page-phone.png": "400,1100"} {
			docs, err := filepath.Abs(filepath.Join("..", "..", "docs", file))
			if err != nil {
				t.Fatal(err)
			}
			headless(t, bin, base+"/", "--screenshot="+docs, "--window-size="+size)
			t.Logf("wrote %s", docs)
		}
	}
}

func sizeOf(st os.FileInfo) int64 {
	if st == nil {
		return 0
	}
	return st.Size()
}
