package market

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coopnode/coopnode/crdt"
)

// Checkout (SPEC.md §16.6): a cart checked against a restaurant's
// profile and menu, the coop's rules and the time, then priced. An invalid
// cart is refused before anything is published, with the exact reason.

const (
	// MaxLines bounds a cart (protocol.MaxLineItems).
	MaxLines = 64
	// MaxOptions bounds the option values of one line (protocol.MaxItemOptions).
	MaxOptions = 32
	// MaxQuantity bounds the quantity of one line.
	MaxQuantity = 999
)

// CartItem is one line of a cart: a product, how many, and the IDs of the
// chosen option values.
type CartItem struct {
	Product  string   `json:"product"`
	Quantity uint32   `json:"quantity"`
	Options  []string `json:"options,omitempty"`
}

// Cart is what a customer asks for.
type Cart struct {
	Restaurant crdt.PubKey     `json:"restaurant"`
	Fulfilment crdt.Fulfilment `json:"fulfilment"` // crdt.FulfilDelivery or crdt.FulfilCollection
	Items      []CartItem      `json:"items"`
	TipCents   int64           `json:"tip_cents,omitempty"`
	Slot       crdt.TimeSlot   `json:"slot"` // zero: as soon as possible
	// Dropoff is the exact delivery position. It is used on the customer's
	// node only; the order publishes Coarse(Dropoff) and the zones it is in.
	Dropoff crdt.Position `json:"dropoff"`
	// Payment is how the customer pays (SPEC.md §20.1); 0 states none
	// (cash on delivery).
	Payment crdt.PaymentMethod `json:"payment,omitempty"`
}

// Context is everything a cart is judged against.
type Context struct {
	Profile *crdt.CatalogProfile // the restaurant's current profile
	Menu    *crdt.CatalogMenu    // its current menu
	Rules   *Rules               // the coop's latest rules; nil if none
	// CoopTimezone is used when the profile names no timezone.
	CoopTimezone string
	Now          time.Time
	// Orders are the restaurant's orders, for its limit per time window
	// (the profile's MaxOrders); nil skips the check.
	Orders []*crdt.OrderState
}

// Line is a priced cart line.
type Line struct {
	Product     string   `json:"product"`
	Name        string   `json:"name"`
	Quantity    uint32   `json:"quantity"`
	Options     []string `json:"options,omitempty"` // value IDs, in menu order
	OptionNames []string `json:"option_names,omitempty"`
	UnitCents   int64    `json:"unit_cents"` // product price + chosen values
	TotalCents  int64    `json:"total_cents"`
	TaxCategory string   `json:"tax_category,omitempty"`
}

// Quote is a priced, valid cart: what the customer pays, how it splits, and
// how the delivery fee was derived. Every node computes the same Quote from
// the same inputs.
type Quote struct {
	Restaurant crdt.PubKey        `json:"restaurant"`
	Fulfilment crdt.Fulfilment    `json:"fulfilment"`
	Payment    crdt.PaymentMethod `json:"payment,omitempty"`
	Lines      []Line             `json:"lines"`
	Slot       crdt.TimeSlot      `json:"slot"`
	PricedAt   int64              `json:"priced_at"` // Context.Now, ms: sign the order.place with this wall

	ItemsCents    int64     `json:"items_cents"`
	DeliveryCents int64     `json:"delivery_cents"`
	TipCents      int64     `json:"tip_cents"`
	TotalCents    int64     `json:"total_cents"` // items + delivery + tip
	Taxes         []TaxLine `json:"taxes,omitempty"`
	TaxCents      int64     `json:"tax_cents"` // included in the total

	// The split: what the coop keeps from the restaurant, what the
	// restaurant receives, what the courier earns.
	PlatformFeeCents   int64 `json:"platform_fee_cents"`
	RestaurantNetCents int64 `json:"restaurant_net_cents"`
	CourierPay         *Pay  `json:"courier_pay,omitempty"`

	RulesVersion uint64        `json:"rules_version,omitempty"`
	Pickup       crdt.Position `json:"pickup"`
	DropoffArea  crdt.Position `json:"dropoff_area"`
	DropoffZones []string      `json:"dropoff_zones,omitempty"`
	DistanceM    uint32        `json:"distance_m,omitempty"`
	ReadyBy      time.Time     `json:"ready_by"` // expected ready time
	Delivery     *Explanation  `json:"delivery,omitempty"`
}

