package notifier

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// metricErrorLogEvery bounds how often metric errors are logged: with no
// agent listening every flush fails, and a log line per datagram would
// drown the alerts that matter.
const metricErrorLogEvery = time.Minute

// Datadog sends the daemon's metrics over DogStatsD. It implements
// monitor.Metrics. Metric errors never reach the caller (metrics must not
// stop monitoring); they are logged, rate-limited.
type Datadog struct {
	client    *statsd.Client
	namespace string // with trailing ".", for service checks (see ServiceCheck)
	errs      *errorLimiter
}

var _ monitor.Metrics = (*Datadog)(nil)

// NewDatadog connects to cfg.Address ("host:port" for UDP or
// "unix:///path" for a socket). extra options come last, so callers and
// tests can override ours (telemetry, aggregation).
func NewDatadog(cfg config.Datadog, logger *slog.Logger, extra ...statsd.Option) (*Datadog, error) {
	if cfg.Address == "" {
		// statsd.New("") would silently fall back to DD_AGENT_HOST; metrics
		// are off when the address is empty, so refuse instead.
		return nil, errors.New("create dogstatsd client: address is empty")
	}
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	d := &Datadog{errs: &errorLimiter{log: logger.With("component", "datadog"), every: metricErrorLogEvery, now: time.Now}}
	opts := []statsd.Option{statsd.WithErrorHandler(d.errs.handle)}
	if cfg.Namespace != "" {
		opts = append(opts, statsd.WithNamespace(cfg.Namespace))
		d.namespace = cfg.Namespace
		if !strings.HasSuffix(d.namespace, ".") {
			d.namespace += "."
		}
	}
	if len(cfg.Tags) > 0 {
		opts = append(opts, statsd.WithTags(cfg.Tags))
	}
	opts = append(opts, extra...)
	c, err := statsd.New(cfg.Address, opts...)
	if err != nil {
		return nil, fmt.Errorf("create dogstatsd client for %s: %w", cfg.Address, err)
	}
	d.client = c
	return d, nil
}

// Gauge records the current value of name.
func (d *Datadog) Gauge(name string, value float64, tags []string) {
	d.errs.handle(d.client.Gauge(name, value, tags, 1))
}

// Count adds value to name.
func (d *Datadog) Count(name string, value int64, tags []string) {
	d.errs.handle(d.client.Count(name, value, tags, 1))
}

// Distribution records one sample of name (durations).
func (d *Datadog) Distribution(name string, value float64, tags []string) {
	d.errs.handle(d.client.Distribution(name, value, tags, 1))
}

// ServiceCheck reports a check status. datadog-go applies the namespace to
// metrics but not to service checks (statsd/format.go appendServiceCheck),
// so it is prefixed here to keep every name relative to the namespace.
func (d *Datadog) ServiceCheck(name string, status monitor.CheckStatus, message string, tags []string) {
	sc := statsd.NewServiceCheck(d.namespace+name, checkStatus(status))
	sc.Message = message
	sc.Tags = tags
	d.errs.handle(d.client.ServiceCheck(sc))
}

// checkStatus maps monitor's statuses; anything unknown is Unknown rather
// than a silently wrong OK.
func checkStatus(s monitor.CheckStatus) statsd.ServiceCheckStatus {
	switch s {
	case monitor.CheckOK:
		return statsd.Ok
	case monitor.CheckWarning:
		return statsd.Warn
	case monitor.CheckCritical:
		return statsd.Critical
	}
	return statsd.Unknown
}

// Flush sends buffered metrics now.
func (d *Datadog) Flush() error {
	if err := d.client.Flush(); err != nil {
		return fmt.Errorf("flush dogstatsd: %w", err)
	}
	return nil
}

// Close flushes and closes the client; call it on shutdown so the last
// aggregation window is not lost.
func (d *Datadog) Close() error {
	if err := d.client.Close(); err != nil {
		return fmt.Errorf("close dogstatsd: %w", err)
	}
	return nil
}

// errorLimiter logs the first error, then at most one line per interval
// with the number of errors suppressed since.
type errorLimiter struct {
	log   *slog.Logger
	every time.Duration
	now   func() time.Time

	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func (l *errorLimiter) handle(err error) {
	if err == nil {
		return
	}
	l.mu.Lock()
	now := l.now()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	suppressed := l.suppressed
	l.last, l.suppressed = now, 0
	l.mu.Unlock()
	l.log.Warn("sending metrics failed", "err", err, "suppressed_since_last_log", suppressed)
}
