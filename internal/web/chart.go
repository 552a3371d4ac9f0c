package web

import (
	"fmt"
	"time"
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
			Title: fmt.Sprintf("%s %s, %s", r.StoppedAt.UTC().Format("2006-01-02 15:04 UTC"), r.Result, formatDuration(r.Duration)),
		})
	}
	return c
}

// formatDuration writes 1h2m0s, 3m5s, 42s, 1.5s or 40ms.
func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	}
	return d.Round(time.Minute).String()
}
