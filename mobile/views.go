package mobile

import (
	"encoding/hex"
	"strings"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
)

// The JSON documents this package returns and passes to callbacks.
// API.md shows an example of each; field names follow SPEC.md's JSON
// names where a field comes from an event.

// position is a point in microdegrees (SPEC.md §5.1).
type position = crdt.Position

// orderView is an order as an app shows it.
type orderView struct {
	ID               string          `json:"id"`
	Status           string          `json:"status"` // SPEC.md §6.1: placed, accepted, preparing, ready, picked_up, delivered, ...
	Reason           string          `json:"reason,omitempty"`
	Restaurant       string          `json:"restaurant"`
	RestaurantName   string          `json:"restaurant_name,omitempty"`
	Customer         string          `json:"customer"`
	Fulfilment       string          `json:"fulfilment"` // "delivery" or "collection"
	Items            []crdt.LineItem `json:"items"`
	Totals           crdt.Totals     `json:"totals"`
	Pickup           position        `json:"pickup"`
	DropoffArea      position        `json:"dropoff_area"`
	DistanceM        int             `json:"distance_m"`              // the recorded billing distance, else pickup to drop-off area (market.DistanceM)
	RulesVersion     uint64          `json:"rules_version,omitempty"` // the coop's rules it was priced with; 0: none
	Note             string          `json:"note,omitempty"`
	PlacedAt         int64           `json:"placed_at"`
	AcceptedAt       int64           `json:"accepted_at,omitempty"`
	ExpectedReadyAt  int64           `json:"expected_ready_at,omitempty"`
	ReadyAt          int64           `json:"ready_at,omitempty"`
	Courier          string          `json:"courier,omitempty"` // the holder's member key
	CourierName      string          `json:"courier_name,omitempty"`
	CourierConfirmed bool            `json:"courier_confirmed"`
	PickupTask       taskView        `json:"pickup_task"`
	DropoffTask      taskView        `json:"dropoff_task"`
	Proof            *proofView      `json:"proof,omitempty"`
	PINProtected     bool            `json:"pin_protected"`
	// PersonalDataShared: the restaurant re-sealed the customer's details
	// for this device (the confirmed courier's phone): PersonalData answers.
	PersonalDataShared bool        `json:"personal_data_shared"`
	Rating             *ratingView `json:"rating,omitempty"`
	MyRole             string      `json:"my_role"` // customer, courier (holder), claimant, restaurant or none
	MyClaim            *claimView  `json:"my_claim,omitempty"`
}

// ratingView is the customer's rating of a finished order (SPEC.md §16.8).
type ratingView struct {
	RestaurantStars uint8  `json:"restaurant_stars,omitempty"` // 1..5, 0: not rated
	CourierStars    uint8  `json:"courier_stars,omitempty"`
	Comment         string `json:"comment,omitempty"`
	At              int64  `json:"at"`
}

type taskView struct {
	Status     string `json:"status"` // none, todo, doing, done, failed, cancelled
	StartedAt  int64  `json:"started_at,omitempty"`
	DoneAt     int64  `json:"done_at,omitempty"`
	FailReason string `json:"fail_reason,omitempty"`
}

type proofView struct {
	Recipient       string `json:"recipient,omitempty"`
	Note            string `json:"note,omitempty"`
	PhotoSHA256     string `json:"photo_sha256,omitempty"`
	SignatureSHA256 string `json:"signature_sha256,omitempty"`
}

type claimView struct {
	Claim   string `json:"claim"`
	Outcome string `json:"outcome"` // provisional, won, lost, released
	Winner  string `json:"winner,omitempty"`
}

// viewCtx is what a view needs besides the order: who "me" is, names and
// the coop's compiled rules. It is read-only once built (shared by the
// watcher and API calls).
type viewCtx struct {
	self    crdt.PubKey // device key: the customer key of orders placed here
	member  crdt.PubKey // member key (couriers), zero if none
	names   map[crdt.PubKey]string
	bikeKmh float64
	tz      string                   // the coop's time zone ("" = UTC)
	rules   map[uint64]*market.Rules // every rules version the coop published
}

