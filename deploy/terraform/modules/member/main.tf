# ecs-cron-monitor in a member account: the read-only role the central
# daemon assumes (cluster.role_arn + external_id in its config), and the
# EventBridge rules that forward this account's ECS Task State Change events
# and CloudTrail RunTask records to the central account's event bus, where
# the central module's bus policy accepts them.

data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition
  tags      = merge({ "app" = var.name }, var.tags)

  clusters = [for arn in var.cluster_arns : {
    region  = split(":", arn)[3]
    account = split(":", arn)[4]
    name    = trimprefix(split(":", arn)[5], "cluster/")
  }]
  task_arn_patterns     = [for c in local.clusters : "arn:${local.partition}:ecs:${c.region}:${c.account}:task/${c.name}/*"]
  scopes                = distinct([for c in local.clusters : "${c.region}:${c.account}"])
  rule_arn_patterns     = [for s in local.scopes : "arn:${local.partition}:events:${s}:rule/*"]
  schedule_arn_patterns = [for s in local.scopes : "arn:${local.partition}:scheduler:${s}:schedule/*"]
}

# Only the central daemon's task role, and only with the external id.
data "aws_iam_policy_document" "read_trust" {
  statement {
    sid     = "CentralMonitorAssumes"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = [var.central_task_role_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [var.external_id]
    }
  }
}

resource "aws_iam_role" "read" {
  name                 = "${var.name}-read"
  description          = "Assumed by ecs-cron-monitor in the central account to watch this account's clusters (read only)"
  assume_role_policy   = data.aws_iam_policy_document.read_trust.json
  max_session_duration = 3600
  tags                 = local.tags
}

# The cluster-side actions of monitor.IAMActions() (deploy/iam_test.go
# checks), scoped like the central task role's. Keep `actions` literal.
data "aws_iam_policy_document" "read" {
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

  statement {
    sid       = "DescribeMonitoredClusters"
    actions   = ["ecs:DescribeClusters"]
    resources = var.cluster_arns
  }

  statement {
    sid       = "DescribeTaskDefinitions"
    actions   = ["ecs:DescribeTaskDefinition"]
    resources = ["*"]
  }

  statement {
    sid       = "ReadScheduleRules"
    actions   = ["events:DescribeRule", "events:ListTargetsByRule"]
    resources = local.rule_arn_patterns
  }

  statement {
    sid       = "FindRulesByTarget"
    actions   = ["events:ListRuleNamesByTarget"]
    resources = ["*"]
  }

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

  # The account checks the daemon runs per account and region: Fargate vCPU
  # in use and the rules' FailedInvocations (GetMetricData supports no
  # resource type), and the Fargate quotas.
  statement {
    sid       = "ReadUsageAndRuleMetrics"
    actions   = ["cloudwatch:GetMetricData"]
    resources = ["*"]
  }

  statement {
    sid       = "ReadFargateQuotas"
    actions   = ["servicequotas:GetServiceQuota"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "read" {
  name   = "${var.name}-read"
  role   = aws_iam_role.read.id
  policy = data.aws_iam_policy_document.read.json
}

# Forwarding to another account's bus needs a role EventBridge assumes.
data "aws_iam_policy_document" "forward_trust" {
  statement {
    sid     = "EventBridgeAssumes"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "forward" {
  name               = "${var.name}-forward"
  assume_role_policy = data.aws_iam_policy_document.forward_trust.json
  tags               = local.tags
}

data "aws_iam_policy_document" "forward" {
  statement {
    sid       = "PutEventsOnCentralBus"
    actions   = ["events:PutEvents"]
    resources = [var.central_event_bus_arn]
  }
}

resource "aws_iam_role_policy" "forward" {
  name   = "${var.name}-forward"
  role   = aws_iam_role.forward.id
  policy = data.aws_iam_policy_document.forward.json
}

resource "aws_cloudwatch_event_rule" "task_state_change" {
  name        = "${var.name}-task-state-change"
  description = "Forward ECS Task State Change events of the monitored clusters to ecs-cron-monitor's account"
  event_pattern = jsonencode({
    source        = ["aws.ecs"]
    "detail-type" = ["ECS Task State Change"]
    detail        = { clusterArn = var.cluster_arns }
  })
  tags = local.tags
}

# RunTask as CloudTrail records it (only with a trail logging management
# events): a scheduled run that failed to start leaves no task behind.
resource "aws_cloudwatch_event_rule" "run_task" {
  name        = "${var.name}-run-task"
  description = "Forward CloudTrail RunTask records to ecs-cron-monitor's account"
  event_pattern = jsonencode({
    source        = ["aws.ecs"]
    "detail-type" = ["AWS API Call via CloudTrail"]
    detail = {
      eventSource = ["ecs.amazonaws.com"]
      eventName   = ["RunTask"]
    }
  })
  tags = local.tags
}

resource "aws_cloudwatch_event_target" "task_state_change" {
  rule      = aws_cloudwatch_event_rule.task_state_change.name
  target_id = "central-bus"
  arn       = var.central_event_bus_arn
  role_arn  = aws_iam_role.forward.arn
}

resource "aws_cloudwatch_event_target" "run_task" {
  rule      = aws_cloudwatch_event_rule.run_task.name
  target_id = "central-bus"
  arn       = var.central_event_bus_arn
  role_arn  = aws_iam_role.forward.arn
}
