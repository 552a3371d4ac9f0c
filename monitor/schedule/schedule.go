package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Schedule yields the fire times of one parsed expression.
type Schedule interface {
	// Next returns the first fire time strictly after t, or the zero time if
	// there is none (past an at() or the last year of a Year field, or an
	// expression that never matches).
	Next(t time.Time) time.Time
	// String returns the original expression.
	String() string
}

// ErrUnsupported marks an expression that may be valid for AWS but that this
// package does not evaluate exactly, so it refuses rather than guesses. A
// caller should report it once and switch that job's missed-run check off.
// Errors that do not wrap it are plain syntax or range errors.
var ErrUnsupported = errors.New("not supported by the schedule evaluator")

// Parse parses an AWS cron(), rate() or at() expression, or a robfig/cron
// spec (five fields, or a descriptor such as @daily), evaluated in timezone.
// timezone is an IANA name; "" means UTC, which is what EventBridge rules
// always use (Scheduler passes its ScheduleExpressionTimezone).
func Parse(expr, timezone string) (Schedule, error) {
	s, err := parse(strings.TrimSpace(expr), timezone)
	if err != nil {
		return nil, fmt.Errorf("parse schedule %q: %w", expr, err)
	}
	return s, nil
}

func parse(expr, timezone string) (Schedule, error) {
	if expr == "" {
		return nil, errors.New("expression is empty")
	}
	loc, err := loadLocation(timezone)
	if err != nil {
		return nil, err
	}
	switch {
	case strings.HasPrefix(expr, "cron("):
		inner, err := unwrap(expr, "cron(")
		if err != nil {
			return nil, err
		}
		return parseAWSCron(expr, inner, loc)
	case strings.HasPrefix(expr, "rate("):
		inner, err := unwrap(expr, "rate(")
		if err != nil {
			return nil, err
		}
		return parseRate(expr, inner)
	case strings.HasPrefix(expr, "at("):
		inner, err := unwrap(expr, "at(")
		if err != nil {
			return nil, err
		}
		return parseAt(expr, inner, loc)
	default:
		return parseRobfig(expr, timezone, loc)
	}
}

// unwrap returns the text between prefix and the closing parenthesis.
func unwrap(expr, prefix string) (string, error) {
	if !strings.HasSuffix(expr, ")") {
		return "", fmt.Errorf("%s...) is missing its closing parenthesis", prefix)
	}
	inner := expr[len(prefix) : len(expr)-1]
	if strings.ContainsAny(inner, "()") {
		return "", fmt.Errorf("unexpected parenthesis inside %s...)", prefix)
	}
	return inner, nil
}

// loadLocation resolves an IANA zone name; "" is UTC. "Local" is refused
// because it would make the schedule depend on the host the daemon runs on.
func loadLocation(name string) (*time.Location, error) {
	switch name {
	case "", "UTC":
		return time.UTC, nil
	case "Local":
		return nil, errors.New(`timezone "Local" depends on the host; give an IANA name such as "Asia/Tokyo"`)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("load timezone %q: %w", name, err)
	}
	return loc, nil
}
