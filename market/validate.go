package market

import (
	"fmt"
	"unicode/utf8"

	"github.com/coopnode/coopnode/crdt"
)

// Document validation (SPEC.md §5.3.3): a restaurant's profile and menu are
// checked when they are published — by the publishing node, and by every
// node's gate for documents from others — with the rules checkout applies
// to them (the same functions: LoadLocation, ParseHours, validPrice), so a
// document checkout would refuse every cart against is refused first, with
// the field at fault, instead of switching the restaurant's ordering off.

// Bounds of a profile's settings, in minutes or days.
const (
	// MaxPrepMinutes bounds prep_minutes, rush_extra_min and
	// max_orders_window_min: a day.
	MaxPrepMinutes = minutesPerDay
	// MaxOrderingDelayMinutes bounds ordering_delay_min: a week.
	MaxOrderingDelayMinutes = 7 * minutesPerDay
	// MaxSlotMinutes bounds slot_minutes: a day.
	MaxSlotMinutes = minutesPerDay
	// MaxPreOrderDays bounds pre_order_days.
	MaxPreOrderDays = 366
	// MinPINLength and MaxPINLength bound a handover PIN, in bytes: the
	// customer says it aloud to the courier, who types it.
	MinPINLength = 4
	MaxPINLength = 16
)

// ValidateDocument checks a catalogue document (a *crdt.CatalogProfile or
// *crdt.CatalogMenu); other payloads pass. It returns a *Refusal naming
// the field at fault.
func ValidateDocument(body crdt.Payload) error {
	switch b := body.(type) {
	case *crdt.CatalogProfile:
		return ValidateProfile(b)
	case *crdt.CatalogMenu:
		return ValidateMenu(b)
	}
	return nil
}

