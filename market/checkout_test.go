package market

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

func TestCheckoutQuote(t *testing.T) {
	q, err := Checkout(testCart(), testCtx(t, tuesdayNoon))
	if err != nil {
		t.Fatal(err)
	}
	// wrap: 650 + harissa 50 + feta 100 = 800, × 2 = 1600; soda 250
	if len(q.Lines) != 2 || q.Lines[0].UnitCents != 800 || q.Lines[0].TotalCents != 1600 || q.Lines[1].TotalCents != 250 {
		t.Fatalf("lines %+v", q.Lines)
	}
	if got := strings.Join(q.Lines[0].Options, ","); got != "harissa,feta" {
		t.Errorf("options in menu order: %s", got)
	}
	// near dropoff in the centre, under 2 km: rule 1, 2.50
	if q.DeliveryCents != 250 || q.Delivery.Matched[0] != 1 || q.RulesVersion != 3 {
		t.Fatalf("delivery %d\n%s", q.DeliveryCents, q.Delivery)
	}
	// taxes: food 1600 at 10% = 145.45 → 145; drink 250 at 5.5% = 13.03 → 13; service 250 at 20% = 41.67 → 42
	want := map[string]int64{"food_takeaway": 145, "drink": 13, "service": 42}
	for _, l := range q.Taxes {
		if want[l.Category] != l.TaxCents {
			t.Errorf("tax %s = %d, want %d", l.Category, l.TaxCents, want[l.Category])
		}
	}
	if q.ItemsCents != 1850 || q.TaxCents != 200 || q.TipCents != 200 || q.TotalCents != 1850+250+200 {
		t.Fatalf("totals %+v", q)
	}
	// platform fee 15% of 18.50 = 2.775 → 2.78
	if q.PlatformFeeCents != 278 || q.RestaurantNetCents != 1850-278 {
		t.Fatalf("platform fee %d", q.PlatformFeeCents)
	}
	// pay: 300 + 60 × d/1000, at least 400, then the whole tip 200 on top
	wantPay := max(300+divHalfUp(60*int64(q.DistanceM), 1000), 400) + 200
	if q.CourierPay == nil || q.CourierPay.TotalCents != wantPay {
		t.Fatalf("pay %+v, want %d", q.CourierPay, wantPay)
	}
	if q.DropoffArea != Coarse(nearDrop) || strings.Join(q.DropoffZones, ",") != "centre,city" || q.DistanceM < 550 || q.DistanceM > 700 {
		t.Fatalf("area %+v zones %v distance %d", q.DropoffArea, q.DropoffZones, q.DistanceM)
	}
	if !q.ReadyBy.Equal(tuesdayNoon.Add(15 * time.Minute)) {
		t.Errorf("ready by %s", q.ReadyBy)
	}
	p := q.OrderPlace(PlaceExtras{Note: "blue door"})
	if p.Totals.TotalCents != q.TotalCents || p.Items[0].Name != "Falafel wrap (Harissa, Feta)" || p.Items[0].TaxCategory != "food_takeaway" ||
		p.DropoffArea != Coarse(nearDrop) || p.RulesVersion != 3 || p.Note != "blue door" || p.Pickup != restoPos {
		t.Fatalf("place %+v", p)
	}
}

func TestCheckoutEveningAndFar(t *testing.T) {
	cart := testCart()
	cart.Dropoff = farDrop
	q, err := Checkout(cart, testCtx(t, at(2026, 3, 10, 20, 0)))
	if err != nil {
		t.Fatal(err)
	}
	steps := (int64(q.DistanceM) - 2000 + 999) / 1000
	if q.Delivery.Matched[0] != 2 || q.DeliveryCents != 400+80*steps {
		t.Fatalf("evening far: %d\n%s", q.DeliveryCents, q.Delivery)
	}
	if tr := q.Delivery.Rules[0]; !tr.Tried || tr.Matched || len(tr.Failed) != 2 {
		t.Fatalf("rule 1 trace %+v", tr)
	}
	if q.Delivery.Rules[2].Tried {
		t.Fatal("find tried a rule after the first match")
	}
	q, err = Checkout(cart, testCtx(t, tuesdayNoon))
	if err != nil || q.Delivery.Matched[0] != 3 || q.DeliveryCents != 350+80*steps {
		t.Fatalf("noon far: %v %d", err, q.DeliveryCents)
	}
}

func TestCheckoutCollection(t *testing.T) {
	cart := testCart()
	cart.Fulfilment, cart.Dropoff, cart.TipCents = crdt.FulfilCollection, crdt.Position{}, 0
	ctx := testCtx(t, tuesdayNoon)
	q, err := Checkout(cart, ctx)
	if err != nil {
		t.Fatal(err)
	}
	if q.DeliveryCents != 0 || q.CourierPay != nil || q.PlatformFeeCents != 148 || q.TotalCents != 1850 || q.TaxCents != 145+13 {
		t.Fatalf("collection %+v", q)
	}
	ctx.Rules = nil // collection works without rules; taxes unknown
	if q, err = Checkout(cart, ctx); err != nil || q.TaxCents != 0 || !q.Taxes[0].Unknown || q.RulesVersion != 0 {
		t.Fatalf("collection without rules: %v %+v", err, q)
	}
}

