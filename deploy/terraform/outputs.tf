output "queue_url" {
  description = "URL of the ECS Task State Change queue (set as EVENTS_QUEUE_URL in the task)."
  value       = aws_sqs_queue.events.url
}

output "queue_arn" {
  description = "ARN of the event queue."
  value       = aws_sqs_queue.events.arn
}

output "dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue (alarm on its ApproximateNumberOfMessagesVisible)."
  value       = aws_sqs_queue.events_dlq.arn
}

output "event_rule_arn" {
  description = "ARN of the EventBridge rule matching the monitored clusters' task state changes."
  value       = aws_cloudwatch_event_rule.task_state_change.arn
}

output "task_role_arn" {
  description = "Role the daemon runs as; trust it from the roles in assume_role_arns for cross-account clusters."
  value       = aws_iam_role.task.arn
}

output "execution_role_arn" {
  description = "Role ECS uses to pull the image, write logs and read the secrets."
  value       = aws_iam_role.execution.arn
}

output "task_definition_arn" {
  description = "ARN of the task definition revision."
  value       = aws_ecs_task_definition.this.arn
}

output "service_name" {
  description = "Name of the ECS service."
  value       = aws_ecs_service.this.name
}

output "log_group_name" {
  description = "CloudWatch log group of the daemon (and the Datadog agent)."
  value       = aws_cloudwatch_log_group.this.name
}

output "scheduler_dlq_arn" {
  description = "ARN of the Scheduler dead-letter queue (null unless scheduler_dlq): set it as the schedules' DeadLetterConfig.Arn and grant their execution role sqs:SendMessage on it."
  value       = var.scheduler_dlq ? aws_sqs_queue.scheduler_dlq[0].arn : null
}

output "config_parameter_name" {
  description = "SSM parameter holding the configuration (null when config_s3_uri is used)."
  value       = local.config_in_ssm ? aws_ssm_parameter.config[0].name : null
}

output "alarm_topic_arn" {
  description = "SNS topic the monitor's own alarms go to; subscribe Slack or PagerDuty to it."
  value       = local.alarm_topic_arn
}

output "event_bus_arn" {
  description = "This account's default event bus, which member accounts forward ECS events to (modules/member central_event_bus_arn)."
  value       = "arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/default"
}

output "state_table_name" {
  description = "DynamoDB table of the daemon's state (set as STATE_TABLE in the task)."
  value       = aws_dynamodb_table.state.name
}
