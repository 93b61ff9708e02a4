package node

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/protocol"
)

// Archival of finished orders (SPEC.md §4.5), on every role.
//
// The replica decides (crdt.Replica.ArchiveDue, a pure function of the
// state and the time the node's Clock gives): every order finished and idle
// past the horizon leaves the live set, whatever the node's role, so the
// heap and start-up hold the live set only. What happens to its events
// depends on the node (rule 2): a relay or an admin, or a party to the
// order, keeps them in the cold store (cold.go) for the retention period;
// any other node deletes them. Either way the order's tombstone and its
// event IDs are remembered, so its events are never wanted by sync,
// stored or parked again (rule 4).
//
// Like ingest (ingest.go), archival is effects as data: planArchive reads
// the replica and the store and returns the writes and the changes to the
// replica; advanceArchive carries them out, in the one order that is safe:
//
//	planArchive(now)          pure decisions: due orders, expired copies, old tombstones
//	advanceArchive(fx)
//	  1 persist   one batch: cold copies, indexes, tombstones, then the deletes
//	  2 apply     to the replica: the orders leave the live set; tombstones
//	              dropped from memory only once deleted from the store
//
// It runs on start (after replay) and every WithArchiveInterval on the loop.

// archiveFx is what one archival step must do: groups of writes, each
// one order's (never split between batches), and what each changes in the
// replica once durable.
type archiveFx struct {
	groups []archiveGroup
}

type archiveGroup struct {
	ops    []storeOp
	order  crdt.ID
	until  int64 // actArchive: the tombstone's time
	action archiveAction
}

type archiveAction uint8

const (
	actArchive archiveAction = iota + 1 // the order leaves the live set
	actExpire                           // its cold copy is past retention
	actForget                           // its tombstone is past its time
)

// keepsOrder says whether this node keeps an archived order's events for
// the retention period (SPEC.md §4.5 rule 2): relays and admins keep every
// order (exports, books); others the orders they are a party to.
func (n *Node) keepsOrder(now int64) func(*crdt.OrderState) bool {
	if n.cfg.role == RoleRelay || n.cfg.role == RoleAdmin {
		return func(*crdt.OrderState) bool { return true }
	}
	keys := []crdt.PubKey{n.self}
	if m, ok := n.replica.CoopView(n.cfg.coop).MemberKey(n.self, now); ok && m != n.self {
		keys = append(keys, m)
	}
	return func(s *crdt.OrderState) bool { return crdt.Keeps(s, keys...) }
}

// planArchive decides one archival step at now. It changes nothing.
func (n *Node) planArchive(ctx context.Context, now int64) (archiveFx, error) {
	var fx archiveFx
	add := func(o crdt.ID, a archiveAction, ops []storeOp) *archiveGroup {
		fx.groups = append(fx.groups, archiveGroup{ops: ops, order: o, action: a})
		return &fx.groups[len(fx.groups)-1]
	}
	for _, a := range n.replica.ArchiveDue(now, archiveGrace.Milliseconds(), n.keepsOrder(now)) {
		// an order already past retention (a node that was off, or its
		// first start with archival) is not kept: rule 2 is over for it
		keep := a.Keep && a.Last >= now-crdt.RetentionMs
		t := tomb{order: a.Order, until: crdt.TombstoneTime(a.Last, now), last: a.Last, kept: keep}
		raws := make([][]byte, 0, len(a.Events))
		for _, e := range a.Events {
			t.events = append(t.events, e.ID)
			if keep {
				raw, err := n.store.GetEvent(ctx, e.ID)
				if err != nil {
					return archiveFx{}, fmt.Errorf("node: archive order %s: %w", a.Order.Short(), err)
				}
				raws = append(raws, raw)
			}
		}
		var snap []byte // its folded state, read instead of folding again while the coop's state is the same
		if keep {
			snap, _ = coldSnapshot(n.cold.stamp(n.replica.CoopView(n.cfg.coop)), a.State)
		}
		add(a.Order, actArchive, archiveOps(t, raws, a.State.Status, a.State.Parties(), snap)).until = t.until
	}
	expired, err := n.store.coldExpired(ctx, now-crdt.RetentionMs)
	if err != nil {
		return archiveFx{}, err
	}
	for _, c := range expired {
		add(c.order, actExpire, expireColdOps(c.order, c.last, c.status, c.parties))
	}
	for _, o := range n.replica.ExpiredTombstones(now) {
		until, _ := n.replica.TombstoneUntil(o)
		t, err := n.store.tomb(ctx, o, until)
		if err != nil {
			t = tomb{order: o, until: until} // lost or malformed: only the tombstone itself goes
		}
		add(o, actForget, forgetTombOps(t))
	}
	return fx, nil
}

