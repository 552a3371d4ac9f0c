package schedule

import (
	"testing"
	"time"
)

func TestParseRateEvery(t *testing.T) {
	cases := []struct {
		expr string
		want time.Duration
	}{
		{"rate(1 minute)", time.Minute},
		{"rate(5 minutes)", 5 * time.Minute},
		{"rate(1 hour)", time.Hour},
		{"rate(12 hours)", 12 * time.Hour},
		{"rate(1 day)", 24 * time.Hour},
		{"rate(7 days)", 7 * 24 * time.Hour},
		{"@every 1h30m", 90 * time.Minute},
	}
	for _, tc := range cases {
		s, err := Parse(tc.expr, "")
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.expr, err)
		}
		r, ok := s.(Rate)
		if !ok {
			t.Fatalf("Parse(%q) = %T, want Rate", tc.expr, s)
		}
		if r.Every != tc.want || !r.Anchor.IsZero() {
			t.Errorf("Parse(%q) = Every %s Anchor %s, want Every %s and no Anchor", tc.expr, r.Every, r.Anchor, tc.want)
		}
	}
}

func TestRateNextWithoutAnchor(t *testing.T) {
	s, err := Parse("rate(5 minutes)", "")
	if err != nil {
		t.Fatal(err)
	}
	from := mustTime(t, "2026-03-10T12:03:30Z")
	if got, want := s.Next(from), mustTime(t, "2026-03-10T12:08:30Z"); !got.Equal(want) {
		t.Errorf("Next(%s) = %s, want %s (at most Every after t)", from, got, want)
	}
}

func TestRateNextWithAnchor(t *testing.T) {
	s, err := Parse("rate(5 minutes)", "")
	if err != nil {
		t.Fatal(err)
	}
	r := s.(Rate).WithAnchor(mustTime(t, "2026-03-10T12:02:00Z"))
	cases := []struct{ from, want string }{
		{"2026-03-10T12:03:30Z", "2026-03-10T12:07:00Z"},
		{"2026-03-10T12:07:00Z", "2026-03-10T12:12:00Z"}, // strictly after a fire time
		{"2026-03-10T12:02:00Z", "2026-03-10T12:07:00Z"}, // the anchor itself
		{"2026-03-10T11:59:00Z", "2026-03-10T12:02:00Z"}, // before the anchor: same phase
		{"2026-03-10T11:57:00Z", "2026-03-10T12:02:00Z"},
		{"2026-03-10T11:56:59Z", "2026-03-10T11:57:00Z"},
		{"2027-03-10T12:03:00Z", "2027-03-10T12:07:00Z"}, // a year on, still in phase
	}
	for _, tc := range cases {
		if got, want := r.Next(mustTime(t, tc.from)), mustTime(t, tc.want); !got.Equal(want) {
			t.Errorf("Next(%s) = %s, want %s", tc.from, got, want)
		}
	}
}

func TestRateNextFarFromAnchor(t *testing.T) {
	// More than the ~292 years a time.Duration spans: t.Sub saturates, so
	// Next must not just add one step to a wrong base.
	r := Rate{Every: 7 * 24 * time.Hour, Anchor: mustTime(t, "2026-01-01T00:00:00Z")}
	for _, from := range []string{"2526-06-01T10:00:00Z", "1526-06-01T10:00:00Z"} {
		at := mustTime(t, from)
		got := r.Next(at)
		if !got.After(at) || got.Sub(at) > r.Every {
			t.Fatalf("Next(%s) = %s, want within one week after", from, got)
		}
		// 2026-01-01 is a Thursday at midnight; every fire time must be too.
		if got.Weekday() != time.Thursday || got.Hour() != 0 || got.Minute() != 0 {
			t.Errorf("Next(%s) = %s (%s), want a Thursday midnight in phase with the anchor", from, got, got.Weekday())
		}
	}
}

func TestRateZeroEvery(t *testing.T) {
	if got := (Rate{}).Next(mustTime(t, "2026-01-01T00:00:00Z")); !got.IsZero() {
		t.Errorf("Rate{}.Next = %s, want the zero time", got)
	}
}

func TestAt(t *testing.T) {
	s, err := Parse("at(2026-12-01T09:00:00)", "Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	a, ok := s.(At)
	if !ok {
		t.Fatalf("Parse = %T, want At", s)
	}
	want := mustTime(t, "2026-12-01T00:00:00Z")
	if !a.Time.Equal(want) {
		t.Fatalf("At.Time = %s, want %s", a.Time, want)
	}
	if got := s.Next(mustTime(t, "2026-11-30T00:00:00Z")); !got.Equal(want) {
		t.Errorf("Next before = %s, want %s", got, want)
	}
	if got := s.Next(want); !got.IsZero() {
		t.Errorf("Next at the fire time = %s, want the zero time", got)
	}
	if got := s.Next(want.Add(time.Hour)); !got.IsZero() {
		t.Errorf("Next after = %s, want the zero time", got)
	}
}
