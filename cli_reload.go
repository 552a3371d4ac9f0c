package main

import (
	"bytes"
	"context"
	"log/slog"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/configsrc"
)

// configWatch reloads the daemon's configuration when asked (SIGHUP, on
// the channel main gives run) and, every config_refresh, when the
// document at its source changed. An invalid document is rejected with
// every problem logged, and the running configuration is kept.
type configWatch struct {
	src       configsrc.Source
	lookupEnv func(string) (string, bool)
	apply     func(context.Context, *config.Config) error
	log       *slog.Logger
	signal    <-chan struct{} // nil: no signal reloads
	every     time.Duration   // 0: no periodic check
	last      []byte          // the document last read
}

// run watches until ctx ends.
func (w *configWatch) run(ctx context.Context) {
	var tick <-chan time.Time
	if w.every > 0 {
		t := time.NewTicker(w.every)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.signal:
			w.reload(ctx, "signal", true)
		case <-tick:
			w.reload(ctx, "config_refresh", false)
		}
	}
}

// reload reads the source and applies it; unless always, only when the
// document changed since it was last read.
func (w *configWatch) reload(ctx context.Context, trigger string, always bool) {
	log := w.log.With("source", w.src.String(), "trigger", trigger)
	data, err := w.src.Read(ctx)
	if err != nil {
		log.Error("configuration not reloaded: cannot read it; the running one is kept", "err", err)
		return
	}
	if !always && bytes.Equal(data, w.last) {
		return
	}
	w.last = data // a rejected document is not rejected again until it changes
	cfg, err := config.Parse(w.src.String(), data, w.lookupEnv)
	if err != nil {
		var problems []string
		for _, p := range config.Problems(err) {
			problems = append(problems, p.Error())
		}
		if problems == nil {
			problems = []string{err.Error()}
		}
		log.Error("configuration rejected; the running one is kept", "problems", problems)
		return
	}
	if err := w.apply(ctx, cfg); err != nil && ctx.Err() == nil {
		log.Error("configuration not reloaded; the running one is kept", "err", err)
	}
}

// runWatched runs the daemon with its configuration watch beside it; the
// watch ends with the daemon.
func runWatched(ctx context.Context, run func(context.Context) error, w *configWatch) error {
	wctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.run(wctx)
	}()
	err := run(ctx)
	stop()
	<-done
	return err
}
