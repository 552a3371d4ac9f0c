package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// Both stores keep a cluster's runs alike: merged by task, newest first,
// at most HistoryRuns per job, clusters apart.
func TestStoresRunsContract(t *testing.T) {
	_, dyn := dynamoSim(t)
	for name, s := range map[string]Store{"memory": NewMemoryStore(), "dynamodb": dyn} {
		t.Run(name, func(t *testing.T) { runsContract(t, s) })
	}
}

func storedRun(job string, i int, t0 time.Time) StoredRun {
	code := i % 3
	return StoredRun{Job: job, Run: Run{TaskARN: fmt.Sprintf("arn:task/%s-%d", job, i), StartedAt: t0.Add(time.Duration(i) * time.Minute),
		StoppedAt: t0.Add(time.Duration(i)*time.Minute + 30*time.Second), Result: ResultFailure, ExitCode: &code, Cause: CauseExit, LogURL: "https://logs/x"}}
}

func runsContract(t *testing.T, s Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if got, err := s.LoadRuns(ctx, "cron"); err != nil || len(got) != 0 {
		t.Fatalf("empty load = %v, %v", got, err)
	}
	if err := s.AddRuns(ctx, "cron", []StoredRun{storedRun("etl", 0, t0), storedRun("etl", 1, t0)}); err != nil {
		t.Fatal(err)
	}
	// Another replica adds a later run, and one already stored.
	if err := s.AddRuns(ctx, "cron", []StoredRun{storedRun("etl", 2, t0), storedRun("etl", 1, t0)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.LoadRuns(ctx, "cron")
	if err != nil || len(got) != 3 {
		t.Fatalf("load = %+v, %v; want 3 runs", got, err)
	}
	want := storedRun("etl", 2, t0)
	if got[0].Job != "etl" || got[0].Run.TaskARN != want.Run.TaskARN || !got[0].Run.StoppedAt.Equal(want.Run.StoppedAt) ||
		!got[0].Run.StartedAt.Equal(want.Run.StartedAt) || got[0].Run.Result != ResultFailure || got[0].Run.ExitCode == nil ||
		*got[0].Run.ExitCode != 2 || got[0].Run.Cause != CauseExit || got[0].Run.LogURL != "https://logs/x" {
		t.Errorf("newest run = %+v, want %+v", got[0], want)
	}
	if got[2].Run.TaskARN != "arn:task/etl-0" {
		t.Errorf("oldest run = %s, want etl-0 last", got[2].Run.TaskARN)
	}
	if other, _ := s.LoadRuns(ctx, "other"); len(other) != 0 {
		t.Errorf("another cluster holds %d runs", len(other))
	}
	// Bounded per job as History is: the newest HistoryRuns stay.
	var many []StoredRun
	for i := range HistoryRuns + 20 {
		many = append(many, storedRun("busy", i, t0))
	}
	if err := s.AddRuns(ctx, "cron", many); err != nil {
		t.Fatal(err)
	}
	got, _ = s.LoadRuns(ctx, "cron")
	busy := 0
	for _, r := range got {
		if r.Job == "busy" {
			busy++
			if r.Run.TaskARN == "arn:task/busy-0" {
				t.Error("the oldest busy run kept past HistoryRuns")
			}
		}
	}
	if busy != HistoryRuns || len(got) != HistoryRuns+3 {
		t.Errorf("kept %d busy runs of %d, want %d (and 3 etl)", busy, len(got), HistoryRuns)
	}
}

// The item stays under DynamoDB's 400 KB however many runs: the newest
// that fit are kept.
func TestDynamoStoreRunsFitTheItem(t *testing.T) {
	sim, s := dynamoSim(t)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var runs []StoredRun
	for j := range 40 {
		for i := range HistoryRuns {
			r := storedRun(fmt.Sprintf("job-%02d", j), i, t0)
			r.Run.LogURL = "https://logs/" + strings.Repeat("x", 200)
			runs = append(runs, r)
		}
	}
	if err := s.AddRuns(ctx, "cron", runs); err != nil {
		t.Fatal(err)
	}
	item := sim.Items("state")[runsKeyPrefix+"cron"]
	data, _ := json.Marshal(item)
	if len(data) > 400_000 {
		t.Fatalf("item is %d bytes, over DynamoDB's limit", len(data))
	}
	got, err := s.LoadRuns(ctx, "cron")
	if err != nil || len(got) == 0 || len(got) >= len(runs) {
		t.Fatalf("kept %d of %d runs, %v; want some dropped", len(got), len(runs), err)
	}
	if !got[0].Run.StoppedAt.Equal(t0.Add(time.Duration(HistoryRuns-1)*time.Minute + 30*time.Second)) {
		t.Errorf("newest kept stopped at %v; the newest must be kept", got[0].Run.StoppedAt)
	}
}

// Two replicas adding at once lose no run: each write is conditioned on
// the version it read, and one that met another's retries.
func TestDynamoStoreConcurrentRuns(t *testing.T) {
	_, s := dynamoSim(t)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := range 2 {
				if err := s.AddRuns(ctx, "cron", []StoredRun{storedRun(fmt.Sprintf("w%d", w), i, t0)}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if got, _ := s.LoadRuns(ctx, "cron"); len(got) != 4 {
		t.Errorf("stored %d runs, want all 4", len(got))
	}
}
