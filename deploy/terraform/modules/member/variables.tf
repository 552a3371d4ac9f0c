variable "name" {
  description = "Name prefix for the role and rules this module creates in the member account."
  type        = string
  default     = "ecs-cron-monitor"
}

variable "central_task_role_arn" {
  description = "The daemon's task role in the central account (the central module's task_role_arn output): the only principal the read role trusts."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.central_task_role_arn))
    error_message = "central_task_role_arn must be an IAM role ARN."
  }
}

variable "external_id" {
  description = "External id the daemon sends when assuming the read role (the config's cluster.external_id); guards against the confused deputy."
  type        = string

  validation {
    condition     = length(var.external_id) >= 2 && length(var.external_id) <= 1224 && can(regex("^[A-Za-z0-9+=,.@:/_-]+$", var.external_id))
    error_message = "external_id must be 2 to 1224 characters of letters, digits and +=,.@:/_-."
  }
}

variable "central_event_bus_arn" {
  description = "The central account's default event bus (the central module's event_bus_arn output); this account's ECS events are forwarded there."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/.+$", var.central_event_bus_arn))
    error_message = "central_event_bus_arn must be an EventBridge event bus ARN."
  }
}

variable "cluster_arns" {
  description = "ECS clusters of this account the daemon monitors (also listed in the central module's cluster_arns)."
  type        = list(string)

  validation {
    condition     = length(var.cluster_arns) > 0 && alltrue([for a in var.cluster_arns : can(regex("^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9_-]+$", a))])
    error_message = "cluster_arns must be a non-empty list of ECS cluster ARNs."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
