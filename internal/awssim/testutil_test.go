package awssim

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

func newSimClock() *testkit.Clock {
	return testkit.NewClock(time.Date(2026, 3, 9, 1, 0, 2, 481_000_000, time.UTC))
}

// startSim starts a simulator on 127.0.0.1 with an injected clock and
// closes it when the test ends.
func startSim(t testing.TB, clock *testkit.Clock) *Server {
	t.Helper()
	s := New(Options{Now: clock.Now})
	if err := s.Start(); err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close simulator: %v", err)
		}
	})
	return s
}

// ecsClient is the real SDK client pointed at the simulator, without
// retries so that injected faults surface at once and call counts are
// exact (see HTTPClient for why it needs its own HTTP client).
func ecsClient(s *Server) *ecs.Client {
	return ecs.New(ecs.Options{
		BaseEndpoint:     aws.String(s.URL()),
		Region:           s.Region(),
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       HTTPClient(),
	})
}
