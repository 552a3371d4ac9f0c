package deploy_test

import (
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// parseTF parses every .tf file under dir (recursively) and fails the test on
// any syntax error. Keys are slash paths relative to dir.
func parseTF(t *testing.T, dir string) map[string]*hclsyntax.Body {
	t.Helper()
	p := hclparse.NewParser()
	bodies := map[string]*hclsyntax.Body{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".terraform" {
			return filepath.SkipDir
		}
		if d.IsDir() || filepath.Ext(path) != ".tf" {
			return nil
		}
		f, diags := p.ParseHCLFile(path)
		if diags.HasErrors() {
			t.Errorf("parse %s: %s", path, diags.Error())
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		bodies[filepath.ToSlash(rel)] = f.Body.(*hclsyntax.Body)
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	if len(bodies) == 0 {
		t.Fatalf("no .tf files under %s", dir)
	}
	return bodies
}

// moduleBodies returns the central module's own files (not the examples,
// nor the submodules under modules/).
func moduleBodies(t *testing.T) map[string]*hclsyntax.Body {
	t.Helper()
	all := parseTF(t, "terraform")
	for name := range all {
		if strings.HasPrefix(name, "examples/") || strings.HasPrefix(name, "modules/") {
			delete(all, name)
		}
	}
	return all
}

// findBlocks returns the top-level blocks of a type whose labels start with
// labels, across files, in file-name order.
func findBlocks(bodies map[string]*hclsyntax.Body, typ string, labels ...string) []*hclsyntax.Block {
	names := make([]string, 0, len(bodies))
	for n := range bodies {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []*hclsyntax.Block
	for _, n := range names {
		for _, b := range bodies[n].Blocks {
			if b.Type != typ || len(b.Labels) < len(labels) {
				continue
			}
			match := true
			for i, l := range labels {
				if b.Labels[i] != l {
					match = false
				}
			}
			if match {
				out = append(out, b)
			}
		}
	}
	return out
}

func oneBlock(t *testing.T, bodies map[string]*hclsyntax.Body, typ string, labels ...string) *hclsyntax.Block {
	t.Helper()
	bs := findBlocks(bodies, typ, labels...)
	if len(bs) != 1 {
		t.Fatalf("want exactly one %s %q block, found %d", typ, labels, len(bs))
	}
	return bs[0]
}

// policyStatement is one statement of an aws_iam_policy_document as written.
type policyStatement struct {
	sid     string
	actions []string
	rng     hcl.Range
}

// statements returns the statement blocks of an aws_iam_policy_document,
// including the content of `dynamic "statement"` blocks. Each `actions` must
// be a literal list of strings, so a reader (and this test) sees the exact
// grant without evaluating Terraform.
func statements(t *testing.T, doc *hclsyntax.Block) []policyStatement {
	t.Helper()
	var out []policyStatement
	for _, b := range doc.Body.Blocks {
		body := b.Body
		switch {
		case b.Type == "statement":
		case b.Type == "dynamic" && len(b.Labels) == 1 && b.Labels[0] == "statement":
			var content *hclsyntax.Body
			for _, inner := range b.Body.Blocks {
				if inner.Type == "content" {
					content = inner.Body
				}
			}
			if content == nil {
				t.Errorf("%s: dynamic statement without content", b.DefRange())
				continue
			}
			body = content
		default:
			continue
		}
		st := policyStatement{rng: b.DefRange()}
		if a, ok := body.Attributes["sid"]; ok {
			if v, diags := a.Expr.Value(nil); !diags.HasErrors() && v.Type() == cty.String {
				st.sid = v.AsString()
			}
		}
		if _, ok := body.Attributes["not_actions"]; ok {
			t.Errorf("%s: not_actions grants everything else; use actions", st.rng)
		}
		a, ok := body.Attributes["actions"]
		if !ok {
			t.Errorf("%s: statement without actions", st.rng)
			continue
		}
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() || !v.IsWhollyKnown() || !(v.Type().IsTupleType() || v.Type().IsListType()) {
			t.Errorf("%s: actions must be a literal list of strings", a.SrcRange)
			continue
		}
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			if ev.Type() != cty.String {
				t.Errorf("%s: non-string action", a.SrcRange)
				continue
			}
			st.actions = append(st.actions, ev.AsString())
		}
		out = append(out, st)
	}
	return out
}

func policyActions(t *testing.T, doc *hclsyntax.Block) map[string]hcl.Range {
	t.Helper()
	acts := map[string]hcl.Range{}
	for _, st := range statements(t, doc) {
		for _, a := range st.actions {
			acts[a] = st.rng
		}
	}
	return acts
}

// literalString evaluates a literal string attribute of a body.
func literalString(t *testing.T, body *hclsyntax.Body, name string) string {
	t.Helper()
	a, ok := body.Attributes[name]
	if !ok {
		t.Fatalf("%s: no attribute %q", body.SrcRange, name)
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || v.Type() != cty.String {
		t.Fatalf("%s: %q is not a literal string", a.SrcRange, name)
	}
	return v.AsString()
}

// literalList evaluates a literal list-of-strings attribute ("actions").
func literalList(t *testing.T, body *hclsyntax.Body, name string) []string {
	t.Helper()
	a, ok := body.Attributes[name]
	if !ok {
		return nil
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || !v.IsWhollyKnown() || !(v.Type().IsTupleType() || v.Type().IsListType()) {
		t.Errorf("%s: %s must be a literal list of strings", a.SrcRange, name)
		return nil
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, ev := it.Element()
		if ev.Type() == cty.String {
			out = append(out, ev.AsString())
		}
	}
	return out
}

// exprText renders the simple expressions this module uses for resources
// and condition values (references, tuples of references, literals) so tests
// can compare them; anything else renders as "<expr>".
func exprText(body *hclsyntax.Body, name string) string {
	a, ok := body.Attributes[name]
	if !ok {
		return ""
	}
	return renderExpr(a.Expr)
}

func renderExpr(e hclsyntax.Expression) string {
	switch e := e.(type) {
	case *hclsyntax.ScopeTraversalExpr:
		var parts []string
		for _, tr := range e.Traversal {
			switch s := tr.(type) {
			case hcl.TraverseRoot:
				parts = append(parts, s.Name)
			case hcl.TraverseAttr:
				parts = append(parts, s.Name)
			default:
				parts = append(parts, "<index>")
			}
		}
		return strings.Join(parts, ".")
	case *hclsyntax.TupleConsExpr:
		var parts []string
		for _, x := range e.Exprs {
			parts = append(parts, renderExpr(x))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *hclsyntax.TemplateExpr:
		if v, diags := e.Value(nil); !diags.HasErrors() && v.Type() == cty.String {
			return strconv.Quote(v.AsString())
		}
	}
	return "<expr>"
}

// hasCondition reports whether body has a condition block with this test,
// variable and values expression.
func hasCondition(t *testing.T, body *hclsyntax.Body, test, variable, values string) bool {
	t.Helper()
	for _, c := range body.Blocks {
		if c.Type != "condition" {
			continue
		}
		if exprText(c.Body, "test") == strconv.Quote(test) &&
			exprText(c.Body, "variable") == strconv.Quote(variable) &&
			exprText(c.Body, "values") == values {
			return true
		}
	}
	return false
}
