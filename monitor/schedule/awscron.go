package schedule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Year bounds of the AWS cron Year field.
const (
	minAWSYear = 1970
	maxAWSYear = 2199
)

// Three-letter names, in value order, matched case-insensitively.
const (
	monthNames   = "JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC"
	weekdayNames = "SUNMONTUEWEDTHUFRISAT" // AWS: SUN = 1 ... SAT = 7
)

// field describes one numeric AWS cron field.
type field struct {
	name     string
	min, max int
	names    string // three-letter names for min, min+1, ...; "" if none
	steps    bool   // whether "/" is allowed (the AWS table omits it for day-of-week)
	wildcard string // the wildcards AWS lists for the field, for error messages
}

func minutesField() field { return field{"minutes", 0, 59, "", true, ", - * /"} }
func hoursField() field   { return field{"hours", 0, 23, "", true, ", - * /"} }
func domField() field     { return field{"day-of-month", 1, 31, "", true, ", - * ? / L W"} }
func monthField() field   { return field{"month", 1, 12, monthNames, true, ", - * /"} }
func dowField() field     { return field{"day-of-week", 1, 7, weekdayNames, false, ", - * ? L #"} }
func yearField() field    { return field{"year", minAWSYear, maxAWSYear, "", true, ", - * /"} }

// bitset holds values min..min+255 of a field, indexed by value-min.
type bitset [4]uint64

func (b *bitset) set(i int) { b[i/64] |= 1 << uint(i%64) }

// parseAWSCron parses the six fields inside cron(...).
func parseAWSCron(expr, inner string, loc *time.Location) (*calendar, error) {
	fields := strings.Fields(strings.ToUpper(inner))
	if len(fields) != 6 {
		return nil, fmt.Errorf("cron() needs 6 fields (minutes hours day-of-month month day-of-week year), got %d", len(fields))
	}
	minutes, err := parseList(minutesField(), fields[0])
	if err != nil {
		return nil, err
	}
	hours, err := parseList(hoursField(), fields[1])
	if err != nil {
		return nil, err
	}
	months, err := parseList(monthField(), fields[3])
	if err != nil {
		return nil, err
	}
	years, err := parseList(yearField(), fields[5])
	if err != nil {
		return nil, err
	}
	c := &calendar{
		expr:    expr,
		loc:     loc,
		minutes: minutes[0],
		hours:   hours[0],
		months:  uint16(months[0] << 1), // index 0 is January; calendar uses bit n = month n
		years:   &yearSet{bits: years},
	}
	if c.days, err = parseDays(fields[2], fields[4], c.months); err != nil {
		return nil, err
	}
	return c, nil
}

// parseDays combines day-of-month and day-of-week: AWS requires exactly one
// of them to be "?", so the other alone decides the day.
func parseDays(dom, dow string, months uint16) (dayRule, error) {
	switch {
	case dom == "?" && dow == "?":
		return nil, errors.New("both day-of-month and day-of-week are ?; exactly one must be ?")
	case dom != "?" && dow != "?":
		return nil, errors.New("both day-of-month and day-of-week are set; one must be ?")
	case dow == "?":
		return parseDOM(dom, months)
	default:
		return parseDOW(dow)
	}
}

func parseDOM(s string, months uint16) (dayRule, error) {
	f := domField()
	switch {
	case s == "L":
		return lastDayOfMonth{}, nil
	case s == "LW":
		return nearestWeekday{last: true}, nil
	case strings.HasPrefix(s, "L"):
		return nil, fmt.Errorf("day-of-month: %q: only L and LW are evaluated (offsets such as L-3 are not in the AWS documentation): %w", s, ErrUnsupported)
	case strings.HasSuffix(s, "W"):
		n, err := f.value(strings.TrimSuffix(s, "W"))
		if err != nil {
			return nil, fmt.Errorf("%w (W takes a single day, e.g. 15W)", err)
		}
		if short := monthsShorterThan(n, months); short != "" {
			return nil, fmt.Errorf("day-of-month: %dW in %s, which can be shorter than %d days, has no documented behaviour: %w", n, short, n, ErrUnsupported)
		}
		return nearestWeekday{n: n}, nil
	case strings.ContainsAny(s, "LW"):
		return nil, fmt.Errorf("day-of-month: %q: L and W must be used alone (L, LW or nW)", s)
	}
	b, err := parseList(f, s)
	if err != nil {
		return nil, err
	}
	return domSet(b[0] << 1), nil // index 0 is day 1; domSet uses bit n = day n
}

