package web

import (
	"fmt"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// Chart geometry: the last chartRuns runs as bars in a chartWidth ×
// chartHeight viewBox, scaled to the longest of them.
const (
	chartRuns   = 30
	chartWidth  = 300
	chartHeight = 48
	barGap      = 2
)

// chart is an inline SVG bar chart of run durations, coloured by result.
type chart struct {
	Width, Height int
	Bars          []bar
	Label         string
}

type bar struct {
	X, Y, W, H int
	Result     string // success | failure: the CSS class
	Title      string
}

// durationChart lays out the bars of the last runs, oldest left. A run
// that never started gets a stub, so a failure to start still shows.
func durationChart(runs []Run) chart {
	if len(runs) > chartRuns {
		runs = runs[len(runs)-chartRuns:]
	}
	c := chart{Width: chartWidth, Height: chartHeight,
		Label: fmt.Sprintf("durations of the last %d runs; green succeeded, red failed", len(runs))}
	var longest time.Duration
	for _, r := range runs {
		longest = max(longest, r.Duration)
	}
	w := chartWidth / chartRuns
	for i, r := range runs {
		h := 2
		if longest > 0 {
			h = max(h, int(float64(chartHeight-2)*r.Duration.Seconds()/longest.Seconds()))
		}
		c.Bars = append(c.Bars, bar{
			X: i * w, Y: chartHeight - h, W: w - barGap, H: h, Result: r.Result,
			Title: fmt.Sprintf("%s %s, %s", r.StoppedAt.UTC().Format(monitor.TimeLayout), r.Result, formatDuration(r.Duration)),
		})
	}
	return c
}

// formatDuration writes a duration as messages do, "–" when unknown.
func formatDuration(d time.Duration) string {
	if d <= 0 {
		return "–"
	}
	return monitor.FormatDuration(d)
}
