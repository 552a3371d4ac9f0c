package deploy_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// TestStateTable: the table the daemon's DynamoDB store expects (partition
// key "pk", string), billed on demand, expiring by "ttl", recoverable to a
// point in time, and named to the task as STATE_TABLE; the service keeps
// the new tasks up before the old ones stop, so the lease is handed over.
func TestStateTable(t *testing.T) {
	bodies := moduleBodies(t)
	table := oneBlock(t, bodies, "resource", "aws_dynamodb_table", "state")
	if got := literalString(t, table.Body, "billing_mode"); got != "PAY_PER_REQUEST" {
		t.Errorf("billing_mode = %s, want PAY_PER_REQUEST", got)
	}
	if got := literalString(t, table.Body, "hash_key"); got != "pk" {
		t.Errorf("hash_key = %s, want pk (monitor/store_dynamodb.go)", got)
	}
	blocks := map[string]string{}
	for _, b := range table.Body.Blocks {
		switch b.Type {
		case "attribute":
			blocks["attribute"] = literalString(t, b.Body, "name") + ":" + literalString(t, b.Body, "type")
		case "ttl":
			blocks["ttl"] = literalString(t, b.Body, "attribute_name") + ":" + literal(t, b.Body, "enabled")
		case "point_in_time_recovery":
			blocks["pitr"] = literal(t, b.Body, "enabled")
		}
	}
	want := map[string]string{"attribute": "pk:S", "ttl": "ttl:true", "pitr": "true"}
	for k, v := range want {
		if blocks[k] != v {
			t.Errorf("table %s = %q, want %q", k, blocks[k], v)
		}
	}

	ecs, err := os.ReadFile(filepath.Join("terraform", "ecs.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^\s*STATE_TABLE\s*=\s*aws_dynamodb_table\.state\.name\s*$`).Match(ecs) {
		t.Error("the task's environment does not set STATE_TABLE to the table's name (deploy/config.toml reads it)")
	}

	svc := oneBlock(t, bodies, "resource", "aws_ecs_service", "this")
	if got := exprText(svc.Body, "desired_count"); got != "var.desired_count" {
		t.Errorf("desired_count = %s, want var.desired_count", got)
	}
	if min, max := literal(t, svc.Body, "deployment_minimum_healthy_percent"), literal(t, svc.Body, "deployment_maximum_percent"); min != "100" || max != "200" {
		t.Errorf("deployment %s%%..%s%%, want 100..200: new tasks stand by before the old leader releases its lease", min, max)
	}
}

// literal renders a literal bool or number attribute.
func literal(t *testing.T, body *hclsyntax.Body, name string) string {
	t.Helper()
	a, ok := body.Attributes[name]
	if !ok {
		return ""
	}
	v, diags := a.Expr.Value(nil)
	switch {
	case diags.HasErrors() || !v.IsKnown() || v.IsNull():
		return "<expr>"
	case v.Type() == cty.Bool:
		return strconv.FormatBool(v.True())
	case v.Type() == cty.Number:
		return v.AsBigFloat().Text('f', -1)
	}
	return "<expr>"
}