// advanceArchive carries out an archival step: each batch of groups is
// persisted (one atomic write), then applied to the replica. If a write
// fails, what it held changes nothing in memory, and the next step plans
// it again.
func (n *Node) advanceArchive(ctx context.Context, fx archiveFx) error {
	var count [actForget + 1]int
	for gs := fx.groups; len(gs) > 0; {
		// 1. persist
		k, size := 0, 0
		var ops []storeOp
		for ; k < len(gs) && (k == 0 || size+len(gs[k].ops) <= archiveBatchOps); k++ {
			ops = append(ops, gs[k].ops...)
			size += len(gs[k].ops)
		}
		if err := n.store.apply(ctx, ops); err != nil {
			return err
		}
		// 2. apply
		archived, forgot := map[crdt.ID]int64{}, []crdt.ID(nil)
		for _, g := range gs[:k] {
			switch g.action {
			case actArchive:
				archived[g.order] = g.until
			case actForget:
				forgot = append(forgot, g.order)
			}
			count[g.action]++
		}
		n.replica.Archive(archived)
		n.replica.ForgetTombstones(forgot...)
		gs = gs[k:]
	}
	if count[actExpire]+count[actForget] > 0 {
		n.cold.clear()
	}
	for _, g := range fx.groups {
		n.archivalWrites += len(g.ops)
	}
	if n.archivalWrites >= compactAfter {
		n.archivalWrites = 0
		if err := n.store.compactArchival(ctx); err != nil {
			n.log.Warn("compact", "err", err) // only slower walks until pebble compacts by itself
		}
	}
	n.stats.EventsStored, n.stats.EventsPending = n.replica.Len(), n.replica.PendingLen()
	n.stats.Archived += count[actArchive]
	if len(fx.groups) > 0 {
		n.log.Info("archived", "orders", count[actArchive], "expired", count[actExpire], "tombstones_forgotten", count[actForget], "live_events", n.replica.Len())
	}
	return nil
}

// archiveNow runs one archival step at the clock's now. It runs on the
// loop (or before it starts).
func (n *Node) archiveNow(ctx context.Context) error {
	fx, err := n.planArchive(ctx, n.nowMs())
	if err != nil {
		return err
	}
	return n.advanceArchive(ctx, fx)
}

// ArchiveNow runs an archival step now instead of waiting for the next
// one (WithArchiveInterval): for tests, tools and the history benchmark.
func (n *Node) ArchiveNow(ctx context.Context) error {
	return n.do(ctx, func() error { return n.archiveNow(n.ctx) })
}

// replayTombstones loads the tombstones before the events are replayed.
func (n *Node) replayTombstones(ctx context.Context) error {
	ts, err := n.store.tombs(ctx)
	if err != nil {
		return err
	}
	for _, t := range ts {
		n.replica.Tombstone(t.order, t.until)
	}
	return nil
}

// finishArchive deletes live copies of archived orders' events that a cut
// archival batch left behind: the cold copy and the tombstone were written
// before them (cold.go), so nothing is lost.
func (n *Node) finishArchive(ctx context.Context, evs []*crdt.Event) error {
	var ops []storeOp
	for _, e := range evs {
		if e.Kind.Class() == crdt.ScopeOrder && n.replica.Archived(e.ScopeID()) && !n.replica.Has(e.ID) {
			ops = append(ops, storeOp{key: markerKey(e.ID), del: true}, storeOp{key: eventKey(e.ID), del: true})
		}
	}
	if len(ops) > 0 {
		n.log.Info("finished a cut archival", "events", len(ops)/2)
	}
	return n.store.apply(ctx, ops)
}

// coldOrder folds an archived order from its cold copy with the coop's
// current state, as a refold of the live order would (SPEC.md §4.3). It
// runs on the loop.
func (n *Node) coldOrder(ctx context.Context, oid crdt.ID) (*crdt.OrderState, bool) {
	if !n.replica.Archived(oid) {
		return nil, false
	}
	if s, ok := n.cold.get(oid); ok {
		return s.Clone(), true
	}
	coop := n.replica.CoopView(n.cfg.coop)
	if coop == nil {
		return nil, false
	}
	if s, ok := n.store.coldSnapshotOf(ctx, oid, n.cold.stamp(coop)); ok {
		n.cold.put(oid, s.Clone())
		return s, true
	}
	raws, err := n.store.coldRaws(ctx, oid)
	if err != nil {
		return nil, false
	}
	evs := make([]*crdt.Event, 0, len(raws))
	for _, raw := range raws {
		// verified when admitted: decoded without checking the signature again
		if e, err := protocol.DecodeTrusted(raw); err == nil {
			evs = append(evs, e)
		}
	}
	s := crdt.FoldOrder(evs, coop)
	if s == nil {
		return nil, false
	}
	n.cold.put(oid, s.Clone())
	return s, true
}

