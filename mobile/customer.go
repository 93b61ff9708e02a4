package mobile

import (
	"context"
	"sort"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// The customer's actions (API.md, "Customer").

// maxCents bounds every amount (ten million units of currency), so that
// sums of at most 64 items of at most maxQuantity never overflow.
const (
	maxCents    = 1_000_000_000
	maxQuantity = 999
	maxItems    = 64 // SPEC.md §5.4.2
)

type restaurantsRequest struct {
	Position    *position `json:"position"`
	RadiusM     int       `json:"radius_m"`
	EnabledOnly bool      `json:"enabled_only"`
}

// restaurantView is a restaurant's profile as a list shows it.
type restaurantView struct {
	Key           string   `json:"key"`
	Name          string   `json:"name"`
	Description   string   `json:"description,omitempty"`
	Address       string   `json:"address,omitempty"`
	Position      position `json:"position"`
	DistanceM     int      `json:"distance_m"` // from the request's position; -1 without one
	Tags          []string `json:"tags"`
	Fulfilment    []string `json:"fulfilment"`
	Enabled       bool     `json:"enabled"`
	ClosedNow     bool     `json:"closed_now"` // inside one of the profile's closings
	Hours         []string `json:"hours"`      // schema.org openingHours, passed through
	MinOrderCents int64    `json:"min_order_cents"`
	PrepMinutes   uint32   `json:"prep_minutes,omitempty"`
	Rush          bool     `json:"rush"`
	Shop          bool     `json:"shop"`
	HasMenu       bool     `json:"has_menu"`
	Version       uint64   `json:"version"`
}

func restaurantOf(r node.Restaurant, from *position, nowMs int64) restaurantView {
	v := restaurantView{Key: r.Key.String(), DistanceM: -1, Tags: []string{}, Fulfilment: []string{}, Hours: []string{},
		HasMenu: r.Menu != nil, Version: r.Version}
	if p := r.Profile; p != nil {
		v.Name, v.Description, v.Address, v.Position = p.Name, p.Description, p.Address, p.Position
		v.Tags = append(v.Tags, p.Tags...)
		v.Hours = append(v.Hours, p.Hours...)
		v.Fulfilment = fulfilmentNames(p.Fulfilment)
		v.Enabled, v.MinOrderCents, v.PrepMinutes, v.Rush, v.Shop = p.Enabled, p.MinOrderCents, p.PrepMinutes, p.Rush, p.Shop
		for _, c := range p.Closings {
			if nowMs >= c.Start && nowMs < c.End {
				v.ClosedNow = true
			}
		}
		if from != nil {
			v.DistanceM = node.DistanceM(*from, p.Position)
		}
	}
	return v
}

type restaurantsResult struct {
	Restaurants []restaurantView `json:"restaurants"`
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
		now := time.Now().UnixMilli()
		out := restaurantsResult{Restaurants: []restaurantView{}}
		for _, r := range rs {
			v := restaurantOf(r, req.Position, now)
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
	return node.Restaurant{}, errorf(codeNotFound, "restaurant %s", key.Short())
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
		res := menuResult{Restaurant: restaurantOf(r, nil, time.Now().UnixMilli())}
		if r.Menu != nil {
			res.Menu = *r.Menu
		}
		if res.Menu.Sections == nil {
			res.Menu.Sections = []crdt.MenuSection{}
		}
		return res, nil
	})
}

// cartItem is one line of a cart.
type cartItem struct {
	Product  string   `json:"product"`
	Quantity uint32   `json:"quantity"`
	Options  []string `json:"options"` // chosen option value IDs
}

type cartRequest struct {
	Restaurant    string     `json:"restaurant"`
	Fulfilment    string     `json:"fulfilment"` // "delivery" (default) or "collection"
	Items         []cartItem `json:"items"`
	TipCents      int64      `json:"tip_cents"`
	DeliveryCents *int64     `json:"delivery_cents"` // default: the config's delivery_fee_cents
}

