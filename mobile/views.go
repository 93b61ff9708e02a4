package mobile

import (
	"encoding/hex"
	"strings"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
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
	DistanceM        int             `json:"distance_m"` // pickup to drop-off area, straight line
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
	MyRole           string          `json:"my_role"` // customer, courier (holder), claimant, restaurant or none
	MyClaim          *claimView      `json:"my_claim,omitempty"`
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

// viewCtx is what a view needs besides the order: who "me" is and names.
type viewCtx struct {
	self    crdt.PubKey // device key: the customer key of orders placed here
	member  crdt.PubKey // member key (couriers), zero if none
	names   map[crdt.PubKey]string
	bikeKmh float64
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
		DistanceM: node.DistanceM(s.Place.Pickup, s.Place.DropoffArea),
		Note:      s.Place.Note, PlacedAt: s.PlacedAt, AcceptedAt: s.AcceptedAt,
		ExpectedReadyAt: s.ExpectedReadyAt(), ReadyAt: s.ReadyAt,
		Courier: hexOrEmpty(s.Holder), CourierName: vc.names[s.Holder], CourierConfirmed: s.HolderConfirmed,
		PickupTask: taskOf(s.Pickup), DropoffTask: taskOf(s.Dropoff),
		PINProtected: len(s.Place.PINHash) > 0,
	}
	if v.Items == nil {
		v.Items = []crdt.LineItem{}
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

func fulfilmentName(f uint8) string {
	switch f {
	case crdt.FulfilDelivery:
		return "delivery"
	case crdt.FulfilCollection:
		return "collection"
	}
	return "unknown"
}

// fulfilmentNames lists the methods of a profile's fulfilment bit set.
func fulfilmentNames(bits uint8) []string {
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
	// CourierPosition is always null: live position sharing needs a
	// protocol event that SPEC.md v1 does not have (issue 4/5).
	CourierPosition       *position `json:"courier_position"`
	CourierPositionStatus string    `json:"courier_position_status"` // "not_yet_supported"
}

// etaView estimates when the order is ready and delivered.
type etaView struct {
	// ReadyAt is when the kitchen marked it ready, or before that its own
	// estimate (accept time + preparation + delays, SPEC.md §5.4.3): real
	// data either way.
	ReadyAt int64 `json:"ready_at,omitempty"`
	// DeliveryAt is provisional: the later of ready time and now (or the
	// pickup time once picked up) plus the straight-line distance from the
	// restaurant to the drop-off area at bike_speed_kmh.
	DeliveryAt  int64  `json:"delivery_at,omitempty"`
	Provisional bool   `json:"provisional"`
	Basis       string `json:"basis"`
}

func (vc viewCtx) tracking(s *crdt.OrderState, nowMs int64) trackingView {
	return trackingView{
		Type: "order_update", Order: vc.order(s), ETA: vc.eta(s, nowMs),
		CourierPositionStatus: codeNotYetSupported,
	}
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
	ride := int64(float64(node.DistanceM(s.Place.Pickup, s.Place.DropoffArea)) / speed)
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
	PayCents  int64     `json:"pay_cents"`  // delivery + tip: provisional, see Earnings
}

func (vc viewCtx) job(s *crdt.OrderState, from *position, available bool) jobView {
	d := -1
	if from != nil {
		d = node.DistanceM(*from, s.Place.Pickup)
	}
	return jobView{Type: "job", Available: available, Order: vc.order(s), DistanceM: d,
		PayCents: s.Place.Totals.DeliveryCents + s.Place.Totals.TipCents}
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
