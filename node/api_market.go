package node

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/protocol/seal"
)

// The marketplace API (issue 4; SPEC.md §16): pricing rules, quotes and
// checkout, slots, parcel deliveries, ratings, re-pricing and exports. The
// logic is in package market; this file finds its inputs in the replica and
// signs the results.

// PersonalData is what a customer shares with the order's restaurant and the
// courier who holds the order, and nobody else: it travels sealed
// (SPEC.md §15.4).
type PersonalData struct {
	Name         string        `json:"name,omitempty"`
	Phone        string        `json:"phone,omitempty"`
	Address      string        `json:"address,omitempty"`
	Instructions string        `json:"instructions,omitempty"`
	Dropoff      crdt.Position `json:"dropoff"` // the exact position
}

// sealContext binds a customer's sealed data to its customer and
// restaurant, so it cannot be moved into another order.
func sealContext(customer, restaurant crdt.PubKey) []byte {
	return append(append([]byte("coopnode/order-private/v1\x00"), customer[:]...), restaurant[:]...)
}

// marketContext gathers what a cart at restaurant r is judged against. It
// runs on the loop.
func (n *Node) marketContext(r crdt.PubKey) (market.Context, error) {
	ctx, err := n.catalogContext(r)
	if err != nil {
		return ctx, err
	}
	ctx.Orders = n.replica.Orders(n.cfg.coop, func(s *crdt.OrderState) bool { return s.Restaurant == r })
	return ctx, nil
}

// catalogContext is marketContext without the restaurant's orders, which
// are costly to gather and which auto-accept does not count.
func (n *Node) catalogContext(r crdt.PubKey) (market.Context, error) {
	coop := n.replica.CoopView(n.cfg.coop)
	if coop == nil {
		return market.Context{}, ErrNoCoop
	}
	ctx := market.Context{CoopTimezone: coop.Timezone, Now: n.cfg.clock.Now()}
	if e, ok := n.replica.Doc(crdt.DocKey{Coop: n.cfg.coop, Owner: r, Kind: crdt.KindCatalogProfile}); ok {
		ctx.Profile = e.Body.(*crdt.CatalogProfile)
	}
	if e, ok := n.replica.Doc(crdt.DocKey{Coop: n.cfg.coop, Owner: r, Kind: crdt.KindCatalogMenu}); ok {
		ctx.Menu = e.Body.(*crdt.CatalogMenu)
	}
	rules, err := market.RulesFor(coop, 0)
	switch {
	case err == nil:
		ctx.Rules = rules
	case errors.Is(err, market.ErrNoRules):
	default:
		return ctx, err
	}
	return ctx, nil
}

// SetRules publishes a new version of the coop's pricing rules (admins).
// The set is compiled first, so a broken rule set is refused before it is
// signed.
func (n *Node) SetRules(ctx context.Context, set crdt.RulesSet) error {
	return n.do(ctx, func() error {
		coop := n.replica.CoopView(n.cfg.coop)
		if coop == nil {
			return ErrNoCoop
		}
		if _, err := market.Compile(&set, coop.Timezone); err != nil {
			return fmt.Errorf("%w: %w", ErrBadArgument, err)
		}
		_, err := n.emit(crdt.KindRulesSet, n.cfg.coop, &set)
		return err
	})
}

// Rules returns a version of the coop's rules (0: the latest).
func (n *Node) Rules(ctx context.Context, version uint64) (*crdt.RulesSet, error) {
	var out *crdt.RulesSet
	err := n.do(ctx, func() error {
		r, err := market.RulesFor(n.replica.CoopView(n.cfg.coop), version)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrUnknown, err) // not_found, whatever market says
		}
		c := *r.Set
		out = &c
		return nil
	})
	return out, err
}

// Quote checks and prices a cart without placing it.
func (n *Node) Quote(ctx context.Context, cart market.Cart) (*market.Quote, error) {
	var q *market.Quote
	err := n.do(ctx, func() error {
		n.noteCart(cart.Restaurant) // about to order: link up now (SPEC.md §10.8)
		mc, err := n.marketContext(cart.Restaurant)
		if err != nil {
			return err
		}
		q, err = market.Checkout(cart, mc)
		return refusal("quote", err)
	})
	return q, err
}

