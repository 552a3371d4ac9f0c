# ecs-cron-monitor: one Fargate task watching scheduled ECS tasks.
#
# Files: main.tf (shared locals and lookups), iam.tf (task and execution
# roles), events.tf (EventBridge rule -> SQS), ecs.tf (log group, task
# definition, service).

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  # These two paths are the contract with deploy/Dockerfile (deploy/iam_test.go
  # checks they match): where the binary and the baked config live. The
  # module runs the daemon with its config from SSM or S3 (config.tf); the
  # baked file is the image's default for other ways of running it.
  binary_path = "/ecs-cron-monitor"
  config_path = "/etc/ecs-cron-monitor/config.toml"

  container_name = "ecs-cron-monitor"
  region         = data.aws_region.current.id # the Region name; `.name` is deprecated in provider v6
  account_id     = data.aws_caller_identity.current.account_id
  partition      = data.aws_partition.current.partition

  # arn:<partition>:ecs:<region>:<account>:cluster/<name>, split on ":".
  clusters = [for arn in var.cluster_arns : {
    arn       = arn
    partition = split(":", arn)[1]
    region    = split(":", arn)[3]
    account   = split(":", arn)[4]
    name      = trimprefix(split(":", arn)[5], "cluster/")
  }]

  # Task ARNs carry the cluster name since the 2018 long-ARN format:
  # arn:aws:ecs:<region>:<account>:task/<cluster>/<task-id>.
  task_arn_patterns = [for c in local.clusters : "arn:${c.partition}:ecs:${c.region}:${c.account}:task/${c.name}/*"]

  # Region/account pairs of the monitored clusters: the daemon looks up the
  # rules and schedules that start tasks there.
  cluster_scopes = distinct([for c in local.clusters : "${c.partition}:${c.region}:${c.account}"])
  rule_arn_patterns = [for s in local.cluster_scopes :
  "arn:${split(":", s)[0]}:events:${split(":", s)[1]}:${split(":", s)[2]}:rule/*"]
  schedule_arn_patterns = [for s in local.cluster_scopes :
  "arn:${split(":", s)[0]}:scheduler:${split(":", s)[1]}:${split(":", s)[2]}:schedule/*"]

  datadog_enabled = var.datadog_api_key_secret_arn != null

  # Secrets the execution role reads, grouped by store. A Secrets Manager
  # valueFrom may carry a ":json-key:stage:version" suffix; IAM wants the
  # secret ARN itself (the first seven ":" fields).
  secret_value_froms = compact([var.slack_secret_arn, var.datadog_api_key_secret_arn])
  ssm_parameter_arns = [for a in local.secret_value_froms : a if split(":", a)[2] == "ssm"]
  secretsmanager_arns = [for a in local.secret_value_froms :
  join(":", slice(split(":", a), 0, 7)) if split(":", a)[2] == "secretsmanager"]

  # ECR pull permissions only when the image is in a private ECR repository:
  # <account>.dkr.ecr.<region>.amazonaws.com/<repo>[:tag|@digest].
  ecr_match = try(regex("^([0-9]{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?/([^:@]+)", var.image), null)
  ecr_repository_arn = local.ecr_match == null ? null : (
    "arn:${local.partition}:ecr:${local.ecr_match[1]}:${local.ecr_match[0]}:repository/${local.ecr_match[2]}"
  )

  tags = merge({ "app" = var.name }, var.tags)
}
