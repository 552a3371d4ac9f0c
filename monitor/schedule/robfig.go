package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// parseRobfig parses a robfig/cron spec: five fields (minute hour
// day-of-month month day-of-week, 0 = Sunday) or a descriptor (@daily,
// @every 1h, ...), optionally prefixed with CRON_TZ=<zone>.
//
// robfig/cron does the parsing; evaluation uses the bit sets it produces
// with this package's calendar rather than robfig's SpecSchedule.Next, so
// robfig specs follow the same DST rules as AWS cron() (robfig's own Next
// fires twice in a fall-back overlap).
func parseRobfig(expr, timezone string, loc *time.Location) (Schedule, error) {
	spec := expr
	if zone, rest, ok, err := cutTZPrefix(spec); err != nil {
		return nil, err
	} else if ok {
		if timezone != "" && zone != timezone {
			return nil, fmt.Errorf("CRON_TZ=%s conflicts with timezone %q", zone, timezone)
		}
		if loc, err = loadLocation(zone); err != nil {
			return nil, err
		}
		spec = rest
	}
	for _, p := range []string{"cron(", "rate(", "at("} {
		if strings.HasPrefix(spec, p) {
			return nil, errors.New("a CRON_TZ= prefix is only for robfig specs; give an AWS expression its timezone separately")
		}
	}
	// The prefix has been handled above, so robfig never sees one and never
	// falls back to time.Local.
	parser := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	parsed, err := parser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("not cron(), rate() or at(), and not a robfig/cron spec: %w", err)
	}
	switch s := parsed.(type) {
	case *cron.SpecSchedule:
		return &calendar{
			expr:    expr,
			loc:     loc,
			minutes: s.Minute,
			hours:   s.Hour,
			months:  uint16(s.Month), // bits 1-12; the star bit (63) falls away
			days:    robfigDays{dom: s.Dom, dow: s.Dow},
		}, nil
	case cron.ConstantDelaySchedule:
		// @every is relative to whenever robfig's Next is called, which is
		// what Rate without an Anchor means.
		if s.Delay < time.Minute {
			return nil, fmt.Errorf("@every %s: intervals below 1 minute are not supported (AWS precision is 1 minute)", s.Delay)
		}
		return Rate{Every: s.Delay, expr: expr}, nil
	default:
		return nil, fmt.Errorf("robfig/cron returned an unknown schedule type %T: %w", parsed, ErrUnsupported)
	}
}

// cutTZPrefix splits "CRON_TZ=<zone> <spec>" (or the legacy "TZ=").
func cutTZPrefix(spec string) (zone, rest string, ok bool, err error) {
	var after string
	switch {
	case strings.HasPrefix(spec, "CRON_TZ="):
		after = strings.TrimPrefix(spec, "CRON_TZ=")
	case strings.HasPrefix(spec, "TZ="):
		after = strings.TrimPrefix(spec, "TZ=")
	default:
		return "", "", false, nil
	}
	zone, rest, found := strings.Cut(after, " ")
	rest = strings.TrimSpace(rest)
	if !found || zone == "" || rest == "" {
		return "", "", false, errors.New("a CRON_TZ=<zone> prefix must be followed by a space and a spec")
	}
	return zone, rest, true, nil
}

// SpecZone is the zone a robfig spec's CRON_TZ= (or TZ=) prefix names;
// false when the spec has no prefix.
func SpecZone(spec string) (*time.Location, bool, error) {
	zone, _, ok, err := cutTZPrefix(spec)
	if err != nil || !ok {
		return nil, false, err
	}
	loc, err := loadLocation(zone)
	if err != nil {
		return nil, false, err
	}
	return loc, true, nil
}
