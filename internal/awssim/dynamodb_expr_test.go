package awssim

import (
	"encoding/json"
	"strings"
	"testing"
)

// Condition expressions as AWS evaluates them: precedence (NOT, AND, OR),
// typed comparisons, a missing attribute comparing false, and syntax or
// undefined placeholders refused.
func TestEvalCondition(t *testing.T) {
	item := map[string]json.RawMessage{
		"pk": json.RawMessage(`{"S":"lease"}`), "owner": json.RawMessage(`{"S":"a"}`),
		"version": json.RawMessage(`{"N":"10"}`),
	}
	names := map[string]string{"#pk": "pk", "#o": "owner", "#v": "version", "#x": "missing"}
	values := map[string]json.RawMessage{
		":a": json.RawMessage(`{"S":"a"}`), ":b": json.RawMessage(`{"S":"b"}`),
		":9": json.RawMessage(`{"N":"9"}`), ":10": json.RawMessage(`{"N":"10"}`),
	}
	tests := []struct {
		expr    string
		on      map[string]json.RawMessage
		want    bool
		wantErr string
	}{
		{"attribute_not_exists(#pk)", nil, true, ""},
		{"attribute_not_exists(#pk)", item, false, ""},
		{"attribute_exists(#pk) AND #o = :a", item, true, ""},
		{"#o = :b OR #v <= :10", item, true, ""},
		{"#o = :b OR #v < :10", item, false, ""},
		{"#v > :9 AND NOT #o = :b", item, true, ""},
		{"#o = :b OR #o = :a AND #v < :9", item, false, ""}, // AND binds tighter
		{"(#o = :b OR #o = :a) AND #v >= :10", item, true, ""},
		{"#x < :9", item, false, ""}, // a missing attribute compares false
		{"#o <> :9", item, true, ""}, // values of different types differ
		{"#v = :10 AND #y = :a", item, false, "#y"},
		{"#v = :11", item, false, ":11"},
		{"#v = = :10", item, false, "Syntax error"},
		{"#v = :10)", item, false, "Syntax error"},
	}
	for _, tt := range tests {
		got, _, err := evalCondition(tt.expr, names, values, tt.on)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err = %v, want one naming %q", tt.expr, err, tt.wantErr)
			}
		case err != nil || got != tt.want:
			t.Errorf("%q = %v, %v; want %v", tt.expr, got, err, tt.want)
		}
	}
}