// Checkout validates a cart and prices it (SPEC.md §16.6.1). It checks,
// in this order, and refuses with the first failure as a *Refusal:
//
//  1. profile published and enabled (ErrRestaurantClosed);
//  2. fulfilment offered (ErrFulfilmentNotOffered), payment method
//     offered (ErrPaymentNotOffered, SPEC.md §20.1);
//  3. time: ASAP open now, or the slot (ErrRestaurantClosed, ErrSlotUnavailable);
//  4. the order limit of the time window (ErrTooManyOrders);
//  5. delivery: rules published (ErrNoRules), positions (ErrBadPosition),
//     the dropoff in the service zone (ErrOutsideZone);
//  6. each line in cart order (ErrEmptyCart, ErrCartTooLarge,
//     ErrUnknownProduct, ErrUnavailableItem, ErrBadQuantity, ErrBadMenu,
//     ErrUnknownOption, ErrBadOptionCount);
//  7. the tip (ErrBadTip) and the amounts (ErrAmountRange);
//  8. the minimum order (ErrBelowMinimum);
//  9. delivery: the fee (ErrNoRuleMatched, with the explanation).
func Checkout(cart Cart, ctx Context) (*Quote, error) {
	return checkout(cart, ctx, func(q *Quote) error { return checkDropoff(ctx, cart.Dropoff, q) })
}

// checkout is Checkout with the delivery facts (distance, zones, area)
// supplied by dropoff: from the exact position for the customer, from the
// record for the restaurant (VerifyOrder).
func checkout(cart Cart, ctx Context, dropoff func(q *Quote) error) (*Quote, error) {
	if ctx.Profile == nil {
		return nil, refuse(ErrRestaurantClosed, "the restaurant has published no profile")
	}
	k, err := NewKitchen(cart.Restaurant, ctx.Profile, ctx.CoopTimezone)
	if err != nil {
		return nil, err
	}
	p := ctx.Profile
	if !p.Enabled {
		return nil, refuse(ErrRestaurantClosed, "the restaurant is not taking orders")
	}
	switch {
	case cart.Fulfilment != crdt.FulfilDelivery && cart.Fulfilment != crdt.FulfilCollection:
		return nil, refuse(ErrFulfilmentNotOffered, "fulfilment must be 1 (delivery) or 2 (collection), not %d", cart.Fulfilment)
	case p.Fulfilment&cart.Fulfilment == 0:
		return nil, refuse(ErrFulfilmentNotOffered, "%s is not offered", fulfilmentName(cart.Fulfilment))
	}
	if err := checkPayment(cart.Payment, p.Payments); err != nil {
		return nil, err
	}
	q := &Quote{Restaurant: cart.Restaurant, Fulfilment: cart.Fulfilment, Payment: cart.Payment, Slot: cart.Slot, PricedAt: ctx.Now.UnixMilli(),
		TipCents: cart.TipCents, Pickup: p.Position}
	ref := ctx.Now
	if cart.Slot == (crdt.TimeSlot{}) {
		if err := k.CheckASAP(ctx.Now); err != nil {
			return nil, err
		}
		q.ReadyBy = k.ReadyEstimate(ctx.Now)
	} else {
		if err := k.CheckSlot(cart.Slot, ctx.Now); err != nil {
			return nil, err
		}
		ref = time.UnixMilli(cart.Slot.Start)
		q.ReadyBy = ref
	}
	if err := k.CheckCapacity(ref, ctx.Orders); err != nil {
		return nil, err
	}
	delivery := cart.Fulfilment == crdt.FulfilDelivery
	if delivery {
		if ctx.Rules == nil {
			return nil, refuse(ErrNoRules, "the coop has published no delivery rules")
		}
		if err := dropoff(q); err != nil {
			return nil, err
		}
	}
	if err := priceLines(cart, ctx.Menu, q); err != nil {
		return nil, err
	}
	if cart.TipCents < 0 || cart.TipCents > MaxCents {
		return nil, refuse(ErrBadTip, "tip %s is not in [0, %s]", Cents(cart.TipCents), Cents(MaxCents))
	}
	if q.ItemsCents < p.MinOrderCents {
		return nil, refuse(ErrBelowMinimum, "items %s, minimum %s (%s more)", Cents(q.ItemsCents), Cents(p.MinOrderCents), Cents(p.MinOrderCents-q.ItemsCents))
	}
	if delivery {
		j := Job{Target: crdt.TargetFood, DistanceM: q.DistanceM, PickupZones: ctx.Rules.ZonesAt(p.Position),
			DropoffZones: [][]string{q.DropoffZones}, ItemsCents: q.ItemsCents, At: ref}
		e, err := ctx.Rules.DeliveryFee(j)
		if err != nil {
			return nil, err
		}
		q.Delivery, q.DeliveryCents, q.RulesVersion = e, e.FeeCents, ctx.Rules.Version()
	} else if ctx.Rules != nil {
		q.RulesVersion = ctx.Rules.Version()
	}
	if err := q.finish(ctx.Rules, 1); err != nil {
		return nil, err
	}
	return q, nil
}

