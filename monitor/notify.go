package monitor

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Notifier delivers findings and summaries to people (Slack, a terminal, the
// log). Implementations handle their own transport retries (429 Retry-After,
// 5xx backoff) within ctx and return an error only when they gave up, so the
// caller can decide whether the work may be acknowledged. An error no retry
// can help (a channel that does not exist, a revoked token, a message the
// service refuses) is a *PermanentError, so the caller stops retrying.
type Notifier interface {
	// Notify delivers one alert. When update is non-zero and the transport
	// can edit messages, the earlier message is replaced instead of posting
	// a new one. The returned Receipt identifies the delivered message.
	Notify(ctx context.Context, f Finding, update Receipt) (Receipt, error)
	// Summarize delivers a summary window.
	Summarize(ctx context.Context, s Summary) error
}

// PermanentError is a delivery failure that repeating cannot help: the
// service answered no for good. Reason is the service's word for it
// ("channel_not_found", "invalid_auth", "http 404"), fit for a log
// attribute and a metric tag; Err says what was attempted.
type PermanentError struct {
	Reason string
	Err    error
}

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent reports whether err, or an error it wraps, is a
// *PermanentError, and its reason.
func Permanent(err error) (reason string, ok bool) {
	var pe *PermanentError
	if errors.As(err, &pe) {
		return pe.Reason, true
	}
	return "", false
}

// Receipt identifies a delivered message so it can be edited later.
// A zero Receipt means the transport cannot edit (a webhook).
type Receipt struct {
	Channel string
	TS      string
}

// Metrics receives the daemon's numbers. notifier.Datadog implements it over
// DogStatsD. Names are relative to the configured namespace.
type Metrics interface {
	Gauge(name string, value float64, tags []string)
	Count(name string, value int64, tags []string)
	Distribution(name string, value float64, tags []string)
	ServiceCheck(name string, status CheckStatus, message string, tags []string)
}

// CheckStatus is a service check result.
type CheckStatus int

// Service check statuses, numbered as DogStatsD numbers them.
const (
	CheckOK       CheckStatus = 0
	CheckWarning  CheckStatus = 1
	CheckCritical CheckStatus = 2
	CheckUnknown  CheckStatus = 3
)

// NopMetrics discards everything; it stands in when metrics are off.
type NopMetrics struct{}

// Gauge discards.
func (NopMetrics) Gauge(string, float64, []string) {}

// Count discards.
func (NopMetrics) Count(string, int64, []string) {}

// Distribution discards.
func (NopMetrics) Distribution(string, float64, []string) {}

// ServiceCheck discards.
func (NopMetrics) ServiceCheck(string, CheckStatus, string, []string) {}

// deps are the optional dependencies every monitor component takes; a nil
// one becomes a no-op (metrics, logger) or the wall clock.
type deps struct {
	metrics Metrics
	logger  *slog.Logger
	now     func() time.Time
}

func withDefaults(m Metrics, l *slog.Logger, now func() time.Time) deps {
	if m == nil {
		m = NopMetrics{}
	}
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return deps{metrics: m, logger: l, now: now}
}

// require panics when a constructor is given no value for a setting the
// configuration always supplies: the monitor applies no defaults of its own
// (config/defaults.go is the one place), so a missing value is a wiring
// bug, not something to paper over.
func require(constructor, field string, ok bool) {
	if !ok {
		panic("monitor." + constructor + ": " + field + " is required (pass the configuration's value)")
	}
}
