package awssim

import (
	smithyhttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awshttp"
)

// HTTPClient returns the HTTP client the daemon itself gives aws-sdk-go-v2
// (the SDK's default, wrapped by awshttp.Wrap for the transport bug it
// avoids), for tests that build SDK clients pointed at the simulator.
func HTTPClient() awshttp.Doer { return awshttp.Wrap(smithyhttp.NewBuildableClient()) }
