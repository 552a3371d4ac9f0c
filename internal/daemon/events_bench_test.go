package daemon

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkEventsEndToEnd measures failed-run events through the whole
// path: the simulator's SQS, the real SDK client, parse, classify,
// dispatch, slack-go and a local Slack server (pacing off, storms off, so
// every event becomes one post). It reports events per second and the
// p50/p99 time from an event entering the queue to its post being
// accepted, which bounds receive-to-Slack from above.
func BenchmarkEventsEndToEnd(b *testing.B) {
	const perRound = 200
	e, q := eventsEnv(b)
	e.eventsConfig(q, `storm_threshold = 5`, `storm_threshold = 1000000`, `visibility_timeout = "1s"`, `visibility_timeout = "60s"`)
	body := sample(b, "stopped-essential-exit1.json")
	var lat []time.Duration
	var total time.Duration
	round := 0
	for b.Loop() {
		sent := map[string]time.Time{}
		start := time.Now()
		for i := 0; i < perRound; i++ {
			n := round*perRound + i
			sent[fmt.Sprintf("%032x", n+1)] = time.Now()
			e.sim.SendRaw(q, withTask(b, body, n))
		}
		want := (round + 1) * perRound
		for {
			posts, _, _ := e.slack.Snapshot()
			if len(posts) >= want {
				for _, p := range posts[want-perRound:] {
					for id, at := range sent {
						if strings.Contains(p.Attachments, id) {
							lat = append(lat, p.At.Sub(at))
						}
					}
				}
				break
			}
			time.Sleep(time.Millisecond)
		}
		total += time.Since(start)
		round++
	}
	slices.Sort(lat)
	if len(lat) == 0 {
		b.Fatal("no latencies measured")
	}
	b.ReportMetric(float64(round*perRound)/total.Seconds(), "events/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