func refuseField(err error, field, format string, args ...any) *Refusal {
	return &Refusal{Err: err, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// ValidateProfile checks a profile: its time zone and hours parse as
// checkout parses them (ErrBadTimezone, ErrBadHours); its position is on
// the globe, and set if it offers delivery (ErrBadPosition); the rest is in
// range (ErrBadProfile): fulfilment bits, the minimum order, the minute and
// day settings, closings that end after they start.
func ValidateProfile(p *crdt.CatalogProfile) error {
	if p == nil {
		return refuseField(ErrBadProfile, "", "no profile")
	}
	if p.Timezone != "" {
		if _, err := LoadLocation(p.Timezone); err != nil {
			return refuseField(ErrBadTimezone, "timezone", "%q is not an IANA time zone (e.g. Europe/Paris)", p.Timezone)
		}
	}
	for i, h := range p.Hours {
		if _, err := ParseHours([]string{h}); err != nil {
			return refuseField(ErrBadHours, fmt.Sprintf("hours[%d]", i), "%q: want days then ranges, e.g. \"Mo-Fr 11:30-14:30\"", h)
		}
	}
	switch {
	case !p.Position.Valid():
		return refuseField(ErrBadPosition, "position", "%d,%d µ° is off the globe (latitude within ±90°, longitude within ±180°)", p.Position.LatE6, p.Position.LonE6)
	case p.Fulfilment&crdt.FulfilDelivery != 0 && p.Position.IsZero():
		return refuseField(ErrBadPosition, "position", "a restaurant offering delivery needs its position")
	case p.Fulfilment&^(crdt.FulfilDelivery|crdt.FulfilCollection) != 0:
		return refuseField(ErrBadProfile, "fulfilment", "%d: want 1 (delivery), 2 (collection) or 3 (both)", p.Fulfilment)
	case p.Enabled && p.Fulfilment == 0:
		return refuseField(ErrBadProfile, "fulfilment", "an enabled restaurant must offer delivery (1), collection (2) or both (3)")
	case !validPrice(p.MinOrderCents):
		return refuseField(ErrBadProfile, "min_order_cents", "%d is not in [0, %d]", p.MinOrderCents, MaxCents)
	case !p.Payments.Valid():
		return refuseField(ErrBadProfile, "payments", "%d: want a sum of 1 (cash), 2 (card on delivery) and 4 (online)", p.Payments)
	}
	for _, m := range []struct {
		field string
		v     uint32
		max   uint32
	}{
		{"prep_minutes", p.PrepMinutes, MaxPrepMinutes},
		{"rush_extra_min", p.RushExtraM, MaxPrepMinutes},
		{"ordering_delay_min", p.OrderingDelayM, MaxOrderingDelayMinutes},
		{"max_orders_window_min", p.MaxOrdersWinM, MaxPrepMinutes},
		{"slot_minutes", p.SlotMinutes, MaxSlotMinutes},
		{"pre_order_days", p.PreOrderDays, MaxPreOrderDays},
	} {
		if m.v > m.max {
			return refuseField(ErrBadProfile, m.field, "%d is over %d", m.v, m.max)
		}
	}
	for i, c := range p.Closings {
		if c.End <= c.Start {
			return refuseField(ErrBadProfile, fmt.Sprintf("closings[%d]", i), "end %d is not after start %d", c.End, c.Start)
		}
	}
	return nil
}

// ValidateMenu checks a menu: every product has an ID that no other
// product has (checkout finds the first), a price checkout accepts, and
// options whose IDs and value IDs are unique within the product, whose
// values have accepted prices, and whose min ≤ max ≤ number of values, so
// that some choice satisfies them. Errors wrap ErrBadMenu.
func ValidateMenu(m *crdt.CatalogMenu) error {
	if m == nil {
		return refuseField(ErrBadMenu, "", "no menu")
	}
	products := map[string]string{}
	for si, s := range m.Sections {
		for pi, p := range s.Products {
			at := fmt.Sprintf("sections[%d].products[%d]", si, pi)
			switch first, dup := products[p.ID]; {
			case p.ID == "":
				return refuseField(ErrBadMenu, at+".id", "a product needs an id")
			case dup:
				return refuseField(ErrBadMenu, at+".id", "%q is also the id of %s", p.ID, first)
			case !validPrice(p.PriceCents):
				return refuseField(ErrBadMenu, at+".price_cents", "%d is not in [0, %d]", p.PriceCents, MaxCents)
			}
			products[p.ID] = at
			if err := validateOptions(at, p.Options); err != nil {
				return err
			}
		}
	}
	return nil
}

func validateOptions(at string, opts []crdt.Option) error {
	ids, values := map[string]bool{}, map[string]bool{}
	for oi, o := range opts {
		oat := fmt.Sprintf("%s.options[%d]", at, oi)
		switch {
		case o.ID == "":
			return refuseField(ErrBadMenu, oat+".id", "an option needs an id")
		case ids[o.ID]:
			return refuseField(ErrBadMenu, oat+".id", "%q twice in the product", o.ID)
		case o.Max != 0 && o.Min > o.Max:
			return refuseField(ErrBadMenu, oat+".min", "min %d is above max %d", o.Min, o.Max)
		case int(o.Min) > len(o.Values):
			return refuseField(ErrBadMenu, oat+".min", "min %d is above the %d values", o.Min, len(o.Values))
		case int(o.Min) > MaxOptions:
			return refuseField(ErrBadMenu, oat+".min", "min %d is above the %d choices a cart line may carry", o.Min, MaxOptions)
		}
		ids[o.ID] = true
		for vi, v := range o.Values {
			vat := fmt.Sprintf("%s.values[%d]", oat, vi)
			switch {
			case v.ID == "":
				return refuseField(ErrBadMenu, vat+".id", "a value needs an id")
			case values[v.ID]:
				return refuseField(ErrBadMenu, vat+".id", "%q twice in the product's options", v.ID)
			case !validPrice(v.PriceCents):
				return refuseField(ErrBadMenu, vat+".price_cents", "%d is not in [0, %d]", v.PriceCents, MaxCents)
			}
			values[v.ID] = true
		}
	}
	return nil
}

// ValidatePIN checks a handover PIN chosen at checkout (SPEC.md §5.4.1):
// MinPINLength to MaxPINLength bytes of UTF-8 without control characters
// (the customer tells it to the courier, who types it in the task.deliver
// proof). "" means no PIN.
func ValidatePIN(pin string) error {
	if pin == "" {
		return nil
	}
	if len(pin) < MinPINLength || len(pin) > MaxPINLength {
		return refuseField(ErrBadPIN, "pin", "%d bytes, want %d to %d", len(pin), MinPINLength, MaxPINLength)
	}
	if !utf8.ValidString(pin) {
		return refuseField(ErrBadPIN, "pin", "not UTF-8 text")
	}
	for _, r := range pin {
		if r < ' ' || r == 0x7f {
			return refuseField(ErrBadPIN, "pin", "control characters are not allowed")
		}
	}
	return nil
}

// validPrice is the price rule of menus, for checkout and validation.
func validPrice(c int64) bool { return c >= 0 && c <= MaxCents }
