package monitor

import "strings"

// Causes of a refused launch (launch_failed). Their string values are part
// of the JSON contract of `once -o json` and of the job.launch_failed
// metric's cause tag. The table below is documented, with the public source
// of every row, in the README ("Launch failure causes"); each row has a
// sample record under testdata/cloudtrail or testdata/scheduler-dlq. The
// codes and texts matched are those of docs/AWS-NOTES.md §7.
const (
	CauseFargateVCPUQuota     Cause = "fargate_vcpu_quota"
	CauseCapacity             Cause = "capacity"
	CauseAccessDenied         Cause = "access_denied"
	CauseInvalidConfiguration Cause = "invalid_configuration"
	CauseThrottled            Cause = "throttled"
	CauseUnknown              Cause = "unknown"
)

// causeRule matches an AWS error code (exact, after any "AWS.Scheduler."-
// style namespace is cut) or a fragment of the error text (lower case).
type causeRule struct {
	cause Cause
	codes []string
	texts []string
}

// causeRules is the cause table, most specific first: a quota message is
// checked before the generic codes it may arrive with.
func causeRules() []causeRule {
	return []causeRule{
		{cause: CauseFargateVCPUQuota, texts: []string{
			"limit on the number of vcpus",
			"vcpu limit",
		}},
		{cause: CauseCapacity, texts: []string{
			// RESOURCE:CPU, RESOURCE:MEMORY, RESOURCE:PORTS_TCP, RESOURCE:GPU,
			// RESOURCE:ENI... (not "resource:" alone: IAM messages say "on
			// resource: arn:...").
			"resource:cpu", "resource:memory", "resource:ports", "resource:gpu", "resource:eni",
			"capacity is unavailable",
			"no spot capacity",
			"insufficient capacity",
		}},
		{cause: CauseAccessDenied, codes: []string{
			"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnrecognizedClientException",
		}, texts: []string{
			"not authorized to perform",
			"iam:passrole",
			"unable to assume",
		}},
		{cause: CauseThrottled, codes: []string{
			"ThrottlingException", "Throttling", "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded",
		}, texts: []string{"rate exceeded"}},
		{cause: CauseInvalidConfiguration, codes: []string{
			"InvalidParameterException", "ClientException", "ClusterNotFoundException",
			"PlatformUnknownException", "PlatformTaskDefinitionIncompatibilityException",
			"UnsupportedFeatureException", "ValidationException", "ResourceNotFoundException",
		}, texts: []string{
			"subnet", "security group", "task definition", "taskdefinition", "platform version",
		}},
	}
}

// ClassifyLaunch names the cause of a refused launch from AWS's error code
// (may be empty) and its error text or failure reason.
func ClassifyLaunch(code, text string) Cause {
	if i := strings.LastIndex(code, "."); i >= 0 {
		code = code[i+1:]
	}
	lower := strings.ToLower(text)
	for _, r := range causeRules() {
		for _, t := range r.texts {
			if strings.Contains(lower, t) {
				return r.cause
			}
		}
		for _, c := range r.codes {
			if strings.EqualFold(code, c) {
				return r.cause
			}
		}
	}
	return CauseUnknown
}

// LaunchCauseText says a cause in words, for the missed-run message and
// the alerts: "Fargate vCPU quota reached".
func LaunchCauseText(c Cause) string {
	switch c {
	case CauseFargateVCPUQuota:
		return "Fargate vCPU quota reached"
	case CauseCapacity:
		return "no capacity available"
	case CauseAccessDenied:
		return "access denied"
	case CauseInvalidConfiguration:
		return "invalid configuration"
	case CauseThrottled:
		return "throttled by AWS"
	}
	return "launch refused"
}
