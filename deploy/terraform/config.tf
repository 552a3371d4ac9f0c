# The configuration lives in SSM Parameter Store by default, so a change is
# terraform apply (the daemon reloads it with config_refresh or SIGHUP, or at
# the next start), not an image build. A SecureString: the file itself holds
# no secrets (they come from the environment as ${NAME}), but it names
# accounts and channels.

locals {
  config_in_ssm = var.config_s3_uri == null
  config_text   = coalesce(var.config, file("${path.module}/../config.toml"))

  config_s3_bucket = var.config_s3_uri == null ? null : split("/", trimprefix(var.config_s3_uri, "s3://"))[0]
  config_s3_key    = var.config_s3_uri == null ? null : join("/", slice(split("/", trimprefix(var.config_s3_uri, "s3://")), 1, length(split("/", trimprefix(var.config_s3_uri, "s3://")))))

  # What the daemon's -config names.
  config_ref = local.config_in_ssm ? "ssm:${aws_ssm_parameter.config[0].name}" : var.config_s3_uri
}

resource "aws_ssm_parameter" "config" {
  count       = local.config_in_ssm ? 1 : 0
  name        = "/${var.name}/config"
  description = "ecs-cron-monitor configuration (TOML); see config.toml in the repository"
  type        = "SecureString"
  # Standard parameters hold 4 KB; a larger config moves to Advanced.
  tier   = "Intelligent-Tiering"
  key_id = var.kms_key_arn
  value  = local.config_text
  tags   = local.tags
}
