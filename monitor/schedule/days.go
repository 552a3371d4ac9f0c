package schedule

import "time"

// dayInfo describes one calendar day for a dayRule.
type dayInfo struct {
	day         int // 1-31
	daysInMonth int
	weekday     time.Weekday
}

// dayRule decides whether a calendar day matches the day-of-month /
// day-of-week part of an expression.
type dayRule interface {
	matches(dayInfo) bool
}

// domSet matches listed days of the month (bit n = day n).
type domSet uint64

func (s domSet) matches(d dayInfo) bool { return uint64(s)&(1<<uint(d.day)) != 0 }

// dowSet matches listed weekdays (bit n = time.Weekday n, Sunday = 0).
type dowSet uint8

func (s dowSet) matches(d dayInfo) bool { return uint8(s)&(1<<uint(d.weekday)) != 0 }

// lastDayOfMonth is AWS day-of-month "L".
type lastDayOfMonth struct{}

func (lastDayOfMonth) matches(d dayInfo) bool { return d.day == d.daysInMonth }

// nearestWeekday is AWS day-of-month "nW" (last = true for "LW"): the weekday
// (Monday-Friday) nearest day n, never crossing into another month, which is
// the Quartz definition AWS's syntax comes from: a Saturday 1st moves to
// Monday the 3rd, a Sunday last day moves back to Friday.
type nearestWeekday struct {
	n    int
	last bool
}

func (r nearestWeekday) matches(d dayInfo) bool {
	n := r.n
	if r.last {
		n = d.daysInMonth
	}
	if n > d.daysInMonth {
		// The parser refuses nW for months that can be shorter than n, so
		// this only guards against misuse.
		return false
	}
	wd := (d.weekday + time.Weekday((n-d.day)%7+7)) % 7 // weekday of day n
	target := n
	switch {
	case wd == time.Saturday && n == 1:
		target = 3
	case wd == time.Saturday:
		target = n - 1
	case wd == time.Sunday && n == d.daysInMonth:
		target = n - 2
	case wd == time.Sunday:
		target = n + 1
	}
	return d.day == target
}

// nthWeekday is AWS day-of-week "w#n": the n-th such weekday of the month.
// A fifth occurrence that a month lacks simply does not fire that month.
type nthWeekday struct {
	weekday time.Weekday
	n       int
}

func (r nthWeekday) matches(d dayInfo) bool {
	return d.weekday == r.weekday && (d.day-1)/7+1 == r.n
}

// lastWeekday is AWS day-of-week "wL": the last such weekday of the month.
type lastWeekday time.Weekday

func (r lastWeekday) matches(d dayInfo) bool {
	return d.weekday == time.Weekday(r) && d.day+7 > d.daysInMonth
}

// robfigDays reproduces robfig/cron's dayMatches: when either field was
// written as * or ? the two are ANDed, otherwise ORed (classic cron).
type robfigDays struct {
	dom, dow uint64 // robfig bit sets, including its star bit
}

// robfigStarBit is robfig/cron's marker for a field written as * or ?.
const robfigStarBit = 1 << 63

func (r robfigDays) matches(d dayInfo) bool {
	domMatch := r.dom&(1<<uint(d.day)) != 0
	dowMatch := r.dow&(1<<uint(d.weekday)) != 0
	if r.dom&robfigStarBit != 0 || r.dow&robfigStarBit != 0 {
		return domMatch && dowMatch
	}
	return domMatch || dowMatch
}
