package schedule

import "time"

// unboundedHorizonYears bounds the search of schedules without a Year field.
// The Gregorian calendar repeats exactly every 400 years (146097 days, a whole
// number of weeks), so a day pattern that matches at all matches within 400
// years of any instant; searching further can only find nothing.
const unboundedHorizonYears = 400

// calendar is a wall-clock schedule evaluated in one location: a minute
// matches when its year, month, day, hour and minute all match. Both AWS
// cron() and robfig specs compile to it, so one evaluator owns the DST rules.
type calendar struct {
	expr    string
	loc     *time.Location
	minutes uint64 // bit n = minute n
	hours   uint64 // bit n = hour n
	months  uint16 // bit n = month n (1-12)
	days    dayRule
	// years restricts the year when non-nil (AWS Year field, 1970-2199).
	years *yearSet
}

// String returns the expression the schedule was parsed from.
func (c *calendar) String() string { return c.expr }

// Next returns the first fire time strictly after t, in the schedule's
// location, or the zero time when there is none within the search horizon.
//
// It walks the wall-clock calendar of the location: days, then hours and
// minutes of matching days in ascending order, mapping each wall time to an
// instant. A wall time that does not exist (spring-forward gap) is skipped; a
// wall time that exists twice (fall-back overlap) maps to its first
// occurrence only, so it fires once. That mapping is strictly increasing, so
// the first mapped instant after t is the answer.
func (c *calendar) Next(t time.Time) time.Time {
	lt := t.In(c.loc)
	sy, sm, sd := lt.Date()
	sh, smin := lt.Hour(), lt.Minute()
	// Wall times before t's own (minute-truncated) wall time map to instants
	// before t, so the walk can start there.
	last := sy + unboundedHorizonYears
	if c.years != nil {
		lo, hi := c.years.bounds()
		last = hi
		if sy < lo {
			sy, sm, sd, sh, smin = lo, time.January, 1, 0, 0
		}
	}
	for y := sy; y <= last; y++ {
		if c.years != nil && !c.years.has(y) {
			continue
		}
		for m := time.January; m <= time.December; m++ {
			if c.months&(1<<uint(m)) == 0 || (y == sy && m < sm) {
				continue
			}
			startMonth := y == sy && m == sm
			dim := daysIn(y, m)
			firstWeekday := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).Weekday()
			for d := 1; d <= dim; d++ {
				if startMonth && d < sd {
					continue
				}
				info := dayInfo{day: d, daysInMonth: dim, weekday: (firstWeekday + time.Weekday(d-1)) % 7}
				if !c.days.matches(info) {
					continue
				}
				if at, ok := c.firstInDay(y, m, d, startMonth && d == sd, sh, smin, t); ok {
					return at
				}
			}
		}
	}
	return time.Time{}
}

// firstInDay returns the first matching instant after t on a matching day.
// When fromStart is set the walk begins at hour sh, minute smin (t's wall
// time) instead of midnight.
func (c *calendar) firstInDay(y int, m time.Month, d int, fromStart bool, sh, smin int, t time.Time) (time.Time, bool) {
	for h := 0; h < 24; h++ {
		if c.hours&(1<<uint(h)) == 0 || (fromStart && h < sh) {
			continue
		}
		for mi := 0; mi < 60; mi++ {
			if c.minutes&(1<<uint(mi)) == 0 || (fromStart && h == sh && mi < smin) {
				continue
			}
			at, ok := wallToInstant(y, m, d, h, mi, 0, c.loc)
			if ok && at.After(t) {
				return at, true
			}
		}
	}
	return time.Time{}, false
}

// wallToInstant maps a wall-clock time in loc to the earliest instant that
// shows that wall time, and reports false when no instant does (the wall time
// falls in a spring-forward gap). time.Date alone does not say which instant
// it picks in an overlap, so the neighbouring zone offsets are tried too.
func wallToInstant(y int, m time.Month, d, h, mi, s int, loc *time.Location) (time.Time, bool) {
	guess := time.Date(y, m, d, h, mi, s, 0, loc)
	naive := time.Date(y, m, d, h, mi, s, 0, time.UTC)
	start, end := guess.ZoneBounds()
	_, off := guess.Zone()
	offsets := []int{off}
	if !start.IsZero() {
		_, prev := start.Add(-time.Second).Zone()
		offsets = append(offsets, prev)
	}
	if !end.IsZero() {
		_, next := end.Zone()
		offsets = append(offsets, next)
	}
	var best time.Time
	found := false
	for _, o := range offsets {
		u := naive.Add(-time.Duration(o) * time.Second).In(loc)
		if !sameWall(u, y, m, d, h, mi, s) {
			continue
		}
		if !found || u.Before(best) {
			best, found = u, true
		}
	}
	return best, found
}

func sameWall(u time.Time, y int, m time.Month, d, h, mi, s int) bool {
	uy, um, ud := u.Date()
	uh, umi, us := u.Clock()
	return uy == y && um == m && ud == d && uh == h && umi == mi && us == s
}

// daysIn returns the number of days in month m of year y.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// yearSet is a set of years in [minAWSYear, maxAWSYear].
type yearSet struct {
	bits [4]uint64
}

func (s *yearSet) has(y int) bool {
	if y < minAWSYear || y > maxAWSYear {
		return false
	}
	i := y - minAWSYear
	return s.bits[i/64]&(1<<uint(i%64)) != 0
}

// bounds returns the smallest and largest year in the set; the parser never
// builds an empty set.
func (s *yearSet) bounds() (lo, hi int) {
	lo, hi = maxAWSYear+1, minAWSYear-1
	for y := minAWSYear; y <= maxAWSYear; y++ {
		if s.has(y) {
			if y < lo {
				lo = y
			}
			hi = y
		}
	}
	return lo, hi
}
