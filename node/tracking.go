package node

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/protocol"
	"github.com/coopnode/coopnode/protocol/seal"
)

// Live tracking (SPEC.md §16.11): a courier shares its position with the
// parties of the orders it carries (the customer and the restaurant) and no
// one else. Positions are ephemeral messages on the coop's tracking topic,
// sealed to each party, rate-limited, and never stored in any log.

// BikeSpeedMS is the speed used for ETAs: 15 km/h in metres per second,
// a city cargo-bike average.
const BikeSpeedMS = 4.2

// Tracking is what a party sees of an order's courier.
type Tracking struct {
	Order    crdt.ID       `json:"order"`
	Courier  crdt.PubKey   `json:"courier"`
	Position crdt.Position `json:"position"`
	At       int64         `json:"at"`  // when the courier sent it, ms
	ETA      int64         `json:"eta"` // expected arrival at the dropoff, ms; 0 unknown
	// Approaching is set within 300 m of the dropoff area (CoopCycle's
	// "courier approaching" geofence).
	Approaching bool `json:"approaching,omitempty"`
}

func trackContext(order crdt.ID, courier crdt.PubKey) []byte {
	return append(append([]byte("coopnode/track/v1\x00"), order[:]...), courier[:]...)
}

type trackPos struct {
	Position crdt.Position `json:"p"`
}

// UpdatePosition shares the courier's position with the parties of every
// order it holds and has not delivered. Updates closer than
// protocol.TrackEvery per order are dropped. It returns how many orders were
// told.
func (n *Node) UpdatePosition(ctx context.Context, pos crdt.Position) (int, error) {
	if !pos.Valid() || pos.IsZero() {
		return 0, fmt.Errorf("%w: position off the globe", ErrBadArgument)
	}
	sent := 0
	err := n.do(ctx, func() error {
		me := n.memberKeyOrSelf()
		now := n.nowMs()
		body, _ := json.Marshal(trackPos{Position: pos})
		for _, s := range n.replica.Orders(n.cfg.coop, func(s *crdt.OrderState) bool {
			return s.Holder == me && (s.Status == crdt.StatusAccepted || s.Status == crdt.StatusPreparing ||
				s.Status == crdt.StatusReady || s.Status == crdt.StatusPickedUp)
		}) {
			if now-n.trackSent[s.ID] < protocol.TrackEvery {
				continue
			}
			ctxb := trackContext(s.ID, n.self)
			var boxes [][]byte
			for _, party := range []crdt.PubKey{s.Customer, s.Restaurant} {
				b, err := seal.Seal(rand.Reader, party, body, ctxb)
				if err != nil {
					return fmt.Errorf("%w: %w", ErrBadArgument, err)
				}
				boxes = append(boxes, b)
			}
			n.trackSeq++
			raw, err := protocol.SealTrack(n.key, protocol.Track{Order: s.ID, Seq: n.trackSeq, Wall: now, Boxes: boxes})
			if err != nil {
				return err
			}
			n.trackSent[s.ID] = now
			n.tracks[s.ID] = n.tracking(s, n.self, pos, now)
			select {
			case n.outbox <- outMsg{topic: protocol.TopicTracking(n.cfg.coop), raw: raw, ephemeral: true}:
				sent++
			default:
			}
		}
		return nil
	})
	return sent, err
}

// Tracking returns the latest position of an order's courier and the ETA,
// for the order's parties (and the courier itself).
func (n *Node) Tracking(ctx context.Context, order crdt.ID) (Tracking, error) {
	var t Tracking
	err := n.do(ctx, func() error {
		var ok bool
		if t, ok = n.tracks[order]; !ok {
			return fmt.Errorf("%w: no position for order %s", ErrUnknown, order.Short())
		}
		if s, ok := n.replica.OrderView(order); ok { // refresh the ETA for now
			t = n.tracking(s, t.Courier, t.Position, t.At)
		}
		return nil
	})
	return t, err
}

// tracking computes the ETA of a courier at pos for order s (SPEC.md
// §16.11): before pickup, the ride to the restaurant or the ready time,
// whichever is later, then the ride to the dropoff area; after pickup, the
// ride to the dropoff area.
func (n *Node) tracking(s *crdt.OrderState, courier crdt.PubKey, pos crdt.Position, at int64) Tracking {
	t := Tracking{Order: s.ID, Courier: courier, Position: pos, At: at}
	ride := func(a, b crdt.Position) int64 { return int64(float64(market.DistanceM(a, b)) / BikeSpeedMS * 1000) }
	now := n.nowMs()
	switch s.Status {
	case crdt.StatusPickedUp:
		t.ETA = now + ride(pos, s.Place.DropoffArea)
	case crdt.StatusAccepted, crdt.StatusPreparing, crdt.StatusReady:
		pick := max(now+ride(pos, s.Place.Pickup), s.ExpectedReadyAt())
		t.ETA = pick + ride(s.Place.Pickup, s.Place.DropoffArea)
	}
	t.Approaching = s.Status == crdt.StatusPickedUp && market.DistanceM(pos, s.Place.DropoffArea) <= 300
	return t
}

// validateTrack is the tracking topic's gossip validator: a well-signed,
// fresh update from the device of the order's holder, at most one per
// protocol.TrackEvery.
func (n *Node) validateTrack(ctx context.Context, from peer.ID, data []byte) pubsub.ValidationResult {
	if from == n.host.ID() {
		return pubsub.ValidationAccept
	}
	t, err := protocol.OpenTrack(data)
	if err != nil {
		return pubsub.ValidationReject
	}
	now := n.nowMs()
	if t.Wall > now+protocol.MaxClockSkew {
		return pubsub.ValidationReject
	}
	if now-t.Wall > protocol.TrackMaxAge {
		return pubsub.ValidationIgnore
	}
	verdict := pubsub.ValidationIgnore
	_ = n.do(ctx, func() error {
		s, ok := n.replica.OrderView(t.Order)
		if !ok {
			return nil // not ours to judge: we may lag
		}
		k, ok := n.replica.CoopView(n.cfg.coop).MemberKey(t.Courier, t.Wall)
		if !ok || !s.HasHolder() || k != s.Holder {
			if s.HolderConfirmed {
				verdict = pubsub.ValidationReject // not the holder's device
			}
			return nil
		}
		key := t.Order.String() + t.Courier.String()
		if t.Wall-n.trackSeen[key] < protocol.TrackEvery {
			return nil // faster than allowed: dropped
		}
		n.trackSeen[key] = t.Wall
		verdict = pubsub.ValidationAccept
		return nil
	})
	return verdict
}

// receiveTrack opens an accepted Track if this node is a party of the
// order. It runs on the loop; everyone else only forwarded ciphertext.
func (n *Node) receiveTrack(m gossipMsg) {
	t, err := protocol.OpenTrack(m.Data)
	if err != nil {
		return
	}
	s, ok := n.replica.OrderView(t.Order)
	if !ok {
		return
	}
	for _, b := range t.Boxes {
		plain, err := seal.Open(n.key, b, trackContext(t.Order, t.Courier))
		if err != nil {
			continue
		}
		var p trackPos
		if json.Unmarshal(plain, &p) != nil || !p.Position.Valid() {
			return
		}
		n.tracks[t.Order] = n.tracking(s, t.Courier, p.Position, t.Wall)
		n.subMu.Lock()
		for sub := range n.subs {
			select {
			case sub.c <- Change{Scope: "tracking", Coop: n.cfg.coop, ID: t.Order, Kind: "tracking"}:
			default:
				n.stats.DroppedChanges++
			}
		}
		n.subMu.Unlock()
		return
	}
}
