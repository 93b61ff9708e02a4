package market

import (
	"fmt"
	"strings"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// Opening hours (SPEC.md §16.5.1): schema.org openingHours strings,
// such as "Mo-Fr 11:30-14:30" or "Sa,Su 11:00-15:00,18:00-23:30", in the
// restaurant's time zone, at minute precision.

const (
	minutesPerDay  = 24 * 60
	minutesPerWeek = 7 * minutesPerDay
)

var dayNames = [7]string{"Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"}

// interval is a half-open range of minutes of the week, Monday 00:00 = 0.
type interval struct{ from, to int }

// Hours is a parsed set of opening hours: sorted, merged intervals of the
// week. The zero Hours (no hours published) is open at all times.
type Hours struct {
	iv  []interval
	set bool // false: no hours published
}

// ParseHours parses opening-hours strings (SPEC.md §16.5.1). An empty
// list gives the always-open Hours; an error names the string and what is
// wrong with it, and wraps ErrBadHours.
func ParseHours(specs []string) (Hours, error) {
	var mins [minutesPerWeek]bool
	for i, s := range specs {
		if err := parseLine(s, &mins); err != nil {
			return Hours{}, fmt.Errorf("%w: %q (entry %d): %s", ErrBadHours, s, i+1, err.Error())
		}
	}
	h := Hours{set: len(specs) > 0}
	for m := 0; m < minutesPerWeek; {
		if !mins[m] {
			m++
			continue
		}
		start := m
		for m < minutesPerWeek && mins[m] {
			m++
		}
		h.iv = append(h.iv, interval{start, m})
	}
	return h, nil
}

type hoursError string

func (e hoursError) Error() string { return string(e) }

// parseLine parses one "DAYS RANGES" string into the minute map.
func parseLine(s string, mins *[minutesPerWeek]bool) error {
	daysPart, rangesPart, ok := strings.Cut(s, " ")
	if !ok {
		return hoursError("want days, one space, then time ranges")
	}
	var days [7]bool
	for _, item := range strings.Split(daysPart, ",") {
		a, b, isRange := strings.Cut(item, "-")
		from, ok := dayIndex(a)
		if !ok {
			return hoursError(fmt.Sprintf("unknown day %q (want Mo Tu We Th Fr Sa Su)", a))
		}
		to := from
		if isRange {
			if to, ok = dayIndex(b); !ok {
				return hoursError(fmt.Sprintf("unknown day %q (want Mo Tu We Th Fr Sa Su)", b))
			}
		}
		for d := from; ; d = (d + 1) % 7 {
			days[d] = true
			if d == to {
				break
			}
		}
	}
	for _, r := range strings.Split(rangesPart, ",") {
		a, b, ok := strings.Cut(r, "-")
		if !ok {
			return hoursError(fmt.Sprintf("time range %q: want HH:MM-HH:MM", r))
		}
		from, err := parseClock(a, false)
		if err != nil {
			return err
		}
		to, err := parseClock(b, true)
		if err != nil {
			return err
		}
		if from == to {
			return hoursError(fmt.Sprintf("time range %q is empty", r))
		}
		if to < from {
			to += minutesPerDay // past midnight, into the next day
		}
		for d := range days {
			if !days[d] {
				continue
			}
			for m := d*minutesPerDay + from; m < d*minutesPerDay+to; m++ {
				mins[m%minutesPerWeek] = true
			}
		}
	}
	return nil
}

func dayIndex(s string) (int, bool) {
	for i, n := range dayNames {
		if s == n {
			return i, true
		}
	}
	return 0, false
}

// parseClock parses HH:MM, 00:00..23:59, or 24:00 as an end.
func parseClock(s string, end bool) (int, error) {
	bad := hoursError(fmt.Sprintf("time %q: want HH:MM, 00:00 to 23:59 (24:00 as an end)", s))
	if len(s) != 5 || s[2] != ':' {
		return 0, bad
	}
	digit := func(c byte) (int, bool) { return int(c - '0'), c >= '0' && c <= '9' }
	h1, ok1 := digit(s[0])
	h2, ok2 := digit(s[1])
	m1, ok3 := digit(s[3])
	m2, ok4 := digit(s[4])
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return 0, bad
	}
	h, m := h1*10+h2, m1*10+m2
	switch {
	case m > 59, h > 24, h == 24 && (m != 0 || !end):
		return 0, bad
	}
	return h*60 + m, nil
}

// Always reports whether no hours were published (open at all times).
func (h Hours) Always() bool { return !h.set }

