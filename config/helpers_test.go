package config

import (
	"fmt"
	"strings"
	"testing"
)

// env is a fake environment for lookupEnv.
type env map[string]string

func (e env) lookup(name string) (string, bool) {
	v, ok := e[name]
	return v, ok
}

// want is an expected problem: its line, key, and a part of its message.
type want struct {
	line int
	key  string
	msg  string
}

func (w want) String() string { return fmt.Sprintf("%d %s: …%s…", w.line, w.key, w.msg) }

// parseString parses an inline TOML snippet as "test.toml".
func parseString(t *testing.T, doc string, e env) (*Config, error) {
	t.Helper()
	return Parse("test.toml", []byte(doc), e.lookup)
}

// mustParse parses a snippet that must be valid.
func mustParse(t *testing.T, doc string, e env) *Config {
	t.Helper()
	c, err := parseString(t, doc, e)
	if err != nil {
		t.Fatalf("Parse: unexpected error:\n%v", err)
	}
	return c
}

// assertProblems checks err holds exactly the wanted problems, in order.
func assertProblems(t *testing.T, err error, file string, wants ...want) {
	t.Helper()
	if err == nil {
		t.Fatalf("Parse succeeded; want %d problems: %v", len(wants), wants)
	}
	got := Problems(err)
	ok := len(got) == len(wants)
	for i := 0; ok && i < len(got); i++ {
		p, w := got[i], wants[i]
		ok = p.File == file && p.Line == w.line && p.Key == w.key && strings.Contains(p.Msg, w.msg)
	}
	if !ok {
		t.Errorf("problems mismatch\n got:\n%v\nwant:\n%v", err, wants)
	}
}

// reporter is the part of *testing.T assertNoLeak uses, so that a test can
// check the helper itself catches a leak.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Fatal(args ...any)
}

// assertNoLeak fails if any secret appears in err: its message, any
// Problem's fields, or %v / %+v / %#v formatting.
func assertNoLeak(t reporter, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	texts := []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
	for _, p := range Problems(err) {
		texts = append(texts, p.File, p.Key, p.Msg, fmt.Sprintf("%#v", p))
	}
	for _, s := range secrets {
		if s == "" {
			t.Fatal("assertNoLeak: empty secret would match anything")
		}
		for _, text := range texts {
			if strings.Contains(text, s) {
				t.Errorf("secret %q leaked into error text: %s", s, text)
			}
		}
	}
}

// cluster is a valid [[cluster]] table for snippets (3 lines).
const cluster = `[[cluster]]
name = "cron"
region = "us-east-1"
`
