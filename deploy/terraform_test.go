package deploy_test

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// TestEventWiring checks the parts of the EventBridge -> SQS path that fail
// silently in AWS when wrong: a role on the SQS target, a queue policy open
// to every rule, a missing dead-letter queue.
func TestEventWiring(t *testing.T) {
	bodies := moduleBodies(t)

	target := oneBlock(t, bodies, "resource", "aws_cloudwatch_event_target", "queue")
	if _, ok := target.Body.Attributes["role_arn"]; ok {
		t.Errorf("%s: SQS targets must not set role_arn (delivery is authorised by the queue policy)", target.DefRange())
	}
	if got := exprText(target.Body, "arn"); got != "aws_sqs_queue.events.arn" {
		t.Errorf("event target arn = %s, want aws_sqs_queue.events.arn", got)
	}

	qp := oneBlock(t, bodies, "data", "aws_iam_policy_document", "queue")
	sts := statements(t, qp)
	if len(sts) != 1 || len(sts[0].actions) != 1 || sts[0].actions[0] != "sqs:SendMessage" {
		t.Fatalf("queue policy statements = %+v, want one sqs:SendMessage statement", sts)
	}
	st := qp.Body.Blocks[0].Body
	if !hasCondition(t, st, "ArnEquals", "aws:SourceArn", "[aws_cloudwatch_event_rule.task_state_change.arn]") {
		t.Error("queue policy lacks ArnEquals aws:SourceArn = the rule's ARN")
	}
	var principal string
	for _, b := range st.Blocks {
		if b.Type == "principals" {
			principal = exprText(b.Body, "identifiers")
		}
	}
	if principal != `["events.amazonaws.com"]` {
		t.Errorf("queue policy principal = %s, want events.amazonaws.com", principal)
	}

	q := oneBlock(t, bodies, "resource", "aws_sqs_queue", "events")
	if got := jsonencodeField(t, q.Body, "redrive_policy", "maxReceiveCount"); got != "60" {
		t.Errorf("redrive maxReceiveCount = %s, want 60 (room for a Slack outage)", got)
	}
	if got := jsonencodeField(t, q.Body, "redrive_policy", "deadLetterTargetArn"); got != "aws_sqs_queue.events_dlq.arn" {
		t.Errorf("redrive deadLetterTargetArn = %s, want aws_sqs_queue.events_dlq.arn", got)
	}

	rule := oneBlock(t, bodies, "resource", "aws_cloudwatch_event_rule", "task_state_change")
	if got := jsonencodeField(t, rule.Body, "event_pattern", "source"); got != `["aws.ecs"]` {
		t.Errorf("event pattern source = %s", got)
	}
	// The rule also forwards CloudTrail RunTask records, the launch-failure
	// source on this queue.
	if got := jsonencodeField(t, rule.Body, "event_pattern", "detail-type"); got != `["ECS Task State Change", "AWS API Call via CloudTrail"]` {
		t.Errorf("event pattern detail-type = %s, want task state changes and CloudTrail records", got)
	}
	for key, want := range map[string]string{"clusterArn": "var.cluster_arns", "eventSource": `["ecs.amazonaws.com"]`, "eventName": `["RunTask"]`} {
		if got := jsonencodeField(t, rule.Body, "event_pattern", key); got != want {
			t.Errorf("event pattern detail %s = %s, want %s", key, got, want)
		}
	}
}

