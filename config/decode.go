package config

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// decoder fills the Config from the generic tree go-toml produced. go-toml
// has already checked the document is valid TOML (syntax, duplicate keys,
// table redefinitions); this pass does what its struct decoder cannot do in
// one go: report every unknown key and every type mismatch (each with its
// line), and expand ${VAR} in string values before they are typed, so that a
// duration may come from the environment too.
type decoder struct {
	cfg       *Config
	lookupEnv func(string) (string, bool)
	opts      loadOptions
	problems  problemList
	// unresolved holds the notifier settings left empty because their
	// ${VAR} is unset, when the options allow that.
	unresolved problemList
}

// decodeStruct decodes table m into the struct dst, whose fields are matched
// by their toml tags.
func (d *decoder) decodeStruct(path string, m map[string]any, dst reflect.Value) {
	fields := tomlFields(dst.Type())
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		key := joinKey(path, k)
		i, ok := fields[k]
		if !ok {
			d.problems.add(d.cfg.problemf(key, "unknown key%s", suggest(k, fields)))
			continue
		}
		d.decodeValue(key, m[k], dst.Field(i))
	}
}

// decodeValue decodes one TOML value into dst, reporting a mismatch at key.
func (d *decoder) decodeValue(key string, v any, dst reflect.Value) {
	t := dst.Type()
	switch {
	case t == reflect.TypeFor[Duration]():
		s, ok := v.(string)
		if !ok {
			d.mismatch(key, `a duration string such as "30s"`, v)
			return
		}
		s, fromEnv, ok := d.expand(key, s)
		if !ok {
			return
		}
		dur, err := time.ParseDuration(s)
		if err != nil {
			// err quotes the value; it may come from the environment.
			where := ""
			if fromEnv {
				where = " (after ${VAR} expansion)"
			}
			d.problems.add(d.cfg.problemf(key, `not a valid duration%s: use a number and unit such as "30s", "5m" or "1h30m"`, where))
			return
		}
		dst.Set(reflect.ValueOf(Duration{dur}))
	case t.Kind() == reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			d.mismatch(key, "a table", v)
			return
		}
		d.decodeStruct(key, m, dst)
	case t.Kind() == reflect.Pointer:
		elem := reflect.New(t.Elem())
		before := len(d.problems)
		d.decodeValue(key, v, elem.Elem())
		if len(d.problems) == before {
			dst.Set(elem)
		}
	case t.Kind() == reflect.String:
		s, ok := v.(string)
		if !ok {
			d.mismatch(key, "a string", v)
			return
		}
		if s, _, ok = d.expand(key, s); ok {
			dst.SetString(s)
		}
	case t.Kind() == reflect.Int:
		n, ok := v.(int64)
		if !ok {
			d.mismatch(key, "an integer", v)
			return
		}
		if n < math.MinInt32 || n > math.MaxInt32 {
			d.problems.add(d.cfg.problemf(key, "integer out of range"))
			return
		}
		dst.SetInt(n)
	case t.Kind() == reflect.Float64:
		switch n := v.(type) {
		case float64:
			dst.SetFloat(n)
		case int64:
			// "warn_percent = 80" is an integer in TOML; accept it.
			dst.SetFloat(float64(n))
		default:
			d.mismatch(key, "a number", v)
		}
	case t.Kind() == reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			d.mismatch(key, "true or false", v)
			return
		}
		dst.SetBool(b)
	case t.Kind() == reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			d.mismatch(key, "an array", v)
			return
		}
		out := reflect.MakeSlice(t, len(list), len(list))
		for i, elem := range list {
			d.decodeValue(indexKey(key, i), elem, out.Index(i))
		}
		dst.Set(out)
	default:
		// A field type the decoder does not know is a programming error in
		// config.go, not a user mistake; say so plainly.
		d.problems.add(d.cfg.problemf(key, "internal error: cannot decode into %s", t))
	}
}

// expand applies ${VAR} expansion to a string value at key, reporting
// problems there. ok is false when the value could not be expanded.
func (d *decoder) expand(key, s string) (out string, fromEnv, ok bool) {
	out, fromEnv, errs := expand(s, d.lookupEnv)
	if len(errs) > 0 && d.opts.notifierVarsOptional && isNotifierKey(key) && allUnset(errs) {
		for _, err := range errs {
			d.unresolved.add(d.cfg.problemf(key, "%s", err.Error()))
		}
		return "", false, false
	}
	for _, err := range errs {
		d.problems.add(d.cfg.problemf(key, "%s", err.Error()))
	}
	return out, fromEnv, len(errs) == 0
}

// mismatch reports a value of the wrong TOML type. It names the type found,
// never the value.
func (d *decoder) mismatch(key, want string, got any) {
	d.problems.add(d.cfg.problemf(key, "must be %s, not %s", want, tomlTypeName(got)))
}

func tomlTypeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case time.Time, toml.LocalDate, toml.LocalDateTime, toml.LocalTime:
		return "a date/time"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// tomlFields maps toml tag names to field indexes, skipping unexported and
// `toml:"-"` fields.
func tomlFields(t reflect.Type) map[string]int {
	fields := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = i
	}
	return fields
}

// suggest returns ` (did you mean "x"?)` for the closest known key within an
// edit distance of 2, so a typo is fixed without opening the docs.
func suggest(k string, fields map[string]int) string {
	best, bestDist := "", 3
	for name := range fields {
		if dist := editDistance(k, name); dist < bestDist || dist == bestDist && name < best {
			best, bestDist = name, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func allUnset(errs []error) bool {
	for _, err := range errs {
		if _, ok := err.(unsetVarError); !ok {
			return false
		}
	}
	return true
}