// refusal turns a market refusal of action into a *RefusedError with its
// code, keeping the *market.Refusal as the cause. Other errors pass.
func refusal(action string, err error) error {
	code := market.Code(err)
	if code == "" {
		return err
	}
	re := &RefusedError{Kind: action, Reason: code, Detail: strings.TrimPrefix(err.Error(), "market: "), Err: err}
	var mr *market.Refusal
	if errors.As(err, &mr) {
		re.Field = mr.Field
		if mr.Detail != "" {
			re.Detail = mr.Detail
		}
	}
	return re
}

// Checkout prices a cart and, if it is valid, places the order: the exact
// address and contact details are sealed to the restaurant, the published
// order carries only a coarse dropoff area. pin, if set, is the handover
// code the customer will tell the courier (market.ValidatePIN). An invalid
// cart or PIN is refused with its reason and nothing is published.
func (n *Node) Checkout(ctx context.Context, cart market.Cart, pd PersonalData, pin string) (crdt.ID, *market.Quote, error) {
	if err := market.ValidatePIN(pin); err != nil {
		return crdt.ID{}, nil, refusal("checkout", err)
	}
	var id crdt.ID
	var q *market.Quote
	err := n.do(ctx, func() error {
		mc, err := n.marketContext(cart.Restaurant)
		if err != nil {
			return err
		}
		if q, err = market.Checkout(cart, mc); err != nil {
			return refusal("checkout", err)
		}
		x := market.PlaceExtras{}
		if pin != "" {
			h := crdt.PINHash(n.self, pin)
			x.PINHash = h[:]
		}
		if pd.Dropoff.IsZero() {
			pd.Dropoff = cart.Dropoff
		}
		plain, _ := json.Marshal(pd)
		if x.Sealed, err = seal.Seal(rand.Reader, cart.Restaurant, plain, sealContext(n.self, cart.Restaurant)); err != nil {
			return fmt.Errorf("%w: %w", ErrBadArgument, err)
		}
		e, err := n.author(draft{kind: crdt.KindOrderPlace, body: q.OrderPlace(x), wall: q.PricedAt})
		if err != nil {
			return err
		}
		id = e.ID
		return nil
	})
	return id, q, err
}

// Slots lists the time slots a restaurant offers from now on.
func (n *Node) Slots(ctx context.Context, restaurant crdt.PubKey) ([]market.Slot, error) {
	var out []market.Slot
	err := n.do(ctx, func() error {
		mc, err := n.marketContext(restaurant)
		if err != nil {
			return err
		}
		if mc.Profile == nil {
			return fmt.Errorf("%w: restaurant %s has no profile", ErrUnknown, restaurant.Short())
		}
		k, err := market.NewKitchen(restaurant, mc.Profile, mc.CoopTimezone)
		if err != nil {
			return err
		}
		out = k.Slots(mc.Now, mc.Orders)
		return nil
	})
	return out, err
}

// RequestDelivery prices and publishes a shop's parcel delivery: one pickup,
// one or more dropoffs. Couriers claim it like any job.
func (n *Node) RequestDelivery(ctx context.Context, req market.ParcelRequest) (crdt.ID, *market.ParcelQuote, error) {
	var id crdt.ID
	var q *market.ParcelQuote
	err := n.do(ctx, func() error {
		shop, err := n.memberScope()
		if err != nil {
			return err
		}
		req.Shop = crdt.PubKey(shop)
		mc, err := n.marketContext(req.Shop)
		if err != nil {
			return err
		}
		if q, err = market.QuoteParcel(req, market.ParcelContext{Profile: mc.Profile, Rules: mc.Rules, Now: mc.Now}); err != nil {
			return refusal("delivery", err)
		}
		e, err := n.author(draft{kind: crdt.KindOrderPlace, body: q.OrderPlace(market.PlaceExtras{}), wall: q.PricedAt})
		if err != nil {
			return err
		}
		id = e.ID
		return nil
	})
	return id, q, err
}