// priceResult is a priced cart.
type priceResult struct {
	// Provisional is always true: the coop's pricing rules (SPEC.md
	// rules_version) do not exist yet (issue 4). Items are priced from the
	// restaurant's published menu: (product price + chosen option values)
	// × quantity; the delivery fee is the request's or the config's; tax
	// is included in menu prices and not broken out (tax_cents 0).
	Provisional bool            `json:"provisional"`
	Restaurant  string          `json:"restaurant"`
	Fulfilment  string          `json:"fulfilment"`
	Items       []crdt.LineItem `json:"items"`
	Totals      crdt.Totals     `json:"totals"`
	Warnings    []string        `json:"warnings"` // why the restaurant would likely refuse it
}

// price computes a cart from the restaurant's menu. Hard errors (unknown
// product, bad options) fail; soft problems are warnings.
func (m *Node) price(ctx context.Context, req cartRequest) (priceResult, *node.Restaurant, error) {
	key, err := parseKey("restaurant", req.Restaurant)
	if err != nil {
		return priceResult{}, nil, err
	}
	fulfil := crdt.FulfilDelivery
	switch req.Fulfilment {
	case "", "delivery":
	case "collection":
		fulfil = crdt.FulfilCollection
	default:
		return priceResult{}, nil, errorf(codeBadArgument, "fulfilment %q: want delivery or collection", req.Fulfilment)
	}
	if len(req.Items) == 0 || len(req.Items) > maxItems {
		return priceResult{}, nil, errorf(codeBadArgument, "a cart holds 1 to %d items", maxItems)
	}
	if req.TipCents < 0 || req.TipCents > maxCents {
		return priceResult{}, nil, errorf(codeBadArgument, "tip_cents out of range")
	}
	delivery := m.cfg.DeliveryFeeCents
	if req.DeliveryCents != nil {
		delivery = *req.DeliveryCents
	}
	if delivery < 0 || delivery > maxCents {
		return priceResult{}, nil, errorf(codeBadArgument, "delivery_cents out of range")
	}
	if fulfil == crdt.FulfilCollection {
		delivery = 0
	}
	r, err := m.restaurant(ctx, key)
	if err != nil {
		return priceResult{}, nil, err
	}
	if r.Menu == nil {
		return priceResult{}, nil, errorf(codeNotFound, "restaurant %s has no menu", key.Short())
	}
	products := map[string]*crdt.Product{}
	for si := range r.Menu.Sections {
		for pi := range r.Menu.Sections[si].Products {
			p := &r.Menu.Sections[si].Products[pi]
			if _, dup := products[p.ID]; !dup {
				products[p.ID] = p
			}
		}
	}
	res := priceResult{Provisional: true, Restaurant: key.String(), Fulfilment: fulfilmentName(fulfil),
		Items: []crdt.LineItem{}, Warnings: []string{}}
	for i, it := range req.Items {
		p := products[it.Product]
		if p == nil {
			return priceResult{}, nil, errorf(codeNotFound, "item %d: product %q is not on the menu", i, it.Product)
		}
		if !p.Enabled || p.SoldOut {
			return priceResult{}, nil, errorf(codeRefused, "item %d: %q is not available now", i, p.Name)
		}
		if it.Quantity == 0 || it.Quantity > maxQuantity {
			return priceResult{}, nil, errorf(codeBadArgument, "item %d: quantity 1 to %d", i, maxQuantity)
		}
		unit, err := unitPrice(p, it.Options)
		if err != nil {
			return priceResult{}, nil, errorf(codeBadArgument, "item %d (%s): %v", i, p.Name, err)
		}
		total := unit * int64(it.Quantity)
		res.Items = append(res.Items, crdt.LineItem{Product: p.ID, Name: p.Name, Quantity: it.Quantity,
			Options: append([]string(nil), it.Options...), UnitCents: unit, TotalCents: total})
		res.Totals.ItemsCents += total
	}
	res.Totals.DeliveryCents, res.Totals.TipCents = delivery, req.TipCents
	res.Totals.TotalCents = res.Totals.ItemsCents + delivery + req.TipCents
	if prof := r.Profile; prof == nil {
		res.Warnings = append(res.Warnings, "restaurant_has_no_profile")
	} else {
		if !prof.Enabled {
			res.Warnings = append(res.Warnings, "restaurant_not_taking_orders")
		}
		if prof.Fulfilment&fulfil == 0 {
			res.Warnings = append(res.Warnings, "fulfilment_not_offered")
		}
		if res.Totals.ItemsCents < prof.MinOrderCents {
			res.Warnings = append(res.Warnings, "below_min_order")
		}
		now := time.Now().UnixMilli()
		for _, c := range prof.Closings {
			if now >= c.Start && now < c.End {
				res.Warnings = append(res.Warnings, "restaurant_closed_now")
				break
			}
		}
	}
	return res, &r, nil
}

