package market

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/coopnode/coopnode/crdt"
)

func goodProfile() *crdt.CatalogProfile {
	return &crdt.CatalogProfile{Name: "Chez Mia", Timezone: "Europe/Paris", Fulfilment: crdt.FulfilDelivery | crdt.FulfilCollection,
		Position: crdt.Position{LatE6: 47_218_000, LonE6: -1_553_000}, Hours: []string{"Mo-Fr 11:30-14:30", "Sa 18:00-23:00"},
		Enabled: true, MinOrderCents: 1000, PrepMinutes: 20, SlotMinutes: 15, PreOrderDays: 7,
		Closings: []crdt.Closing{{Start: 1000, End: 2000}}}
}

func goodMenu() *crdt.CatalogMenu {
	return &crdt.CatalogMenu{Sections: []crdt.MenuSection{{Name: "Mains", Products: []crdt.Product{
		{ID: "soup", Name: "Soup", PriceCents: 650, Enabled: true},
		{ID: "wrap", Name: "Wrap", PriceCents: 900, Enabled: true, Options: []crdt.Option{
			{ID: "extra", Name: "Extra", Min: 0, Max: 2, Values: []crdt.OptionValue{{ID: "feta", PriceCents: 100, Enabled: true}, {ID: "harissa", Enabled: true}}},
		}},
	}}}}
}

// TestValidateProfile (issue 12.7): a profile checkout would refuse every
// cart against is refused at publication, naming the field.
func TestValidateProfile(t *testing.T) {
	if err := ValidateProfile(goodProfile()); err != nil {
		t.Fatalf("a good profile: %v", err)
	}
	for _, tc := range []struct {
		name  string
		edit  func(p *crdt.CatalogProfile)
		err   error
		field string
	}{
		{"unknown time zone", func(p *crdt.CatalogProfile) { p.Timezone = "Mars/Olympus" }, ErrBadTimezone, "timezone"},
		{"Local time zone", func(p *crdt.CatalogProfile) { p.Timezone = "Local" }, ErrBadTimezone, "timezone"},
		{"bad hours", func(p *crdt.CatalogProfile) { p.Hours = append(p.Hours, "25:99-xx") }, ErrBadHours, "hours[2]"},
		{"hours out of range", func(p *crdt.CatalogProfile) { p.Hours = []string{"Mo 25:99-26:00"} }, ErrBadHours, "hours[0]"},
		{"latitude 200°", func(p *crdt.CatalogProfile) { p.Position.LatE6 = 200_000_000 }, ErrBadPosition, "position"},
		{"longitude -181°", func(p *crdt.CatalogProfile) { p.Position.LonE6 = -181_000_000 }, ErrBadPosition, "position"},
		{"delivery without position", func(p *crdt.CatalogProfile) { p.Position = crdt.Position{} }, ErrBadPosition, "position"},
		{"fulfilment bits", func(p *crdt.CatalogProfile) { p.Fulfilment = 7 }, ErrBadProfile, "fulfilment"},
		{"enabled, nothing offered", func(p *crdt.CatalogProfile) { p.Fulfilment = 0 }, ErrBadProfile, "fulfilment"},
		{"negative minimum order", func(p *crdt.CatalogProfile) { p.MinOrderCents = -1 }, ErrBadProfile, "min_order_cents"},
		{"huge minimum order", func(p *crdt.CatalogProfile) { p.MinOrderCents = MaxCents + 1 }, ErrBadProfile, "min_order_cents"},
		{"prep time 4294967295", func(p *crdt.CatalogProfile) { p.PrepMinutes = 4294967295 }, ErrBadProfile, "prep_minutes"},
		{"rush extra", func(p *crdt.CatalogProfile) { p.RushExtraM = MaxPrepMinutes + 1 }, ErrBadProfile, "rush_extra_min"},
		{"ordering delay", func(p *crdt.CatalogProfile) { p.OrderingDelayM = 1 << 30 }, ErrBadProfile, "ordering_delay_min"},
		{"order window", func(p *crdt.CatalogProfile) { p.MaxOrdersWinM = 1 << 20 }, ErrBadProfile, "max_orders_window_min"},
		{"slot length", func(p *crdt.CatalogProfile) { p.SlotMinutes = 5000 }, ErrBadProfile, "slot_minutes"},
		{"pre-order days", func(p *crdt.CatalogProfile) { p.PreOrderDays = 400 }, ErrBadProfile, "pre_order_days"},
		{"closing ends before it starts", func(p *crdt.CatalogProfile) { p.Closings[0].End = 500 }, ErrBadProfile, "closings[0]"},
	} {
		p := goodProfile()
		tc.edit(p)
		checkRefusal(t, tc.name, ValidateProfile(p), tc.err, tc.field)
		checkRefusal(t, tc.name+" (ValidateDocument)", ValidateDocument(p), tc.err, tc.field)
	}
	// collection only needs no position; a disabled restaurant may offer nothing
	p := goodProfile()
	p.Fulfilment, p.Position = crdt.FulfilCollection, crdt.Position{}
	if err := ValidateProfile(p); err != nil {
		t.Errorf("collection without position: %v", err)
	}
	p.Enabled, p.Fulfilment = false, 0
	if err := ValidateProfile(p); err != nil {
		t.Errorf("disabled, nothing offered: %v", err)
	}
}

