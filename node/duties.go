package node

import (
	"crypto/rand"
	"encoding/json"
	"errors"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/protocol/seal"
)

// A restaurant node's standing duties besides confirming claims (SPEC.md
// §7.2, §15.4, §17): accepting orders on its own when its profile asks for
// auto-accept, and handing the customer's sealed personal data to the
// courier it confirmed. They run on the loop.

// autoAccept accepts (or refuses, with a SPEC reason) a placed order when
// the restaurant's profile has AutoAccept. Orders whose price does not match
// or whose dropoff is outside the zone are left to the staff.
func (n *Node) autoAccept(s *crdt.OrderState) {
	if s.Status != crdt.StatusPlaced || s.Place.Parcel {
		return
	}
	mc, err := n.marketContext(s.Restaurant)
	if err != nil || mc.Profile == nil || !mc.Profile.AutoAccept {
		return
	}
	var exact *crdt.Position
	if pd, err := n.openPlace(s); err == nil && !pd.Dropoff.IsZero() {
		exact = &pd.Dropoff
	}
	mc.Orders = nil // the order itself is among them; capacity was checked at checkout
	_, verr := market.VerifyOrder(s, mc, exact)
	switch {
	case verr == nil:
		prep := uint32(0)
		if k, err := market.NewKitchen(s.Restaurant, mc.Profile, mc.CoopTimezone); err == nil {
			prep = uint32(k.PrepTime().Minutes())
		}
		if _, err := n.emit(crdt.KindOrderAccept, s.ID, &crdt.OrderAccept{PrepMinutes: prep}); err != nil {
			n.log.Warn("auto-accept", "order", s.ID.Short(), "err", err)
		}
	case errors.Is(verr, market.ErrUnavailableItem):
		n.autoRefuse(s, crdt.ReasonSoldOut)
	case errors.Is(verr, market.ErrTooManyOrders):
		n.autoRefuse(s, crdt.ReasonRushHour)
	case errors.Is(verr, market.ErrRestaurantClosed):
		n.autoRefuse(s, crdt.ReasonClosing)
	default:
		n.log.Info("auto-accept left an order to the staff", "order", s.ID.Short(), "why", market.Code(verr))
	}
}

func (n *Node) autoRefuse(s *crdt.OrderState, reason string) {
	if _, err := n.emit(crdt.KindOrderRefuse, s.ID, &crdt.OrderRefuse{Reason: reason}); err != nil {
		n.log.Warn("auto-refuse", "order", s.ID.Short(), "err", err)
	}
}

// openPlace opens the personal data the customer sealed to this restaurant.
func (n *Node) openPlace(s *crdt.OrderState) (PersonalData, error) {
	var pd PersonalData
	if len(s.Place.Sealed) == 0 {
		return pd, seal.ErrFormat
	}
	plain, err := seal.Open(n.key, s.Place.Sealed, sealContext(s.Customer, s.Restaurant))
	if err != nil {
		return pd, err
	}
	return pd, json.Unmarshal(plain, &pd)
}

// shareWithHolder re-seals the customer's personal data for the confirmed
// holder's device, once per device (SPEC.md §15.4). The device is the one
// that signed the winning claim, else the holder's member key.
func (n *Node) shareWithHolder(s *crdt.OrderState) {
	if !s.HasHolder() || !s.HolderConfirmed || len(s.Place.Sealed) == 0 {
		return
	}
	switch s.Status {
	case crdt.StatusAccepted, crdt.StatusPreparing, crdt.StatusReady, crdt.StatusPickedUp:
	default:
		return
	}
	device := s.Holder
	for _, c := range s.Claims {
		if c.Courier == s.Holder && c.Outcome == crdt.ClaimWon {
			if e, ok := n.replica.Event(c.Event); ok {
				device = e.Author
			}
		}
	}
	for _, sh := range s.Shares {
		if sh.Recipient == device {
			return
		}
	}
	plain, err := seal.Open(n.key, s.Place.Sealed, sealContext(s.Customer, s.Restaurant))
	if err != nil {
		n.log.Warn("cannot open an order's personal data", "order", s.ID.Short(), "err", err)
		return
	}
	box, err := seal.Seal(rand.Reader, device, plain, shareContext(s.ID, device))
	if err != nil {
		return
	}
	if _, err := n.emit(crdt.KindOrderShare, s.ID, &crdt.OrderShare{Recipient: device, Sealed: box}); err != nil {
		n.log.Warn("share personal data with the courier", "order", s.ID.Short(), "err", err)
	}
}
