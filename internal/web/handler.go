package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// Options configure the handler.
type Options struct {
	Source Source
	Now    func() time.Time // default time.Now
	Logger *slog.Logger     // default: discard
}

// Handler serves GET / (the status page) and GET /api/jobs (its data as
// JSON).
func Handler(o Options) http.Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	log := o.Logger.With("component", "web")
	page := pageTemplate()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		now := o.Now()
		var buf bytes.Buffer
		if err := page.Execute(&buf, pageData{Status: o.Source(now), Now: now}); err != nil {
			log.Error("render status page", "err", err)
			http.Error(w, "status page could not be rendered", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		// Nothing on the page runs: even a string that escaped escaping
		// could not execute.
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(buf.Bytes())
	})
	mux.HandleFunc("GET /api/jobs", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(apiJobs(o.Source(o.Now())))
	})
	return mux
}

type pageData struct {
	Status
	Now time.Time
}

func pageTemplate() *template.Template {
	return template.Must(template.New("page").Funcs(template.FuncMap{
		"when":     when,
		"duration": formatDuration,
		"chart":    durationChart,
		"result":   resultOf,
		"words":    func(s string) string { return strings.ReplaceAll(s, "_", " ") },
		"percent": func(n, of int) int {
			if of <= 0 {
				return 0
			}
			return min(100, 100*n/of)
		},
		"vcpu":  monitor.FormatVCPU,
		"share": share,
		"class": classWords,
	}).Parse(pageHTML))
}

// when writes a time for people, in UTC: "2026-03-01 12:00:00 UTC (5m ago)".
func when(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	s := t.UTC().Format(monitor.TimeLayout)
	d := now.Sub(t)
	switch {
	case d < -time.Minute:
		return s + " (in " + roughly(-d) + ")"
	case d < time.Minute:
		return s + " (just now)"
	}
	return s + " (" + roughly(d) + " ago)"
}

// roughly writes an age: 5m, 3h20m, 4d.
func roughly(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

// resultOf names a job's state for its card: the last run's result, or
// "none" before any run.
func resultOf(j Job) string {
	if j.LastRun == nil {
		return "none"
	}
	return j.LastRun.Result
}
