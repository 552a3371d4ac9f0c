# One daemon in a central tooling account watching clusters in two member
# accounts (staging and production) and its own. Each member account gets
# modules/member: the read-only role the daemon assumes with an external id,
# and the rules forwarding its ECS events to the central bus, whose policy
# the central module opens to exactly these accounts.
#
# The config (stored in SSM by the central module) names the members'
# clusters with role_arn, external_id and account_alias, e.g.
#   [[cluster]]
#   name = "cron"
#   region = "ap-northeast-1"
#   role_arn = "arn:aws:iam::222222222222:role/ecs-cron-monitor-read"
#   external_id = "ecs-cron-monitor-prod"
#   account_alias = "prod"

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

locals {
  region     = "ap-northeast-1"
  central    = "111111111111"
  staging    = "333333333333"
  production = "222222222222"
}

provider "aws" {
  region = local.region
}

provider "aws" {
  alias  = "staging"
  region = local.region
  assume_role {
    role_arn = "arn:aws:iam::${local.staging}:role/terraform"
  }
}

provider "aws" {
  alias  = "production"
  region = local.region
  assume_role {
    role_arn = "arn:aws:iam::${local.production}:role/terraform"
  }
}

module "ecs_cron_monitor" {
  source = "../.."

  cluster_arns = [
    "arn:aws:ecs:${local.region}:${local.central}:cluster/ops",
    "arn:aws:ecs:${local.region}:${local.staging}:cluster/cron",
    "arn:aws:ecs:${local.region}:${local.production}:cluster/cron-prod",
  ]
  cluster_name_for_service = "ops"

  subnets         = ["subnet-0123456789abcdef0"]
  security_groups = ["sg-0123456789abcdef0"]
  image           = "${local.central}.dkr.ecr.${local.region}.amazonaws.com/ecs-cron-monitor:v1.0.0"

  slack_secret_arn = "arn:aws:ssm:${local.region}:${local.central}:parameter/ecs-cron-monitor/slack-webhook-url"

  config = file("${path.module}/config.toml")

  assume_role_arns = [
    "arn:aws:iam::${local.staging}:role/ecs-cron-monitor-read",
    "arn:aws:iam::${local.production}:role/ecs-cron-monitor-read",
  ]
  member_account_ids = [local.staging, local.production]
}

module "staging" {
  source    = "../../modules/member"
  providers = { aws = aws.staging }

  central_task_role_arn = module.ecs_cron_monitor.task_role_arn
  external_id           = "ecs-cron-monitor-staging"
  central_event_bus_arn = module.ecs_cron_monitor.event_bus_arn
  cluster_arns          = ["arn:aws:ecs:${local.region}:${local.staging}:cluster/cron"]
}

module "production" {
  source    = "../../modules/member"
  providers = { aws = aws.production }

  central_task_role_arn = module.ecs_cron_monitor.task_role_arn
  external_id           = "ecs-cron-monitor-prod"
  central_event_bus_arn = module.ecs_cron_monitor.event_bus_arn
  cluster_arns          = ["arn:aws:ecs:${local.region}:${local.production}:cluster/cron-prod"]
}

output "alarm_topic_arn" {
  value = module.ecs_cron_monitor.alarm_topic_arn
}

output "member_roles" {
  value = [module.staging.read_role_arn, module.production.read_role_arn]
}