// openMinute reports whether minute m of the week is open.
func (h Hours) openMinute(m int) bool {
	if !h.set {
		return true
	}
	for _, iv := range h.iv {
		if m < iv.from {
			return false
		}
		if m < iv.to {
			return true
		}
	}
	return false
}

// OpenAt reports whether the hours are open at the local wall-clock time of
// t (its minute, in t's location).
func (h Hours) OpenAt(t time.Time) bool { return h.openMinute(minuteOfWeek(t)) }

func minuteOfWeek(t time.Time) int {
	return (int(t.Weekday())+6)%7*minutesPerDay + t.Hour()*60 + t.Minute()
}

// String renders the hours canonically, one "Dd HH:MM-HH:MM" per day and
// interval, joined by "; " ("" for always open). ParseHours of the parts
// gives the same Hours.
func (h Hours) String() string { return strings.Join(h.Lines(), "; ") }

// Lines renders the hours as canonical opening-hours strings.
func (h Hours) Lines() []string {
	var out []string
	for _, iv := range h.iv {
		for m := iv.from; m < iv.to; {
			d := m / minutesPerDay
			end := min(iv.to, (d+1)*minutesPerDay)
			out = append(out, fmt.Sprintf("%s %s-%s", dayNames[d], clock(m-d*minutesPerDay), clock(end-d*minutesPerDay)))
			m = end
		}
	}
	return out
}

func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// LoadLocation returns the IANA zone name, "" meaning UTC; the error wraps
// ErrBadTimezone.
func LoadLocation(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		return nil, fmt.Errorf("%w: %q", ErrBadTimezone, name)
	}
	return loc, nil
}

// Schedule is when a restaurant takes orders: its hours in its time zone,
// minus its closings (SPEC.md §16.5.1).
type Schedule struct {
	Hours    Hours
	Loc      *time.Location
	Closings []crdt.Closing
}

// NewSchedule builds a restaurant's schedule from its profile. The zone is
// the profile's timezone, else fallbackTZ (the coop's), else UTC.
func NewSchedule(p *crdt.CatalogProfile, fallbackTZ string) (*Schedule, error) {
	tz := p.Timezone
	if tz == "" {
		tz = fallbackTZ
	}
	loc, err := LoadLocation(tz)
	if err != nil {
		return nil, err
	}
	h, err := ParseHours(p.Hours)
	if err != nil {
		return nil, err
	}
	return &Schedule{Hours: h, Loc: loc, Closings: p.Closings}, nil
}

// Closing returns the closing in force at t, if any: Start ≤ t < End.
func (s *Schedule) Closing(t time.Time) (crdt.Closing, bool) {
	ms := t.UnixMilli()
	for _, c := range s.Closings {
		if c.Start <= ms && ms < c.End {
			return c, true
		}
	}
	return crdt.Closing{}, false
}

// IsOpen reports whether the restaurant takes orders at t: within its
// hours (local time) and in no closing.
func (s *Schedule) IsOpen(t time.Time) bool {
	if _, closed := s.Closing(t); closed {
		return false
	}
	return s.Hours.OpenAt(t.In(s.Loc))
}

// MaxLookahead bounds NextOpen.
const MaxLookahead = 366 * 24 * time.Hour

// NextOpen returns the first instant at or after t when the restaurant is
// open, within MaxLookahead; ok is false if there is none.
func (s *Schedule) NextOpen(t time.Time) (next time.Time, ok bool) {
	limit := t.Add(MaxLookahead)
	for i := 0; i < 10_000 && !t.After(limit); i++ {
		if c, closed := s.Closing(t); closed {
			t = time.UnixMilli(c.End)
			continue
		}
		local := t.In(s.Loc)
		if s.Hours.OpenAt(local) {
			return t, true
		}
		t = s.nextStart(local)
	}
	return time.Time{}, false
}

// nextStart returns the next instant after t where an interval of the
// hours starts, by the local calendar (so that DST changes are honoured).
func (s *Schedule) nextStart(t time.Time) time.Time {
	step := t.Truncate(time.Minute).Add(time.Minute)
	if len(s.Hours.iv) == 0 {
		return t.Add(MaxLookahead + time.Minute) // never open
	}
	now := minuteOfWeek(t)
	start := -1
	for _, iv := range s.Hours.iv {
		if iv.from > now {
			start = iv.from
			break
		}
	}
	if start < 0 {
		start = s.Hours.iv[0].from + minutesPerWeek
	}
	days := start/minutesPerDay - now/minutesPerDay
	m := start % minutesPerDay
	cand := time.Date(t.Year(), t.Month(), t.Day()+days, m/60, m%60, 0, 0, s.Loc)
	if !cand.After(t) {
		return step
	}
	return cand
}
