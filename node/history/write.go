package history

import (
	"context"
	"fmt"

	"github.com/coopnode/coopnode/node"
)

// Holder says which events a store holds: the coop log and the catalogue
// always, and of the orders those its node follows or is a party of
// (SPEC.md §10.1, §10.4).
type Holder func(Event) bool

// Everything is a relay's, an admin's or a courier's holding: every order.
func Everything(Event) bool { return true }

// RestaurantOf holds restaurant r's orders.
func RestaurantOf(r int) Holder {
	return func(e Event) bool { return e.Order == 0 || e.Restaurant == r }
}

// CustomerOf holds customer c's orders.
func CustomerOf(c int) Holder {
	return func(e Event) bool { return e.Order == 0 || e.Customer == c }
}

// writeBatch is how many events go into one store batch.
const writeBatch = 4096

// Write generates the history's first orders orders and writes the events
// each store holds into it, in batches (no network, one signature per
// event for all the stores), each with its verified marker as a node's
// ingest path writes it, unless g.Unmarked. It returns how many events each store got.
func (g *Generator) Write(ctx context.Context, orders int, stores []*node.Store, holds []Holder) ([]int, error) {
	if len(stores) != len(holds) {
		return nil, fmt.Errorf("history: %d stores, %d holders", len(stores), len(holds))
	}
	mark := !g.Unmarked
	counts := make([]int, len(stores))
	pending := make([][]node.StoredEvent, len(stores))
	flush := func(i int) error {
		if len(pending[i]) == 0 {
			return nil
		}
		if err := stores[i].PutEvents(ctx, pending[i]); err != nil {
			return err
		}
		pending[i] = pending[i][:0]
		return nil
	}
	add := func(evs []Event) error {
		for _, e := range evs {
			for i, h := range holds {
				if !h(e) {
					continue
				}
				pending[i] = append(pending[i], node.StoredEvent{ID: e.ID, Raw: e.Raw, Verified: mark})
				counts[i]++
				if len(pending[i]) >= writeBatch {
					if err := flush(i); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	if err := add(g.Base()); err != nil {
		return nil, err
	}
	if err := g.Each(0, orders, add); err != nil {
		return nil, err
	}
	for i := range stores {
		if err := flush(i); err != nil {
			return nil, err
		}
	}
	return counts, nil
}
