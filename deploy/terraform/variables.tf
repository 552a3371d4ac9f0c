variable "name" {
  description = "Name prefix for every resource this module creates (roles, queue, log group, service)."
  type        = string
  default     = "ecs-cron-monitor"
}

variable "cluster_arns" {
  description = "ARNs of the ECS clusters the daemon monitors. They scope the task role and the EventBridge rule; list the same clusters as the config file's [[cluster]] tables."
  type        = list(string)

  validation {
    condition     = length(var.cluster_arns) > 0 && alltrue([for a in var.cluster_arns : can(regex("^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9_-]+$", a))])
    error_message = "cluster_arns must be a non-empty list of ECS cluster ARNs (arn:aws:ecs:<region>:<account>:cluster/<name>)."
  }
}

variable "cluster_name_for_service" {
  description = "Name or ARN of the ECS cluster the monitor itself runs in (may be one of the monitored clusters)."
  type        = string
}

variable "subnets" {
  description = "Subnets for the monitor task (awsvpc). Private subnets need a NAT gateway or VPC endpoints for ECS, SQS, EventBridge, Scheduler, STS, Logs, ECR/SSM and Slack."
  type        = list(string)
}

variable "security_groups" {
  description = "Security groups for the monitor task. It needs outbound HTTPS only; nothing connects to it."
  type        = list(string)
}

variable "assign_public_ip" {
  description = "Give the task a public IP (only for public subnets without NAT)."
  type        = bool
  default     = false
}

variable "image" {
  description = "Container image of ecs-cron-monitor built from deploy/Dockerfile, e.g. 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/ecs-cron-monitor:v1.2.3."
  type        = string
}

variable "slack_secret_arn" {
  description = "ARN of the SSM SecureString parameter or Secrets Manager secret holding the Slack webhook URL or bot token. Injected as the environment variable named by slack_secret_env_name."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:(ssm|secretsmanager):", var.slack_secret_arn))
    error_message = "slack_secret_arn must be an SSM parameter ARN or a Secrets Manager secret ARN."
  }
}

variable "slack_secret_env_name" {
  description = "Environment variable the Slack secret is injected as; the config file refers to it as $${NAME} (e.g. webhook_url = \"$${SLACK_WEBHOOK_URL}\")."
  type        = string
  default     = "SLACK_WEBHOOK_URL"
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key that encrypts the Slack / Datadog secrets, if any. Null for the AWS-managed default keys."
  type        = string
  default     = null
}

variable "datadog_api_key_secret_arn" {
  description = "ARN of the SSM parameter or Secrets Manager secret holding the Datadog API key. Null: no Datadog agent sidecar."
  type        = string
  default     = null

  validation {
    condition     = var.datadog_api_key_secret_arn == null || can(regex("^arn:aws[a-z-]*:(ssm|secretsmanager):", var.datadog_api_key_secret_arn))
    error_message = "datadog_api_key_secret_arn must be null, an SSM parameter ARN or a Secrets Manager secret ARN."
  }
}

variable "datadog_site" {
  description = "Datadog site the agent sends to (datadoghq.com, datadoghq.eu, ap1.datadoghq.com, ...)."
  type        = string
  default     = "datadoghq.com"
}

variable "datadog_agent_image" {
  description = "Datadog agent image for the sidecar."
  type        = string
  default     = "public.ecr.aws/datadog/agent:7"
}

variable "assume_role_arns" {
  description = "IAM role ARNs the daemon may assume (the role_arn values of [[cluster]] tables for clusters in other accounts). Empty: no sts:AssumeRole is granted."
  type        = list(string)
  default     = []
}

variable "environment" {
  description = "Extra plain environment variables for the daemon, referenced from the config file as $${NAME}. EVENTS_QUEUE_URL and AWS_REGION are always set by the module."
  type        = map(string)
  default     = {}
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log group."
  type        = number
  default     = 30
}

variable "cpu" {
  description = "Task CPU units (Fargate sizes)."
  type        = number
  default     = 256
}

variable "memory" {
  description = "Task memory in MiB (Fargate sizes)."
  type        = number
  default     = 512
}

variable "cpu_architecture" {
  description = "X86_64 or ARM64; must match the image's platform."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "queue_message_retention_seconds" {
  description = "How long undelivered ECS events stay in the queue (covers a monitor outage)."
  type        = number
  default     = 345600 # 4 days
}

variable "queue_visibility_timeout_seconds" {
  description = "Queue default visibility timeout; keep it >= the config's [events] visibility_timeout."
  type        = number
  default     = 60
}

variable "desired_count" {
  description = "Replicas of the daemon: 1, or 2 for a standby that takes over within two lease periods when the leader dies (README: Running two replicas)."
  type        = number
  default     = 1
  validation {
    condition     = contains([1, 2], var.desired_count)
    error_message = "desired_count must be 1 or 2."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "scheduler_dlq" {
  description = "Create an SQS queue for EventBridge Scheduler schedules to name as their dead-letter queue, and have the daemon read it ([events] scheduler_dlq_url)."
  type        = bool
  default     = false
}

variable "config" {
  description = "The daemon's configuration (TOML text), stored in an SSM SecureString parameter the daemon reads at start and on every change (-config ssm:/<name>/config), so changing a threshold is terraform apply, not an image build. Null: deploy/config.toml. Ignored when config_s3_uri is set."
  type        = string
  default     = null
}

variable "config_s3_uri" {
  description = "s3://bucket/key of a configuration the daemon reads instead of the SSM parameter (grants s3:GetObject on that object only). Null: the SSM parameter."
  type        = string
  default     = null

  validation {
    condition     = var.config_s3_uri == null || can(regex("^s3://[a-z0-9.-]{3,63}/.+$", var.config_s3_uri))
    error_message = "config_s3_uri must be null or s3://bucket/key."
  }
}


variable "member_account_ids" {
  description = "Accounts whose ECS events are forwarded to this account's default event bus by modules/member. The bus policy lets exactly these accounts put events. Empty: no bus policy."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.member_account_ids : can(regex("^[0-9]{12}$", a))])
    error_message = "member_account_ids must be 12-digit account ids."
  }
}

variable "alarms_enabled" {
  description = "Create the CloudWatch alarms that watch the monitor itself (dead-letter queue depth, no running task, events piling up)."
  type        = bool
  default     = true
}

variable "alarm_topic_arn" {
  description = "Existing SNS topic for the alarms (subscribe Slack, PagerDuty or e-mail to it). Null: the module creates one."
  type        = string
  default     = null
}

variable "alarm_oldest_event_seconds" {
  description = "Alarm when the oldest message in the event queue is older than this: events pile up because the daemon does not consume them."
  type        = number
  default     = 600
}