// distanceM is the integer, deterministic distance of SPEC.md §16.4.1.
func distanceM(a, b crdt.Position) int { return int(market.DistanceM(a, b)) }

// orderDistance is the order's recorded billing distance, else the
// straight line from the pickup to the public drop-off area.
func orderDistance(s *crdt.OrderState) int {
	if s.Place.DistanceM > 0 {
		return int(s.Place.DistanceM)
	}
	if s.Place.DropoffArea.IsZero() {
		return 0
	}
	return distanceM(s.Place.Pickup, s.Place.DropoffArea)
}

func (vc viewCtx) isMe(k crdt.PubKey) bool {
	return !k.IsZero() && (k == vc.self || k == vc.member)
}

func hexOrEmpty(k crdt.PubKey) string {
	if k.IsZero() {
		return ""
	}
	return k.String()
}

func (vc viewCtx) order(s *crdt.OrderState) orderView {
	v := orderView{
		ID: s.ID.String(), Status: s.Status.String(), Reason: s.Reason,
		Restaurant: s.Restaurant.String(), RestaurantName: vc.names[s.Restaurant],
		Customer: s.Customer.String(), Fulfilment: fulfilmentName(s.Place.Fulfilment),
		Items: s.Place.Items, Totals: s.Place.Totals,
		Pickup: s.Place.Pickup, DropoffArea: s.Place.DropoffArea,
		DistanceM: orderDistance(s), RulesVersion: s.Place.RulesVersion,
		Note: s.Place.Note, PlacedAt: s.PlacedAt, AcceptedAt: s.AcceptedAt,
		ExpectedReadyAt: s.ExpectedReadyAt(), ReadyAt: s.ReadyAt,
		Courier: hexOrEmpty(s.Holder), CourierName: vc.names[s.Holder], CourierConfirmed: s.HolderConfirmed,
		PickupTask: taskOf(s.Pickup), DropoffTask: taskOf(s.Dropoff),
		PINProtected: len(s.Place.PINHash) > 0,
	}
	if v.Items == nil {
		v.Items = []crdt.LineItem{}
	}
	for _, sh := range s.Shares {
		if sh.Recipient == vc.self {
			v.PersonalDataShared = true
		}
	}
	if r := s.Rating; r != nil {
		v.Rating = &ratingView{RestaurantStars: r.RestaurantStars, CourierStars: r.CourierStars, Comment: r.Comment, At: r.At}
	}
	if s.Proof != nil {
		v.Proof = &proofView{
			Recipient: s.Proof.Recipient, Note: s.Proof.Note,
			PhotoSHA256: hex.EncodeToString(s.Proof.PhotoHash), SignatureSHA256: hex.EncodeToString(s.Proof.SignatureHash),
		}
	}
	for i := range s.Claims {
		c := s.Claims[i]
		if vc.isMe(c.Courier) {
			v.MyClaim = &claimView{Claim: c.Event.String(), Outcome: c.Outcome, Winner: hexOrEmpty(c.Winner)}
		}
	}
	switch {
	case s.Customer == vc.self:
		v.MyRole = "customer"
	case vc.isMe(s.Holder):
		v.MyRole = "courier"
	case v.MyClaim != nil:
		v.MyRole = "claimant"
	case vc.isMe(s.Restaurant):
		v.MyRole = "restaurant"
	default:
		v.MyRole = "none"
	}
	return v
}

// involved reports whether this device is a party to the order: its
// customer, its holder, a claimant or its restaurant.
func (vc viewCtx) involved(s *crdt.OrderState) bool {
	if s.Customer == vc.self || vc.isMe(s.Holder) || vc.isMe(s.Restaurant) {
		return true
	}
	for _, c := range s.Claims {
		if vc.isMe(c.Courier) {
			return true
		}
	}
	return false
}

func taskOf(t crdt.Task) taskView {
	return taskView{Status: strings.ToLower(t.Status.String()), StartedAt: t.StartedAt, DoneAt: t.DoneAt, FailReason: t.FailReason}
}

func fulfilmentName(f crdt.Fulfilment) string {
	switch f {
	case crdt.FulfilDelivery:
		return "delivery"
	case crdt.FulfilCollection:
		return "collection"
	}
	return "unknown"
}

