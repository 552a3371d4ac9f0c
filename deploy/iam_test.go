package deploy_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// TestTaskRoleGrantsExactlyTheCodesActions keeps the task role and the code
// in step: every action the daemon calls is granted, nothing else is.
func TestTaskRoleGrantsExactlyTheCodesActions(t *testing.T) {
	bodies := moduleBodies(t)
	doc := oneBlock(t, bodies, "data", "aws_iam_policy_document", "task")
	granted := policyActions(t, doc)

	want := map[string]bool{}
	for _, a := range monitor.IAMActions() {
		want[a] = true
		if _, ok := granted[a]; !ok {
			t.Errorf("task role lacks %s, which the code calls (monitor.IAMActions)", a)
		}
	}
	for a, rng := range granted {
		if !want[a] {
			t.Errorf("%s: task role grants %s, which the code does not call", rng, a)
		}
	}
}

// TestNoWildcardActions: resources may be "*" where AWS supports no scoping,
// actions never.
func TestNoWildcardActions(t *testing.T) {
	bodies := parseTF(t, "terraform")
	docs := findBlocks(bodies, "data", "aws_iam_policy_document")
	if len(docs) < 3 {
		t.Fatalf("found %d policy documents, want at least task, execution and queue", len(docs))
	}
	for _, doc := range docs {
		for _, st := range statements(t, doc) {
			for _, a := range st.actions {
				if strings.Contains(a, "*") || !strings.Contains(a, ":") {
					t.Errorf("%s (%s): action %q is a wildcard or not service:Action", st.rng, doc.Labels[1], a)
				}
			}
		}
	}
}

// TestExecutionRoleOnlyStartsTheTask: ECS needs the execution role to pull
// the image, write logs and read the two secrets; nothing more.
func TestExecutionRoleOnlyStartsTheTask(t *testing.T) {
	allowed := map[string]bool{
		"logs:CreateLogStream":            true,
		"logs:PutLogEvents":               true,
		"ecr:GetAuthorizationToken":       true,
		"ecr:BatchCheckLayerAvailability": true,
		"ecr:GetDownloadUrlForLayer":      true,
		"ecr:BatchGetImage":               true,
		"ssm:GetParameters":               true,
		"secretsmanager:GetSecretValue":   true,
		"kms:Decrypt":                     true,
	}
	doc := oneBlock(t, moduleBodies(t), "data", "aws_iam_policy_document", "execution")
	got := policyActions(t, doc)
	var names []string
	for a, rng := range got {
		names = append(names, a)
		if !allowed[a] {
			t.Errorf("%s: execution role grants %s, outside logs/ECR pull/secret read/KMS decrypt", rng, a)
		}
	}
	sort.Strings(names)
	// The secrets are the point of the execution role: make sure reading
	// them is possible at all.
	for _, need := range []string{"logs:PutLogEvents", "ssm:GetParameters", "secretsmanager:GetSecretValue"} {
		if _, ok := got[need]; !ok {
			t.Errorf("execution role lacks %s (has %v)", need, names)
		}
	}
}

// TestTaskRoleStatementsAreScoped checks the scoping the README promises:
// SQS actions on the module's queue only, DescribeTasks on the monitored
// clusters' tasks, ListTasks narrowed by ecs:cluster, sts:AssumeRole only as
// a dynamic statement on var.assume_role_arns.
func TestTaskRoleStatementsAreScoped(t *testing.T) {
	doc := oneBlock(t, moduleBodies(t), "data", "aws_iam_policy_document", "task")
	seen := map[string]bool{}
	for _, b := range doc.Body.Blocks {
		body := b.Body
		dynamic := b.Type == "dynamic"
		if dynamic {
			for _, inner := range b.Body.Blocks {
				if inner.Type == "content" {
					body = inner.Body
				}
			}
		}
		res := exprText(body, "resources")
		for _, a := range literalList(t, body, "actions") {
			seen[a] = true
			switch {
			case strings.HasPrefix(a, "dynamodb:"):
				if res != "[aws_dynamodb_table.state.arn]" {
					t.Errorf("%s: %s resources = %s, want [aws_dynamodb_table.state.arn]", b.DefRange(), a, res)
				}
			case strings.HasPrefix(a, "sqs:"):
				if res != "[aws_sqs_queue.events.arn]" && !(dynamic && res == "[aws_sqs_queue.scheduler_dlq.<index>.arn]") {
					t.Errorf("%s: %s resources = %s, want [aws_sqs_queue.events.arn] (or the optional Scheduler DLQ in a dynamic statement)", b.DefRange(), a, res)
				}
			case a == "sts:AssumeRole":
				if !dynamic || res != "var.assume_role_arns" {
					t.Errorf("%s: sts:AssumeRole must be a dynamic statement on var.assume_role_arns (dynamic %v, resources = %s)", b.DefRange(), dynamic, res)
				}
			case a == "ecs:DescribeTasks":
				if res != "local.task_arn_patterns" {
					t.Errorf("%s: ecs:DescribeTasks resources = %s, want local.task_arn_patterns", b.DefRange(), res)
				}
			case a == "ecs:ListTasks":
				if !hasCondition(t, body, "ArnEquals", "ecs:cluster", "var.cluster_arns") {
					t.Errorf("%s: ecs:ListTasks without an ArnEquals ecs:cluster condition on var.cluster_arns", b.DefRange())
				}
			}
		}
	}
	for _, a := range []string{"sqs:ReceiveMessage", "sts:AssumeRole", "ecs:DescribeTasks", "ecs:ListTasks", "dynamodb:PutItem"} {
		if !seen[a] {
			t.Errorf("no statement grants %s", a)
		}
	}
}
