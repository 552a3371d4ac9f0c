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
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}
