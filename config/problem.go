package config

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Key paths.
//
// Every problem names the key it is about with a key path, and the Config
// remembers where each key path was written. The format is the TOML dotted
// key with array elements indexed from zero:
//
//	slack.webhook_url
//	datadog.tags[2]
//	cluster[1]                       the second [[cluster]] table
//	cluster[1].job[0].max_concurrent
//	cluster[0].job[3].ignore_exit_codes[1]
//
// A key part that is not a bare TOML key (letters, digits, '-', '_') is
// written quoted, as TOML would: cluster[0]."odd key". Array tables
// ([[cluster]]) and inline arrays of tables (job = [{...}]) use the same form.

// Problem is one thing wrong with a configuration file. Line and Col are
// 1-based; zero when the problem has no place in the file (a required table
// that is missing altogether).
type Problem struct {
	File      string
	Line, Col int
	Key       string // key path, e.g. "cluster[1].job[0].max_concurrent"
	Msg       string
}

// Error formats the problem as "file:line: key: message", the form editors
// and CI logs turn into links. Syntax errors carry no key and add the column.
func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
		if p.Key == "" && p.Col > 0 {
			b.WriteString(":" + strconv.Itoa(p.Col))
		}
	}
	b.WriteString(": ")
	if p.Key != "" {
		b.WriteString(p.Key + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems returns every *Problem in err, in order; err is usually the
// errors.Join returned by Load or Parse. It returns nil when err holds none.
func Problems(err error) []*Problem {
	var out []*Problem
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if p, ok := e.(*Problem); ok {
			out = append(out, p)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// position is where a key was written.
type position struct{ line, col int }

// problemf returns a problem about key (a key path, see above) placed at the
// line where key was written, or where its nearest enclosing table was when
// the key itself is absent (a default that another check rejects). The
// message must not contain a secret or a value read from the environment.
func (c *Config) problemf(key string, format string, args ...any) *Problem {
	p := &Problem{File: c.File, Key: key, Msg: fmt.Sprintf(format, args...)}
	if at, ok := c.lookup(key); ok {
		p.Line, p.Col = at.line, at.col
	}
	return p
}

// has reports whether key was written in the file (even as an empty or zero
// value), which is how defaults tell "absent" from "explicitly 0".
func (c *Config) has(key string) bool {
	_, ok := c.pos[key]
	return ok
}

// lookup finds the position of key or of its nearest ancestor.
func (c *Config) lookup(key string) (position, bool) {
	for key != "" {
		if at, ok := c.pos[key]; ok {
			return at, true
		}
		key = parentKey(key)
	}
	return position{}, false
}

// parentKey strips the last part of a key path: "a.b[2]" -> "a.b",
// "a.b" -> "a", "a" -> "". Quoted parts may contain '.', '[' or ']', so the
// scan skips over them.
func parentKey(key string) string {
	cut, inQuote := 0, false
	for i := 0; i < len(key); i++ {
		switch ch := key[i]; {
		case inQuote && ch == '\\':
			i++
		case ch == '"':
			inQuote = !inQuote
		case !inQuote && (ch == '.' || ch == '['):
			cut = i
		}
	}
	return key[:cut]
}

// joinKey appends a table key part to a key path.
func joinKey(prefix, part string) string {
	if !isBareKey(part) {
		part = strconv.Quote(part)
	}
	if prefix == "" {
		return part
	}
	return prefix + "." + part
}

// indexKey appends an array index to a key path.
func indexKey(prefix string, i int) string {
	return prefix + "[" + strconv.Itoa(i) + "]"
}

func isBareKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// joinProblems sorts problems by file position and joins them into one
// error, nil when there are none.
func joinProblems(ps []*Problem) error {
	sortByPosition(ps)
	return problemList(ps).err()
}

// sortByPosition sorts problems by file position, problems without a line
// first.
func sortByPosition(ps []*Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// problemList collects problems in the order they are found.
type problemList []*Problem

func (l *problemList) add(p *Problem) { *l = append(*l, p) }

// err joins the problems, or returns nil when there are none.
func (l problemList) err() error {
	if len(l) == 0 {
		return nil
	}
	errs := make([]error, len(l))
	for i, p := range l {
		errs[i] = p
	}
	return errors.Join(errs...)
}
