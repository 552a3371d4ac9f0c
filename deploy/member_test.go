package deploy_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

func memberBodies(t *testing.T) map[string]*hclsyntax.Body {
	t.Helper()
	return parseTF(t, "terraform/modules/member")
}

// statementBodies returns the bodies of a policy document's statements,
// dynamic ones' content included.
func statementBodies(doc *hclsyntax.Block) []*hclsyntax.Body {
	var out []*hclsyntax.Body
	for _, b := range doc.Body.Blocks {
		switch {
		case b.Type == "statement":
			out = append(out, b.Body)
		case b.Type == "dynamic":
			for _, inner := range b.Body.Blocks {
				if inner.Type == "content" {
					out = append(out, inner.Body)
				}
			}
		}
	}
	return out
}

func principalsOf(body *hclsyntax.Body) (typ, identifiers string) {
	for _, b := range body.Blocks {
		if b.Type == "principals" {
			return exprText(b.Body, "type"), exprText(b.Body, "identifiers")
		}
	}
	return "", ""
}

// The member account's read role trusts exactly one principal, the
// central daemon's task role, and only with the external id.
func TestMemberRoleTrustsTheCentralTaskRoleWithExternalID(t *testing.T) {
	bodies := memberBodies(t)
	doc := oneBlock(t, bodies, "data", "aws_iam_policy_document", "read_trust")
	sts := statementBodies(doc)
	if len(sts) != 1 {
		t.Fatalf("read role trust has %d statements, want 1", len(sts))
	}
	if got := literalList(t, sts[0], "actions"); !slices.Equal(got, []string{"sts:AssumeRole"}) {
		t.Errorf("trust actions = %v, want sts:AssumeRole", got)
	}
	if typ, ids := principalsOf(sts[0]); typ != `"AWS"` || ids != "[var.central_task_role_arn]" {
		t.Errorf("trust principal = %s %s, want AWS [var.central_task_role_arn]", typ, ids)
	}
	if !hasCondition(t, sts[0], "StringEquals", "sts:ExternalId", "[var.external_id]") {
		t.Error("trust lacks StringEquals sts:ExternalId = var.external_id")
	}
	role := oneBlock(t, bodies, "resource", "aws_iam_role", "read")
	if got := exprText(role.Body, "assume_role_policy"); got != "data.aws_iam_policy_document.read_trust.json" {
		t.Errorf("read role assume_role_policy = %s", got)
	}
}

// The read role grants exactly the cluster-side actions the daemon calls
// (monitor.IAMActions() but the event queue, STS and the config source),
// scoped like the central task role's.
func TestMemberRoleGrantsTheClusterSideActions(t *testing.T) {
	doc := oneBlock(t, memberBodies(t), "data", "aws_iam_policy_document", "read")
	granted := policyActions(t, doc)
	var want []string
	for _, a := range monitor.IAMActions() {
		svc, _, _ := strings.Cut(a, ":")
		if svc == "ecs" || svc == "events" || svc == "scheduler" || svc == "cloudwatch" || svc == "servicequotas" {
			want = append(want, a)
		}
	}
	for _, a := range want {
		if _, ok := granted[a]; !ok {
			t.Errorf("member read role lacks %s, which the daemon calls in member accounts", a)
		}
	}
	for a, rng := range granted {
		if !slices.Contains(want, a) {
			t.Errorf("%s: member read role grants %s, which the daemon does not call there", rng, a)
		}
	}
	for _, st := range statementBodies(doc) {
		acts := literalList(t, st, "actions")
		if slices.Contains(acts, "ecs:ListTasks") && !hasCondition(t, st, "ArnEquals", "ecs:cluster", "var.cluster_arns") {
			t.Error("member ecs:ListTasks without an ArnEquals ecs:cluster condition on var.cluster_arns")
		}
		if slices.Contains(acts, "ecs:DescribeTasks") && exprText(st, "resources") != "local.task_arn_patterns" {
			t.Errorf("member ecs:DescribeTasks resources = %s, want local.task_arn_patterns", exprText(st, "resources"))
		}
	}
}