// TestCheckoutRefusals: each kind of invalid order is refused with its
// reason, before anything is built.
func TestCheckoutRefusals(t *testing.T) {
	noon := tuesdayNoon
	slotAt := func(tt time.Time) crdt.TimeSlot {
		return crdt.TimeSlot{Start: tt.UnixMilli(), End: tt.Add(10 * time.Minute).UnixMilli()}
	}
	busy := func() []*crdt.OrderState {
		var out []*crdt.OrderState
		for i := 0; i < 2; i++ {
			out = append(out, &crdt.OrderState{Restaurant: pk("resto"), Status: crdt.StatusAccepted, PlacedAt: noon.Add(time.Duration(i) * time.Minute).UnixMilli()})
		}
		return out
	}
	cases := []struct {
		name string
		now  time.Time
		cart func(c *Cart)
		ctx  func(x *Context)
		want error
		text string
	}{
		{name: "no profile", ctx: func(x *Context) { x.Profile = nil }, want: ErrRestaurantClosed},
		{name: "disabled", ctx: func(x *Context) { x.Profile.Enabled = false }, want: ErrRestaurantClosed, text: "not taking orders"},
		{name: "closed hours", now: at(2026, 3, 10, 16, 0), want: ErrRestaurantClosed, text: "opens Tue 10 Mar 18:30"},
		{name: "closing period", ctx: func(x *Context) {
			x.Profile.Closings = []crdt.Closing{{Start: noon.Add(-time.Hour).UnixMilli(), End: noon.Add(48 * time.Hour).UnixMilli(), Reason: "holidays"}}
		}, want: ErrRestaurantClosed, text: "holidays"},
		{name: "bad hours", ctx: func(x *Context) { x.Profile.Hours = []string{"Mo-Fr 9-17"} }, want: ErrBadHours},
		{name: "bad timezone", ctx: func(x *Context) { x.Profile.Timezone = "Mars/Olympus" }, want: ErrBadTimezone},
		{name: "collection not offered", cart: func(c *Cart) { c.Fulfilment = crdt.FulfilCollection }, ctx: func(x *Context) { x.Profile.Fulfilment = crdt.FulfilDelivery }, want: ErrFulfilmentNotOffered},
		{name: "delivery not offered", ctx: func(x *Context) { x.Profile.Fulfilment = crdt.FulfilCollection }, want: ErrFulfilmentNotOffered},
		{name: "both fulfilments", cart: func(c *Cart) { c.Fulfilment = 3 }, want: ErrFulfilmentNotOffered},
		{name: "slot misaligned", cart: func(c *Cart) { c.Slot = slotAt(noon.Add(65 * time.Minute)) }, want: ErrSlotUnavailable, text: "does not start a slot"},
		{name: "slot too long", cart: func(c *Cart) {
			c.Slot = crdt.TimeSlot{Start: noon.Add(time.Hour).UnixMilli(), End: noon.Add(2 * time.Hour).UnixMilli()}
		}, want: ErrSlotUnavailable},
		{name: "slot too soon", cart: func(c *Cart) { c.Slot = slotAt(noon.Add(10 * time.Minute)) }, want: ErrSlotUnavailable, text: "notice"},
		{name: "slot beyond horizon", cart: func(c *Cart) { c.Slot = slotAt(at(2026, 3, 14, 12, 0)) }, want: ErrSlotUnavailable, text: "horizon"},
		{name: "pre-order off", cart: func(c *Cart) { c.Slot = slotAt(at(2026, 3, 10, 19, 0)) }, ctx: func(x *Context) { x.Profile.PreOrder = false }, want: ErrSlotUnavailable, text: "pre-ordering"},
		{name: "slot when closed", cart: func(c *Cart) { c.Slot = slotAt(at(2026, 3, 10, 16, 0)) }, want: ErrRestaurantClosed},
		{name: "too many orders", ctx: func(x *Context) { x.Orders = busy() }, want: ErrTooManyOrders, text: "limit 2"},
		{name: "no rules", ctx: func(x *Context) { x.Rules = nil }, want: ErrNoRules},
		{name: "no dropoff", cart: func(c *Cart) { c.Dropoff = crdt.Position{} }, want: ErrBadPosition},
		{name: "dropoff off globe", cart: func(c *Cart) { c.Dropoff.LatE6 = 95_000_000 }, want: ErrBadPosition},
		{name: "restaurant without position", ctx: func(x *Context) { x.Profile.Position = crdt.Position{} }, want: ErrBadPosition},
		{name: "outside zone", cart: func(c *Cart) { c.Dropoff = outsideDrp }, want: ErrOutsideZone, text: `"city"`},
		{name: "outside the restaurant's zone", ctx: func(x *Context) { x.Profile.DeliveryZone = "centre" }, cart: func(c *Cart) { c.Dropoff = farDrop }, want: ErrOutsideZone, text: `"centre"`},
		{name: "empty cart", cart: func(c *Cart) { c.Items = nil }, want: ErrEmptyCart},
		{name: "cart too large", cart: func(c *Cart) { c.Items = make([]CartItem, MaxLines+1) }, want: ErrCartTooLarge},
		{name: "unknown product", cart: func(c *Cart) { c.Items[1].Product = "pizza" }, want: ErrUnknownProduct, text: "line 2"},
		{name: "disabled product", cart: func(c *Cart) { c.Items[1].Product = "old" }, want: ErrUnavailableItem, text: "not offered"},
		{name: "sold out", cart: func(c *Cart) { c.Items[1].Product = "beer" }, want: ErrUnavailableItem, text: "sold out"},
		{name: "disabled option value", cart: func(c *Cart) { c.Items[0].Options = []string{"tahini", "halloumi"} }, want: ErrUnavailableItem, text: "Halloumi"},
		{name: "zero quantity", cart: func(c *Cart) { c.Items[1].Quantity = 0 }, want: ErrBadQuantity},
		{name: "huge quantity", cart: func(c *Cart) { c.Items[1].Quantity = MaxQuantity + 1 }, want: ErrBadQuantity},
		{name: "menu price out of range", cart: func(c *Cart) { c.Items[1].Product = "pricey" }, want: ErrBadMenu},
		{name: "unknown option", cart: func(c *Cart) { c.Items[0].Options = []string{"tahini", "ketchup"} }, want: ErrUnknownOption, text: "ketchup"},
		{name: "option on a product without options", cart: func(c *Cart) { c.Items[1].Options = []string{"tahini"} }, want: ErrUnknownOption},
		{name: "too few choices", cart: func(c *Cart) { c.Items[0].Options = []string{"feta"} }, want: ErrBadOptionCount, text: `"Sauce": 0 chosen, want exactly 1`},
		{name: "too many in single choice", cart: func(c *Cart) { c.Items[0].Options = []string{"tahini", "harissa"} }, want: ErrBadOptionCount},
		{name: "too many extras", cart: func(c *Cart) {
			c.Items[0].Options = []string{"tahini", "feta", "olives"}
			c.Items[0].Options = append(c.Items[0].Options, "x")[:3]
		}, ctx: func(x *Context) { x.Menu.Sections[0].Products[0].Options[1].Max = 1 }, want: ErrBadOptionCount, text: "at most 1"},
		{name: "value twice", cart: func(c *Cart) { c.Items[0].Options = []string{"tahini", "feta", "feta"} }, want: ErrBadOptionCount, text: "twice"},
		{name: "too many options", cart: func(c *Cart) { c.Items[0].Options = make([]string, MaxOptions+1) }, want: ErrBadOptionCount},
		{name: "negative tip", cart: func(c *Cart) { c.TipCents = -1 }, want: ErrBadTip},
		{name: "below minimum", cart: func(c *Cart) { c.Items = []CartItem{{Product: "soda", Quantity: 2}} }, want: ErrBelowMinimum, text: "5.00 more"},
		{name: "no rule matched", ctx: func(x *Context) {
			x.Rules.Set.Rules = x.Rules.Set.Rules[3:] // parcels only
		}, want: ErrNoRuleMatched, text: "for parcel deliveries only"},
	}
	seen := map[error]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = noon
			}
			ctx := testCtx(t, now)
			if tc.ctx != nil {
				tc.ctx(&ctx)
			}
			cart := testCart()
			if tc.cart != nil {
				tc.cart(&cart)
			}
			q, err := Checkout(cart, ctx)
			if !errors.Is(err, tc.want) || q != nil {
				t.Fatalf("got %v (quote %v), want %v", err, q != nil, tc.want)
			}
			if tc.text != "" && !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("error %q lacks %q", err, tc.text)
			}
			if Code(err) == "" {
				t.Fatalf("no code for %v", err)
			}
			var r *Refusal
			if errors.As(err, &r) && r.Detail == "" {
				t.Fatalf("refusal without detail: %v", err)
			}
			if tc.want == ErrNoRuleMatched && (r == nil || r.Explanation == nil || r.Explanation.Summary == "") {
				t.Fatal("no explanation with ErrNoRuleMatched")
			}
			if tc.name == "closed hours" && (r == nil || !r.NextOpen.Equal(at(2026, 3, 10, 18, 30))) {
				t.Fatalf("next open %v", r)
			}
			seen[tc.want] = true
		})
	}
	for _, e := range []error{ErrRestaurantClosed, ErrOutsideZone, ErrBelowMinimum, ErrUnavailableItem, ErrBadOptionCount, ErrUnknownProduct,
		ErrSlotUnavailable, ErrNoRuleMatched, ErrFulfilmentNotOffered, ErrTooManyOrders, ErrBadTip, ErrUnknownOption, ErrBadQuantity} {
		if !seen[e] {
			t.Errorf("no case refused with %v", e)
		}
	}
}
