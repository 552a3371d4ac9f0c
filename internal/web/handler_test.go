package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 3, 9, 3, 0, 0, 0, time.FixedZone("JST", 9*3600))

func exit(n int) *int { return &n }

func sampleStatus() Status {
	ok := Run{TaskARN: "arn:aws:ecs:ap-northeast-1:123456789012:task/cron/aaa", StartedAt: now.Add(-50 * time.Minute),
		StoppedAt: now.Add(-30 * time.Minute), Result: "success", Duration: 20 * time.Minute,
		TaskURL: "https://console.example/ecs/aaa", LogURL: "https://console.example/logs/aaa"}
	bad := Run{TaskARN: "arn:aws:ecs:ap-northeast-1:123456789012:task/cron/bbb", StartedAt: now.Add(-10 * time.Minute),
		StoppedAt: now.Add(-9 * time.Minute), Result: "failure", ExitCode: exit(1), Cause: "exit_code", Duration: time.Minute,
		TaskURL: "https://console.example/ecs/bbb?a=1&b=2"}
	return Status{Generated: now, Clusters: []Cluster{{
		Name: "cron", Region: "ap-northeast-1", Account: "prod (123456789012)", Tasks: 17, Limit: 20,
		Quotas:    []Quota{{Class: "OnDemand", Used: 36, Limit: 40, Level: "warn"}, {Class: "Spot", Used: 2.5, Limit: 100}},
		Incidents: []Incident{{Kind: "task_limit", Severity: "warning", Since: now.Add(-5 * time.Minute), Message: "cluster cron has 17 of 20 tasks (85%)"}},
		Jobs: []Job{
			{Cluster: "cron", Name: "billing", Schedule: "cron(0 3 * * ? *)", ScheduleWords: "daily at 03:00 (UTC)",
				LastRun: &bad, LastSuccess: ok.StoppedAt, NextExpected: now.Add(time.Hour), Runs: 2, Failures: 1,
				P50: time.Minute, P95: 20 * time.Minute, Recent: []Run{ok, bad},
				Incidents: []Incident{{Kind: "overrun", Severity: "warning", Since: now.Add(-time.Minute), Message: "billing overran"}}},
			{Cluster: "cron", Name: "<script>alert(1)</script>", Schedule: "rate(5 minutes)", LastRun: &ok, Runs: 1, Recent: []Run{ok}},
			{Cluster: "cron", Name: "never-ran"},
		},
	}}}
}

func serve(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	return serveStatus(t, sampleStatus(), path)
}

