package awssim

import (
	"net/http"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awshttp"
)

// HTTPClient returns the HTTP client the daemon itself uses with
// aws-sdk-go-v2 (see awshttp.Client for the transport bug it avoids), for
// tests that build SDK clients pointed at the simulator by hand.
func HTTPClient() *http.Client { return awshttp.Client() }
