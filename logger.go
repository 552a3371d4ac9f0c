package main

import (
	"io"
	"log/slog"
)

// newLogger is the one place the program's logger is built: JSON lines with
// a level, and every time.Duration written as Go writes it ("1.5s"), not as
// nanoseconds, wherever a component logs one.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: durationsAsText}))
}

// durationsAsText is a slog ReplaceAttr: slog.Any and slog.Duration both
// give a time.Duration the duration kind, and ReplaceAttr sees every leaf
// attribute, inside groups too.
func durationsAsText(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.String(a.Key, a.Value.Duration().String())
	}
	return a
}