func parseDOW(s string) (dayRule, error) {
	f := dowField()
	switch {
	case s == "L":
		// Alone, L is the last day of the week: 7 = SAT.
		return dowSet(1 << uint(time.Saturday)), nil
	case strings.Contains(s, "#"):
		if strings.Count(s, "#") > 1 || strings.ContainsAny(s, ",-") {
			return nil, fmt.Errorf("day-of-week: %q: only one # expression is allowed (e.g. 3#2)", s)
		}
		day, nth, _ := strings.Cut(s, "#")
		v, err := f.value(day)
		if err != nil {
			return nil, err
		}
		n, err := strconv.Atoi(nth)
		if err != nil || !isDigits(nth) || n < 1 || n > 5 {
			return nil, fmt.Errorf("day-of-week: %q: the number after # must be 1-5", s)
		}
		return nthWeekday{weekday: time.Weekday(v - 1), n: n}, nil
	case len(s) > 1 && strings.HasSuffix(s, "L") && !strings.ContainsAny(s, ",-*/"):
		v, err := f.value(strings.TrimSuffix(s, "L"))
		if err != nil {
			return nil, err
		}
		return lastWeekday(time.Weekday(v - 1)), nil
	case strings.Contains(s, "L"):
		return nil, fmt.Errorf("day-of-week: %q: L must be used alone (L or nL, e.g. 6L)", s)
	}
	b, err := parseList(f, s)
	if err != nil {
		return nil, err
	}
	// Index 0 is AWS 1 = SUN = time.Sunday, so the bits already line up.
	return dowSet(b[0]), nil
}

// monthsShorterThan names the selected months that can have fewer than n
// days, or returns "".
func monthsShorterThan(n int, months uint16) string {
	var short []string
	for m := time.January; m <= time.December; m++ {
		if months&(1<<uint(m)) == 0 {
			continue
		}
		minDays := 31
		switch m {
		case time.February:
			minDays = 28
		case time.April, time.June, time.September, time.November:
			minDays = 30
		}
		if n > minDays {
			short = append(short, monthNames[(m-1)*3:m*3])
		}
	}
	return strings.Join(short, ",")
}

// parseList parses a comma-separated list of values, ranges and steps.
func parseList(f field, s string) (bitset, error) {
	var b bitset
	if s == "?" {
		return b, fmt.Errorf("%s: ? is only allowed in day-of-month or day-of-week", f.name)
	}
	for _, item := range strings.Split(s, ",") {
		lo, hi, step, err := f.item(item)
		if err != nil {
			return b, err
		}
		for v := lo; v <= hi; v += step {
			b.set(v - f.min)
		}
	}
	return b, nil
}

// item parses "*", "v", "a-b", "*/n", "v/n" or "a-b/n".
func (f field) item(item string) (lo, hi, step int, err error) {
	if item == "" {
		return 0, 0, 0, fmt.Errorf("%s: empty value in list", f.name)
	}
	rng, stepText, hasStep := strings.Cut(item, "/")
	step = 1
	if hasStep {
		if !f.steps {
			return 0, 0, 0, fmt.Errorf("%s: %q: / is not allowed here (AWS allows %s)", f.name, item, f.wildcard)
		}
		step, err = strconv.Atoi(stepText)
		if err != nil || !isDigits(stepText) || step < 1 {
			return 0, 0, 0, fmt.Errorf("%s: %q: the step after / must be a positive number", f.name, item)
		}
	}
	if rng == "*" {
		lo, hi = f.min, f.max
	} else {
		a, z, isRange := strings.Cut(rng, "-")
		if lo, err = f.value(a); err != nil {
			return 0, 0, 0, err
		}
		switch {
		case isRange:
			if hi, err = f.value(z); err != nil {
				return 0, 0, 0, err
			}
			if hi < lo {
				return 0, 0, 0, fmt.Errorf("%s: range %q wraps around: %w", f.name, rng, ErrUnsupported)
			}
		case hasStep:
			hi = f.max // "v/n" means v, v+n, ... up to the field's maximum
		default:
			hi = lo
		}
	}
	// A step longer than the range selects only lo; clamping keeps v+step
	// from overflowing in the caller's loop.
	if step > hi-lo+1 {
		step = hi - lo + 1
	}
	return lo, hi, step, nil
}

// value parses a number or a three-letter name and checks the range.
func (f field) value(s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("%s: missing value", f.name)
	}
	if !isDigits(s) {
		if i := strings.Index(f.names, s); len(s) == 3 && i >= 0 && i%3 == 0 {
			return f.min + i/3, nil
		}
		if f.names != "" {
			return 0, fmt.Errorf("%s: %q is not a number or a name (%s-%s)", f.name, s, f.names[:3], f.names[len(f.names)-3:])
		}
		return 0, fmt.Errorf("%s: %q is not a number", f.name, s)
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < f.min || v > f.max {
		return 0, fmt.Errorf("%s: %s is out of range %d-%d", f.name, s, f.min, f.max)
	}
	return v, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
