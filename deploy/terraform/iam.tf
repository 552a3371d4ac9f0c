# Two roles, both least privilege:
# - the task role is what the daemon's AWS SDK uses; its actions are exactly
#   monitor.IAMActions() (deploy/iam_test.go fails on any difference), each
#   scoped as far as the Service Authorization Reference allows;
# - the execution role is what ECS uses to start the task: pull the image,
#   write logs, read the two secrets.

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    sid     = "EcsTasksAssume"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    # Confused-deputy guard: only tasks of this account may assume the roles.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "task" {
  name               = "${var.name}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = local.tags
}

resource "aws_iam_role" "execution" {
  name               = "${var.name}-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = local.tags
}

# The daemon's permissions. Keep `actions` literal string lists: the test
# reads them statically.
data "aws_iam_policy_document" "task" {
  # ListTasks authorises against the container-instance resource type, which
  # Fargate tasks do not have; AWS's own examples use Resource "*" narrowed by
  # the ecs:cluster condition key (ARN of the cluster in the request).
  statement {
    sid       = "ListTasksInMonitoredClusters"
    actions   = ["ecs:ListTasks"]
    resources = ["*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = var.cluster_arns
    }
  }

  # DescribeTasks supports the task resource type (task/<cluster>/<id>) and
  # the ecs:cluster condition key; use both.
  statement {
    sid       = "DescribeTasksInMonitoredClusters"
    actions   = ["ecs:DescribeTasks"]
    resources = local.task_arn_patterns
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = var.cluster_arns
    }
  }

  # DescribeClusters (the cluster's ARN, for rule discovery on a cluster
  # where no task runs) supports the cluster resource type: the monitored
  # clusters' ARNs and nothing else.
  statement {
    sid       = "DescribeMonitoredClusters"
    actions   = ["ecs:DescribeClusters"]
    resources = var.cluster_arns
  }

  # DescribeTaskDefinition supports no resource-level permissions (the
  # Service Authorization Reference lists no resource type), so "*" is the
  # only value that works. It is read-only.
  statement {
    sid       = "DescribeTaskDefinitions"
    actions   = ["ecs:DescribeTaskDefinition"]
    resources = ["*"]
  }

  # The event queue this module creates, and nothing else. GetQueueAttributes
  # is the `once` pre-flight check that the queue is reachable.
  statement {
    sid = "ConsumeTaskStateChangeQueue"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:GetQueueAttributes",
    ]
    resources = [aws_sqs_queue.events.arn]
  }

  # The state table this module creates, and nothing else: items are read,
  # written (conditionally, for the lease and claims) and deleted one by one.
  statement {
    sid = "StateTable"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:DeleteItem",
    ]
    resources = [aws_dynamodb_table.state.arn]
  }

  # Rule lookups that work on a named rule support the rule resource type;
  # scope them to rules in the monitored clusters' accounts and Regions
  # (default and custom buses: rule/<name> and rule/<bus>/<name>).
  statement {
    sid = "ReadScheduleRules"
    actions = [
      "events:DescribeRule",
      "events:ListTargetsByRule",
    ]
    resources = local.rule_arn_patterns
  }

  # ListRuleNamesByTarget names a target ARN, not a rule, and the reference
  # consulted for this module did not confirm a usable resource type for it,
  # so it gets "*" (read-only; a wrong scope would make the call fail with
  # AccessDenied).
  statement {
    sid       = "FindRulesByTarget"
    actions   = ["events:ListRuleNamesByTarget"]
    resources = ["*"]
  }

  # GetSchedule supports the schedule resource type
  # (schedule/<group>/<name>); ListSchedules supports none.
  statement {
    sid       = "ReadSchedules"
    actions   = ["scheduler:GetSchedule"]
    resources = local.schedule_arn_patterns
  }

  statement {
    sid       = "ListSchedules"
    actions   = ["scheduler:ListSchedules"]
    resources = ["*"]
  }

  # The Scheduler dead-letter queue, when the module creates one.
  dynamic "statement" {
    for_each = var.scheduler_dlq ? [1] : []
    content {
      sid = "ConsumeSchedulerDeadLetterQueue"
      actions = [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
      ]
      resources = [aws_sqs_queue.scheduler_dlq[0].arn]
    }
  }

  # AWS/Usage (Fargate vCPU in use) and AWS/Events (FailedInvocations of the
  # rules): GetMetricData supports no resource type, so "*". Read-only.
  statement {
    sid       = "ReadUsageAndRuleMetrics"
    actions   = ["cloudwatch:GetMetricData"]
    resources = ["*"]
  }

  # The two Fargate vCPU quotas. The reference consulted for this module
  # did not confirm a resource type for GetServiceQuota, so "*" (read-only;
  # a wrong scope would fail with AccessDenied, one monitor_error).
  statement {
    sid       = "ReadFargateQuotas"
    actions   = ["servicequotas:GetServiceQuota"]
    resources = ["*"]
  }

  # The configuration: the module's SSM parameter, or the one S3 object.
  dynamic "statement" {
    for_each = local.config_in_ssm ? [1] : []
    content {
      sid       = "ReadConfigParameter"
      actions   = ["ssm:GetParameter"]
      resources = [aws_ssm_parameter.config[0].arn]
    }
  }

  dynamic "statement" {
    for_each = local.config_in_ssm ? [] : [1]
    content {
      sid       = "ReadConfigObject"
      actions   = ["s3:GetObject"]
      resources = ["arn:${local.partition}:s3:::${local.config_s3_bucket}/${local.config_s3_key}"]
    }
  }

  # A SecureString under a customer key needs kms:Decrypt on that key, and
  # only through SSM (the AWS-managed aws/ssm key needs no grant).
  dynamic "statement" {
    for_each = local.config_in_ssm && var.kms_key_arn != null ? [1] : []
    content {
      sid       = "DecryptConfigParameter"
      actions   = ["kms:Decrypt"]
      resources = [var.kms_key_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["ssm.${local.region}.amazonaws.com"]
      }
    }
  }

  # Cross-account clusters: only the listed roles, and only when there are
  # any (an empty resources list would be an invalid statement).
  dynamic "statement" {
    for_each = length(var.assume_role_arns) > 0 ? [1] : []
    content {
      sid       = "AssumeMonitoringRoles"
      actions   = ["sts:AssumeRole"]
      resources = var.assume_role_arns
    }
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "${var.name}-task"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid     = "WriteLogs"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    # The provider's log group arn has no ":*" suffix; log streams need it.
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  dynamic "statement" {
    for_each = local.ecr_repository_arn == null ? [] : [1]
    content {
      sid = "PullImage"
      actions = [
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage",
      ]
      resources = [local.ecr_repository_arn]
    }
  }

  # GetAuthorizationToken is account-wide: it supports no resource type.
  dynamic "statement" {
    for_each = local.ecr_repository_arn == null ? [] : [1]
    content {
      sid       = "EcrLogin"
      actions   = ["ecr:GetAuthorizationToken"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = length(local.ssm_parameter_arns) > 0 ? [1] : []
    content {
      sid       = "ReadSsmSecrets"
      actions   = ["ssm:GetParameters"]
      resources = local.ssm_parameter_arns
    }
  }

  dynamic "statement" {
    for_each = length(local.secretsmanager_arns) > 0 ? [1] : []
    content {
      sid       = "ReadSecretsManagerSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = local.secretsmanager_arns
    }
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [1]
    content {
      sid       = "DecryptSecrets"
      actions   = ["kms:Decrypt"]
      resources = [var.kms_key_arn]
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "${var.name}-execution"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}