// fulfilmentNames lists the methods of a profile's fulfilment bit set.
func fulfilmentNames(bits crdt.Fulfilment) []string {
	out := []string{}
	if bits&crdt.FulfilDelivery != 0 {
		out = append(out, "delivery")
	}
	if bits&crdt.FulfilCollection != 0 {
		out = append(out, "collection")
	}
	return out
}

// trackingView is what a customer follows (FollowOrder, OnOrderUpdate).
type trackingView struct {
	Type  string    `json:"type"` // "order_update"
	Order orderView `json:"order"`
	ETA   etaView   `json:"eta"`
	// CourierPosition is the courier's last position shared with this
	// device (SPEC.md §16.11: sealed to the order's customer and
	// restaurant), null before the courier shared one and once the order
	// is finished. CourierPositionAt is when the courier sent it (ms).
	CourierPosition   *position `json:"courier_position"`
	CourierPositionAt int64     `json:"courier_position_at,omitempty"`
	// Approaching: picked up and within 300 m of the drop-off area.
	Approaching bool `json:"approaching"`
}

// etaView estimates when the order is ready and delivered.
type etaView struct {
	// ReadyAt is when the kitchen marked it ready, or before that its own
	// estimate (accept time + preparation + delays, SPEC.md §5.4.3): real
	// data either way.
	ReadyAt int64 `json:"ready_at,omitempty"`
	// DeliveryAt: with a shared courier position, the node's ETA from it
	// (SPEC.md §16.11, basis "courier position"); without one, the later of
	// ready time and now (or the pickup time once picked up) plus the
	// straight-line ride from the restaurant to the drop-off area at
	// bike_speed_kmh. An estimate either way (provisional) until the order
	// is finished.
	DeliveryAt  int64  `json:"delivery_at,omitempty"`
	Provisional bool   `json:"provisional"`
	Basis       string `json:"basis"`
}

// courierTrack is a courier's shared position as this device knows it.
type courierTrack struct {
	pos         position
	at, eta     int64
	approaching bool
}

func (vc viewCtx) tracking(s *crdt.OrderState, tr *courierTrack, nowMs int64) trackingView {
	v := trackingView{Type: "order_update", Order: vc.order(s), ETA: vc.eta(s, nowMs)}
	if tr == nil || s.Status.Terminal() {
		return v
	}
	p := tr.pos
	v.CourierPosition, v.CourierPositionAt, v.Approaching = &p, tr.at, tr.approaching
	if tr.eta > 0 {
		v.ETA.DeliveryAt, v.ETA.Basis = tr.eta, "courier position"
	}
	return v
}

func (vc viewCtx) eta(s *crdt.OrderState, nowMs int64) etaView {
	e := etaView{ReadyAt: s.ExpectedReadyAt(), Provisional: true}
	if s.ReadyAt > 0 {
		e.ReadyAt = s.ReadyAt // the kitchen said it is ready
	}
	if s.Status.Terminal() {
		e.Basis = "finished"
		if s.Dropoff.DoneAt > 0 {
			e.DeliveryAt = s.Dropoff.DoneAt
		}
		e.Provisional = false
		return e
	}
	if s.Place.Fulfilment != crdt.FulfilDelivery {
		e.Basis = "collection: ready time only"
		return e
	}
	speed := vc.bikeKmh * 1000 / 3_600_000 // metres per ms
	ride := int64(float64(orderDistance(s)) / speed)
	switch {
	case s.Pickup.DoneAt > 0:
		e.DeliveryAt = s.Pickup.DoneAt + ride
		e.Basis = "picked up + straight-line ride"
	case e.ReadyAt > 0:
		e.DeliveryAt = max(e.ReadyAt, nowMs) + ride
		e.Basis = "kitchen ready time + straight-line ride"
	default:
		e.Basis = "waiting for the restaurant"
	}
	return e
}

