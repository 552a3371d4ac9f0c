output "read_role_arn" {
  description = "Role the daemon assumes for this account's clusters: the config's cluster.role_arn, and an entry of the central module's assume_role_arns."
  value       = aws_iam_role.read.arn
}

output "forward_rule_arns" {
  description = "EventBridge rules forwarding this account's ECS events to the central bus."
  value       = [aws_cloudwatch_event_rule.task_state_change.arn, aws_cloudwatch_event_rule.run_task.arn]
}