// Member events reach the central bus through a role that may put events
// on that bus alone; the central bus policy admits exactly the member
// accounts.
func TestEventsForwardedToTheCentralBus(t *testing.T) {
	bodies := memberBodies(t)
	targets := findBlocks(bodies, "resource", "aws_cloudwatch_event_target")
	if len(targets) != 2 {
		t.Fatalf("%d forwarding targets, want task state changes and RunTask records", len(targets))
	}
	for _, tg := range targets {
		if exprText(tg.Body, "arn") != "var.central_event_bus_arn" || exprText(tg.Body, "role_arn") != "aws_iam_role.forward.arn" {
			t.Errorf("%s: target arn %s role %s, want the central bus through the forward role", tg.DefRange(), exprText(tg.Body, "arn"), exprText(tg.Body, "role_arn"))
		}
	}
	rule := oneBlock(t, bodies, "resource", "aws_cloudwatch_event_rule", "run_task")
	if got := jsonencodeField(t, rule.Body, "event_pattern", "eventName"); got != `["RunTask"]` {
		t.Errorf("RunTask rule eventName = %s", got)
	}
	fwd := oneBlock(t, bodies, "data", "aws_iam_policy_document", "forward")
	sts := statementBodies(fwd)
	if len(sts) != 1 || !slices.Equal(literalList(t, sts[0], "actions"), []string{"events:PutEvents"}) || exprText(sts[0], "resources") != "[var.central_event_bus_arn]" {
		t.Errorf("forward role policy is not events:PutEvents on var.central_event_bus_arn alone")
	}

	bus := oneBlock(t, moduleBodies(t), "data", "aws_iam_policy_document", "bus")
	bsts := statementBodies(bus)
	if len(bsts) != 1 || !slices.Equal(literalList(t, bsts[0], "actions"), []string{"events:PutEvents"}) {
		t.Fatalf("bus policy is not one events:PutEvents statement")
	}
	src := mustRead(t, "terraform/events.tf")
	text := func(e hclsyntax.Expression) string { return string(e.Range().SliceBytes(src)) }
	if typ, _ := principalsOf(bsts[0]); typ != `"AWS"` {
		t.Errorf("bus policy principal type %s, want AWS", typ)
	}
	if r := text(bsts[0].Attributes["resources"].Expr); !strings.Contains(r, ":event-bus/default") {
		t.Errorf("bus policy resources = %s, want the default bus", r)
	}
	var ids string
	for _, b := range bsts[0].Blocks {
		if b.Type == "principals" {
			ids = text(b.Body.Attributes["identifiers"].Expr)
		}
	}
	if !strings.Contains(ids, "var.member_account_ids") || !strings.Contains(ids, ":root") {
		t.Errorf("bus policy identifiers = %s, want the member accounts' roots", ids)
	}
	if !strings.Contains(text(bus.Body.Attributes["count"].Expr), "var.member_account_ids") {
		t.Error("bus policy is not conditional on member_account_ids")
	}
}

// The task role reads its own configuration and nothing else: the
// module's SSM parameter, or the one S3 object; kms:Decrypt only through
// SSM.
func TestTaskRoleReadsOnlyItsConfig(t *testing.T) {
	doc := oneBlock(t, moduleBodies(t), "data", "aws_iam_policy_document", "task")
	found := map[string]bool{}
	for _, st := range statementBodies(doc) {
		for _, a := range literalList(t, st, "actions") {
			res := exprText(st, "resources")
			switch a {
			case "ssm:GetParameter":
				found[a] = res == "[aws_ssm_parameter.config.<index>.arn]"
			case "s3:GetObject":
				found[a] = res == "[<expr>]" // arn:…:s3:::bucket/key of config_s3_uri
			case "kms:Decrypt":
				found[a] = res == "[var.kms_key_arn]" && hasCondition(t, st, "StringEquals", "kms:ViaService", "[<expr>]")
			}
		}
	}
	for _, a := range []string{"ssm:GetParameter", "s3:GetObject", "kms:Decrypt"} {
		if !found[a] {
			t.Errorf("%s is missing or not scoped to the configuration", a)
		}
	}
}

// The monitor is watched: three opt-out alarms, each to the alarm topic.
func TestAlarmsWatchTheMonitor(t *testing.T) {
	bodies := moduleBodies(t)
	want := map[string]string{
		"dead_letters":     "ApproximateNumberOfMessagesVisible",
		"not_running":      "CPUUtilization",
		"events_piling_up": "ApproximateAgeOfOldestMessage",
	}
	for name, metric := range want {
		a := oneBlock(t, bodies, "resource", "aws_cloudwatch_metric_alarm", name)
		if got := literalString(t, a.Body, "metric_name"); got != metric {
			t.Errorf("alarm %s metric = %s, want %s", name, got, metric)
		}
		if got := exprText(a.Body, "alarm_actions"); got != "[local.alarm_topic_arn]" {
			t.Errorf("alarm %s actions = %s, want [local.alarm_topic_arn]", name, got)
		}
		if _, ok := a.Body.Attributes["count"]; !ok {
			t.Errorf("alarm %s is not opt-out (no count on alarms_enabled)", name)
		}
	}
	na := oneBlock(t, bodies, "resource", "aws_cloudwatch_metric_alarm", "not_running")
	if got := literalString(t, na.Body, "treat_missing_data"); got != "breaching" {
		t.Errorf("not_running treat_missing_data = %s: with no task there are no data points, which must breach", got)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// The multi-account example's configuration, which it stores in SSM,
// loads with what the module injects, and reaches both members through
// their roles with the external ids the member modules trust.
func TestMultiAccountExampleConfigLoads(t *testing.T) {
	env := map[string]string{
		"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T000/B000/XXXX",
		"EVENTS_QUEUE_URL":  "https://sqs.ap-northeast-1.amazonaws.com/111111111111/ecs-cron-monitor-events",
		"AWS_REGION":        "ap-northeast-1",
	}
	cfg, err := config.Load("terraform/examples/multi-account/config.toml", func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
	if err != nil {
		t.Fatalf("examples/multi-account/config.toml does not load: %v", err)
	}
	example := string(mustRead(t, "terraform/examples/multi-account/main.tf"))
	roles := 0
	for _, c := range cfg.Clusters {
		if c.RoleARN == "" {
			continue
		}
		roles++
		if !strings.Contains(example, `external_id           = "`+c.ExternalID+`"`) {
			t.Errorf("cluster %s: external_id %q is not one a member module of the example trusts", c.Name, c.ExternalID)
		}
	}
	if roles != 2 {
		t.Errorf("%d clusters reached through a role, want the two members'", roles)
	}
}
