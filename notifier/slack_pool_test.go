package notifier

import (
	"net/http"
	"testing"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
)

// The default HTTP client keeps more than net/http's two idle connections
// to Slack, so concurrent deliveries reuse them instead of re-dialing.
func TestSlackDefaultClientKeepsIdleConnections(t *testing.T) {
	s, err := NewSlack(config.Slack{Token: "xoxb-test", Channel: "#cron"}, SlackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tr, ok := s.httpClient.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport is %T, want *http.Transport", s.httpClient.Transport)
	}
	if tr.MaxIdleConnsPerHost < slackIdleConns || s.httpClient.Timeout != defaultHTTPTimeout {
		t.Errorf("idle connections per host %d, timeout %v", tr.MaxIdleConnsPerHost, s.httpClient.Timeout)
	}
	if tr.Proxy == nil {
		t.Error("the default transport's proxy settings were lost")
	}
}
