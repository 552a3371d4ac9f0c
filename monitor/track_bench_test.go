package monitor_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// BenchmarkTrack100k tracks 100,000 running tasks over 20 clusters (5,000
// each, of 50 job families) through the real SDK client and the simulator:
// one State, one Poller per cluster, as the daemon runs them. After the
// first poll of every cluster, each op is one steady-state poll of all 20.
//
// MiB-heap is the live heap the tracking adds, after a GC: the heap with
// the pollers, their State and clients in steady state, minus the heap
// before they existed (the simulator's 100,000 tasks live in this process
// too and are not counted). cpu-ns/task is this process's CPU time per
// tracked task per poll: the poller and the SDK, and also the simulator
// answering ListTasks, so it bounds the poller's own cost from above.
func BenchmarkTrack100k(b *testing.B) {
	const clusters, perCluster, families = 20, 5000, 50
	sim := awssim.New(awssim.Options{})
	if err := sim.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sim.Close() })
	for f := range families {
		if _, err := sim.RegisterTaskDefinition(fmt.Sprintf("job-%02d", f)); err != nil {
			b.Fatal(err)
		}
	}
	for c := range clusters {
		name := fmt.Sprintf("cron-%02d", c)
		sim.CreateCluster(name)
		for i := 0; i < perCluster; i += 10 {
			f := (i / 10) % families
			if _, err := sim.RunTasks(name, fmt.Sprintf("job-%02d", f), fmt.Sprintf("events-rule/job-%02d", f), 10); err != nil {
				b.Fatal(err)
			}
		}
	}
	before := liveHeap()

	state := monitor.NewState()
	client := ecs.New(ecs.Options{
		BaseEndpoint: aws.String(sim.URL()),
		Region:       sim.Region(),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		HTTPClient:   awssim.HTTPClient(),
	})
	pollers := make([]*monitor.Poller, clusters)
	for c := range pollers {
		pollers[c] = monitor.NewPoller(monitor.PollerOptions{State: state, ECS: client, Cluster: config.Cluster{
			Name: fmt.Sprintf("cron-%02d", c), Region: sim.Region(), TaskLimit: 10000, WarnPercent: 80, CriticalPercent: 95,
			MaxConcurrent: 200, PollInterval: config.Duration{Duration: 30 * time.Second}}})
	}
	ctx := context.Background()
	pollAll := func() {
		for _, p := range pollers {
			if _, err := p.Poll(ctx, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	}
	pollAll() // first poll: every task described once
	sim.ResetCalls()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := testkit.ProcessCPU(b)
	for b.Loop() {
		pollAll()
	}
	cpu := testkit.ProcessCPU(b) - cpu0
	b.StopTimer()
	if d := sim.Calls("ecs:DescribeTasks"); d != 0 {
		b.Fatalf("steady state described %d batches, want 0", d)
	}
	if n := len(state.Live("cron-07")); n != perCluster {
		b.Fatalf("cron-07 tracks %d tasks, want %d", n, perCluster)
	}
	tasks := float64(clusters * perCluster)
	b.ReportMetric(float64(liveHeap()-before)/(1<<20), "MiB-heap")
	b.ReportMetric(float64(cpu.Nanoseconds())/(float64(b.N)*tasks), "cpu-ns/task")
	runtime.KeepAlive(pollers)
	runtime.KeepAlive(state)
}

// liveHeap is the bytes of live heap objects after a full collection.
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