type pricingError string

func (e pricingError) Error() string { return string(e) }

// unitPrice is the product price plus the chosen option values, checking
// each option's min and max (max 0: no upper bound).
func unitPrice(p *crdt.Product, chosen []string) (int64, error) {
	if p.PriceCents < 0 || p.PriceCents > maxCents {
		return 0, pricingError("price out of range on the menu")
	}
	if len(chosen) > 32 {
		return 0, pricingError("at most 32 options")
	}
	unit := p.PriceCents
	used := map[string]bool{}
	count := make([]uint32, len(p.Options))
	for _, id := range chosen {
		if used[id] {
			return 0, pricingError("option " + id + " chosen twice")
		}
		used[id] = true
		found := false
		for oi, o := range p.Options {
			for _, v := range o.Values {
				if v.ID != id {
					continue
				}
				if !v.Enabled {
					return 0, pricingError("option " + id + " is not available")
				}
				if v.PriceCents < 0 || v.PriceCents > maxCents {
					return 0, pricingError("option price out of range on the menu")
				}
				unit += v.PriceCents
				count[oi]++
				found = true
			}
			if found {
				break
			}
		}
		if !found {
			return 0, pricingError("unknown option " + id)
		}
	}
	for oi, o := range p.Options {
		if count[oi] < o.Min || (o.Max > 0 && count[oi] > o.Max) {
			return 0, pricingError("option " + o.ID + ": choose between min and max values")
		}
	}
	return unit, nil
}

// PriceCart prices a cart locally from the restaurant's menu
// (provisional: see priceResult). Request:
// {"restaurant":"...","fulfilment":"delivery","items":[{"product":"wrap","quantity":2,"options":["extra-feta"]}],"tip_cents":200}.
func (m *Node) PriceCart(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		var req cartRequest
		if err := decode(requestJSON, &req); err != nil {
			return nil, err
		}
		res, _, err := m.price(ctx, req)
		if err != nil {
			return nil, err
		}
		return res, nil
	})
}

type placeRequest struct {
	cartRequest
	DropoffArea *position      `json:"dropoff_area"` // required for delivery; rounded to about 500 m
	PIN         string         `json:"pin"`          // optional handover PIN (SPEC.md §5.4.1); only its hash leaves the phone
	Note        string         `json:"note"`         // public note
	Slot        *crdt.TimeSlot `json:"slot"`         // requested window; absent: as soon as possible
}

type placeResult struct {
	Order  string      `json:"order"`
	Price  priceResult `json:"price"`
	Status string      `json:"status"`
	// Published is false when no peer heard the order yet: it goes out
	// with the first sync.
	Published bool `json:"published"`
}

// dropoffGrid is the rounding of the public drop-off area: 0.005° is
// about 550 m of latitude. The exact address would travel sealed to the
// restaurant (SPEC.md §5.4.2 sealed), which waits for issue 5.
const dropoffGrid = 5000

func roundPos(p position) position {
	r := func(v int32) int32 {
		a := int64(v) + dropoffGrid/2
		q := a / dropoffGrid
		if a%dropoffGrid != 0 && a < 0 {
			q-- // floor, not truncation, below zero
		}
		return int32(q * dropoffGrid)
	}
	return position{LatE6: r(p.LatE6), LonE6: r(p.LonE6)}
}