// Rate rates a delivered order (its customer only): 1–5 stars for the
// restaurant and the courier, 0 for none.
func (n *Node) Rate(ctx context.Context, order crdt.ID, restaurantStars, courierStars uint8, comment string) error {
	return n.orderAct(ctx, order, &crdt.OrderRate{RestaurantStars: restaurantStars, CourierStars: courierStars, Comment: comment})
}

// Price recomputes an order's price from the rules version it recorded and
// explains how it was derived; mismatches with what was recorded are listed.
func (n *Node) Price(ctx context.Context, order crdt.ID) (*market.Recomputed, error) {
	var out *market.Recomputed
	err := n.do(ctx, func() error {
		s, ok := n.orderView(ctx, order) // live or archived (SPEC.md §4.5)
		if !ok {
			return fmt.Errorf("%w: order %s", ErrUnknown, order.Short())
		}
		var err error
		out, err = market.Reprice(n.replica.CoopView(n.cfg.coop), s)
		return err
	})
	return out, err
}

// Export builds one of the coop's accounting tables: "orders",
// "deliveries", "pay", "pay-summary" or "payments", filtered by day,
// courier or restaurant; or "invoice", one restaurant's month (SPEC.md
// §16.10.6).
func (n *Node) Export(ctx context.Context, kind string, f market.Filter) (*market.Table, error) {
	var t *market.Table
	err := n.do(ctx, func() error {
		coop := n.replica.CoopView(n.cfg.coop)
		if coop == nil {
			return ErrNoCoop
		}
		orders, err := n.booksOrders(ctx, f)
		if err != nil {
			return err
		}
		switch kind {
		case "orders":
			t, err = market.ExportOrders(coop, orders, f)
		case "deliveries":
			t, err = market.ExportDeliveries(coop, orders, f)
		case "pay":
			t, err = market.ExportCourierPay(coop, orders, f)
		case "pay-summary":
			t, err = market.ExportPaySummary(coop, orders, f)
		case "payments":
			t, err = market.ExportPayments(coop, orders, f)
		case "invoice":
			t, err = market.ExportInvoice(coop, orders, f)
		default:
			return fmt.Errorf("%w: export %q (want orders, deliveries, pay, pay-summary, payments or invoice)", ErrBadArgument, kind)
		}
		return err
	})
	return t, err
}

// PersonalDataOf opens the sealed personal data of an order, if this node
// may read it: the restaurant always, the holder courier once the
// restaurant has shared it (SPEC.md §15.4).
func (n *Node) PersonalDataOf(ctx context.Context, order crdt.ID) (PersonalData, error) {
	var pd PersonalData
	err := n.do(ctx, func() error {
		s, ok := n.orderView(ctx, order) // live or archived: disputes read it (SPEC.md §4.5)
		if !ok {
			return fmt.Errorf("%w: order %s", ErrUnknown, order.Short())
		}
		box, boxCtx := s.Place.Sealed, sealContext(s.Customer, s.Restaurant)
		if s.Restaurant != n.memberKeyOrSelf() {
			box, boxCtx = nil, nil
			for _, sh := range s.Shares {
				if sh.Recipient == n.self {
					box, boxCtx = sh.Sealed, shareContext(order, n.self)
				}
			}
		}
		if len(box) == 0 {
			return fmt.Errorf("%w: order %s", ErrNotShared, order.Short())
		}
		plain, err := seal.Open(n.key, box, boxCtx)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrNotShared, err)
		}
		return json.Unmarshal(plain, &pd)
	})
	return pd, err
}

// memberKeyOrSelf is the member this node acts for, or its own key.
func (n *Node) memberKeyOrSelf() crdt.PubKey {
	if k, ok := n.replica.CoopView(n.cfg.coop).MemberKey(n.self, n.nowMs()); ok {
		return k
	}
	return n.self
}

// shareContext binds a re-sealed copy to its order and recipient.
func shareContext(order crdt.ID, recipient crdt.PubKey) []byte {
	return append(append([]byte("coopnode/order-share/v1\x00"), order[:]...), recipient[:]...)
}
