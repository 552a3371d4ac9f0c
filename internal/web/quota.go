package web

import "math"

// share is used as a whole percentage of limit, 0 without a limit; above
// 100 when usage passed the quota.
func share(used, limit float64) int {
	if limit <= 0 {
		return 0
	}
	return int(math.Round(used / limit * 100))
}

// classWords names a Fargate capacity class as the AWS console does.
func classWords(class string) string {
	if class == "OnDemand" {
		return "On-Demand"
	}
	return class
}
