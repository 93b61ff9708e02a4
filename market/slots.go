package market

import (
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// Ordering times (SPEC.md §16.5.2–§16.5.4): ASAP orders, time slots,
// pre-ordering, preparation time with rush mode, and the order limit per
// time window.

const (
	// DefaultSlotMinutes is the slot length when a profile sets none.
	DefaultSlotMinutes = 10
	// DefaultPreOrderDays is how far ahead slots go when a profile allows
	// pre-ordering and sets no horizon.
	DefaultPreOrderDays = 7
	// DefaultWindowMinutes is the order-limit window when a profile sets
	// MaxOrders but no window.
	DefaultWindowMinutes = 60
	// maxSlots bounds one slot listing.
	maxSlots = 5000
)

// Slot is a time slot a customer can choose.
type Slot struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// TimeSlot returns the slot as recorded in an order.place.
func (s Slot) TimeSlot() crdt.TimeSlot {
	return crdt.TimeSlot{Start: s.Start.UnixMilli(), End: s.End.UnixMilli()}
}

// Kitchen is a restaurant's ordering settings, compiled from its profile.
type Kitchen struct {
	Key      crdt.PubKey
	Profile  *crdt.CatalogProfile
	Schedule *Schedule
}

// NewKitchen compiles a restaurant's profile; fallbackTZ is the coop's zone,
// used when the profile names none.
func NewKitchen(key crdt.PubKey, p *crdt.CatalogProfile, fallbackTZ string) (*Kitchen, error) {
	if p == nil {
		return nil, refuse(ErrRestaurantClosed, "the restaurant has published no profile")
	}
	s, err := NewSchedule(p, fallbackTZ)
	if err != nil {
		return nil, err
	}
	return &Kitchen{Key: key, Profile: p, Schedule: s}, nil
}

// SlotLength is the profile's slot length.
func (k *Kitchen) SlotLength() time.Duration {
	m := k.Profile.SlotMinutes
	if m == 0 || m > minutesPerDay {
		m = DefaultSlotMinutes
	}
	return time.Duration(m) * time.Minute
}

// PrepTime is the usual preparation time, plus the rush extra in rush mode.
func (k *Kitchen) PrepTime() time.Duration {
	m := int64(k.Profile.PrepMinutes)
	if k.Profile.Rush {
		m += int64(k.Profile.RushExtraM)
	}
	return time.Duration(m) * time.Minute
}

// LeadTime is the least notice a slot needs: the ordering delay or the
// preparation time (with rush), whichever is longer.
func (k *Kitchen) LeadTime() time.Duration {
	return max(time.Duration(k.Profile.OrderingDelayM)*time.Minute, k.PrepTime())
}

// ReadyEstimate is when an ASAP order placed at now should be ready.
func (k *Kitchen) ReadyEstimate(now time.Time) time.Time { return now.Add(k.PrepTime()) }

func (k *Kitchen) horizon(now time.Time) time.Time {
	d := k.Profile.PreOrderDays
	if d == 0 || d > 366 {
		d = DefaultPreOrderDays
	}
	return now.Add(time.Duration(d) * 24 * time.Hour)
}

// aligned reports whether t starts a slot: whole local minutes since
// midnight divisible by the slot length, no seconds.
func (k *Kitchen) aligned(t time.Time) bool {
	l := t.In(k.Schedule.Loc)
	step := int(k.SlotLength() / time.Minute)
	return l.Second() == 0 && l.Nanosecond() == 0 && (l.Hour()*60+l.Minute())%step == 0
}

// alignUp returns the first slot start at or after t.
func (k *Kitchen) alignUp(t time.Time) time.Time {
	step := int(k.SlotLength() / time.Minute)
	for i := 0; i < 2*step+2; i++ {
		if k.aligned(t) {
			return t
		}
		l := t.In(k.Schedule.Loc)
		if l.Second() != 0 || l.Nanosecond() != 0 {
			t = t.Truncate(time.Minute).Add(time.Minute)
			continue
		}
		t = t.Add(time.Duration(step-(l.Hour()*60+l.Minute())%step) * time.Minute)
	}
	return t
}

// openThrough reports whether the restaurant is open at every whole minute
// of [from, to).
func (k *Kitchen) openThrough(from, to time.Time) bool {
	for t := from; t.Before(to); t = t.Truncate(time.Minute).Add(time.Minute) {
		if !k.Schedule.IsOpen(t) {
			return false
		}
	}
	return true
}

// CheckASAP checks an as-soon-as-possible order at now: the restaurant is
// enabled and open now.
func (k *Kitchen) CheckASAP(now time.Time) error {
	if !k.Profile.Enabled {
		return refuse(ErrRestaurantClosed, "the restaurant is not taking orders")
	}
	if !k.Schedule.IsOpen(now) {
		return k.closedAt(now, "closed now")
	}
	return nil
}

func (k *Kitchen) closedAt(t time.Time, what string) *Refusal {
	detail := what
	if c, ok := k.Schedule.Closing(t); ok && c.Reason != "" {
		detail += " (" + c.Reason + ")"
	}
	r := refuse(ErrRestaurantClosed, "%s", detail)
	if next, ok := k.Schedule.NextOpen(t); ok {
		r.NextOpen = next
		r.Detail += "; opens " + next.In(k.Schedule.Loc).Format("Mon 2 Jan 15:04 MST")
	}
	return r
}

// CheckSlot checks a requested slot at now (SPEC.md §16.5.3), in this
// order: enabled (ErrRestaurantClosed); length and alignment, lead time, pre-ordering
// and horizon (ErrSlotUnavailable); open through the slot (ErrRestaurantClosed).
func (k *Kitchen) CheckSlot(slot crdt.TimeSlot, now time.Time) error {
	if !k.Profile.Enabled {
		return refuse(ErrRestaurantClosed, "the restaurant is not taking orders")
	}
	start, end := time.UnixMilli(slot.Start), time.UnixMilli(slot.End)
	loc := k.Schedule.Loc
	switch {
	case end.Sub(start) != k.SlotLength():
		return refuse(ErrSlotUnavailable, "slots last %d minutes", int(k.SlotLength()/time.Minute))
	case !k.aligned(start):
		return refuse(ErrSlotUnavailable, "%s does not start a slot", start.In(loc).Format("15:04:05"))
	case start.Before(now.Add(k.LeadTime())):
		return refuse(ErrSlotUnavailable, "too soon: needs %d minutes' notice", int(k.LeadTime()/time.Minute))
	case !k.Profile.PreOrder && !k.openThrough(now, end):
		return refuse(ErrSlotUnavailable, "pre-ordering is off: only slots before the current opening ends")
	case !start.Before(k.horizon(now)):
		return refuse(ErrSlotUnavailable, "beyond the pre-order horizon of %d days", int(k.horizon(now).Sub(now)/(24*time.Hour)))
	case !k.openThrough(start, end):
		return k.closedAt(start, "closed during "+start.In(loc).Format("Mon 15:04")+"-"+end.In(loc).Format("15:04"))
	}
	return nil
}

// Slots lists the slots a customer can choose at now, earliest first, that
// pass CheckSlot and are not full (orders: the restaurant's orders, for
// its limit; nil skips that check).
func (k *Kitchen) Slots(now time.Time, orders []*crdt.OrderState) []Slot {
	if !k.Profile.Enabled {
		return nil
	}
	step := k.SlotLength()
	until := k.horizon(now)
	var out []Slot
	for t, i := k.alignUp(now.Add(k.LeadTime())), 0; t.Before(until) && i < 50_000 && len(out) < maxSlots; i++ {
		s := Slot{Start: t, End: t.Add(step)}
		if !k.Profile.PreOrder && !k.openThrough(now, s.End) {
			break
		}
		if k.CheckSlot(s.TimeSlot(), now) == nil && k.CheckCapacity(s.Start, orders) == nil {
			out = append(out, s)
		}
		t = k.alignUp(t.Add(step))
	}
	return out
}

// RefTime is the time an order is for: its slot's start, else when it was
// placed (SPEC.md §16.5.4).
func RefTime(p *crdt.OrderPlace, placedAt int64) time.Time {
	if p.Slot.Start != 0 {
		return time.UnixMilli(p.Slot.Start)
	}
	return time.UnixMilli(placedAt)
}

// window returns the limit window of t: its local date and the index of
// the W-minute window of that day.
func (k *Kitchen) window(t time.Time) (string, int) {
	w := int(k.Profile.MaxOrdersWinM)
	if w == 0 {
		w = DefaultWindowMinutes
	}
	l := t.In(k.Schedule.Loc)
	return l.Format("2006-01-02"), (l.Hour()*60 + l.Minute()) / w
}

// Load counts the restaurant's live orders (not invalid, refused or
// cancelled) whose reference time falls in the same window as at.
func (k *Kitchen) Load(at time.Time, orders []*crdt.OrderState) int {
	day, win := k.window(at)
	n := 0
	for _, s := range orders {
		if s == nil || s.Restaurant != k.Key {
			continue
		}
		switch s.Status {
		case crdt.StatusInvalid, crdt.StatusRefused, crdt.StatusCancelled:
			continue
		}
		if d, w := k.window(RefTime(&s.Place, s.PlacedAt)); d == day && w == win {
			n++
		}
	}
	return n
}

// CheckCapacity refuses an order for time at when the restaurant already
// has MaxOrders live orders in that window (ErrTooManyOrders).
func (k *Kitchen) CheckCapacity(at time.Time, orders []*crdt.OrderState) error {
	if k.Profile.MaxOrders == 0 {
		return nil
	}
	if n := k.Load(at, orders); n >= int(k.Profile.MaxOrders) {
		day, win := k.window(at)
		w := int(k.Profile.MaxOrdersWinM)
		if w == 0 {
			w = DefaultWindowMinutes
		}
		return refuse(ErrTooManyOrders, "%d orders already for %s %s-%s (limit %d)", n, day, clock(win*w), clock(min((win+1)*w, minutesPerDay)), k.Profile.MaxOrders)
	}
	return nil
}
