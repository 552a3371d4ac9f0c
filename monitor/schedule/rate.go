package schedule

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Rate is a fixed-interval schedule: AWS rate(value unit), or a robfig
// "@every <duration>" spec.
//
// AWS fixes the phase of a rate when the rule or schedule is created (or at
// Scheduler's StartDate), which the daemon usually does not know. Without an
// Anchor, Next(t) is t+Every: "a start is due at most Every after the last
// start at t". A missed-run checker should treat a Rate as "expect a start at
// least every Every" rather than at exact times. Days are exactly 24 hours
// (AWS Scheduler evaluates rate(n days) 24 hours after the last invocation,
// across DST changes too).
type Rate struct {
	// Every is the interval between starts; always positive when parsed.
	Every time.Duration
	// Anchor, when not zero, is any instant known to be a fire time (rule
	// creation, StartDate, an observed start): fire times are then
	// Anchor + k*Every for every integer k.
	Anchor time.Time

	expr string
}

// WithAnchor returns a copy of r whose fire times are phased on anchor.
func (r Rate) WithAnchor(anchor time.Time) Rate {
	r.Anchor = anchor
	return r
}

// String returns the original expression, or a rate() form of Every for a
// Rate built by hand.
func (r Rate) String() string {
	if r.expr != "" {
		return r.expr
	}
	return fmt.Sprintf("rate(%s)", r.Every)
}

// Next returns the first fire time strictly after t: Anchor + k*Every when
// anchored, otherwise t+Every.
func (r Rate) Next(t time.Time) time.Time {
	if r.Every <= 0 {
		return time.Time{}
	}
	if r.Anchor.IsZero() {
		return t.Add(r.Every)
	}
	a := r.Anchor
	// t.Sub saturates for spans beyond ~292 years; move the anchor towards
	// t by whole multiples of Every until the span is exact. The loop is
	// bounded so absurd inputs give the zero time instead of spinning.
	jump := (math.MaxInt64 / 2 / r.Every) * r.Every
	if jump == 0 {
		jump = r.Every
	}
	for i := 0; ; i++ {
		d := t.Sub(a)
		if d > math.MinInt64/2 && d < math.MaxInt64/2 {
			break
		}
		if i == 1000 {
			return time.Time{}
		}
		if d > 0 {
			a = a.Add(jump)
		} else {
			a = a.Add(-jump)
		}
	}
	d := t.Sub(a)
	next := a.Add(d / r.Every * r.Every) // truncated towards zero: at most one step short
	if !next.After(t) {
		next = next.Add(r.Every)
	}
	return next
}

// parseRate parses the inside of rate(value unit). AWS takes the singular
// unit for 1 and the plural otherwise: rate(1 hour), rate(5 hours).
func parseRate(expr, inner string) (Rate, error) {
	parts := strings.Fields(inner)
	if len(parts) != 2 {
		return Rate{}, errors.New("rate() needs a value and a unit, e.g. rate(5 minutes)")
	}
	value, unitName := parts[0], parts[1]
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil || !isDigits(value) || n < 1 {
		return Rate{}, fmt.Errorf("rate(): value %q must be a positive whole number", value)
	}
	var unit time.Duration
	switch strings.TrimSuffix(unitName, "s") {
	case "minute":
		unit = time.Minute
	case "hour":
		unit = time.Hour
	case "day":
		unit = 24 * time.Hour
	default:
		return Rate{}, fmt.Errorf("rate(): unit %q must be minute(s), hour(s) or day(s)", unitName)
	}
	plural := strings.HasSuffix(unitName, "s")
	if n == 1 && plural {
		return Rate{}, fmt.Errorf("rate(): a value of 1 takes the singular unit (%s), not %q", strings.TrimSuffix(unitName, "s"), unitName)
	}
	if n > 1 && !plural {
		return Rate{}, fmt.Errorf("rate(): a value of %d takes the plural unit (%ss), not %q", n, unitName, unitName)
	}
	if n > int64(math.MaxInt64/unit) {
		return Rate{}, fmt.Errorf("rate(): %d %s is too long", n, unitName)
	}
	return Rate{Every: time.Duration(n) * unit, expr: expr}, nil
}

// At is a one-time schedule: Scheduler's at(yyyy-mm-ddThh:mm:ss).
type At struct {
	// Time is the single fire time.
	Time time.Time

	expr string
}

// String returns the original expression.
func (a At) String() string { return a.expr }

// Next returns Time if it is after t, otherwise the zero time.
func (a At) Next(t time.Time) time.Time {
	if a.Time.After(t) {
		return a.Time
	}
	return time.Time{}
}

// parseAt parses the inside of at(...) as a wall time in loc.
func parseAt(expr, inner string, loc *time.Location) (At, error) {
	// Parsing in UTC validates the fields (month 13, February 30) without
	// letting the zone silently move a time that falls in a DST gap.
	const layout = "2006-01-02T15:04:05"
	w, err := time.Parse(layout, inner)
	if err == nil && len(inner) != len(layout) {
		// time.Parse accepts fractional seconds the layout does not show.
		err = errors.New("unexpected text after the seconds")
	}
	if err != nil {
		return At{}, fmt.Errorf("at(): %q is not yyyy-mm-ddThh:mm:ss: %w", inner, err)
	}
	y, m, d := w.Date()
	at, ok := wallToInstant(y, m, d, w.Hour(), w.Minute(), w.Second(), loc)
	if !ok {
		return At{}, fmt.Errorf("at(): %s does not exist in %s (skipped by a DST change): %w", inner, loc, ErrUnsupported)
	}
	return At{Time: at, expr: expr}, nil
}
