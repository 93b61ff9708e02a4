package mobile

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
)

// The customer's actions (API.md, "Customer"). Carts are checked and
// priced by the node with the coop's published rules (package market,
// SPEC.md §16.6): the phone computes no price of its own.

type restaurantsRequest struct {
	Position    *position `json:"position"`
	RadiusM     int       `json:"radius_m"`
	EnabledOnly bool      `json:"enabled_only"`
}

// restaurantView is a restaurant's profile as a list shows it.
type restaurantView struct {
	Key         string   `json:"key"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Address     string   `json:"address,omitempty"`
	Position    position `json:"position"`
	DistanceM   int      `json:"distance_m"` // from the request's position; -1 without one
	Tags        []string `json:"tags"`
	Fulfilment  []string `json:"fulfilment"`
	Enabled     bool     `json:"enabled"`
	// ClosedNow: outside its opening hours or in one of its closings
	// (SPEC.md §16.5.1, in the restaurant's time zone, else the coop's);
	// NextOpen is when it opens next (ms), if known.
	ClosedNow     bool     `json:"closed_now"`
	NextOpen      int64    `json:"next_open,omitempty"`
	Hours         []string `json:"hours"` // schema.org openingHours, as published
	MinOrderCents int64    `json:"min_order_cents"`
	PrepMinutes   uint32   `json:"prep_minutes,omitempty"`
	Rush          bool     `json:"rush"`
	Shop          bool     `json:"shop"`
	HasMenu       bool     `json:"has_menu"`
	Version       uint64   `json:"version"`
}

func restaurantOf(r node.Restaurant, from *position, now time.Time, coopTZ string) restaurantView {
	v := restaurantView{Key: r.Key.String(), DistanceM: -1, Tags: []string{}, Fulfilment: []string{}, Hours: []string{},
		HasMenu: r.Menu != nil, Version: r.Version}
	if p := r.Profile; p != nil {
		v.Name, v.Description, v.Address, v.Position = p.Name, p.Description, p.Address, p.Position
		v.Tags = append(v.Tags, p.Tags...)
		v.Hours = append(v.Hours, p.Hours...)
		v.Fulfilment = fulfilmentNames(p.Fulfilment)
		v.Enabled, v.MinOrderCents, v.PrepMinutes, v.Rush, v.Shop = p.Enabled, p.MinOrderCents, p.PrepMinutes, p.Rush, p.Shop
		if sch, err := market.NewSchedule(p, coopTZ); err == nil {
			if !sch.IsOpen(now) {
				v.ClosedNow = true
				if next, ok := sch.NextOpen(now); ok {
					v.NextOpen = next.UnixMilli()
				}
			}
		} else {
			v.ClosedNow = true // hours or time zone that do not parse: checkout refuses it
		}
		if from != nil {
			v.DistanceM = distanceM(*from, p.Position)
		}
	}
	return v
}

type restaurantsResult struct {
	Restaurants []restaurantView `json:"restaurants"`
}

// coopTZ is the coop's time zone ("" = UTC).
func (m *Node) coopTZ(ctx context.Context) string {
	return m.viewCtx(ctx).tz
}

// Restaurants lists the coop's restaurants and shops, nearest first when
// a position is given. Request: {"position":{...},"radius_m":5000,"enabled_only":true};
// every field optional.
func (m *Node) Restaurants(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		var req restaurantsRequest
		if err := decode(requestJSON, &req); err != nil {
			return nil, err
		}
		if err := checkPosition(req.Position); err != nil {
			return nil, err
		}
		rs, err := m.n.Restaurants(ctx)
		if err != nil {
			return nil, err
		}
		now, tz := time.Now(), m.coopTZ(ctx)
		out := restaurantsResult{Restaurants: []restaurantView{}}
		for _, r := range rs {
			v := restaurantOf(r, req.Position, now, tz)
			if req.EnabledOnly && (!v.Enabled || v.ClosedNow) {
				continue
			}
			if req.Position != nil && req.RadiusM > 0 && v.DistanceM > req.RadiusM {
				continue
			}
			out.Restaurants = append(out.Restaurants, v)
		}
		if req.Position != nil {
			sort.SliceStable(out.Restaurants, func(i, j int) bool {
				return out.Restaurants[i].DistanceM < out.Restaurants[j].DistanceM
			})
		}
		return out, nil
	})
}

type menuRequest struct {
	Restaurant string `json:"restaurant"`
}

type menuResult struct {
	Restaurant restaurantView   `json:"restaurant"`
	Menu       crdt.CatalogMenu `json:"menu"` // SPEC.md §5.3.2, as published
}

// restaurant finds one restaurant's documents.
func (m *Node) restaurant(ctx context.Context, key crdt.PubKey) (node.Restaurant, error) {
	rs, err := m.n.Restaurants(ctx)
	if err != nil {
		return node.Restaurant{}, err
	}
	for _, r := range rs {
		if r.Key == key {
			return r, nil
		}
	}
	return node.Restaurant{}, errorf(node.ErrUnknown, "restaurant %s", key.Short())
}

// Menu returns a restaurant's profile and menu. Request: {"restaurant":"<64 hex>"}.
func (m *Node) Menu(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		var req menuRequest
		if err := decode(requestJSON, &req); err != nil {
			return nil, err
		}
		key, err := parseKey("restaurant", req.Restaurant)
		if err != nil {
			return nil, err
		}
		r, err := m.restaurant(ctx, key)
		if err != nil {
			return nil, err
		}
		res := menuResult{Restaurant: restaurantOf(r, nil, time.Now(), m.coopTZ(ctx))}
		if r.Menu != nil {
			res.Menu = *r.Menu
		}
		if res.Menu.Sections == nil {
			res.Menu.Sections = []crdt.MenuSection{}
		}
		return res, nil
	})
}

type slotsRequest struct {
	Restaurant string `json:"restaurant"`
	Limit      int    `json:"limit"` // at most this many, earliest first; 0: all
}

type slotsResult struct {
	Slots []crdt.TimeSlot `json:"slots"`
}

// Slots lists the time slots a restaurant offers from now on, earliest
// first (its hours, lead time, pre-ordering horizon and order limit,
// SPEC.md §16.5); pass one as a cart's "slot". Request:
// {"restaurant":"<64 hex>","limit":12}.
func (m *Node) Slots(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		var req slotsRequest
		if err := decode(requestJSON, &req); err != nil {
			return nil, err
		}
		key, err := parseKey("restaurant", req.Restaurant)
		if err != nil {
			return nil, err
		}
		slots, err := m.n.Slots(ctx, key)
		if err != nil {
			return nil, marketError(err)
		}
		if req.Limit < 0 {
			return nil, errorf(node.ErrBadArgument, "limit must not be negative")
		}
		if req.Limit > 0 && len(slots) > req.Limit {
			slots = slots[:req.Limit]
		}
		out := slotsResult{Slots: []crdt.TimeSlot{}}
		for _, s := range slots {
			out.Slots = append(out.Slots, s.TimeSlot())
		}
		return out, nil
	})
}

// cartRequest is a cart (Quote, and the start of Checkout).
type cartRequest struct {
	Restaurant string            `json:"restaurant"`
	Fulfilment string            `json:"fulfilment"` // "delivery" (default) or "collection"
	Items      []market.CartItem `json:"items"`
	TipCents   int64             `json:"tip_cents"`
	Slot       *crdt.TimeSlot    `json:"slot"` // one of Slots; absent: as soon as possible
	// Dropoff is the exact delivery position (required for delivery). It
	// prices the delivery on the phone; the published order carries only
	// the coarse area (market.Coarse, ~500 m), the exact position travels
	// sealed to the restaurant.
	Dropoff *position `json:"dropoff"`
}

// cart turns a request into a market.Cart.
func (req cartRequest) cart() (market.Cart, error) {
	key, err := parseKey("restaurant", req.Restaurant)
	if err != nil {
		return market.Cart{}, err
	}
	c := market.Cart{Restaurant: key, Fulfilment: crdt.FulfilDelivery, Items: req.Items, TipCents: req.TipCents}
	switch req.Fulfilment {
	case "", "delivery":
	case "collection":
		c.Fulfilment = crdt.FulfilCollection
	default:
		return market.Cart{}, errorf(node.ErrBadArgument, "fulfilment %q: want delivery or collection", req.Fulfilment)
	}
	if req.Slot != nil {
		c.Slot = *req.Slot
	}
	if err := checkPosition(req.Dropoff); err != nil {
		return market.Cart{}, err
	}
	if req.Dropoff != nil {
		c.Dropoff = *req.Dropoff
	}
	return c, nil
}

// quoteView is a checked, priced cart: market.Quote for an app
// (SPEC.md §16.6), times in ms and names for numbers.
type quoteView struct {
	Restaurant string         `json:"restaurant"`
	Fulfilment string         `json:"fulfilment"`
	Items      []market.Line  `json:"items"`
	Slot       *crdt.TimeSlot `json:"slot,omitempty"` // absent: as soon as possible
	PricedAt   int64          `json:"priced_at"`      // ms
	ReadyBy    int64          `json:"ready_by"`       // expected ready time, ms
	// Totals: items + delivery + tip = total; tax_cents is included in it.
	Totals crdt.Totals      `json:"totals"`
	Taxes  []market.TaxLine `json:"taxes"`
	// The split the coop's rules give: what the coop keeps from the
	// restaurant, what the restaurant receives, the courier's pay.
	PlatformFeeCents   int64       `json:"platform_fee_cents"`
	RestaurantNetCents int64       `json:"restaurant_net_cents"`
	CourierPay         *market.Pay `json:"courier_pay,omitempty"`
	RulesVersion       uint64      `json:"rules_version"`
	Pickup             position    `json:"pickup"`
	DropoffArea        *position   `json:"dropoff_area,omitempty"` // the public, coarse area (delivery)
	DropoffZones       []string    `json:"dropoff_zones"`
	DistanceM          uint32      `json:"distance_m"` // billing distance (delivery)
	// Delivery is how the delivery fee was derived (delivery only);
	// Explanation renders it for people, one line per rule.
	Delivery    *market.Explanation `json:"delivery,omitempty"`
	Explanation string              `json:"explanation,omitempty"`
}

func quoteOf(q *market.Quote) quoteView {
	v := quoteView{Restaurant: q.Restaurant.String(), Fulfilment: fulfilmentName(q.Fulfilment),
		Items: q.Lines, PricedAt: q.PricedAt, ReadyBy: q.ReadyBy.UnixMilli(),
		Totals: crdt.Totals{ItemsCents: q.ItemsCents, DeliveryCents: q.DeliveryCents, TipCents: q.TipCents,
			TaxCents: q.TaxCents, TotalCents: q.TotalCents},
		Taxes: q.Taxes, PlatformFeeCents: q.PlatformFeeCents, RestaurantNetCents: q.RestaurantNetCents,
		CourierPay: q.CourierPay, RulesVersion: q.RulesVersion, Pickup: q.Pickup, DropoffZones: q.DropoffZones,
		DistanceM: q.DistanceM, Delivery: q.Delivery}
	if !q.DropoffArea.IsZero() {
		a := q.DropoffArea
		v.DropoffArea = &a
	}
	if q.Slot != (crdt.TimeSlot{}) {
		sl := q.Slot
		v.Slot = &sl
	}
	if v.Items == nil {
		v.Items = []market.Line{}
	}
	if v.Taxes == nil {
		v.Taxes = []market.TaxLine{}
	}
	if v.DropoffZones == nil {
		v.DropoffZones = []string{}
	}
	if q.Delivery != nil {
		v.Explanation = q.Delivery.String()
	}
	return v
}

// Quote checks and prices a cart with the coop's published rules, as
// the node will when the order is placed (node.Quote): the delivery fee
// from the rules, taxes, the split and how the fee was derived. A cart
// the rules refuse fails with "<code>: <detail>" (API.md,
// "Refusals"). Request:
// {"restaurant":"...","fulfilment":"delivery","items":[{"product":"wrap","quantity":2,"options":["feta"]}],"tip_cents":200,"dropoff":{...}}.
func (m *Node) Quote(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		var req cartRequest
		if err := decode(requestJSON, &req); err != nil {
			return nil, err
		}
		cart, err := req.cart()
		if err != nil {
			return nil, err
		}
		if _, err := m.restaurant(ctx, cart.Restaurant); err != nil {
			return nil, err
		}
		q, err := m.n.Quote(ctx, cart)
		if err != nil {
			return nil, marketError(err)
		}
		return quoteOf(q), nil
	})
}

// personalDataRequest is what the customer shares with the restaurant and
// the courier it confirms, and nobody else (SPEC.md §15.4).
type personalDataRequest struct {
	Name         string `json:"name"`
	Phone        string `json:"phone"`
	Address      string `json:"address"`
	Instructions string `json:"instructions"` // door code, floor, ...
}

type placeRequest struct {
	cartRequest
	PersonalData personalDataRequest `json:"personal_data"`
	// PIN is an optional handover code (4 to 12 characters) the app shows
	// the customer only: the courier must enter it to deliver. Only its
	// hash leaves the phone (SPEC.md §5.4.1).
	PIN string `json:"pin"`
}

type placeResult struct {
	Order  string    `json:"order"`
	Quote  quoteView `json:"quote"`
	Status string    `json:"status"`
	// Published is false only if the last peer went away while the order
	// was being placed: it then leaves with the first sync.
	Published bool `json:"published"`
}

// maxPersonalText bounds each personal data field.
const maxPersonalText = 500

// Checkout checks and prices the cart as Quote does, then places
// the order (node.Checkout): the published order carries the coarse
// drop-off area only; the customer's name, phone, exact address and
// instructions travel sealed to the restaurant, which re-seals them for
// the courier it confirms. Placing needs the network: offline, or with no
// peer connected, it fails with "offline" and nothing is signed. Request:
// a Quote request plus {"personal_data":{...},"pin":"4821"}.
func (m *Node) Checkout(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		if err := m.requireRole(node.RoleCustomer); err != nil {
			return nil, err
		}
		var req placeRequest
		if err := decode(requestJSON, &req); err != nil {
			return nil, err
		}
		cart, err := req.cart()
		if err != nil {
			return nil, err
		}
		if _, err := m.restaurant(ctx, cart.Restaurant); err != nil {
			return nil, err
		}
		if err := market.ValidatePIN(req.PIN); err != nil { // node.Checkout checks it too; here before the network
			return nil, marketError(err)
		}
		pd := req.PersonalData
		for name, v := range map[string]string{"name": pd.Name, "phone": pd.Phone, "address": pd.Address, "instructions": pd.Instructions} {
			if len(v) > maxPersonalText {
				return nil, errorf(node.ErrBadArgument, "personal_data.%s: at most %d bytes", name, maxPersonalText)
			}
		}
		if cart.Fulfilment == crdt.FulfilDelivery && pd.Address == "" {
			return nil, errorf(node.ErrBadArgument, "personal_data.address is required for delivery")
		}
		// An order placed with nobody to hear it would reach the
		// restaurant only at the next sync, priced at a time long gone:
		// the customer would wait for nothing.
		if m.gate.isOffline() {
			return nil, errorf(node.ErrOffline, "the device is offline: placing an order needs the network")
		}
		if len(m.h.Network().Peers()) == 0 {
			return nil, errorf(node.ErrOffline, "no peer connected yet: placing an order needs the network (try again once the connection state is online)")
		}
		id, q, err := m.n.Checkout(ctx, cart, node.PersonalData{Name: pd.Name, Phone: pd.Phone, Address: pd.Address,
			Instructions: pd.Instructions, Dropoff: cart.Dropoff}, req.PIN)
		if err != nil {
			return nil, marketError(err)
		}
		published := m.acted(id, "place")
		m.requestReapply() // follow order gossip while the order is open
		return placeResult{Order: id.String(), Quote: quoteOf(q), Status: crdt.StatusPlaced.String(), Published: published}, nil
	})
}

type cancelRequest struct {
	Order  string `json:"order"`
	Reason string `json:"reason"` // a customer may only give "customer" (the default)
}

// Cancel cancels an order the restaurant has not accepted yet.
// Request: {"order":"..."}.
func (m *Node) Cancel(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		var req cancelRequest
		if err := decode(requestJSON, &req); err != nil {
			return nil, err
		}
		id, err := parseOrderID("order", req.Order)
		if err != nil {
			return nil, err
		}
		if req.Reason == "" {
			req.Reason = crdt.ReasonCustomer
		}
		if err := m.n.Cancel(ctx, id, req.Reason); err != nil {
			return nil, err
		}
		return m.afterAction(ctx, id, "cancel")
	})
}

// courierTrack returns the courier's last shared position for an order,
// or nil when this device has none (SPEC.md §16.11).
func (m *Node) courierTrack(ctx context.Context, s *crdt.OrderState) *courierTrack {
	if s.Status.Terminal() || !s.HasHolder() {
		return nil
	}
	t, err := m.n.Tracking(ctx, s.ID)
	if err != nil {
		return nil
	}
	return &courierTrack{pos: t.Position, at: t.At, eta: t.ETA, approaching: t.Approaching}
}

// follow is the order as FollowOrder and OnOrderUpdate show it.
func (m *Node) follow(ctx context.Context, s *crdt.OrderState) trackingView {
	tr := m.courierTrack(ctx, s)
	return m.viewCtx(ctx).tracking(s, tr, time.Now().UnixMilli())
}

// FollowOrder returns an order with its ETA and, once its courier shared
// one, the courier's position, as OnOrderUpdate delivers it on every
// change (orders placed here are followed automatically). Request:
// {"order":"..."}.
func (m *Node) FollowOrder(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		var req orderRequest
		if err := decode(requestJSON, &req); err != nil {
			return nil, err
		}
		id, err := parseOrderID("order", req.Order)
		if err != nil {
			return nil, err
		}
		s, err := m.n.Order(ctx, id)
		if err != nil {
			return nil, err
		}
		return m.follow(ctx, s), nil
	})
}

type rateRequest struct {
	Order           string `json:"order"`
	RestaurantStars int    `json:"restaurant_stars"` // 1..5; 0: not rated
	CourierStars    int    `json:"courier_stars"`    // 1..5; 0: not rated (collection: must be 0)
	Comment         string `json:"comment"`
}

// maxComment bounds a rating's comment.
const maxComment = 1000

// Rate rates a delivered (or collected) order: the restaurant and the
// courier, 1 to 5 stars each, 0 for "not rated", at least one rated
// (SPEC.md §16.8). Only the order's customer may; a later rating
// replaces an earlier one. Request:
// {"order":"...","restaurant_stars":5,"courier_stars":4,"comment":"warm and fast"}.
func (m *Node) Rate(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		if err := m.requireRole(node.RoleCustomer); err != nil {
			return nil, err
		}
		var req rateRequest
		if err := decode(requestJSON, &req); err != nil {
			return nil, err
		}
		id, err := parseOrderID("order", req.Order)
		if err != nil {
			return nil, err
		}
		rs, cs := req.RestaurantStars, req.CourierStars
		if rs < 0 || rs > crdt.MaxStars || cs < 0 || cs > crdt.MaxStars {
			return nil, errorf(node.ErrBadArgument, "stars: 1 to %d, 0 for not rated", crdt.MaxStars)
		}
		if rs == 0 && cs == 0 {
			return nil, errorf(node.ErrBadArgument, "rate the restaurant or the courier (restaurant_stars, courier_stars)")
		}
		if len(req.Comment) > maxComment {
			return nil, errorf(node.ErrBadArgument, "comment: at most %d bytes", maxComment)
		}
		if err := m.n.Rate(ctx, id, uint8(rs), uint8(cs), req.Comment); err != nil {
			return nil, err
		}
		return m.afterAction(ctx, id, "rate")
	})
}

// refusalView is the second line of a market refusal's message (API.md,
// "Refusals"): what an app needs to explain it.
type refusalView struct {
	Code   string `json:"code"`            // SPEC.md §16.6 code, e.g. "below_minimum"
	Detail string `json:"detail"`          // precise, human-readable
	Field  string `json:"field,omitempty"` // the request field at fault ("pin"), if one is
	Line   int    `json:"line,omitempty"`
	// NextOpen: when the restaurant opens next ("closed"), ms.
	NextOpen int64 `json:"next_open,omitempty"`
	// Explanation: why no pricing rule matched ("no_rule_matched").
	Explanation *market.Explanation `json:"explanation,omitempty"`
}

// marketError turns a checkout refusal (a *node.RefusedError with a
// market code) into "<code>: <detail>", followed, on a second line, by the
// refusalView as JSON. Other errors pass to wrap.
func marketError(err error) error {
	code := market.Code(err)
	if code == "" {
		return wrap(err)
	}
	code = node.Code(err) // the same: market's codes are in node's table
	var r *market.Refusal
	v := refusalView{Code: code}
	if errors.As(err, &r) {
		v.Detail, v.Field, v.Line, v.Explanation = r.Detail, r.Field, r.Line, r.Explanation
		if !r.NextOpen.IsZero() {
			v.NextOpen = r.NextOpen.UnixMilli()
		}
		if v.Detail == "" {
			v.Detail = r.Err.Error()
		}
	} else {
		v.Detail = err.Error()
	}
	v.Detail = strings.ReplaceAll(v.Detail, "\n", "; ") // the first line stays one line
	b, jerr := encode(v)
	if jerr != nil {
		return &apiError{code: code, msg: v.Detail}
	}
	return &apiError{code: code, msg: v.Detail + "\n" + string(b)}
}
