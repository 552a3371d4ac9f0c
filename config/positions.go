package config

import (
	"bytes"
	"sort"

	"github.com/pelletier/go-toml/v2/unstable"
)

// scanPositions records where every key path in a TOML document was written:
// table headers, keys (including each prefix of a dotted key), keys inside
// inline tables, and array elements. go-toml's decoders report the position
// of the first error only, so this separate pass over the syntax tree is what
// lets every problem carry its own line. The document must already be known
// to be valid TOML; on a parse error the table is simply left incomplete.
func scanPositions(data []byte) map[string]position {
	s := &posScanner{
		pos:    map[string]position{},
		arrays: map[string]int{},
		lines:  lineStarts(data),
	}
	var p unstable.Parser
	p.Reset(data)
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.KeyValue:
			s.keyValue(s.table, e)
		case unstable.Table:
			parts, first := keyParts(e)
			s.table = s.resolve(parts)
			s.record(s.table, first)
		case unstable.ArrayTable:
			parts, first := keyParts(e)
			parent := s.resolve(parts[:len(parts)-1])
			array := joinKey(parent, parts[len(parts)-1])
			s.record(array, first)
			i := s.arrays[array]
			s.arrays[array] = i + 1
			s.table = indexKey(array, i)
			s.record(s.table, first)
		}
	}
	return s.pos
}

type posScanner struct {
	pos map[string]position
	// arrays counts the elements of each array of tables seen so far, keyed
	// by its resolved path ("cluster", "cluster[1].job"), so that a later
	// header or key refers to the last element, as TOML specifies.
	arrays map[string]int
	table  string // key path of the current [table] or [[array]] element
	lines  []int
}

// resolve turns the dotted parts of a table header into a key path, stepping
// into the last element of any array of tables on the way.
func (s *posScanner) resolve(parts []string) string {
	path := ""
	for _, part := range parts {
		path = joinKey(path, part)
		if n, ok := s.arrays[path]; ok && n > 0 {
			path = indexKey(path, n-1)
		}
	}
	return path
}

// keyValue records a key = value line (or an entry of an inline table)
// under the table path, then its value's contents.
func (s *posScanner) keyValue(table string, kv *unstable.Node) {
	parts, first := keyParts(kv)
	path := table
	for _, part := range parts {
		path = joinKey(path, part)
		s.record(path, first)
	}
	s.value(path, kv.Value(), first)
}

// value records the contents of inline tables and arrays.
func (s *posScanner) value(path string, v *unstable.Node, fallback *unstable.Node) {
	switch v.Kind {
	case unstable.InlineTable:
		it := v.Children()
		for it.Next() {
			if n := it.Node(); n.Kind == unstable.KeyValue {
				s.keyValue(path, n)
			}
		}
	case unstable.Array:
		it := v.Children()
		i := 0
		for it.Next() {
			n := it.Node()
			if n.Kind == unstable.Comment {
				continue
			}
			elem := indexKey(path, i)
			at := placed(n, fallback)
			s.record(elem, at)
			s.value(elem, n, at)
			i++
		}
	}
}

// placed returns n if it has a position, else its first element that has
// one (a nested array has none of its own), else fallback.
func placed(n, fallback *unstable.Node) *unstable.Node {
	if n.Raw.Length > 0 {
		return n
	}
	it := n.Children()
	for it.Next() {
		if c := it.Node(); c.Kind != unstable.Comment && c.Raw.Length > 0 {
			return c
		}
	}
	return fallback
}

// record keeps the first position written for a path: a dotted key that
// implicitly creates a table is placed where the table first appeared.
func (s *posScanner) record(path string, n *unstable.Node) {
	if _, seen := s.pos[path]; seen || n == nil {
		return
	}
	s.pos[path] = s.position(int(n.Raw.Offset))
}

func (s *posScanner) position(offset int) position {
	// lines[i] is the offset where line i+1 starts.
	i := sort.SearchInts(s.lines, offset+1) - 1
	return position{line: i + 1, col: offset - s.lines[i] + 1}
}

// keyParts returns the decoded parts of a key-value's or header's key, and
// the node of its first part (where the key was written).
func keyParts(n *unstable.Node) ([]string, *unstable.Node) {
	var parts []string
	var first *unstable.Node
	it := n.Key()
	for it.Next() {
		k := it.Node()
		if first == nil {
			first = k
		}
		parts = append(parts, string(k.Data))
	}
	return parts, first
}

func lineStarts(data []byte) []int {
	starts := []int{0}
	for off := 0; ; {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			return starts
		}
		off += i + 1
		starts = append(starts, off)
	}
}