// PlaceOrder prices the cart, then signs and publishes the order. The
// pickup is the restaurant's position; the drop-off area is rounded to
// about 500 m (the exact address is not sent: sealed personal data waits
// for issue 5). Request: a PriceCart request plus
// {"dropoff_area":{...},"pin":"4821","note":"","slot":{"start":0,"end":0}}.
func (m *Node) PlaceOrder(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		if err := m.requireRole(node.RoleCustomer); err != nil {
			return nil, err
		}
		var req placeRequest
		if err := decode(requestJSON, &req); err != nil {
			return nil, err
		}
		pr, r, err := m.price(ctx, req.cartRequest)
		if err != nil {
			return nil, err
		}
		for _, w := range pr.Warnings {
			switch w {
			case "restaurant_not_taking_orders", "fulfilment_not_offered", "restaurant_closed_now",
				"restaurant_has_no_profile", "below_min_order":
				return nil, errorf(codeRefused, "%s", w)
			}
		}
		place := crdt.OrderPlace{Restaurant: r.Key, Items: pr.Items, Totals: pr.Totals, Note: req.Note,
			Pickup: r.Profile.Position}
		if req.Slot != nil {
			place.Slot = *req.Slot
		}
		if pr.Fulfilment == "collection" {
			place.Fulfilment = crdt.FulfilCollection
		} else {
			place.Fulfilment = crdt.FulfilDelivery
			if req.DropoffArea == nil {
				return nil, errorf(codeBadArgument, "dropoff_area is required for delivery")
			}
			if err := checkPosition(req.DropoffArea); err != nil {
				return nil, err
			}
			place.DropoffArea = roundPos(*req.DropoffArea)
			place.DistanceM = uint32(node.DistanceM(place.Pickup, place.DropoffArea))
		}
		if req.PIN != "" {
			if len(req.PIN) < 4 || len(req.PIN) > 12 {
				return nil, errorf(codeBadArgument, "pin: 4 to 12 characters")
			}
			h := crdt.PINHash(m.self, req.PIN)
			place.PINHash = h[:]
		}
		id, err := m.n.PlaceOrder(ctx, place)
		if err != nil {
			return nil, err
		}
		published := m.acted(id, "place")
		m.requestReapply() // follow order gossip while the order is open
		return placeResult{Order: id.String(), Price: pr, Status: crdt.StatusPlaced.String(), Published: published}, nil
	})
}

type cancelRequest struct {
	Order  string `json:"order"`
	Reason string `json:"reason"` // a customer may only give "customer" (the default)
}

// CancelOrder cancels an order the restaurant has not accepted yet.
// Request: {"order":"..."}.
func (m *Node) CancelOrder(requestJSON string) (string, error) {
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

// FollowOrder returns an order with its ETA, as OnOrderUpdate delivers
// it on every change (orders placed here are followed automatically).
// The courier's live position is not available yet (courier_position is
// null, courier_position_status "not_yet_supported"). Request: {"order":"..."}.
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
		return m.viewCtx(ctx).tracking(s, time.Now().UnixMilli()), nil
	})
}

type rateRequest struct {
	Order   string `json:"order"`
	Stars   int    `json:"stars"`
	Comment string `json:"comment"`
}

// Rate would rate a delivered order. SPEC.md v1 has no rating event, so
// it checks the request and returns a "not_yet_supported" error rather
// than pretend (issue 4/5).
func (m *Node) Rate(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		var req rateRequest
		if err := decode(requestJSON, &req); err != nil {
			return nil, err
		}
		if _, err := parseOrderID("order", req.Order); err != nil {
			return nil, err
		}
		if req.Stars < 1 || req.Stars > 5 {
			return nil, errorf(codeBadArgument, "stars: 1 to 5")
		}
		return nil, notYetSupported("rating")
	})
}
