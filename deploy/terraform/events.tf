# ECS Task State Change events of the monitored clusters -> EventBridge rule ->
# SQS queue the daemon long-polls. A message received maxReceiveCount times
# (below) without being deleted goes to the dead-letter queue instead of
# looping forever.
#
# EventBridge rules only see events of their own account and Region: clusters
# elsewhere are still polled, and their events reach this account's default
# bus through modules/member's forwarding rules (bus policy below).

resource "aws_sqs_queue" "events_dlq" {
  name                      = "${var.name}-events-dlq"
  message_retention_seconds = 1209600 # 14 days, the maximum: time to inspect
  sqs_managed_sse_enabled   = true
  tags                      = local.tags
}

resource "aws_sqs_queue" "events" {
  name                       = "${var.name}-events"
  message_retention_seconds  = var.queue_message_retention_seconds
  visibility_timeout_seconds = var.queue_visibility_timeout_seconds
  receive_wait_time_seconds  = 20 # long polling by default
  # SSE with SQS-owned keys needs no key policy for events.amazonaws.com; a
  # customer KMS key would (see docs/AWS-NOTES.md §3).
  sqs_managed_sse_enabled = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.events_dlq.arn
    # Failed Slack deliveries use up receives too: the daemon hides such a
    # message for 10s, 20s, 40s, then its visibility_timeout (60s by
    # default) per receive, so 60 receives ride out about an hour of Slack
    # outage. A malformed event reaches the DLQ after the same hour.
    maxReceiveCount = 60
  })

  tags = local.tags
}

# One rule, two kinds of event (README, "Launch failures"; docs/AWS-NOTES.md §7):
# - ECS Task State Change events of the monitored clusters;
# - CloudTrail records of RunTask calls, which tell a launch that was
#   refused (quota, capacity, permissions, configuration). EventBridge gets
#   these only when the account has a CloudTrail trail that logs management
#   events (without one, none arrive and nothing else changes); their
#   requestParameters name the cluster by name or ARN, so they
#   are not filtered by cluster here (the daemon ignores other clusters).
resource "aws_cloudwatch_event_rule" "task_state_change" {
  name        = "${var.name}-task-state-change"
  description = "ECS Task State Change events of the clusters ecs-cron-monitor watches, and RunTask calls recorded by CloudTrail"

  event_pattern = jsonencode({
    source        = ["aws.ecs"]
    "detail-type" = ["ECS Task State Change", "AWS API Call via CloudTrail"]
    detail = {
      "$or" = [
        { clusterArn = var.cluster_arns },
        { eventSource = ["ecs.amazonaws.com"], eventName = ["RunTask"] },
      ]
    }
  })

  tags = local.tags
}

# No role_arn: SQS targets are authorised by the queue policy below, and a
# role on an SQS target can break delivery.
resource "aws_cloudwatch_event_target" "queue" {
  rule      = aws_cloudwatch_event_rule.task_state_change.name
  target_id = "ecs-cron-monitor-queue"
  arn       = aws_sqs_queue.events.arn
}

data "aws_iam_policy_document" "queue" {
  statement {
    sid       = "AllowTaskStateChangeRule"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.events.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    # Only this rule may send, not any rule of any account.
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.task_state_change.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "events" {
  queue_url = aws_sqs_queue.events.id
  policy    = data.aws_iam_policy_document.queue.json
}

# Optional: the queue EventBridge Scheduler schedules name as their
# dead-letter queue (DeadLetterConfig.Arn). Scheduler sends to it with the
# schedule's execution role, which needs sqs:SendMessage on this queue
# (output scheduler_dlq_arn); no queue policy is involved.
resource "aws_sqs_queue" "scheduler_dlq" {
  count                     = var.scheduler_dlq ? 1 : 0
  name                      = "${var.name}-scheduler-dlq"
  message_retention_seconds = 1209600 # 14 days: a dead letter the daemon cannot read waits for a person
  receive_wait_time_seconds = 20
  sqs_managed_sse_enabled   = true
  tags                      = local.tags
}

# Member accounts (modules/member) forward their clusters' ECS events to
# this account's default bus; the rule above matches them like local ones
# (its pattern names every monitored cluster's ARN, whatever its account).
# Only the listed accounts may put events on the bus.
data "aws_iam_policy_document" "bus" {
  count = length(var.member_account_ids) > 0 ? 1 : 0
  statement {
    sid       = "MemberAccountsPutEcsEvents"
    effect    = "Allow"
    actions   = ["events:PutEvents"]
    resources = ["arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/default"]
    principals {
      type        = "AWS"
      identifiers = [for a in var.member_account_ids : "arn:${local.partition}:iam::${a}:root"]
    }
  }
}

resource "aws_cloudwatch_event_bus_policy" "members" {
  count          = length(var.member_account_ids) > 0 ? 1 : 0
  event_bus_name = "default"
  policy         = data.aws_iam_policy_document.bus[0].json
}