// coldCache keeps the states of the archived orders folded last, so that
// a dashboard asking again for a month of orders does not fold them all
// again. It holds at most coldCacheMax states (a few MB); the states are
// folded with the coop's current state, so a change to the coop log
// clears it (step, ingest.go), as does archival.
type coldCache struct {
	m     map[crdt.ID]*crdt.OrderState
	order []crdt.ID // insertion order, oldest first
	// the hash of the coop state the cached states were folded with
	// (cold.go's snapshots carry it), computed once per coop state
	coopHash *[32]byte
}

// stamp is the hash of the coop's current state (the zero hash if none).
func (c *coldCache) stamp(coop *crdt.CoopState) [32]byte {
	if c.coopHash == nil {
		var h [32]byte
		if coop != nil {
			h = coop.Hash()
		}
		c.coopHash = &h
	}
	return *c.coopHash
}

func (c *coldCache) get(id crdt.ID) (*crdt.OrderState, bool) {
	s, ok := c.m[id]
	return s, ok
}

func (c *coldCache) put(id crdt.ID, s *crdt.OrderState) {
	if c.m == nil {
		c.m = map[crdt.ID]*crdt.OrderState{}
	}
	if _, ok := c.m[id]; ok {
		return
	}
	for len(c.order) >= coldCacheMax {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	c.m[id] = s
	c.order = append(c.order, id)
}

func (c *coldCache) clear() { *c = coldCache{} }

// orderView is an order's state, live or archived. Live states are the
// replica's: callers must not modify them. It runs on the loop.
func (n *Node) orderView(ctx context.Context, oid crdt.ID) (*crdt.OrderState, bool) {
	if s, ok := n.replica.OrderView(oid); ok {
		return s, true
	}
	return n.coldOrder(ctx, oid)
}

// coldOrders folds the archived orders of the cold store (a party's, or
// else those with a status, or every one when both are zero) whose last
// activity is at or after since. It runs on the loop.
func (n *Node) coldOrders(ctx context.Context, party crdt.PubKey, status string, since int64, keep func(*crdt.OrderState) bool) ([]*crdt.OrderState, error) {
	ids, snaps, err := n.store.coldIndexed(ctx, party, status, since)
	if err != nil {
		return nil, err
	}
	var out []*crdt.OrderState
	coop := n.replica.CoopView(n.cfg.coop)
	for i, id := range ids {
		if _, live := n.replica.OrderView(id); live {
			continue // a cut archival: the live copy is the one held
		}
		if !n.replica.Archived(id) {
			continue
		}
		if _, cached := n.cold.get(id); !cached && coop != nil {
			if s, ok := decodeSnapshot(id, snaps[i], n.cold.stamp(coop)); ok { // from the index itself
				n.cold.put(id, s.Clone())
				if keep == nil || keep(s) {
					out = append(out, s)
				}
				continue
			}
		}
		if s, ok := n.coldOrder(ctx, id); ok && (keep == nil || keep(s)) {
			out = append(out, s)
		}
	}
	return out, nil
}

// archiveTicker is the loop's archival timer (nil channel when off).
func (n *Node) archiveTicker() (<-chan time.Time, func()) {
	if n.cfg.archiveEvery < 0 {
		return nil, func() {}
	}
	t := n.cfg.clock.NewTicker(cmp.Or(n.cfg.archiveEvery, defaultArchiveEvery))
	return t.C(), t.Stop
}

// booksOrders are the orders exports and the coop's books read: the live
// set and the archived orders kept within retention (SPEC.md §4.5), the
// restaurant's or the courier's only through the party index when the
// filter names one. It runs on the loop.
func (n *Node) booksOrders(ctx context.Context, f market.Filter) ([]*crdt.OrderState, error) {
	orders := n.replica.Orders(n.cfg.coop, nil)
	party := f.Restaurant
	if party.IsZero() {
		party = f.Courier
	}
	cold, err := n.coldOrders(ctx, party, "", 0, nil)
	if err != nil {
		return nil, err
	}
	orders = append(orders, cold...)
	crdt.SortOrders(orders)
	return orders, nil
}

// notArchived refuses an event of ours on an order past the horizon at
// wall, or archived: a restore, or anything else (SPEC.md §4.5 rule 5).
func (n *Node) notArchived(kind crdt.Kind, scope crdt.ID, wall int64) error {
	if kind.Class() != crdt.ScopeOrder {
		return nil
	}
	if n.replica.Archived(scope) {
		return fmt.Errorf("%w: order %s (%s)", ErrArchived, scope.Short(), kind)
	}
	if s, ok := n.replica.OrderView(scope); ok && crdt.PastHorizon(s, n.replica.LastActivity(scope), wall) {
		return fmt.Errorf("%w: order %s (%s)", ErrArchived, scope.Short(), kind)
	}
	return nil
}
