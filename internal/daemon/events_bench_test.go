package daemon

import (
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// BenchmarkEventsEndToEnd measures failed-run events through the whole
// path: the simulator's SQS, the real SDK client, parse, classify,
// dispatch, slack-go and a local Slack server (pacing off, storms off, so
// every event becomes one post). It reports events per second (first send
// to last post accepted, per round of 200) and the p50/p99 time from an
// event entering the queue to its post being accepted, which bounds
// receive-to-Slack from above. Wall-clock figures move with the machine's
// load; cpu-us/event (this process's CPU time: daemon, simulator and Slack
// stand-in together) and allocs/event move much less.
//
// Building the event bodies and matching posts to events happen with the
// timer stopped, so they are not counted as the daemon's time.
func BenchmarkEventsEndToEnd(b *testing.B) {
	const perRound = 200
	e, q := eventsEnv(b)
	e.eventsConfig(q, `storm_threshold = 5`, `storm_threshold = 1000000`, `visibility_timeout = "1s"`, `visibility_timeout = "60s"`)
	body := sample(b, "stopped-essential-exit1.json")
	taskID := regexp.MustCompile(`[0-9a-f]{32}`)
	var lat []time.Duration
	var total, cpu time.Duration
	var mallocs uint64
	var ms runtime.MemStats
	b.ResetTimer()
	for round := 0; round < b.N; round++ {
		b.StopTimer()
		bodies := make([]string, perRound)
		ids := make([]string, perRound)
		for i := range bodies {
			n := round*perRound + i
			bodies[i], ids[i] = withTask(b, body, n), fmt.Sprintf("%032x", n+1)
		}
		sent := make(map[string]time.Time, perRound)
		runtime.ReadMemStats(&ms)
		mallocs0, cpu0 := ms.Mallocs, testkit.ProcessCPU(b)
		b.StartTimer()

		start := time.Now()
		for i := range bodies {
			sent[ids[i]] = time.Now()
			e.sim.SendRaw(q, bodies[i])
		}
		want := (round + 1) * perRound
		for e.slack.Posts() < want {
			time.Sleep(time.Millisecond)
		}

		b.StopTimer()
		cpu += testkit.ProcessCPU(b) - cpu0
		runtime.ReadMemStats(&ms)
		mallocs += ms.Mallocs - mallocs0
		posts, _, _ := e.slack.Snapshot()
		last := start
		for _, p := range posts[want-perRound:] {
			for _, id := range taskID.FindAllString(p.Attachments, -1) {
				if at, ok := sent[id]; ok {
					lat = append(lat, p.At.Sub(at))
					if p.At.After(last) {
						last = p.At
					}
					break
				}
			}
		}
		total += last.Sub(start)
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) == 0 {
		b.Fatal("no latencies measured")
	}
	events := float64(b.N * perRound)
	b.ReportMetric(events/total.Seconds(), "events/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(cpu.Microseconds())/events, "cpu-us/event")
	b.ReportMetric(float64(mallocs)/events, "allocs/event")
}
