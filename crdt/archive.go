package crdt

import "slices"

// Archival of finished orders (SPEC.md §4.5). Which orders leave the live
// set, and when, is decided here as a pure function of the folded state
// and a time the caller passes in (the node's injected clock): nothing in
// this package reads a clock. The node carries the decision out (moves the
// events to its cold store or deletes them, persists the tombstone) and
// then calls Archive, so the replica holds only the live set: open orders
// and those finished within the horizon.

// Archival periods (SPEC.md §4.5, §9), in milliseconds of wall time.
const (
	// ArchiveHorizonMs: an order finished and idle longer than this is
	// past the horizon. Sync leaves it out (§8.6.2) and a restore can no
	// longer be authored.
	ArchiveHorizonMs int64 = 7 * 24 * 3600 * 1000
	// RetentionMs: parties and relays keep a finished order's events this
	// long after its last activity; an archiving node remembers the
	// archived order's ID (its tombstone) this long after the order passed
	// the horizon (TombstoneTime).
	RetentionMs int64 = 30 * 24 * 3600 * 1000
	// TombstoneMinMs: however old an archived order, its tombstone is
	// kept at least this long after archiving, for peers whose clocks run
	// behind.
	TombstoneMinMs int64 = 24 * 3600 * 1000
)

// TombstoneTime is until when a node archiving at now an order last
// active at last remembers it (SPEC.md §4.5): the retention period after
// the order passed the horizon, and at least TombstoneMinMs after now.
func TombstoneTime(last, now int64) int64 {
	return max(last+ArchiveHorizonMs+RetentionMs, now+TombstoneMinMs)
}

// PastHorizon reports whether an order with state s and last activity last
// is past the archive horizon at now (SPEC.md §4.5): finished, and idle for
// more than ArchiveHorizonMs; or, while its online payment is unsettled
// (MoneyOwed), for more than ArchiveHorizonMs + RetentionMs, so that no
// node archives an order before its restaurant's node refunds it.
func PastHorizon(s *OrderState, last, now int64) bool {
	if s == nil || !s.Status.Terminal() {
		return false
	}
	if s.MoneyOwed() {
		return now-last > ArchiveHorizonMs+RetentionMs
	}
	return now-last > ArchiveHorizonMs
}

// MoneyOwed reports whether a finished order's online payment is
// unsettled (SPEC.md §4.5, §20.3.4): taken (paid or authorised) for an
// order cancelled, refused or invalid, so the customer is owed a refund;
// or still open at the provider (pending or authorised), so the
// restaurant's node owes it a poll, a cancellation or an expiry.
func (s *OrderState) MoneyOwed() bool {
	p := s.Payment
	if p == nil || p.Method != PayOnline {
		return false
	}
	switch p.State {
	case PayPending, PayAuthorised:
		return true
	case PayPaid:
		return s.is(StatusCancelled, StatusRefused, StatusInvalid)
	}
	return false
}

// LastActivity is the largest wall among the order's stored events, the
// ones the fold left out included (SPEC.md §4.5), or 0 for an order not
// held.
func (r *Replica) LastActivity(oid ID) int64 {
	ol, ok := r.orders[oid]
	if !ok {
		return 0
	}
	return lastWall(ol.events)
}

func lastWall(evs []*Event) int64 {
	var last int64
	for _, e := range evs {
		last = max(last, e.Wall)
	}
	return last
}

// Archival is one order the replica may archive: what the node needs to
// carry it out.
type Archival struct {
	Order ID
	Coop  ID
	Last  int64 // last activity, wall ms
	// Keep says the node keeps the events in its cold store for the
	// retention period (SPEC.md §4.5 rule 2) rather than deleting them.
	Keep   bool
	State  *OrderState // a copy of the folded state
	Events []*Event    // the order's stored events, in fold order
}