// jsonencodeField finds key in the object literal passed to jsonencode() in
// attribute attr (searching nested objects) and renders its value.
func jsonencodeField(t *testing.T, body *hclsyntax.Body, attr, key string) string {
	t.Helper()
	a, ok := body.Attributes[attr]
	if !ok {
		t.Fatalf("%s: no %s", body.SrcRange, attr)
	}
	call, ok := a.Expr.(*hclsyntax.FunctionCallExpr)
	if !ok || call.Name != "jsonencode" || len(call.Args) != 1 {
		t.Fatalf("%s: %s is not jsonencode({...})", a.SrcRange, attr)
	}
	var find func(e hclsyntax.Expression) (string, bool)
	find = func(e hclsyntax.Expression) (string, bool) {
		if tup, ok := e.(*hclsyntax.TupleConsExpr); ok {
			for _, x := range tup.Exprs {
				if v, ok := find(x); ok {
					return v, true
				}
			}
			return "", false
		}
		obj, ok := e.(*hclsyntax.ObjectConsExpr)
		if !ok {
			return "", false
		}
		for _, it := range obj.Items {
			if objectKey(it.KeyExpr) == key {
				return renderValue(it.ValueExpr), true
			}
			if v, ok := find(it.ValueExpr); ok {
				return v, true
			}
		}
		return "", false
	}
	v, ok := find(call.Args[0])
	if !ok {
		t.Fatalf("%s: no key %q in %s", a.SrcRange, key, attr)
	}
	return v
}

// objectKey returns an object literal key: a bare identifier (source =) or
// a quoted string ("detail-type" =).
func objectKey(e hclsyntax.Expression) string {
	if k, ok := e.(*hclsyntax.ObjectConsKeyExpr); ok {
		if kw := hcl.ExprAsKeyword(k.Wrapped); kw != "" {
			return kw
		}
		e = k.Wrapped
	}
	if v, diags := e.Value(nil); !diags.HasErrors() && v.Type() == cty.String {
		return v.AsString()
	}
	return ""
}

func renderValue(e hclsyntax.Expression) string {
	if v, diags := e.Value(nil); !diags.HasErrors() && v.IsWhollyKnown() {
		if v.Type().IsPrimitiveType() {
			switch {
			case v.Type() == cty.Number:
				return v.AsBigFloat().Text('f', -1)
			case v.Type() == cty.String:
				return v.AsString()
			}
		}
		if v.Type().IsTupleType() {
			var parts []string
			for it := v.ElementIterator(); it.Next(); {
				_, ev := it.Element()
				if ev.Type() != cty.String {
					return renderExpr(e)
				}
				parts = append(parts, `"`+ev.AsString()+`"`)
			}
			return "[" + strings.Join(parts, ", ") + "]"
		}
	}
	return renderExpr(e)
}

// TestExampleUsesModuleWithEveryRequiredVariable parses the example and
// checks it passes every variable that has no default.
func TestExampleUsesModuleWithEveryRequiredVariable(t *testing.T) {
	modules := map[string]map[string]*hclsyntax.Body{
		"../..":                moduleBodies(t),
		"../../modules/member": parseTF(t, "terraform/modules/member"),
	}
	n := 0
	for _, mod := range findBlocks(parseTF(t, "terraform/examples"), "module") {
		src := literalString(t, mod.Body, "source")
		bodies, ok := modules[src]
		if !ok {
			t.Errorf("%s: example module source = %q, want ../.. or ../../modules/member", mod.DefRange(), src)
			continue
		}
		n++
		checkModuleCall(t, mod, bodies)
	}
	if n < 4 {
		t.Errorf("%d module calls in the examples, want basic's and multi-account's three", n)
	}
}

// checkModuleCall: a module call sets every variable the module requires,
// and none it does not declare.
func checkModuleCall(t *testing.T, mod *hclsyntax.Block, bodies map[string]*hclsyntax.Body) {
	t.Helper()
	vars := findBlocks(bodies, "variable")
	if len(vars) == 0 {
		t.Fatal("no variables in the module")
	}
	declared := map[string]bool{}
	for _, v := range vars {
		name := v.Labels[0]
		declared[name] = true
		if _, hasDefault := v.Body.Attributes["default"]; hasDefault {
			continue
		}
		if _, ok := mod.Body.Attributes[name]; !ok {
			t.Errorf("%s: example does not set required variable %q", mod.DefRange(), name)
		}
	}
	for name, a := range mod.Body.Attributes {
		if name != "source" && name != "providers" && !declared[name] {
			t.Errorf("%s: example sets %q, which the module does not declare", a.SrcRange, name)
		}
	}
}
