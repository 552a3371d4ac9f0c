resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

locals {
  log_configuration = {
    logDriver = "awslogs"
    options = {
      "awslogs-group"         = aws_cloudwatch_log_group.this.name
      "awslogs-region"        = local.region
      "awslogs-stream-prefix" = "ecs"
    }
  }

  # The config file refers to these as ${NAME}; see deploy/config.toml.
  daemon_environment = merge(var.environment, {
    EVENTS_QUEUE_URL  = aws_sqs_queue.events.url
    SCHEDULER_DLQ_URL = var.scheduler_dlq ? aws_sqs_queue.scheduler_dlq[0].url : ""
    STATE_TABLE       = aws_dynamodb_table.state.name
    AWS_REGION        = local.region
  })

  daemon_secrets = [{
    name      = var.slack_secret_env_name
    valueFrom = var.slack_secret_arn
  }]

  daemon_container = {
    name      = local.container_name
    image     = var.image
    essential = true
    # The configuration from SSM (or S3), not the one baked into the image.
    command                = ["run", "-config", local.config_ref]
    readonlyRootFilesystem = true
    # ECS sends SIGTERM, waits stopTimeout, then SIGKILL; the daemon's
    # [shutdown] timeout (25 s by default) must fit inside it.
    stopTimeout = 30
    environment = [for k in sort(keys(local.daemon_environment)) : { name = k, value = local.daemon_environment[k] }]
    secrets     = local.daemon_secrets
    # The image has no shell or curl: the binary checks its own /healthz.
    healthCheck = {
      command     = ["CMD", local.binary_path, "healthcheck", "-config", local.config_ref]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 60
    }
    logConfiguration = local.log_configuration
  }

  # DogStatsD on localhost:8125: containers of an awsvpc task share one
  # network namespace. Not essential: losing metrics must not stop alerts.
  # The agent writes to its own filesystem, so it keeps a writable root.
  datadog_container = {
    name                   = "datadog-agent"
    image                  = var.datadog_agent_image
    essential              = false
    readonlyRootFilesystem = false
    environment = [
      { name = "ECS_FARGATE", value = "true" },
      { name = "DD_SITE", value = var.datadog_site },
      { name = "DD_DOGSTATSD_PORT", value = "8125" },
      { name = "DD_APM_ENABLED", value = "false" },
    ]
    secrets = [{
      name      = "DD_API_KEY"
      valueFrom = var.datadog_api_key_secret_arn
    }]
    portMappings = [{
      containerPort = 8125
      protocol      = "udp"
    }]
    logConfiguration = local.log_configuration
  }

  container_definitions = concat(
    [local.daemon_container],
    local.datadog_enabled ? [local.datadog_container] : [],
  )
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  task_role_arn            = aws_iam_role.task.arn
  execution_role_arn       = aws_iam_role.execution.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  container_definitions = jsonencode(local.container_definitions)

  tags = local.tags
}

resource "aws_ecs_service" "this" {
  name            = var.name
  cluster         = var.cluster_name_for_service
  task_definition = aws_ecs_task_definition.this.arn
  desired_count   = var.desired_count
  launch_type     = "FARGATE"

  # Replicas share the state table: one holds the lease and polls, every one
  # consumes events, and run claims keep each alert single. A deploy starts
  # the new tasks (as standbys) before stopping the old ones; a stopping
  # leader releases its lease after its last summary, and a standby takes
  # over at its next renewal try (renew_interval), so there is no gap.
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnets
    security_groups  = var.security_groups
    assign_public_ip = var.assign_public_ip
  }

  propagate_tags = "SERVICE"
  tags           = local.tags

  # The execution role's policy must exist before the first task starts, or
  # it fails to pull secrets.
  depends_on = [aws_iam_role_policy.execution]
}