// TestValidateMenu (issue 12.7): a menu checkout cannot use is refused at
// publication, naming the field.
func TestValidateMenu(t *testing.T) {
	if err := ValidateMenu(goodMenu()); err != nil {
		t.Fatalf("a good menu: %v", err)
	}
	wrap := func(m *crdt.CatalogMenu) *crdt.Product { return &m.Sections[0].Products[1] }
	for _, tc := range []struct {
		name  string
		edit  func(m *crdt.CatalogMenu)
		field string
	}{
		{"negative price", func(m *crdt.CatalogMenu) { m.Sections[0].Products[0].PriceCents = -1 }, "sections[0].products[0].price_cents"},
		{"huge price", func(m *crdt.CatalogMenu) { m.Sections[0].Products[0].PriceCents = MaxCents + 1 }, "sections[0].products[0].price_cents"},
		{"duplicate product IDs", func(m *crdt.CatalogMenu) {
			m.Sections = append(m.Sections, crdt.MenuSection{Name: "More", Products: []crdt.Product{{ID: "soup", PriceCents: 1}}})
		}, "sections[1].products[0].id"},
		{"product without ID", func(m *crdt.CatalogMenu) { m.Sections[0].Products[0].ID = "" }, "sections[0].products[0].id"},
		{"option min above max", func(m *crdt.CatalogMenu) { wrap(m).Options[0].Min, wrap(m).Options[0].Max = 3, 1 }, "sections[0].products[1].options[0].min"},
		{"option min above its values", func(m *crdt.CatalogMenu) { wrap(m).Options[0].Min, wrap(m).Options[0].Max = 3, 0 }, "sections[0].products[1].options[0].min"},
		{"option without ID", func(m *crdt.CatalogMenu) { wrap(m).Options[0].ID = "" }, "sections[0].products[1].options[0].id"},
		{"option ID twice", func(m *crdt.CatalogMenu) {
			wrap(m).Options = append(wrap(m).Options, crdt.Option{ID: "extra", Values: []crdt.OptionValue{{ID: "x"}}})
		}, "sections[0].products[1].options[1].id"},
		{"value ID twice", func(m *crdt.CatalogMenu) {
			wrap(m).Options = append(wrap(m).Options, crdt.Option{ID: "sauce", Values: []crdt.OptionValue{{ID: "feta"}}})
		}, "sections[0].products[1].options[1].values[0].id"},
		{"value without ID", func(m *crdt.CatalogMenu) { wrap(m).Options[0].Values[1].ID = "" }, "sections[0].products[1].options[0].values[1].id"},
		{"negative value price", func(m *crdt.CatalogMenu) { wrap(m).Options[0].Values[0].PriceCents = -5 }, "sections[0].products[1].options[0].values[0].price_cents"},
	} {
		m := goodMenu()
		tc.edit(m)
		checkRefusal(t, tc.name, ValidateMenu(m), ErrBadMenu, tc.field)
		checkRefusal(t, tc.name+" (ValidateDocument)", ValidateDocument(m), ErrBadMenu, tc.field)
	}
}

// TestValidatePIN (issue 12.7): a 100 KB PIN, or one no courier can type,
// is refused.
func TestValidatePIN(t *testing.T) {
	for _, ok := range []string{"", "4821", "0000", "ABC-12", strings.Repeat("9", MaxPINLength)} {
		if err := ValidatePIN(ok); err != nil {
			t.Errorf("PIN %q: %v", ok, err)
		}
	}
	for _, bad := range []string{strings.Repeat("1", 100<<10), strings.Repeat("1", MaxPINLength+1), "123", "12\n34", "\xff\xfe\xfd\xfc", "12\x0034"} {
		checkRefusal(t, "PIN "+bad[:min(len(bad), 8)], ValidatePIN(bad), ErrBadPIN, "pin")
	}
}

// TestValidationMatchesCheckout: what validation lets through, checkout can
// use: a cart against a refused menu's bad product would be refused by
// checkout with the same sentinel.
func TestValidationMatchesCheckout(t *testing.T) {
	m := goodMenu()
	m.Sections[0].Products[0].PriceCents = -1
	if _, err := priceLine(1, CartItem{Product: "soup", Quantity: 1}, m); !errors.Is(err, ErrBadMenu) {
		t.Fatalf("checkout of a negative price: %v", err)
	}
	if err := ValidateMenu(m); !errors.Is(err, ErrBadMenu) {
		t.Fatalf("validation of a negative price: %v", err)
	}
	p := goodProfile()
	p.Timezone = "Mars/Olympus"
	if _, err := NewKitchen(crdt.PubKey{}, p, ""); !errors.Is(err, ErrBadTimezone) {
		t.Fatalf("checkout's kitchen with a bad zone: %v", err)
	}
	if err := ValidateProfile(p); !errors.Is(err, ErrBadTimezone) {
		t.Fatalf("validation of a bad zone: %v", err)
	}
}

func checkRefusal(t *testing.T, name string, err, want error, field string) {
	t.Helper()
	var r *Refusal
	if !errors.Is(err, want) || !errors.As(err, &r) || r.Field != field || r.Detail == "" || Code(err) == "" {
		t.Errorf("%s: %v (field %q), want %v on %s", name, err, fieldOf(r), want, field)
		return
	}
	if !strings.Contains(err.Error(), field) {
		t.Errorf("%s: %q does not name the field", name, err)
	}
}

func fieldOf(r *Refusal) string {
	if r == nil {
		return ""
	}
	return r.Field
}

// TestExampleDocumentsValidate: the example profile and menu the README
// publishes pass validation.
func TestExampleDocumentsValidate(t *testing.T) {
	var p crdt.CatalogProfile
	var m crdt.CatalogMenu
	for file, v := range map[string]any{"../examples/profile.json": &p, "../examples/menu.json": &m} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	if err := ValidateProfile(&p); err != nil {
		t.Errorf("examples/profile.json: %v", err)
	}
	if err := ValidateMenu(&m); err != nil {
		t.Errorf("examples/menu.json: %v", err)
	}
}