func fulfilmentName(f crdt.Fulfilment) string {
	if f == crdt.FulfilCollection {
		return "collection"
	}
	return "delivery"
}

// checkDropoff checks a delivery's positions and zone and records its
// distance, zones and public area in q.
func checkDropoff(ctx Context, dropoff crdt.Position, q *Quote) error {
	if ctx.Profile.Position.IsZero() || !ctx.Profile.Position.Valid() {
		return refuse(ErrBadPosition, "the restaurant has no valid position")
	}
	if dropoff.IsZero() || !dropoff.Valid() {
		return refuse(ErrBadPosition, "the dropoff position is missing or off the globe")
	}
	if zone := ctx.Rules.ServiceZone(ctx.Profile); zone != "" && !InZone(ctx.Rules.Zone(zone), dropoff) {
		return refuse(ErrOutsideZone, "the dropoff is outside zone %q", zone)
	}
	d, err := ctx.Rules.BillingDistance(uint64(DistanceM(ctx.Profile.Position, dropoff)))
	if err != nil {
		return err
	}
	q.DistanceM, q.DropoffZones, q.DropoffArea = d, ctx.Rules.ZonesAt(dropoff), Coarse(dropoff)
	return nil
}

// priceLines checks each cart line against the menu (SPEC.md §16.6.2)
// and prices it.
func priceLines(cart Cart, menu *crdt.CatalogMenu, q *Quote) error {
	if len(cart.Items) == 0 {
		return refuse(ErrEmptyCart, "no items")
	}
	if len(cart.Items) > MaxLines {
		return refuse(ErrCartTooLarge, "%d lines, at most %d", len(cart.Items), MaxLines)
	}
	for i, it := range cart.Items {
		l, err := priceLine(i+1, it, menu)
		if err != nil {
			return err
		}
		var ok bool
		if q.ItemsCents, ok = add(q.ItemsCents, l.TotalCents); !ok || q.ItemsCents > MaxCents {
			return refuse(ErrAmountRange, "the items total exceeds %s", Cents(MaxCents))
		}
		q.Lines = append(q.Lines, l)
	}
	return nil
}

