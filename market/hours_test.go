package market

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

func TestParseHours(t *testing.T) {
	cases := []struct {
		in    []string
		lines string // canonical rendering
		open  []time.Time
		shut  []time.Time
	}{
		{in: []string{"Mo-Fr 11:30-14:30"}, lines: "Mo 11:30-14:30; Tu 11:30-14:30; We 11:30-14:30; Th 11:30-14:30; Fr 11:30-14:30",
			open: []time.Time{at(2026, 3, 9, 11, 30), at(2026, 3, 13, 14, 29)},
			shut: []time.Time{at(2026, 3, 9, 11, 29), at(2026, 3, 9, 14, 30), at(2026, 3, 14, 12, 0)}},
		{in: []string{"Sa,Su 18:00-22:30", "Mo 12:00-14:00"}, lines: "Mo 12:00-14:00; Sa 18:00-22:30; Su 18:00-22:30",
			open: []time.Time{at(2026, 3, 14, 18, 0), at(2026, 3, 15, 22, 29), at(2026, 3, 16, 13, 0)},
			shut: []time.Time{at(2026, 3, 13, 19, 0), at(2026, 3, 15, 22, 30)}},
		{in: []string{"Mo-Su 11:00-14:30,18:30-23:00"}, open: []time.Time{at(2026, 3, 11, 19, 0)}, shut: []time.Time{at(2026, 3, 11, 15, 0)}},
		{in: []string{"Fr-Mo 10:00-12:00"}, lines: "Mo 10:00-12:00; Fr 10:00-12:00; Sa 10:00-12:00; Su 10:00-12:00",
			shut: []time.Time{at(2026, 3, 10, 11, 0)}},
		{in: []string{"Sa 22:00-02:00"}, lines: "Sa 22:00-24:00; Su 00:00-02:00",
			open: []time.Time{at(2026, 3, 15, 1, 59)}, shut: []time.Time{at(2026, 3, 15, 2, 0), at(2026, 3, 14, 21, 59)}},
		{in: []string{"Su 23:00-01:00"}, lines: "Mo 00:00-01:00; Su 23:00-24:00", open: []time.Time{at(2026, 3, 16, 0, 30)}}, // across the week's end
		{in: []string{"Mo-Su 00:00-24:00"}, open: []time.Time{at(2026, 3, 10, 3, 0)}},
		{in: []string{"Mo 10:00-12:00", "Mo 11:00-13:00"}, lines: "Mo 10:00-13:00"}, // merged
		{in: nil, lines: "", open: []time.Time{at(2026, 3, 10, 3, 0)}},              // no hours: always open
	}
	for _, c := range cases {
		h, err := ParseHours(c.in)
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		if c.lines != "" && h.String() != c.lines {
			t.Errorf("%q renders %q, want %q", c.in, h.String(), c.lines)
		}
		for _, tt := range c.open {
			if !h.OpenAt(tt) {
				t.Errorf("%q: closed at %s", c.in, tt.Format("Mon 15:04"))
			}
		}
		for _, tt := range c.shut {
			if h.OpenAt(tt) {
				t.Errorf("%q: open at %s", c.in, tt.Format("Mon 15:04"))
			}
		}
		again, err := ParseHours(h.Lines())
		if err != nil || !reflect.DeepEqual(again.iv, h.iv) {
			t.Errorf("%q: rendering does not parse back: %v", c.in, err)
		}
	}
	if h, _ := ParseHours(nil); !h.Always() {
		t.Error("no hours is not always open")
	}
}

func TestParseHoursErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "want days, one space"},
		{"Mo-Fr", "want days, one space"},
		{"Mo-Fr 11:30", "want HH:MM-HH:MM"},
		{"Xx 10:00-12:00", `unknown day "Xx"`},
		{"mo 10:00-12:00", `unknown day "mo"`},
		{"Mo-Fx 10:00-12:00", `unknown day "Fx"`},
		{"Mo,,Tu 10:00-12:00", `unknown day ""`},
		{"Mo 25:00-26:00", `time "25:00"`},
		{"Mo 9:00-12:00", `time "9:00"`},
		{"Mo 10:60-11:00", `time "10:60"`},
		{"Mo 24:00-10:00", `time "24:00"`},
		{"Mo 10:00-24:01", `time "24:01"`},
		{"Mo 10:00-10:00", "is empty"},
		{"Mo  10:00-12:00", `time " 10:00"`},
		{"Mo 10:00-12:00 ", `time "12:00 "`},
		{"Mo 10:00-12:00, 14:00-16:00", `time " 14:00"`},
		{"Mo 10:00-12:00-14:00", `time "12:00-14:00"`},
		{"Mo 1a:00-12:00", `time "1a:00"`},
	} {
		_, err := ParseHours([]string{"Tu 10:00-11:00", c.in})
		if !errors.Is(err, ErrBadHours) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "entry 2") {
			t.Errorf("%q: %v, want %q", c.in, err, c.want)
		}
	}
}

