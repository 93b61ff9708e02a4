package crdt

import "sort"

// Read-side of the replica. Every accessor returns copies, so callers on
// other goroutines never share memory with the owner.

// Clone returns a deep copy of the order state.
func (s *OrderState) Clone() *OrderState {
	if s == nil {
		return nil
	}
	n := *s
	n.Place.Items = append([]LineItem(nil), s.Place.Items...)
	n.Claims = append([]Claim(nil), s.Claims...)
	n.Steps = append([]Step(nil), s.Steps...)
	n.Rejected = append([]Rejection(nil), s.Rejected...)
	n.Shares = append([]Share(nil), s.Shares...)
	n.Feedback = append([]Feedback(nil), s.Feedback...)
	n.Incidents = append([]Incident(nil), s.Incidents...)
	if s.Proof != nil {
		p := *s.Proof
		n.Proof = &p
	}
	n.Place.Dropoffs = append([]Dropoff(nil), s.Place.Dropoffs...)
	if s.Stops != nil {
		n.Stops = append([]Stop(nil), s.Stops...)
		for i := range n.Stops {
			if p := n.Stops[i].Proof; p != nil {
				cp := *p
				n.Stops[i].Proof = &cp
			}
		}
	}
	if s.Rating != nil {
		r := *s.Rating
		n.Rating = &r
	}
	return &n
}

// Order returns a copy of an order's state.
func (r *Replica) Order(id ID) (*OrderState, bool) {
	ol, ok := r.orders[id]
	if !ok {
		return nil, false
	}
	return ol.state.Clone(), true
}

// OrderHash returns an order's state hash without copying it.
func (r *Replica) OrderHash(id ID) ([32]byte, bool) {
	ol, ok := r.orders[id]
	if !ok {
		return [32]byte{}, false
	}
	return ol.state.Hash(), true
}

// Orders returns copies of the orders of a coop for which keep returns true
// (nil keeps all), oldest first.
func (r *Replica) Orders(coop ID, keep func(*OrderState) bool) []*OrderState {
	var out []*OrderState
	for _, id := range r.coopOrders[coop] {
		s := r.orders[id].state
		if keep == nil || keep(s) {
			out = append(out, s.Clone())
		}
	}
	sortOrders(out)
	return out
}

// SortOrders sorts orders oldest first, then by ID, as Orders returns them.
func SortOrders(out []*OrderState) { sortOrders(out) }

// sortOrders sorts orders oldest first, then by ID.
func sortOrders(out []*OrderState) {
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].PlacedAt != out[j].PlacedAt {
			return out[i].PlacedAt < out[j].PlacedAt
		}
		return out[i].ID.Compare(out[j].ID) < 0
	})
}

// OrderIDs returns every order ID held for a coop.
func (r *Replica) OrderIDs(coop ID) []ID {
	return append([]ID(nil), r.coopOrders[coop]...)
}

// Coop returns a copy of a coop's state.
func (r *Replica) Coop(id ID) (*CoopState, bool) {
	cl, ok := r.coops[id]
	if !ok {
		return nil, false
	}
	return cl.state.Clone(), true
}

// CoopView returns the coop's live state for read-only use by the owning
// goroutine (validators). Callers MUST NOT modify it.
func (r *Replica) CoopView(id ID) *CoopState {
	if cl, ok := r.coops[id]; ok {
		return cl.state
	}
	return nil
}

// Coops returns the IDs of the coops held.
func (r *Replica) Coops() []ID {
	out := make([]ID, 0, len(r.coops))
	for id := range r.coops {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Compare(out[j]) < 0 })
	return out
}

// Doc returns the current version of a replaceable document.
func (r *Replica) Doc(k DocKey) (*Event, bool) {
	e, ok := r.docs[k]
	return e, ok
}

// Docs returns the current documents of one kind in a coop, by owner.
func (r *Replica) Docs(coop ID, kind Kind) []*Event {
	var out []*Event
	for k, e := range r.docs {
		if k.Coop == coop && k.Kind == kind {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Scope.Compare(out[j].Scope) < 0 })
	return out
}

// ScopeEvents returns the stored events of an order or coop log in fold
// order, or the current documents of a catalogue owner.
func (r *Replica) ScopeEvents(class ScopeClass, coop, id ID) []*Event {
	switch class {
	case ScopeCoop:
		if cl, ok := r.coops[id]; ok {
			return append([]*Event(nil), cl.events...)
		}
	case ScopeOrder:
		if ol, ok := r.orders[id]; ok {
			return append([]*Event(nil), ol.events...)
		}
	case ScopeCatalog:
		var out []*Event
		for _, k := range []Kind{KindCatalogProfile, KindCatalogMenu} {
			if e, ok := r.docs[DocKey{Coop: coop, Owner: PubKey(id), Kind: k}]; ok {
				out = append(out, e)
			}
		}
		return out
	}
	return nil
}

// Heads returns the events of a causal scope that no other stored event
// names as a parent: the parents of the next event an author writes there.
// For a catalogue owner it returns the current document of that kind.
func (r *Replica) Heads(class ScopeClass, id ID) []ID {
	var evs []*Event
	switch class {
	case ScopeCoop:
		if cl, ok := r.coops[id]; ok {
			evs = cl.events
		}
	case ScopeOrder:
		if ol, ok := r.orders[id]; ok {
			evs = ol.events
		}
	}
	named := map[ID]bool{}
	for _, e := range evs {
		for _, p := range e.Parents {
			named[p] = true
		}
	}
	var out []ID
	for _, e := range evs {
		if !named[e.ID] {
			out = append(out, e.ID)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Compare(out[j]) < 0 })
	return out
}

// NextLamport returns 1 + the largest Lamport clock among ids.
func (r *Replica) NextLamport(ids []ID) uint64 {
	var max uint64
	for _, id := range ids {
		if e, ok := r.stored[id]; ok && e.Lamport > max {
			max = e.Lamport
		}
	}
	return max + 1
}

// StoredIDs calls f for every stored event (in no particular order).
func (r *Replica) StoredIDs(f func(*Event)) {
	for _, e := range r.stored {
		f(e)
	}
}

// OrderView returns an order's live state for read-only use by the owning
// goroutine. Callers MUST NOT modify it or keep it past the next Apply.
func (r *Replica) OrderView(id ID) (*OrderState, bool) {
	ol, ok := r.orders[id]
	if !ok {
		return nil, false
	}
	return ol.state, true
}