// findProduct returns the first product with that ID, in menu order.
func findProduct(menu *crdt.CatalogMenu, id string) *crdt.Product {
	if menu == nil {
		return nil
	}
	for s := range menu.Sections {
		for p := range menu.Sections[s].Products {
			if menu.Sections[s].Products[p].ID == id {
				return &menu.Sections[s].Products[p]
			}
		}
	}
	return nil
}

func priceLine(n int, it CartItem, menu *crdt.CatalogMenu) (Line, error) {
	p := findProduct(menu, it.Product)
	switch {
	case p == nil:
		return Line{}, refuseLine(n, ErrUnknownProduct, "no product %q on the menu", it.Product)
	case !p.Enabled:
		return Line{}, refuseLine(n, ErrUnavailableItem, "%q is not offered", p.Name)
	case p.SoldOut:
		return Line{}, refuseLine(n, ErrUnavailableItem, "%q is sold out", p.Name)
	case it.Quantity == 0 || it.Quantity > MaxQuantity:
		return Line{}, refuseLine(n, ErrBadQuantity, "quantity %d is not in 1..%d", it.Quantity, MaxQuantity)
	case !validPrice(p.PriceCents):
		return Line{}, refuseLine(n, ErrBadMenu, "%q has price %s", p.Name, Cents(p.PriceCents))
	case len(it.Options) > MaxOptions:
		return Line{}, refuseLine(n, ErrBadOptionCount, "%d options chosen, at most %d", len(it.Options), MaxOptions)
	}
	l := Line{Product: p.ID, Name: p.Name, Quantity: it.Quantity, UnitCents: p.PriceCents, TaxCategory: p.TaxCategory}
	// locate each chosen value: the first option (in menu order) having it
	type pick struct{ opt, val int }
	chosen := map[string]pick{}
	for _, id := range it.Options {
		if _, dup := chosen[id]; dup {
			return Line{}, refuseLine(n, ErrBadOptionCount, "option value %q chosen twice", id)
		}
		found := false
		for oi := range p.Options {
			for vi := range p.Options[oi].Values {
				if p.Options[oi].Values[vi].ID == id {
					chosen[id], found = pick{oi, vi}, true
					break
				}
			}
			if found {
				break
			}
		}
		if !found {
			return Line{}, refuseLine(n, ErrUnknownOption, "%q has no option value %q", p.Name, id)
		}
	}
	for oi := range p.Options {
		o := &p.Options[oi]
		count := 0
		for vi := range o.Values {
			v := &o.Values[vi]
			if c, ok := chosen[v.ID]; !ok || c.opt != oi || c.val != vi {
				continue
			}
			if !v.Enabled {
				return Line{}, refuseLine(n, ErrUnavailableItem, "%q: %q is not available", o.Name, v.Name)
			}
			if !validPrice(v.PriceCents) {
				return Line{}, refuseLine(n, ErrBadMenu, "%q: %q has price %s", o.Name, v.Name, Cents(v.PriceCents))
			}
			count++
			l.UnitCents += v.PriceCents // ≤ 33 × MaxCents: no overflow
			l.Options = append(l.Options, v.ID)
			l.OptionNames = append(l.OptionNames, v.Name)
		}
		hi := int(o.Max)
		if hi == 0 {
			hi = len(o.Values)
		}
		if count < int(o.Min) || count > hi {
			return Line{}, refuseLine(n, ErrBadOptionCount, "%q: %d chosen, want %s", o.Name, count, countRange(int(o.Min), hi))
		}
	}
	total, ok := mul(l.UnitCents, int64(it.Quantity))
	if !ok || total > MaxCents {
		return Line{}, refuseLine(n, ErrAmountRange, "line total exceeds %s", Cents(MaxCents))
	}
	l.TotalCents = total
	return l, nil
}

func countRange(lo, hi int) string {
	switch {
	case lo == hi:
		return fmt.Sprintf("exactly %d", lo)
	case lo == 0:
		return fmt.Sprintf("at most %d", hi)
	}
	return fmt.Sprintf("%d to %d", lo, hi)
}

