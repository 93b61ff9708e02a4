package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
)

// Ratings both ways, incidents and reputation (issue 16; SPEC.md §21.4).

// RateParty rates another party of a finished order as its restaurant or
// its courier: of is crdt.PartyCourier, PartyRestaurant or PartyCustomer,
// stars 1..5. Customers rate with Rate.
func (n *Node) RateParty(ctx context.Context, order crdt.ID, of, stars uint8, comment string) error {
	if stars == 0 || stars > crdt.MaxStars || of == 0 || of > crdt.PartyCustomer {
		return fmt.Errorf("%w: rate party %d (1 courier, 2 restaurant, 3 customer) with 1..5 stars, not %d", ErrBadArgument, of, stars)
	}
	return n.orderAct(ctx, order, &crdt.OrderFeedback{Of: of, Stars: stars, Comment: comment})
}

// ReportIncident reports an incident on an order: category is one of
// crdt.IncidentCategories; against names the party at fault, 0 if none.
func (n *Node) ReportIncident(ctx context.Context, order crdt.ID, category string, against uint8, text string) error {
	ok := false
	for _, c := range crdt.IncidentCategories {
		ok = ok || c == category
	}
	if !ok || against > crdt.PartyCustomer {
		return fmt.Errorf("%w: incident category %q (want one of %v), against %d (0 none, 1 courier, 2 restaurant, 3 customer)",
			ErrBadArgument, category, crdt.IncidentCategories, against)
	}
	return n.orderAct(ctx, order, &crdt.IncidentReport{Category: category, Against: against, Text: text})
}

// Reputation aggregates member k's record as a courier or a restaurant
// over the orders finished in [from, to) wall ms (SPEC.md §21.4.4).
func (n *Node) Reputation(ctx context.Context, k crdt.PubKey, as uint8, from, to int64) (market.Reputation, error) {
	var out market.Reputation
	err := n.do(ctx, func() error {
		coop := n.replica.CoopView(n.cfg.coop)
		if coop == nil {
			return ErrNoCoop
		}
		var err error
		out, err = market.ReputationOf(coop, n.replica.Orders(n.cfg.coop, nil), k, as, from, to)
		if errors.Is(err, market.ErrBadFilter) {
			return fmt.Errorf("%w: %w", ErrBadArgument, err)
		}
		return err
	})
	return out, err
}
