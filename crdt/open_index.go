package crdt

import "sort"

// The open-orders index (issue 14, item 3): the orders of each coop that
// are not finished, kept as orders fold, so that a dashboard's open orders,
// a restaurant's duties on start and sync's list of open orders cost what
// they return instead of a scan of every order ever held. An order enters
// the index when it is placed and leaves it when its status stops being
// Open; a refold (an event arriving out of order, a membership change)
// updates it the same way (indexOrder is called wherever an order's state
// is assigned or advanced).

// indexOrder files order oid of coop by its current status.
func (r *Replica) indexOrder(coop, oid ID) {
	ol, ok := r.orders[oid]
	if !ok {
		return
	}
	set := r.openOrders[coop]
	if ol.state.Status.Open() {
		if set == nil {
			set = map[ID]struct{}{}
			r.openOrders[coop] = set
		}
		set[oid] = struct{}{}
		return
	}
	delete(set, oid)
}

// OpenOrderIDs returns the IDs of a coop's open orders, in ID order.
func (r *Replica) OpenOrderIDs(coop ID) []ID {
	set := r.openOrders[coop]
	out := make([]ID, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Compare(out[j]) < 0 })
	return out
}

// OpenOrders returns copies of a coop's open orders for which keep returns
// true (nil keeps all), oldest first, as Orders does, from the index.
func (r *Replica) OpenOrders(coop ID, keep func(*OrderState) bool) []*OrderState {
	var out []*OrderState
	for id := range r.openOrders[coop] {
		s := r.orders[id].state
		if keep == nil || keep(s) {
			out = append(out, s.Clone())
		}
	}
	sortOrders(out)
	return out
}
