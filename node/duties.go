package node

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/protocol/seal"
)

// A restaurant node's standing duties (SPEC.md §7.2, §15.4, §16.6.4):
// accepting or refusing a placed order by itself when its profile asks for
// auto-accept, confirming the courier who holds one of its orders, and
// re-sealing the customer's personal data to that courier's device.
//
// Why decisions on state: a duty is owed whenever the fold shows it is
// owed, however the node got there — an event just received, a catch-up
// sync, or a restart after a crash between persisting a claim and
// answering it. So each duty is a pure decision on an order's state that
// returns a draft (or nothing), with no memory of what was done: once the
// draft is applied the state shows it, and the decision returns nothing.
// fulfil carries the drafts out. It runs after every ingested batch for
// the orders that changed, and for all of the node's open orders on start
// and after every catch-up sync.

// draft is an event this node means to author: what an API call or a duty
// asks for, before it is sealed (seal).
type draft struct {
	kind  crdt.Kind
	scope crdt.ID
	body  crdt.Payload
	// wall is the event's wall clock in ms (0: now). An order priced at a
	// quote's time is signed with that time, because time-of-day pricing
	// reads the wall (SPEC.md §5.4).
	wall int64
	duty string // the duty that asks for it, for the log ("" for an API call)
	// signer signs it instead of the node's key: the member key, for the
	// link of this node's own key to it (member_link.go)
	signer ed25519.PrivateKey
}

// maxDutyRounds bounds fulfil: a duty whose draft, once applied, still
// does not satisfy it is a bug, and must not spin the loop.
const maxDutyRounds = 8

// fulfil authors the drafts that the duties of the given orders call for,
// then the drafts that those events' changes call for, until none is
// left. A draft the fold refuses is logged and dropped; the decision is
// made again on the order's next change. It runs on the loop.
func (n *Node) fulfil(orders []crdt.ID) {
	n.kickPayments(orders)
	n.noteParties(orders)
	for round := 0; len(orders) > 0; round++ {
		if round == maxDutyRounds {
			n.log.Error("duties did not settle", "orders", len(orders))
			return
		}
		var next []crdt.ID
		for _, d := range n.duties(orders) {
			if err := n.completeDraft(&d); err != nil {
				n.log.Warn(d.duty, "order", d.scope.Short(), "err", err)
				continue
			}
			in, err := n.seal(d)
			if err == nil {
				var results []ingested
				var changed []crdt.ID
				results, changed = n.step([]incoming{in})
				err = notStored(d.kind, results[0])
				next = append(next, changed...)
			}
			if err != nil {
				n.log.Warn(d.duty, "order", d.scope.Short(), "err", err)
			}
		}
		orders = next
	}
}

