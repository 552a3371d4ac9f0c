# Minimal use of the module: monitor two clusters of this account, run the
# monitor in one of them, Slack webhook from SSM, Datadog agent sidecar.

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region = "ap-northeast-1"
}

module "ecs_cron_monitor" {
  source = "../.."

  cluster_arns = [
    "arn:aws:ecs:ap-northeast-1:123456789012:cluster/cron",
    "arn:aws:ecs:ap-northeast-1:123456789012:cluster/batch",
  ]
  cluster_name_for_service = "ops"

  subnets         = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
  security_groups = ["sg-0123456789abcdef0"]

  image = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/ecs-cron-monitor:v1.0.0"

  # SecureString parameter holding the incoming-webhook URL; injected as
  # SLACK_WEBHOOK_URL, which the baked config references as ${SLACK_WEBHOOK_URL}.
  slack_secret_arn = "arn:aws:ssm:ap-northeast-1:123456789012:parameter/ecs-cron-monitor/slack-webhook-url"

  datadog_api_key_secret_arn = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:datadog/api-key-AbCdEf"

  # A cluster in another account, reached through this role (config role_arn).
  assume_role_arns = ["arn:aws:iam::210987654321:role/ecs-cron-monitor-read"]

  environment = {
    DD_ENV = "production"
  }

  log_retention_days = 30

  tags = {
    team = "platform"
  }
}

output "queue_url" {
  value = module.ecs_cron_monitor.queue_url
}

output "task_role_arn" {
  value = module.ecs_cron_monitor.task_role_arn
}