// finish computes taxes, totals, the platform fee and the courier's pay.
func (q *Quote) finish(r *Rules, dropoffs int) error {
	gross := map[string]int64{}
	for _, l := range q.Lines {
		if !addGross(gross, l.TaxCategory, l.TotalCents) {
			return refuse(ErrAmountRange, "taxes")
		}
	}
	if r != nil && r.Set.DeliveryTax != "" && q.DeliveryCents != 0 {
		if !addGross(gross, r.Set.DeliveryTax, q.DeliveryCents) {
			return refuse(ErrAmountRange, "taxes")
		}
	}
	var err error
	if q.Taxes, q.TaxCents, err = r.Taxes(gross); err != nil {
		return err
	}
	var ok bool
	if q.TotalCents, ok = sum(q.ItemsCents, q.DeliveryCents, q.TipCents); !ok {
		return refuse(ErrAmountRange, "total")
	}
	if q.PlatformFeeCents, err = r.PlatformFee(q.Fulfilment, false, q.ItemsCents); err != nil {
		return err
	}
	q.RestaurantNetCents = q.ItemsCents - q.PlatformFeeCents
	if q.Fulfilment == crdt.FulfilDelivery && r != nil {
		pay, err := r.CourierPay(q.DistanceM, dropoffs, q.DeliveryCents, q.TipCents)
		if err != nil {
			return err
		}
		q.CourierPay = &pay
	}
	return nil
}

// PlaceExtras are the order.place fields a quote does not decide.
type PlaceExtras struct {
	PINHash []byte // crdt.PINHash(customer key, PIN), or nil
	Sealed  []byte // personal data encrypted to the restaurant
	Note    string
}

// OrderPlace builds the order.place to sign for this quote. Sign it with
// wall = q.PricedAt (an ASAP order's time-of-day pricing uses the wall).
func (q *Quote) OrderPlace(x PlaceExtras) *crdt.OrderPlace {
	p := &crdt.OrderPlace{Restaurant: q.Restaurant, Fulfilment: q.Fulfilment, Payment: q.Payment, Slot: q.Slot, Pickup: q.Pickup,
		DropoffArea: q.DropoffArea, DistanceM: q.DistanceM, RulesVersion: q.RulesVersion, DropoffZones: q.DropoffZones,
		PINHash: x.PINHash, Sealed: x.Sealed, Note: x.Note,
		Totals: crdt.Totals{ItemsCents: q.ItemsCents, DeliveryCents: q.DeliveryCents, TipCents: q.TipCents, TaxCents: q.TaxCents, TotalCents: q.TotalCents}}
	for _, l := range q.Lines {
		name := l.Name
		if len(l.OptionNames) > 0 {
			name += " (" + strings.Join(l.OptionNames, ", ") + ")"
		}
		name = truncate(name, maxNameLen)
		p.Items = append(p.Items, crdt.LineItem{Product: l.Product, Name: name, Quantity: l.Quantity, Options: l.Options,
			UnitCents: l.UnitCents, TotalCents: l.TotalCents, TaxCategory: l.TaxCategory})
	}
	return p
}

// maxNameLen bounds a line item's display name, well under the protocol's
// text limit.
const maxNameLen = 1000

// truncate cuts s to at most n bytes on a UTF-8 boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// checkPayment refuses a payment method the profile does not offer
// (SPEC.md §20.1). A cart naming none pays cash on delivery.
func checkPayment(m crdt.PaymentMethod, offered crdt.PaymentMethods) error {
	if m != crdt.PayUnstated && !m.Valid() {
		return refuse(ErrPaymentNotOffered, "payment method %d: want 1 (cash), 2 (card on delivery) or 3 (online)", m)
	}
	if !offered.Offers(m.Effective()) {
		return refuse(ErrPaymentNotOffered, "%s is not offered by this restaurant", m.Effective())
	}
	return nil
}
