# The monitor is watched too (opt out with alarms_enabled = false): alarms to
# an SNS topic the user subscribes Slack (AWS Chatbot), PagerDuty or e-mail to.

locals {
  alarm_topic_arn = var.alarms_enabled ? coalesce(var.alarm_topic_arn, try(aws_sns_topic.alarms[0].arn, null)) : null
}

resource "aws_sns_topic" "alarms" {
  count = var.alarms_enabled && var.alarm_topic_arn == null ? 1 : 0
  name  = "${var.name}-alarms"
  tags  = local.tags
}

# An event the daemon could not handle (malformed, or its alert undeliverable
# for about an hour) is in the dead-letter queue: someone should look.
resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  count               = var.alarms_enabled ? 1 : 0
  alarm_name          = "${var.name}-dead-letters"
  alarm_description   = "ECS events reached ecs-cron-monitor's dead-letter queue: they were never alerted."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.events_dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.alarm_topic_arn]
  ok_actions          = [local.alarm_topic_arn]
  tags                = local.tags
}

# No running monitor task. AWS/ECS publishes the service's CPUUtilization
# once a minute while a task runs; with none, there are no data points, so
# missing data breaches (RunningTaskCount would need Container Insights).
resource "aws_cloudwatch_metric_alarm" "not_running" {
  count               = var.alarms_enabled ? 1 : 0
  alarm_name          = "${var.name}-not-running"
  alarm_description   = "ecs-cron-monitor has no running task: nothing watches the cron jobs."
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  dimensions          = { ClusterName = element(split("/", var.cluster_name_for_service), length(split("/", var.cluster_name_for_service)) - 1), ServiceName = aws_ecs_service.this.name }
  statistic           = "SampleCount"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = [local.alarm_topic_arn]
  ok_actions          = [local.alarm_topic_arn]
  tags                = local.tags
}

# Events pile up: the daemon runs but does not consume (stuck, or denied).
resource "aws_cloudwatch_metric_alarm" "events_piling_up" {
  count               = var.alarms_enabled ? 1 : 0
  alarm_name          = "${var.name}-events-piling-up"
  alarm_description   = "The oldest ECS event in ecs-cron-monitor's queue is older than ${var.alarm_oldest_event_seconds}s: failures are not being alerted."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = aws_sqs_queue.events.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_oldest_event_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.alarm_topic_arn]
  ok_actions          = [local.alarm_topic_arn]
  tags                = local.tags
}