// ArchiveDue lists the held orders past the horizon at now plus grace, in
// ID order (SPEC.md §4.5): grace lets a peer whose clock runs a little
// behind stop offering the order to sync before this node forgets it.
// keep says, for each, whether the node keeps its events (it is a party,
// or a relay). It changes nothing.
func (r *Replica) ArchiveDue(now, grace int64, keep func(*OrderState) bool) []Archival {
	var out []Archival
	for oid, ol := range r.orders {
		last := lastWall(ol.events)
		if !PastHorizon(ol.state, last, now-grace) {
			continue
		}
		out = append(out, Archival{Order: oid, Coop: ol.state.Coop, Last: last, Keep: keep != nil && keep(ol.state),
			State: ol.state.Clone(), Events: slices.Clone(ol.events)})
	}
	slices.SortFunc(out, func(a, b Archival) int { return a.Order.Compare(b.Order) })
	return out
}

// Archive drops the orders from the live set: their events, their state,
// the open-orders index, and the events pending on them; and records a
// tombstone for each, to remember until the wall time given, so that
// their events are never stored again (SPEC.md §4.5 rule 4). Orders not
// held only get the tombstone. The caller persists before it archives.
func (r *Replica) Archive(orders map[ID]int64) {
	gone := map[ID]bool{}
	for oid, until := range orders {
		r.tombs[oid] = max(r.tombs[oid], until)
		ol, ok := r.orders[oid]
		if !ok {
			continue
		}
		gone[oid] = true
		for _, e := range ol.events {
			r.unstore(e)
		}
		delete(r.orders, oid)
		delete(r.openOrders[ol.state.Coop], oid)
	}
	if len(gone) == 0 {
		return
	}
	for coop, ids := range r.coopOrders {
		r.coopOrders[coop] = slices.DeleteFunc(ids, func(id ID) bool { return gone[id] })
	}
	for id, e := range r.pending {
		if e.Kind.Class() == ScopeOrder && r.tombs[e.ScopeID()] != 0 {
			delete(r.pending, id)
		}
	}
}

// Tombstone records that an order was archived, until the given wall time
// (a node replaying its store calls it for every tombstone it kept).
func (r *Replica) Tombstone(oid ID, until int64) { r.tombs[oid] = max(r.tombs[oid], until) }

// TombstoneUntil returns until when an archived order is remembered.
func (r *Replica) TombstoneUntil(oid ID) (int64, bool) {
	u, ok := r.tombs[oid]
	return u, ok
}

// Archived reports whether the order is tombstoned.
func (r *Replica) Archived(oid ID) bool { return r.tombs[oid] != 0 }

// Tombstones returns how many orders are tombstoned.
func (r *Replica) Tombstones() int { return len(r.tombs) }

// ExpiredTombstones lists, in ID order, the tombstones whose time is over
// at now; ForgetTombstones drops them once the node has deleted them.
func (r *Replica) ExpiredTombstones(now int64) []ID {
	var out []ID
	for oid, until := range r.tombs {
		if until <= now {
			out = append(out, oid)
		}
	}
	slices.SortFunc(out, ID.Compare)
	return out
}

// ForgetTombstones drops tombstones (after ExpiredTombstones).
func (r *Replica) ForgetTombstones(orders ...ID) {
	for _, oid := range orders {
		delete(r.tombs, oid)
	}
}

// archivedScope reports whether e belongs to an archived order: its scope,
// or for an order.place its own ID, is tombstoned (SPEC.md §4.5 rule 4).
func (r *Replica) archivedScope(e *Event) bool {
	return len(r.tombs) > 0 && e.Kind.Class() == ScopeOrder && r.tombs[e.ScopeID()] != 0
}

// Keeps reports whether a node acting for keys keeps an archived order's
// events for the retention period (SPEC.md §4.5 rule 2): when one of them
// is a party to it (§10.4), or the courier of one of its claims.
func Keeps(s *OrderState, keys ...PubKey) bool {
	for _, k := range keys {
		if s.IsParty(k) {
			return true
		}
		for _, c := range s.Claims {
			if c.Courier == k {
				return true
			}
		}
	}
	return false
}
