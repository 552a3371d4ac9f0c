package awssim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// A DynamoDB condition expression, as far as the daemon writes them:
// comparisons (= <> < <= > >=) of attribute paths (#name or plain) and
// :values, attribute_exists / attribute_not_exists, AND, OR, NOT and
// parentheses, with AWS's precedence (NOT, then AND, then OR). Anything
// else is a ValidationException, as AWS answers a syntax error.

type condExpr struct {
	toks   []string
	pos    int
	names  map[string]string
	values map[string]json.RawMessage
	used   map[string]bool // placeholders the expression used
}

// evalCondition parses expr and evaluates it against item (nil: absent).
func evalCondition(expr string, names map[string]string, values map[string]json.RawMessage, item map[string]json.RawMessage) (bool, map[string]bool, error) {
	toks, err := tokenize(expr)
	if err != nil {
		return false, nil, err
	}
	c := &condExpr{toks: toks, names: names, values: values, used: map[string]bool{}}
	node, err := c.or()
	if err != nil {
		return false, nil, err
	}
	if c.pos != len(c.toks) {
		return false, nil, fmt.Errorf("Invalid ConditionExpression: Syntax error; token: %q", c.toks[c.pos])
	}
	ok, err := node(item)
	return ok, c.used, err
}

func tokenize(s string) ([]string, error) {
	var out []string
	for i := 0; i < len(s); {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n':
			i++
		case ch == '(' || ch == ')' || ch == ',' || ch == '=':
			out = append(out, string(ch))
			i++
		case ch == '<' || ch == '>':
			if i+1 < len(s) && (s[i+1] == '=' || (ch == '<' && s[i+1] == '>')) {
				out = append(out, s[i:i+2])
				i += 2
			} else {
				out = append(out, string(ch))
				i++
			}
		case ch == '#' || ch == ':' || ch == '_' || ch == '.' || isAlnum(ch):
			j := i + 1
			for j < len(s) && (isAlnum(s[j]) || s[j] == '_' || s[j] == '.') {
				j++
			}
			out = append(out, s[i:j])
			i = j
		default:
			return nil, fmt.Errorf("Invalid ConditionExpression: Syntax error; token: %q", string(ch))
		}
	}
	return out, nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

type condNode func(item map[string]json.RawMessage) (bool, error)

func (c *condExpr) peek() string {
	if c.pos < len(c.toks) {
		return c.toks[c.pos]
	}
	return ""
}

func (c *condExpr) next() string { t := c.peek(); c.pos++; return t }

func (c *condExpr) expect(t string) error {
	if got := c.next(); got != t {
		return fmt.Errorf("Invalid ConditionExpression: Syntax error; expected %q, got %q", t, got)
	}
	return nil
}

func (c *condExpr) or() (condNode, error) {
	left, err := c.and()
	if err != nil {
		return nil, err
	}
	for strings.EqualFold(c.peek(), "OR") {
		c.pos++
		right, err := c.and()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(it map[string]json.RawMessage) (bool, error) {
			a, err := l(it)
			if err != nil || a {
				return a, err
			}
			return right(it)
		}
	}
	return left, nil
}

func (c *condExpr) and() (condNode, error) {
	left, err := c.not()
	if err != nil {
		return nil, err
	}
	for strings.EqualFold(c.peek(), "AND") {
		c.pos++
		right, err := c.not()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(it map[string]json.RawMessage) (bool, error) {
			a, err := l(it)
			if err != nil || !a {
				return a, err
			}
			return right(it)
		}
	}
	return left, nil
}

func (c *condExpr) not() (condNode, error) {
	if strings.EqualFold(c.peek(), "NOT") {
		c.pos++
		inner, err := c.not()
		if err != nil {
			return nil, err
		}
		return func(it map[string]json.RawMessage) (bool, error) {
			v, err := inner(it)
			return !v, err
		}, nil
	}
	return c.primary()
}