// jobView is a delivery a courier could take (Jobs, OnJobNearby).
type jobView struct {
	Type      string    `json:"type"`      // "job"
	Available bool      `json:"available"` // false: a job announced before was taken or withdrawn
	Order     orderView `json:"order"`
	DistanceM int       `json:"distance_m"` // courier to pickup; -1 when the courier's position is unknown
	// PayCents is what the courier earns once it delivers: the coop's pay
	// rule of the rules version the order was priced with (PayBasis
	// "rules"), else the order's delivery fee + tip ("order_totals", see
	// Earnings).
	PayCents int64  `json:"pay_cents"`
	PayBasis string `json:"pay_basis"`
}

func (vc viewCtx) job(s *crdt.OrderState, from *position, available bool) jobView {
	d := -1
	if from != nil {
		d = distanceM(*from, s.Place.Pickup)
	}
	pay, basis := vc.pay(s, true)
	return jobView{Type: "job", Available: available, Order: vc.order(s), DistanceM: d, PayCents: pay.TotalCents, PayBasis: basis}
}

// Earnings bases.
const (
	basisRules       = "rules"        // the coop's pay rule (SPEC.md §16.3.7)
	basisOrderTotals = "order_totals" // fallback: delivery fee + tip as the order states them
)

// pay is a courier's pay for an order under the pay rule of the rules
// version it was priced with, or the fallback (delivery fee, plus the tip
// when withTip) for an order priced without rules.
func (vc viewCtx) pay(s *crdt.OrderState, withTip bool) (market.Pay, string) {
	tip := int64(0)
	if withTip {
		tip = s.Place.Totals.TipCents
	}
	if r := vc.rules[s.Place.RulesVersion]; r != nil && s.Place.RulesVersion != 0 {
		if p, err := r.CourierPay(s.Place.DistanceM, max(len(s.Place.Dropoffs), 1), s.Place.Totals.DeliveryCents, tip); err == nil {
			return p, basisRules
		}
	}
	return fallbackPay(s, tip), basisOrderTotals
}

func fallbackPay(s *crdt.OrderState, tip int64) market.Pay {
	d := s.Place.Totals.DeliveryCents
	return market.Pay{FeeCents: d, TipCents: tip, TotalCents: d + tip}
}

// claimResult is how a claim ended (Claim, AwaitClaim, OnClaimResult).
type claimResult struct {
	Type      string `json:"type"` // "claim_result"
	Order     string `json:"order"`
	Claim     string `json:"claim"`
	Outcome   string `json:"outcome"` // provisional, won, lost, released
	Won       bool   `json:"won"`
	Confirmed bool   `json:"confirmed"`
	Final     bool   `json:"final"` // no later event can change the outcome without a new claim
	Winner    string `json:"winner,omitempty"`
}

// claimOutcome evaluates a claim as node.AwaitClaim does; found is false
// when the order holds no such claim (yet).
func claimOutcome(s *crdt.OrderState, claim crdt.ID) (res claimResult, found bool) {
	for _, c := range s.Claims {
		if c.Event != claim {
			continue
		}
		res = claimResult{Type: "claim_result", Order: s.ID.String(), Claim: claim.String(), Outcome: c.Outcome,
			Won: c.Outcome == crdt.ClaimWon || c.Outcome == crdt.ClaimProvisional, Confirmed: s.HolderConfirmed,
			Winner: hexOrEmpty(s.Holder)}
		if c.Outcome == crdt.ClaimLost {
			res.Winner = hexOrEmpty(c.Winner)
		}
		res.Final = c.Outcome == crdt.ClaimWon || c.Outcome == crdt.ClaimReleased ||
			(c.Outcome == crdt.ClaimLost && s.HolderConfirmed) || s.Status.Terminal()
		return res, true
	}
	return claimResult{}, false
}

// connView is the connection state (Status, OnConnectionState).
type connView struct {
	Type       string `json:"type"`  // "connection_state"
	State      string `json:"state"` // online, connecting or offline
	Peers      int    `json:"peers"`
	Network    string `json:"network"`
	Metered    bool   `json:"metered"`
	AppState   string `json:"app_state"`
	LowPower   bool   `json:"low_power"`
	Saving     bool   `json:"saving"` // background or low power: no gossip, few connections, sync on a timer
	Unsent     int    `json:"unsent"` // actions taken while offline, not yet handed to a peer
	LastSyncMs int64  `json:"last_sync_ms"`
}