// FuzzParseHours: ParseHours never panics; errors wrap ErrBadHours; what
// parses renders canonically and parses back to the same hours, and the
// canonical form is a fixed point.
func FuzzParseHours(f *testing.F) {
	for _, s := range []string{"Mo-Fr 11:30-14:30", "Sa,Su 18:00-22:30", "Mo-Su 11:00-14:30,18:30-23:00", "Fr-Mo 22:00-02:00",
		"Su 23:00-01:00", "Mo 00:00-24:00", "Mo 24:00-10:00", "", "Tu"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		specs := strings.Split(s, "\n")
		h, err := ParseHours(specs)
		if err != nil {
			if !errors.Is(err, ErrBadHours) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		again, err := ParseHours(h.Lines())
		if err != nil {
			t.Fatalf("canonical form %q does not parse: %v", h.Lines(), err)
		}
		if !reflect.DeepEqual(again.iv, h.iv) || again.String() != h.String() {
			t.Fatalf("round trip changed %q into %q", h.String(), again.String())
		}
		for _, iv := range h.iv {
			if iv.from < 0 || iv.to > minutesPerWeek || iv.from >= iv.to {
				t.Fatalf("bad interval %+v", iv)
			}
		}
	})
}

func schedule(t *testing.T, hours []string, closings ...crdt.Closing) *Schedule {
	t.Helper()
	s, err := NewSchedule(&crdt.CatalogProfile{Timezone: "Europe/Paris", Hours: hours, Closings: closings}, "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestScheduleNextOpen(t *testing.T) {
	s := schedule(t, []string{"Mo-Fr 11:30-14:30", "Sa 18:00-23:00"},
		crdt.Closing{Start: at(2026, 3, 11, 0, 0).UnixMilli(), End: at(2026, 3, 13, 0, 0).UnixMilli(), Reason: "inventory"})
	for _, c := range []struct{ from, want time.Time }{
		{at(2026, 3, 10, 12, 0), at(2026, 3, 10, 12, 0)},  // open now
		{at(2026, 3, 10, 15, 0), at(2026, 3, 13, 11, 30)}, // We, Th closed: Friday
		{at(2026, 3, 13, 15, 0), at(2026, 3, 14, 18, 0)},  // Saturday evening
		{at(2026, 3, 14, 23, 0), at(2026, 3, 16, 11, 30)}, // Monday
		{at(2026, 3, 10, 11, 29).Add(30 * time.Second), at(2026, 3, 10, 11, 30)},
	} {
		got, ok := s.NextOpen(c.from)
		if !ok || !got.Equal(c.want) {
			t.Errorf("NextOpen(%s) = %s %v, want %s", c.from, got, ok, c.want)
		}
	}
	if c, closed := s.Closing(at(2026, 3, 11, 12, 0)); !closed || c.Reason != "inventory" || s.IsOpen(at(2026, 3, 11, 12, 0)) {
		t.Error("closing not honoured")
	}
	never := schedule(t, []string{"Mo 10:00-11:00"}, crdt.Closing{Start: 0, End: at(2030, 1, 1, 0, 0).UnixMilli()})
	if _, ok := never.NextOpen(at(2026, 3, 10, 12, 0)); ok {
		t.Error("open within a closing of four years")
	}
	always := schedule(t, nil)
	if got, ok := always.NextOpen(at(2026, 3, 10, 3, 7)); !ok || !got.Equal(at(2026, 3, 10, 3, 7)) {
		t.Error("always open is not open")
	}
}

// TestScheduleDST: hours are local wall-clock times on both sides of a
// daylight-saving change.
func TestScheduleDST(t *testing.T) {
	s := schedule(t, []string{"Su 01:00-04:00", "Mo-Su 11:00-12:00"})
	// 29 March 2026: Paris goes from 02:00 CET to 03:00 CEST
	before := time.Date(2026, 3, 29, 0, 59, 0, 0, time.UTC) // 01:59 CET
	after := time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)   // 03:00 CEST
	if !s.IsOpen(before) || !s.IsOpen(after) || s.IsOpen(time.Date(2026, 3, 29, 2, 0, 0, 0, time.UTC)) {
		t.Error("spring forward")
	}
	got, ok := s.NextOpen(time.Date(2026, 3, 29, 2, 30, 0, 0, time.UTC)) // 04:30 CEST
	if !ok || !got.Equal(time.Date(2026, 3, 29, 11, 0, 0, 0, paris)) {
		t.Errorf("next open after the change: %s", got)
	}
	if !s.IsOpen(time.Date(2026, 3, 30, 9, 30, 0, 0, time.UTC)) { // 11:30 CEST
		t.Error("11:30 CEST closed")
	}
}

func TestLoadLocation(t *testing.T) {
	if l, err := LoadLocation(""); err != nil || l != time.UTC {
		t.Fatal("empty zone is not UTC")
	}
	for _, bad := range []string{"Local", "Nowhere/City", "../../etc/passwd"} {
		if _, err := LoadLocation(bad); !errors.Is(err, ErrBadTimezone) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
