// Command ecs-cron-monitor watches the ECS clusters where scheduled (cron)
// tasks run: it warns before a cluster fills up, reports jobs running more
// copies than they should, and alerts failed runs at once.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // schedules name time zones; the image may have no zoneinfo
)

// version is set at build time: -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	reload := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default: // a reload is already pending
			}
		}
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv, reload)
	stop()
	signal.Stop(hup)
	os.Exit(exitCode(err, os.Stderr))
}