func (c *condExpr) primary() (condNode, error) {
	t := c.peek()
	if t == "(" {
		c.pos++
		inner, err := c.or()
		if err != nil {
			return nil, err
		}
		return inner, c.expect(")")
	}
	if fn := strings.ToLower(t); fn == "attribute_exists" || fn == "attribute_not_exists" {
		c.pos++
		if err := c.expect("("); err != nil {
			return nil, err
		}
		name, err := c.path(c.next())
		if err != nil {
			return nil, err
		}
		if err := c.expect(")"); err != nil {
			return nil, err
		}
		want := fn == "attribute_exists"
		return func(it map[string]json.RawMessage) (bool, error) {
			_, ok := it[name]
			return ok == want, nil
		}, nil
	}
	left, err := c.operand(c.next())
	if err != nil {
		return nil, err
	}
	op := c.next()
	switch op {
	case "=", "<>", "<", "<=", ">", ">=":
	default:
		return nil, fmt.Errorf("Invalid ConditionExpression: Syntax error; unexpected %q", op)
	}
	right, err := c.operand(c.next())
	if err != nil {
		return nil, err
	}
	return func(it map[string]json.RawMessage) (bool, error) {
		a, aok := left(it)
		b, bok := right(it)
		if !aok || !bok {
			return false, nil
		}
		return compare(a, op, b)
	}, nil
}

// path resolves an attribute name token (#placeholder or plain).
func (c *condExpr) path(t string) (string, error) {
	if strings.HasPrefix(t, "#") {
		n, ok := c.names[t]
		if !ok {
			return "", fmt.Errorf("Value provided in ExpressionAttributeNames unused in expressions or undefined: %s", t)
		}
		c.used[t] = true
		return n, nil
	}
	if t == "" || t == "(" || t == ")" || strings.HasPrefix(t, ":") {
		return "", fmt.Errorf("Invalid ConditionExpression: Syntax error; token: %q", t)
	}
	return t, nil
}

// operand resolves a :value or an attribute path to the value it names.
func (c *condExpr) operand(t string) (func(map[string]json.RawMessage) (json.RawMessage, bool), error) {
	if strings.HasPrefix(t, ":") {
		v, ok := c.values[t]
		if !ok {
			return nil, fmt.Errorf("An expression attribute value used in expression is not defined; attribute value: %s", t)
		}
		c.used[t] = true
		return func(map[string]json.RawMessage) (json.RawMessage, bool) { return v, true }, nil
	}
	name, err := c.path(t)
	if err != nil {
		return nil, err
	}
	return func(it map[string]json.RawMessage) (json.RawMessage, bool) {
		v, ok := it[name]
		return v, ok
	}, nil
}

// compare compares two attribute values of the same type (S or N);
// values of different types are not equal and not ordered, as in AWS.
func compare(a json.RawMessage, op string, b json.RawMessage) (bool, error) {
	var av, bv map[string]any
	if json.Unmarshal(a, &av) != nil || json.Unmarshal(b, &bv) != nil {
		return false, fmt.Errorf("invalid attribute value")
	}
	var cmp int
	switch {
	case av["S"] != nil && bv["S"] != nil:
		cmp = strings.Compare(av["S"].(string), bv["S"].(string))
	case av["N"] != nil && bv["N"] != nil:
		x, err1 := strconv.ParseFloat(fmt.Sprint(av["N"]), 64)
		y, err2 := strconv.ParseFloat(fmt.Sprint(bv["N"]), 64)
		if err1 != nil || err2 != nil {
			return false, fmt.Errorf("invalid number")
		}
		switch {
		case x < y:
			cmp = -1
		case x > y:
			cmp = 1
		}
	default:
		return op == "<>", nil
	}
	switch op {
	case "=":
		return cmp == 0, nil
	case "<>":
		return cmp != 0, nil
	case "<":
		return cmp < 0, nil
	case "<=":
		return cmp <= 0, nil
	case ">":
		return cmp > 0, nil
	}
	return cmp >= 0, nil
}
