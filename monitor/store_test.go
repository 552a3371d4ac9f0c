package monitor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
)

// dynamoSim starts the simulator with a state table and returns a
// DynamoStore over it, through the real SDK client.
func dynamoSim(t *testing.T) (*awssim.Server, *DynamoStore) {
	t.Helper()
	sim := awssim.New(awssim.Options{})
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	sim.CreateTable("state", "pk")
	client := dynamodb.New(dynamodb.Options{
		Region:           "ap-northeast-1",
		BaseEndpoint:     aws.String(sim.URL()),
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       awssim.HTTPClient(),
	})
	return sim, NewDynamoStore(client, "state")
}

// Both stores answer alike: the contract the daemon relies on.
func TestStoresContract(t *testing.T) {
	_, dyn := dynamoSim(t)
	for name, s := range map[string]Store{"memory": NewMemoryStore(), "dynamodb": dyn} {
		t.Run(name, func(t *testing.T) { storeContract(t, s) })
	}
}

func storeContract(t *testing.T, s Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	// Incidents, fenced by lease version.
	recs := []IncidentRecord{{Obs: Observation{Kind: KindTaskLimit, Severity: SeverityWarning, Cluster: "cron", Value: 8, Limit: 10}, Since: t0, Peak: 8, Tasks: []string{"a"}, LastNotified: t0}}
	if got, err := s.LoadIncidents(ctx, "poll#cron"); err != nil || len(got) != 0 {
		t.Fatalf("empty load = %v, %v", got, err)
	}
	if err := s.SaveIncidents(ctx, "poll#cron", 2, recs); err != nil {
		t.Fatal(err)
	}
	got, err := s.LoadIncidents(ctx, "poll#cron")
	if err != nil || len(got) != 1 || got[0].Peak != 8 || !got[0].Since.Equal(t0) || got[0].Obs.Kind != KindTaskLimit {
		t.Fatalf("load = %+v, %v", got, err)
	}
	if err := s.SaveIncidents(ctx, "poll#cron", 1, nil); !errors.Is(err, ErrFenced) {
		t.Errorf("save under an older fence = %v, want ErrFenced", err)
	}
	if err := s.SaveIncidents(ctx, "poll#cron", 2, nil); err != nil {
		t.Errorf("save under the same fence: %v", err)
	}

	// Receipts.
	if _, ok, err := s.Receipt(ctx, "k"); ok || err != nil {
		t.Fatalf("receipt before save: %v %v", ok, err)
	}
	if err := s.SaveReceipt(ctx, "k", Receipt{Channel: "C1", TS: "1.2"}, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if r, ok, err := s.Receipt(ctx, "k"); !ok || err != nil || r.TS != "1.2" || r.Channel != "C1" {
		t.Errorf("receipt = %+v %v %v", r, ok, err)
	}
	if err := s.DeleteReceipt(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Receipt(ctx, "k"); ok {
		t.Error("receipt after delete")
	}

	// Claims.
	claim := func(owner string, at time.Time, want ClaimResult) {
		t.Helper()
		got, err := s.Claim(ctx, "run#1", owner, at, time.Minute)
		if err != nil || got != want {
			t.Errorf("Claim(%s, +%s) = %v, %v; want %v", owner, at.Sub(t0), got, err, want)
		}
	}
	claim("a", t0, ClaimTaken)
	claim("b", t0.Add(time.Second), ClaimHeld)
	claim("a", t0.Add(time.Second), ClaimTaken) // its own
	if err := s.Release(ctx, "run#1", "b"); err != nil {
		t.Fatal(err)
	}
	claim("b", t0.Add(2*time.Second), ClaimHeld) // b's release freed nothing
	if err := s.Release(ctx, "run#1", "a"); err != nil {
		t.Fatal(err)
	}
	claim("b", t0.Add(3*time.Second), ClaimTaken)
	claim("a", t0.Add(2*time.Minute), ClaimTaken) // b's hold expired
	if err := s.Finish(ctx, "run#1", "a", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	claim("b", t0.Add(3*time.Minute), ClaimDone)
	claim("b", t0.Add(2*time.Hour), ClaimTaken) // remembered no longer

	// Lease: free, held, renewed, expired and taken over with a higher
	// version, released keeping the version.
	l, err := s.AcquireLease(ctx, "a", t0, 30*time.Second)
	if err != nil || l.Version != 1 || l.Owner != "a" {
		t.Fatalf("first lease = %+v, %v", l, err)
	}
	if _, err := s.AcquireLease(ctx, "b", t0.Add(10*time.Second), 30*time.Second); !errors.Is(err, ErrLeaseHeld) {
		t.Errorf("lease held by a, b got %v", err)
	}
	if l, err = s.AcquireLease(ctx, "a", t0.Add(20*time.Second), 30*time.Second); err != nil || l.Version != 1 {
		t.Errorf("renewal = %+v, %v", l, err)
	}
	if _, err := s.AcquireLease(ctx, "b", t0.Add(40*time.Second), 30*time.Second); !errors.Is(err, ErrLeaseHeld) {
		t.Errorf("renewed lease taken: %v", err)
	}
	lb, err := s.AcquireLease(ctx, "b", t0.Add(51*time.Second), 30*time.Second)
	if err != nil || lb.Version != 2 {
		t.Fatalf("take-over = %+v, %v", lb, err)
	}
	if _, err := s.AcquireLease(ctx, "a", t0.Add(52*time.Second), 30*time.Second); !errors.Is(err, ErrLeaseHeld) {
		t.Errorf("old holder renewed a taken lease: %v", err)
	}
	if err := s.ReleaseLease(ctx, lb); err != nil {
		t.Fatal(err)
	}
	if l, err = s.AcquireLease(ctx, "a", t0.Add(53*time.Second), 30*time.Second); err != nil || l.Version != 3 {
		t.Errorf("after release = %+v, %v; want version 3", l, err)
	}

	// Window shares: added by standbys, taken once by the leader.
	if got, err := s.TakeWindowShares(ctx); err != nil || len(got) != 0 {
		t.Fatalf("no shares yet: %v, %v", got, err)
	}
	for _, owner := range []string{"b", "c"} {
		sh := WindowShare{Owner: owner, From: t0, To: t0.Add(time.Minute), Clusters: map[string]ClusterShare{
			"cron": {Jobs: map[string]JobShare{"etl": {Runs: 2, Failures: 1, Durations: []time.Duration{time.Second}}}}}}
		if err := s.AddWindowShare(ctx, sh); err != nil {
			t.Fatal(err)
		}
	}
	shares, err := s.TakeWindowShares(ctx)
	if err != nil || len(shares) != 2 || shares[1].Owner != "c" || shares[0].Clusters["cron"].Jobs["etl"].Failures != 1 ||
		shares[0].Clusters["cron"].Jobs["etl"].Durations[0] != time.Second {
		t.Fatalf("taken shares = %+v, %v", shares, err)
	}
	if got, err := s.TakeWindowShares(ctx); err != nil || len(got) != 0 {
		t.Errorf("shares taken twice: %v, %v", got, err)
	}
	for i := range windowSharesMax + 3 {
		if err := s.AddWindowShare(ctx, WindowShare{Owner: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.TakeWindowShares(ctx); len(got) != windowSharesMax || got[0].Owner != "3" {
		t.Errorf("%d shares kept (first %+v), want the latest %d", len(got), got[0], windowSharesMax)
	}
}

// Standbys adding window shares at once lose none: each write is
// conditioned on the version it read, and one that met another's retries.
// A replica's shares coalesce into one (addShare), their counts summed.
func TestDynamoStoreConcurrentShares(t *testing.T) {
	_, dyn := dynamoSim(t)
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for _, owner := range []string{"b", "c"} {
		wg.Go(func() {
			for i := range 3 {
				at := t0.Add(time.Duration(i) * time.Minute)
				sh := WindowShare{Owner: owner, From: at, To: at.Add(time.Minute), Clusters: map[string]ClusterShare{
					"cron": {Jobs: map[string]JobShare{"etl": {Runs: 1, Failures: 1}}}}}
				if err := dyn.AddWindowShare(t.Context(), sh); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	got, err := dyn.TakeWindowShares(t.Context())
	if err != nil || len(got) != 2 {
		t.Fatalf("taken %d shares (%v), want one per replica", len(got), err)
	}
	for _, sh := range got {
		if j := sh.Clusters["cron"].Jobs["etl"]; j.Runs != 3 || j.Failures != 3 || !sh.From.Equal(t0) || !sh.To.Equal(t0.Add(3*time.Minute)) {
			t.Errorf("%s's share %+v from %s to %s, want its 3 runs from %s to %s", sh.Owner, j, sh.From, sh.To, t0, t0.Add(3*time.Minute))
		}
	}
}