// duties decides what this node owes the given orders: at most one draft
// per order, the first of auto-accept, re-seal and confirm that applies
// (the next is decided on the state the first leaves). It changes nothing.
func (n *Node) duties(orders []crdt.ID) []draft {
	me, ok := n.replica.CoopView(n.cfg.coop).MemberKey(n.self, n.nowMs())
	if !ok {
		return nil
	}
	var out []draft
	seen := map[crdt.ID]bool{}
	for _, id := range orders {
		if seen[id] {
			continue
		}
		seen[id] = true
		s, ok := n.replica.OrderView(id) // read only
		if !ok || s.Restaurant != me {
			continue
		}
		for _, duty := range []func(*crdt.OrderState) (draft, bool){n.acceptDuty, n.shareDuty, n.confirmDuty} {
			if d, ok := duty(s); ok {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

// ownOrders lists this node's member's open orders as a restaurant, for a
// full round of its duties. It runs on the loop.
func (n *Node) ownOrders() []crdt.ID {
	me, ok := n.replica.CoopView(n.cfg.coop).MemberKey(n.self, n.nowMs())
	if !ok {
		return nil
	}
	var ids []crdt.ID
	for _, id := range n.replica.OpenOrderIDs(n.cfg.coop) {
		if s, ok := n.replica.OrderView(id); ok && s.Restaurant == me && s.Status.Open() {
			ids = append(ids, id)
		}
	}
	return ids
}

// acceptDuty: a placed food order, when the restaurant's profile has
// AutoAccept, is accepted or refused as market.AutoAcceptOrder decides.
func (n *Node) acceptDuty(s *crdt.OrderState) (draft, bool) {
	if s.Status != crdt.StatusPlaced || s.Place.Parcel {
		return draft{}, false
	}
	mc, err := n.catalogContext(s.Restaurant)
	if err != nil || mc.Profile == nil || !mc.Profile.AutoAccept {
		return draft{}, false
	}
	var exact *crdt.Position
	if pd, err := n.openPlace(s); err == nil && !pd.Dropoff.IsZero() {
		exact = &pd.Dropoff
	}
	switch dec := market.AutoAcceptOrder(s, mc, exact); dec.Action {
	case market.AutoAccept:
		return draft{kind: crdt.KindOrderAccept, scope: s.ID, body: &crdt.OrderAccept{PrepMinutes: dec.PrepMinutes}, duty: "auto-accept"}, true
	case market.AutoRefuse:
		return draft{kind: crdt.KindOrderRefuse, scope: s.ID, body: &crdt.OrderRefuse{Reason: dec.Reason}, duty: "auto-refuse"}, true
	default:
		if dec.Reason != "" {
			n.log.Info("auto-accept left an order to the staff", "order", s.ID.Short(), "why", dec.Reason)
		}
		return draft{}, false
	}
}

// confirmDuty: when auto-confirm is on and the fold shows a holder that is
// not confirmed, a courier.assign names that holder and its provisional
// claim (SPEC.md §7.2) — at most once per (order, holder): not when an
// assign in the order's log already names that claim.
func (n *Node) confirmDuty(s *crdt.OrderState) (draft, bool) {
	if !n.cfg.autoConfirm || !s.HasHolder() || s.HolderConfirmed {
		return draft{}, false
	}
	var claim crdt.ID
	for _, c := range s.Claims {
		if c.Courier == s.Holder && c.Outcome == crdt.ClaimProvisional {
			claim = c.Event
		}
	}
	for _, st := range s.Steps {
		if st.Kind != crdt.KindCourierAssign {
			continue
		}
		if e, ok := n.replica.Event(st.Event); ok {
			if a, ok := e.Body.(*crdt.CourierAssign); ok && a.Courier == s.Holder && a.Claim == claim {
				return draft{}, false
			}
		}
	}
	return draft{kind: crdt.KindCourierAssign, scope: s.ID, body: &crdt.CourierAssign{Courier: s.Holder, Claim: claim}, duty: "auto-confirm"}, true
}

// shareDuty: once a courier holds the order confirmed and the food is not
// yet delivered, the customer's personal data is re-sealed for the
// holder's device, once per device (SPEC.md §15.4). The device is the one
// that signed the winning claim, else the holder's member key. The draft
// names the recipient; its box is sealed by completeDraft, because sealing
// draws randomness.
func (n *Node) shareDuty(s *crdt.OrderState) (draft, bool) {
	if !s.HasHolder() || !s.HolderConfirmed || len(s.Place.Sealed) == 0 {
		return draft{}, false
	}
	switch s.Status {
	case crdt.StatusAccepted, crdt.StatusPreparing, crdt.StatusReady, crdt.StatusPickedUp:
	default:
		return draft{}, false
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
			return draft{}, false
		}
	}
	return draft{kind: crdt.KindOrderShare, scope: s.ID, body: &crdt.OrderShare{Recipient: device}, duty: "share personal data with the courier"}, true
}

// completeDraft fills in what a decision leaves out: the sealed box of a
// share.
func (n *Node) completeDraft(d *draft) error {
	sh, ok := d.body.(*crdt.OrderShare)
	if !ok || sh.Sealed != nil {
		return nil
	}
	s, ok := n.replica.OrderView(d.scope)
	if !ok {
		return fmt.Errorf("%w: order %s", ErrUnknown, d.scope.Short())
	}
	plain, err := seal.Open(n.key, s.Place.Sealed, sealContext(s.Customer, s.Restaurant))
	if err != nil {
		return fmt.Errorf("cannot open the order's personal data: %w", err)
	}
	box, err := seal.Seal(rand.Reader, sh.Recipient, plain, shareContext(s.ID, sh.Recipient))
	if err != nil {
		return err
	}
	d.body = &crdt.OrderShare{Recipient: sh.Recipient, Sealed: box}
	return nil
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
