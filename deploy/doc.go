// Package deploy holds the container image and Terraform module of
// ecs-cron-monitor. It has no Go code; its tests check the deployment files
// against the code (IAM actions, build flags, baked config).
package deploy
