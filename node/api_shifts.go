package node

import (
	"context"
	"fmt"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
)

// The shifts API (issue 16; SPEC.md §21.1, §21.2): planners publish
// shifts, couriers sign up, drop and swap; every member sees who is on
// shift; a courier's board says which jobs it sees and why. The rules are
// the fold's: an action it would refuse is refused here with its reason,
// before it is signed (SPEC.md §12.1).

// PlanShift publishes a shift slot and returns its ID.
func (n *Node) PlanShift(ctx context.Context, p crdt.ShiftPlan) (crdt.ID, error) {
	if problem := p.Problem(n.nowMs()); problem != "" {
		return crdt.ID{}, fmt.Errorf("%w: shift: %s", ErrBadArgument, problem)
	}
	return n.act(ctx, crdt.KindShiftPlan, n.Coop(), &p)
}

// SignUp takes a seat on a shift for this node's courier.
func (n *Node) SignUp(ctx context.Context, shift crdt.ID) error {
	_, err := n.act(ctx, crdt.KindShiftSignup, n.Coop(), &crdt.ShiftSignup{Shift: shift})
	return err
}

// DropShift gives this courier's seat up, with the notice the
// constitution requires.
func (n *Node) DropShift(ctx context.Context, shift crdt.ID, reason string) error {
	_, err := n.act(ctx, crdt.KindShiftDrop, n.Coop(), &crdt.ShiftDrop{Shift: shift, Reason: reason})
	return err
}

// OfferSwap offers this courier's seat on shift: to one courier if to is
// not zero, in exchange for the accepter's seat on forShift if not zero.
// It returns the offer's ID.
func (n *Node) OfferSwap(ctx context.Context, shift crdt.ID, to crdt.PubKey, forShift crdt.ID) (crdt.ID, error) {
	return n.act(ctx, crdt.KindShiftOffer, n.Coop(), &crdt.ShiftOffer{Shift: shift, To: to, For: forShift})
}

// AcceptSwap takes a swap offer.
func (n *Node) AcceptSwap(ctx context.Context, offer crdt.ID) error {
	_, err := n.act(ctx, crdt.KindShiftAccept, n.Coop(), &crdt.ShiftAccept{Offer: offer})
	return err
}

// Shifts returns the coop's shifts by start, with their seats, leavers
// and swap offers.
func (n *Node) Shifts(ctx context.Context) ([]crdt.Shift, error) {
	var out []crdt.Shift
	err := n.do(ctx, func() error {
		coop, ok := n.replica.Coop(n.cfg.coop) // a copy
		if !ok {
			return ErrNoCoop
		}
		for _, s := range coop.SortedShifts() {
			out = append(out, *s)
		}
		return nil
	})
	return out, err
}

// Board returns the jobs as this node's courier sees them from pos now,
// by the job board rule, each with the reasons (SPEC.md §21.2).
func (n *Node) Board(ctx context.Context, pos crdt.Position) ([]market.Offer, error) {
	if !pos.Valid() {
		return nil, fmt.Errorf("%w: position %d,%d is off the globe", ErrBadArgument, pos.LatE6, pos.LonE6)
	}
	var out []market.Offer
	err := n.do(ctx, func() error {
		coop := n.replica.CoopView(n.cfg.coop)
		if coop == nil {
			return ErrNoCoop
		}
		now := n.nowMs()
		k, _ := coop.MemberKey(n.self, now)
		out = market.Board(coop, n.replica.Orders(n.cfg.coop, market.IsJob), k, pos, now)
		return nil
	})
	return out, err
}

// offeredYet refuses a claim of a job this node's courier does not see
// yet (SPEC.md §21.2); the claim rule itself is the fold's. Called on the
// loop.
func (n *Node) offeredYet(order crdt.ID, at crdt.Position) error {
	coop := n.replica.CoopView(n.cfg.coop)
	s, ok := n.replica.Order(order)
	if coop == nil || !ok || !market.IsJob(s) {
		return nil // the fold's reasons say what is wrong
	}
	now := n.nowMs()
	k, _ := coop.MemberKey(n.self, now)
	if o := market.OfferFor(coop, s, k, at, now); !o.Visible {
		return fmt.Errorf("%w: you see this job at %d (ms), %d s from now: %s", ErrNotOfferedYet,
			o.VisibleAt, (o.VisibleAt-now+999)/1000, o.Why[0])
	}
	return nil
}
