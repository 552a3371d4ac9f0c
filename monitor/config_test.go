package monitor

import (
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
)

// parseConfig parses a TOML document with the config package, so a test
// gets exactly the values (defaults and inheritance included) the daemon
// would: the monitor applies no defaults of its own.
func parseConfig(t testing.TB, doc string) *config.Config {
	t.Helper()
	c, err := config.Parse("test.toml", []byte(doc), nil)
	if err != nil {
		t.Fatalf("parse test configuration: %v", err)
	}
	return c
}

// clusterFrom parses a document with one [[cluster]] and returns it.
func clusterFrom(t testing.TB, doc string) config.Cluster {
	t.Helper()
	return parseConfig(t, doc).Clusters[0]
}

// dispatcherOptions fills the settings a test does not care about from a
// minimal configuration, as the daemon passes them.
func dispatcherOptions(t testing.TB, o DispatcherOptions) DispatcherOptions {
	t.Helper()
	c := parseConfig(t, "[[cluster]]\nname = \"cron\"\nregion = \"ap-northeast-1\"\n")
	if o.RollupInterval == 0 {
		o.RollupInterval = c.Events.RollupInterval.Duration
	}
	if o.DrainTimeout == 0 {
		o.DrainTimeout = c.Shutdown.Timeout.Duration / 3
	}
	if o.StormPolicy == nil {
		o.StormPolicy = func(string, string) (int, time.Duration) {
			return c.Events.StormThreshold, c.Events.StormWindow.Duration
		}
	}
	return o
}

// The monitor takes every setting from the configuration; a constructor
// given none refuses to guess one.
func TestConstructorsRequireConfiguredValues(t *testing.T) {
	for name, build := range map[string]func(){
		"dispatcher without rollup interval": func() { NewDispatcher(DispatcherOptions{}) },
		"poller without poll interval":       func() { NewPoller(PollerOptions{Cluster: config.Cluster{Name: "cron"}}) },
		"schedules without check interval": func() {
			NewSchedules(SchedulesOptions{Cluster: config.Cluster{Name: "cron", ScheduleRefresh: config.Duration{Duration: time.Minute}}})
		},
		"events without drain timeout": func() { NewEvents(EventsOptions{}) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("constructor accepted a missing setting (it must not apply a default of its own)")
				}
			}()
			build()
		})
	}
}
