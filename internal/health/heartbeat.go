package health

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// HeartbeatOptions configure Heartbeat.
type HeartbeatOptions struct {
	// URL is pinged with GET. It usually carries the check's token, so it
	// is never logged and is redacted from errors.
	URL      string
	Interval time.Duration // default 1m
	// Client sends the pings; default one with a 10 s timeout.
	Client *http.Client
	Logger *slog.Logger
	// Tick, when set, replaces the ticker of Interval (tests drive it).
	Tick <-chan time.Time
}

// Heartbeat pings an external dead-man's switch (Healthchecks, Cronitor,
// Datadog) every interval while every loop of the registry is healthy,
// until ctx ends. A stuck poller or consumer makes the registry unhealthy,
// the pings stop, and the service alerts: the monitor is watched from
// outside. A failed ping is logged once per change and retried at the
// next tick.
func (r *Registry) Heartbeat(ctx context.Context, o HeartbeatOptions) error {
	if o.Interval <= 0 {
		o.Interval = time.Minute
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	log := o.Logger.With("component", "heartbeat")
	tick := o.Tick
	if tick == nil {
		t := time.NewTicker(o.Interval)
		defer t.Stop()
		tick = t.C
	}
	var last string // the last outcome logged: "" ok, else the problem
	report := func(problem string, attrs ...any) {
		if problem == last {
			return
		}
		last = problem
		if problem == "" {
			log.Info("heartbeat pings again")
			return
		}
		log.Warn(problem, attrs...)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick:
		}
		if st := r.Snapshot(); !st.Healthy {
			report("heartbeat withheld: a loop is stalled", "stalled", stalledNames(st))
			continue
		}
		if err := ping(ctx, o.Client, o.URL); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			report("heartbeat ping failed", "err", redactURL(err, o.URL))
			continue
		}
		report("")
	}
}

func ping(ctx context.Context, c *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("build heartbeat request: %w", err)
	}
	req.Header.Set("User-Agent", "ecs-cron-monitor")
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("send heartbeat: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("heartbeat answered %s", resp.Status)
	}
	return nil
}

func stalledNames(st Status) []string {
	var out []string
	for _, l := range st.Loops {
		if !l.Healthy {
			out = append(out, l.Name)
		}
	}
	return out
}

// redactURL is err's text without the secret URL.
func redactURL(err error, url string) error {
	if url == "" {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), url, "[redacted]"))
}
