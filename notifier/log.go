package notifier

import (
	"context"
	"log/slog"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// Log is the notifier of last resort: with no Slack configured, alerts
// and summaries become log lines (Datadog turns level:error into its error
// status, so they are still seen). It implements monitor.Notifier.
type Log struct{ log *slog.Logger }

// NewLog returns a Log notifier writing to logger.
func NewLog(logger *slog.Logger) *Log {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Log{log: logger.With("component", "alerts")}
}

// Notify logs one alert.
func (l *Log) Notify(ctx context.Context, f monitor.Finding, _ monitor.Receipt) (monitor.Receipt, error) {
	level := slog.LevelWarn
	switch {
	case f.Transition == monitor.Resolved:
		level = slog.LevelInfo
	case f.Severity == monitor.SeverityCritical:
		level = slog.LevelError
	}
	attrs := []any{"kind", f.Kind, "transition", f.Transition, "severity", f.Severity,
		"cluster", f.Cluster, "job", f.Job, "value", f.Value, "limit", f.Limit}
	if f.Failure != nil {
		attrs = append(attrs, "cause", f.Cause, "container", f.Container, "reason", f.Reason,
			"stopped_reason", f.StoppedReason, "task", f.Tasks)
		if f.ExitCode != nil {
			attrs = append(attrs, "exit_code", *f.ExitCode)
		}
	}
	if f.Rollup != nil {
		attrs = append(attrs, "rollup_count", f.Rollup.Count, "rollup_final", f.Rollup.Final)
	}
	l.log.Log(ctx, level, "alert: "+f.Message, attrs...)
	return monitor.Receipt{}, nil
}

// Summarize logs the summary as one line.
func (l *Log) Summarize(ctx context.Context, s monitor.Summary) error {
	l.log.Log(ctx, slog.LevelInfo, "summary", "from", s.From, "to", s.To, "clusters", s.Clusters)
	return nil
}
