package monitor

// IAMActions returns every AWS action the daemon calls, in one place, so the
// deployment's task-role policy can be checked against the code (see
// deploy/iam_test.go) and the README can list them. A test in this package
// checks the list against the AWS client interfaces the monitor consumes.
func IAMActions() []string {
	return []string{
		"ecs:ListTasks",
		"ecs:DescribeTasks",
		"ecs:DescribeTaskDefinition",
		"ecs:DescribeClusters",
		"sqs:ReceiveMessage",
		"sqs:DeleteMessage",
		"sqs:ChangeMessageVisibility",
		"sqs:GetQueueAttributes", // once: the events-queue pre-flight check
		"events:ListRuleNamesByTarget",
		"events:DescribeRule",
		"events:ListTargetsByRule",
		"scheduler:ListSchedules",
		"scheduler:GetSchedule",
		"cloudwatch:GetMetricData",
		"servicequotas:GetServiceQuota",
		"dynamodb:GetItem",
		"dynamodb:PutItem",
		"dynamodb:DeleteItem",
		"sts:AssumeRole",
		// Reading the configuration from -config ssm:/path or s3://bucket/key
		// (internal/configsrc); kms:Decrypt for a SecureString under a
		// customer key.
		"ssm:GetParameter",
		"kms:Decrypt",
		"s3:GetObject",
	}
}