func serveStatus(t *testing.T, st Status, path string) (*http.Response, string) {
	t.Helper()
	srv := httptest.NewServer(Handler(Options{Source: func(time.Time) Status { return st }, Now: func() time.Time { return now }}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestPage(t *testing.T) {
	resp, body := serve(t, "/")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET / = %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q lets scripts or remote assets in", csp)
	}
	for _, want := range []string{
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`<meta http-equiv="refresh" content="30">`,
		`17 of 20 tasks (85%)`,
		`<span class="muted account">prod (123456789012)</span> <span class="muted">ap-northeast-1</span>`,
		`<p class="tasks quota warn" data-class="OnDemand">Fargate vCPU: 36 of 40 On-Demand (90%)</p>`,
		`<p class="tasks quota" data-class="Spot">Fargate vCPU: 2.5 of 100 Spot (3%)</p>`,
		`cluster cron has 17 of 20 tasks (85%)`,
		`data-job="billing" data-result="failure"`,
		`<code>cron(0 3 * * ? *)</code><br>daily at 03:00 (UTC)`,
		`2026-03-08 17:51:00 UTC (9m ago) · 1m · exit code 1`,
		`<a href="https://console.example/ecs/bbb?a=1&amp;b=2">task</a>`,
		`<a href="https://console.example/logs/aaa">logs</a>`,
		`2026-03-08 19:00:00 UTC (in 1h00m)`,
		`2 kept, 1 failed · p50 1m · p95 20m`,
		`<rect class="success"`, `<rect class="failure"`,
		`billing overran`,
		`data-job="never-ran" data-result="none"`,
		`&lt;script&gt;alert(1)&lt;/script&gt;`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script") {
		t.Error("page carries a script element")
	}
	for _, asset := range []string{"<link", "<img", "src=", "@import", "url("} {
		if strings.Contains(body, asset) {
			t.Errorf("page loads an asset (%q): it must be self-contained", asset)
		}
	}
}

func TestAPIJobs(t *testing.T) {
	resp, body := serve(t, "/api/jobs")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /api/jobs = %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) != 3 {
		t.Fatalf("%d jobs, want 3", len(raw))
	}
	keys := func(m map[string]json.RawMessage) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	want := []string{"cluster", "duration_p50_seconds", "duration_p95_seconds", "failures", "job", "last_run",
		"last_success", "next_expected", "open_incidents", "runs", "schedule"}
	if got := keys(raw[0]); !slices.Equal(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
	var lastRun map[string]json.RawMessage
	if err := json.Unmarshal(raw[0]["last_run"], &lastRun); err != nil {
		t.Fatal(err)
	}
	if got := keys(lastRun); !slices.Equal(got, []string{"cause", "exit_code", "result", "started_at", "stopped_at", "task_arn"}) {
		t.Errorf("last_run fields %v", got)
	}
	// Times are RFC 3339 in UTC, whatever zone they were made in.
	if s := string(lastRun["stopped_at"]); s != `"2026-03-08T17:51:00Z"` {
		t.Errorf("stopped_at = %s, want RFC 3339 UTC", s)
	}
	var jobs []APIJob
	if err := json.Unmarshal([]byte(body), &jobs); err != nil {
		t.Fatal(err)
	}
	b := jobs[0]
	if b.Job != "billing" || b.Runs != 2 || b.Failures != 1 || b.DurationP95Seconds != 1200 || b.LastRun.Result != "failure" ||
		*b.LastRun.ExitCode != 1 || len(b.OpenIncidents) != 1 || b.OpenIncidents[0].Kind != "overrun" ||
		!b.NextExpected.Equal(now.Add(time.Hour)) {
		t.Errorf("billing = %+v", b)
	}
	if n := jobs[2]; n.Job != "never-ran" || n.LastRun != nil || !n.LastSuccess.IsZero() || string(raw[2]["last_success"]) != "null" || n.OpenIncidents == nil {
		t.Errorf("never-ran = %+v (last_success %s)", n, raw[2]["last_success"])
	}
}

// Without [quota] (no readings) and without a known account the header
// shows neither; whatever reaches the header is escaped.
func TestPageClusterHeaderEscapedAndOptional(t *testing.T) {
	st := Status{Clusters: []Cluster{
		{Name: "plain", Region: "eu-west-1", Limit: 10},
		{Name: "odd", Region: "eu-west-1", Account: "<b>x</b>", Limit: 10, Quotas: []Quota{{Class: "<i>c</i>", Used: 1, Limit: 4}}},
	}}
	_, body := serveStatus(t, st, "/")
	plain := body[strings.Index(body, `id="cluster-plain"`):strings.Index(body, `id="cluster-odd"`)]
	if strings.Contains(plain, "Fargate vCPU") || strings.Contains(plain, `class="muted account"`) {
		t.Errorf("cluster without readings or account shows them:\n%s", plain)
	}
	for _, want := range []string{`&lt;b&gt;x&lt;/b&gt;`, `Fargate vCPU: 1 of 4 &lt;i&gt;c&lt;/i&gt; (25%)`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "<b>x") || strings.Contains(body, "<i>c") {
		t.Error("header strings reach the page unescaped")
	}
}

func TestPageNotFoundElsewhere(t *testing.T) {
	if resp, _ := serve(t, "/favicon.ico"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /favicon.ico = %s, want 404", resp.Status)
	}
}

func TestChartScalesToLongest(t *testing.T) {
	c := durationChart([]Run{{Duration: time.Minute, Result: "success"}, {Duration: 2 * time.Minute, Result: "failure"}, {Result: "failure"}})
	if len(c.Bars) != 3 || c.Bars[1].H != chartHeight-2 || c.Bars[0].H != (chartHeight-2)/2 || c.Bars[2].H != 2 {
		t.Errorf("bars %+v", c.Bars)
	}
	many := make([]Run, 45)
	if c := durationChart(many); len(c.Bars) != chartRuns {
		t.Errorf("%d bars for 45 runs, want %d", len(c.Bars), chartRuns)
	}
}
