package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestProblemError(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "config.toml", Line: 12, Col: 1, Key: "cluster[0].task_limit", Msg: "must be greater than 0"},
			"config.toml:12: cluster[0].task_limit: must be greater than 0"},
		{Problem{File: "config.toml", Key: "cluster", Msg: "at least one [[cluster]] is required"},
			"config.toml: cluster: at least one [[cluster]] is required"},
		{Problem{File: "config.toml", Line: 4, Col: 14, Msg: "toml: unexpected character"},
			"config.toml:4:14: toml: unexpected character"},
	}
	for _, tt := range tests {
		if got := tt.p.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestProblemsUnwraps(t *testing.T) {
	a, b, c := &Problem{Msg: "a"}, &Problem{Msg: "b"}, &Problem{Msg: "c"}
	err := fmt.Errorf("load: %w", errors.Join(a, errors.New("not a problem"), errors.Join(b, c)))
	got := Problems(err)
	if len(got) != 3 || got[0] != a || got[1] != b || got[2] != c {
		t.Errorf("Problems = %v, want a, b, c in order", got)
	}
	if Problems(nil) != nil || Problems(errors.New("x")) != nil {
		t.Error("Problems of an error without problems should be nil")
	}
}

func TestParentKey(t *testing.T) {
	tests := map[string]string{
		"cluster[1].job[0].max_concurrent": "cluster[1].job[0]",
		"cluster[1].job[0]":                "cluster[1].job",
		"cluster[1].job":                   "cluster[1]",
		"cluster[1]":                       "cluster",
		"cluster":                          "",
		`cluster[0]."a.b[1]"`:              "cluster[0]",
		`"x\"y".z`:                         `"x\"y"`,
	}
	for in, want := range tests {
		if got := parentKey(in); got != want {
			t.Errorf("parentKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScanPositions(t *testing.T) {
	doc := `top = 1
[slack]
webhook_url = "x"
[[cluster]]
name = "a"
job = [
  { family = "f" },
  { rule = "r", ignore_exit_codes = [1,
    2] },
]
[[cluster]]
name = "b"
[[cluster.job]]
family = "g"
[cluster.extra]
deep.er = 1
[[cluster.job]]
"quoted key" = 2
[health]
listen = "" # trailing
`
	pos := scanPositions([]byte(doc))
	tests := []struct {
		key       string
		line, col int
	}{
		{"top", 1, 1},
		{"slack", 2, 2},
		{"slack.webhook_url", 3, 1},
		{"cluster[0]", 4, 3},
		{"cluster[0].name", 5, 1},
		{"cluster[0].job", 6, 1},
		{"cluster[0].job[0]", 7, 3},
		{"cluster[0].job[0].family", 7, 5},
		{"cluster[0].job[1].rule", 8, 5},
		{"cluster[0].job[1].ignore_exit_codes[0]", 8, 38},
		{"cluster[0].job[1].ignore_exit_codes[1]", 9, 5},
		{"cluster[1]", 11, 3},
		{"cluster[1].name", 12, 1},
		{"cluster[1].job[0]", 13, 3},
		{"cluster[1].job[0].family", 14, 1},
		{"cluster[1].extra", 15, 2},
		{"cluster[1].extra.deep", 16, 1},
		{"cluster[1].extra.deep.er", 16, 1},
		{"cluster[1].job[1]", 17, 3},
		{`cluster[1].job[1]."quoted key"`, 18, 1},
		{"health.listen", 20, 1},
	}
	for _, tt := range tests {
		got, ok := pos[tt.key]
		if !ok || got.line != tt.line || got.col != tt.col {
			t.Errorf("pos[%s] = %+v (present %v), want %d:%d", tt.key, got, ok, tt.line, tt.col)
		}
	}
	if _, ok := pos["cluster[2]"]; ok {
		t.Error("cluster[2] recorded but there are two clusters")
	}
}

func TestProblemfFallsBackToEnclosingTable(t *testing.T) {
	c := mustParse(t, "# comment\n"+cluster+"[[cluster.job]]\nfamily = \"a\"\n", nil)
	tests := []struct {
		key  string
		line int
	}{
		{"cluster[0].job[0].family", 6},
		{"cluster[0].job[0].schedule", 5}, // absent: the [[cluster.job]] header
		{"cluster[0].task_limit", 2},      // absent: the [[cluster]] header
		{"summary.schedule", 0},           // no [summary] at all
	}
	for _, tt := range tests {
		p := c.problemf(tt.key, "x %d", 1)
		if p.Line != tt.line || p.Key != tt.key || p.Msg != "x 1" || p.File != "test.toml" {
			t.Errorf("problemf(%s) = %+v, want line %d", tt.key, p, tt.line)
		}
	}
}

// Schedule expressions are checked with everything else and reported at
// their line, in file order, without repeating the expression.
func TestScheduleProblemsJoinTheOthers(t *testing.T) {
	c, err := parseString(t, cluster+"task_limit = 0\n[[cluster.job]]\nrule = \"r\"\nschedule = \"cron(0 3 * * * *)\"\n", nil)
	if c != nil {
		t.Error("config returned alongside problems")
	}
	assertProblems(t, err, "test.toml",
		want{4, "cluster[0].task_limit", "greater than 0"},
		want{7, "cluster[0].job[0].schedule", "both day-of-month and day-of-week are set"},
	)
	if strings.Contains(err.Error(), "cron(0 3") {
		t.Errorf("problem repeats the expression: %v", err)
	}
}

func TestJoinProblemsSortsByLine(t *testing.T) {
	c := mustParse(t, cluster+"[[cluster.job]]\nrule = \"r\"\n", nil)
	ps := []*Problem{c.problemf("cluster[0].job[0].rule", "late"), c.problemf("summary.schedule", "no line"), c.problemf("cluster[0].name", "early")}
	assertProblems(t, joinProblems(ps), "test.toml",
		want{0, "summary.schedule", "no line"},
		want{2, "cluster[0].name", "early"},
		want{5, "cluster[0].job[0].rule", "late"},
	)
	if joinProblems(nil) != nil {
		t.Error("joinProblems(nil) != nil")
	}
}
