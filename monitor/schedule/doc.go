// Package schedule computes the fire times of scheduled ECS tasks from their
// schedule expressions, so a missed-run check knows when a start was due.
//
// Parse accepts:
//
//   - AWS cron(min hour day-of-month month day-of-week year), as used by
//     EventBridge rules and EventBridge Scheduler: , - * / everywhere the
//     AWS table allows them, ? in exactly one of day-of-month and
//     day-of-week, day-of-week 1-7 = SUN-SAT, names JAN-DEC and SUN-SAT in
//     any case, L (last day of month; alone in day-of-week it is 7 = SAT),
//     nW and LW (nearest weekday, never crossing the month), nL (last
//     weekday n of the month), n#k (k-th weekday n; one only) and the Year
//     field 1970-2199. Times are whole minutes.
//   - rate(value unit), returned as a Rate: see its doc for what Next means
//     when the phase is unknown.
//   - Scheduler's at(yyyy-mm-ddThh:mm:ss), returned as an At.
//   - Anything else is a robfig/cron spec (five fields with 0 = Sunday, or a
//     descriptor such as @daily; CRON_TZ=<zone> prefix allowed). @every d
//     becomes a Rate without an Anchor.
//
// The timezone argument is an IANA name; "" is UTC (EventBridge rules are
// always UTC; Scheduler has ScheduleExpressionTimezone).
//
// # Daylight saving time
//
// Calendar expressions follow what AWS documents for Scheduler: a wall time
// that does not exist on a spring-forward day is skipped, and a wall time
// that exists twice on a fall-back day fires once. AWS does not say which of
// the two instants it uses; Next takes the first, as java.time does by
// default. A checker should therefore allow an hour of slack on fall-back
// days for times inside the repeated hour. Sub-hourly expressions do not fire
// again during the repeated hour. rate() ignores DST: a day is 24 hours.
//
// # What is refused
//
// The package never approximates. An expression it cannot evaluate exactly
// is an error wrapping ErrUnsupported (for example nW in a month that can be
// shorter than n days, L-3 offsets, wrap-around ranges such as FRI-MON, and
// at() times inside a DST gap); malformed expressions are plain errors naming
// the field and the problem. Either way the caller should report the job
// once and switch its missed-run check off.
//
// # Bounds
//
// Next never loops unboundedly: cron() searches no further than its Year
// field (2199 at most) and robfig specs no further than 400 years, after
// which the Gregorian calendar repeats; past that it returns the zero time.
// robfig/cron is used to parse robfig specs only: its own Next fires twice on
// fall-back days (01:30 EDT and 01:30 EST for "30 1 * * *", checked against
// v3.0.1) and gives up after five years, so both kinds of calendar
// expression share this package's evaluator.
package schedule
