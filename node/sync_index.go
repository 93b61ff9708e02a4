package node

import (
	"bytes"
	"container/heap"
	"slices"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol/recon"
)

// The reconciliation index (SPEC.md §8.6.2; issue 14 item 4): the items
// (wall, ID) of the stored events, kept as events are stored, replaced and
// archived (crdt.Replica.Observe), so that a sync session's item set is
// not rebuilt from every stored event on the node's loop.
//
// For each coop it keeps the items of the coop log and the current
// catalogue documents (base), the items of each order, and the set an
// `all` interest selects: base and every order not past the archive
// horizon, as a recon.SortedSet. Changes are queued and merged into a new
// set when a session asks for one (recon.SortedSet.With: O(n + k log k)),
// so a session holds an immutable set that later changes leave alone, and
// an idle node's sessions reuse the same set.
//
// Past the horizon (SPEC.md §4.5): an order leaves sync as soon as
// crdt.PastHorizon says so (finished and idle for ArchiveHorizonMs, longer
// if money is owed), before archival removes it an hour or so later. The
// index finds such orders without looking at every order: a heap of the
// orders by last activity yields those idle for the horizon at the
// session's time; those past it leave the `all` set (out), the others
// are watched (idle) until they are past it or come back. An order that
// gets an event again, or that a refold no longer reads past it, comes
// back in. Orders out or watched are few: archival removes the first,
// and the second are orders stuck open for a week or owed a refund.
type syncIndex struct {
	coops map[crdt.ID]*coopIndex
}

type coopIndex struct {
	base   map[recon.ID]recon.Item // coop.genesis, coop log, current documents
	orders map[crdt.ID]*orderItems
	set    *recon.SortedSet // the `all` selection as of the last session
	queued map[recon.ID]queuedItem
	due    dueHeap              // orders by last activity, lazily
	out    map[crdt.ID]bool     // finished and past the horizon: not in set
	idle   map[crdt.ID]struct{} // idle past the horizon but not finished
}

type orderItems struct {
	items []recon.Item
	last  uint64 // largest item time: the order's last activity
	out   bool
}

// queuedItem is a change not yet merged into set: in says added or removed.
type queuedItem struct {
	it recon.Item
	in bool
}

func newSyncIndex() *syncIndex { return &syncIndex{coops: map[crdt.ID]*coopIndex{}} }

func itemOf(e *crdt.Event) recon.Item {
	return recon.Item{Time: uint64(max(e.Wall, 0)), ID: recon.ID(e.ID)}
}

// coopOf is the coop whose sync selects e (SPEC.md §8.6.2): a genesis
// starts its own coop.
func coopOf(e *crdt.Event) crdt.ID {
	if e.Kind == crdt.KindCoopGenesis {
		return e.ID
	}
	return e.Coop
}

func (x *syncIndex) coop(id crdt.ID) *coopIndex {
	c := x.coops[id]
	if c == nil {
		s, _ := recon.NewSet(nil)
		c = &coopIndex{base: map[recon.ID]recon.Item{}, orders: map[crdt.ID]*orderItems{}, set: s,
			queued: map[recon.ID]queuedItem{}, out: map[crdt.ID]bool{}, idle: map[crdt.ID]struct{}{}}
		x.coops[id] = c
	}
	return c
}

// observe is the replica's observer (crdt.Replica.Observe).
func (x *syncIndex) observe(e *crdt.Event, stored bool) {
	c := x.coop(coopOf(e))
	it := itemOf(e)
	if e.Kind.Class() != crdt.ScopeOrder {
		if stored {
			c.base[it.ID] = it
		} else {
			delete(c.base, it.ID)
		}
		c.queue(it, stored)
		return
	}
	oid := e.ScopeID()
	o := c.orders[oid]
	if !stored {
		if o == nil {
			return
		}
		if i := slices.Index(o.items, it); i >= 0 {
			o.items = slices.Delete(o.items, i, i+1)
		}
		if !o.out {
			c.queue(it, false)
		}
		if len(o.items) == 0 {
			delete(c.orders, oid)
			delete(c.out, oid)
			delete(c.idle, oid)
		}
		return
	}
	if o == nil {
		o = &orderItems{}
		c.orders[oid] = o
	}
	o.items = append(o.items, it)
	if o.out {
		c.bringBack(oid, o) // active again: in, until the next session looks
	} else {
		c.queue(it, true)
	}
	if it.Time > o.last || len(o.items) == 1 {
		o.last = max(o.last, it.Time)
		heap.Push(&c.due, dueOrder{last: o.last, order: oid})
	}
}

func (c *coopIndex) queue(it recon.Item, in bool) { c.queued[it.ID] = queuedItem{it, in} }

// bringBack puts an order that was out back in the `all` selection.
func (c *coopIndex) bringBack(oid crdt.ID, o *orderItems) {
	o.out = false
	delete(c.out, oid)
	for _, it := range o.items {
		c.queue(it, true)
	}
	heap.Push(&c.due, dueOrder{last: o.last, order: oid})
}

func (c *coopIndex) takeOut(oid crdt.ID, o *orderItems) {
	o.out = true
	c.out[oid] = true
	for _, it := range o.items {
		c.queue(it, false)
	}
}

// refresh brings the horizon up to now: orders past it (crdt.PastHorizon
// at now, which past reads from the fold with the order's last activity)
// go out, orders out or watched that came back come in. Only orders idle
// for longer than the horizon can be past it: the heap yields those.
func (c *coopIndex) refresh(now int64, pastHorizon func(oid crdt.ID, last int64) bool) {
	idle := func(o *orderItems) bool { return now-int64(o.last) > crdt.ArchiveHorizonMs }
	finished := func(oid crdt.ID, o *orderItems) bool { return pastHorizon(oid, int64(o.last)) }
	for len(c.due) > 0 && now-int64(c.due[0].last) > crdt.ArchiveHorizonMs {
		d := heap.Pop(&c.due).(dueOrder)
		o := c.orders[d.order]
		if o == nil || o.out || o.last != d.last {
			continue // gone, out already, or active since (a later entry)
		}
		if finished(d.order, o) {
			c.takeOut(d.order, o)
		} else {
			c.idle[d.order] = struct{}{}
		}
	}
	for oid := range c.idle {
		o := c.orders[oid]
		switch {
		case o == nil || o.out || !idle(o):
			delete(c.idle, oid) // gone, or active again (the heap has it)
		case finished(oid, o):
			delete(c.idle, oid)
			c.takeOut(oid, o)
		}
	}
	for oid := range c.out {
		if o := c.orders[oid]; !finished(oid, o) {
			c.bringBack(oid, o)
		}
	}
}

// all returns the `all` selection: base and every order not out, merging
// the queued changes first.
func (c *coopIndex) all() *recon.SortedSet {
	if len(c.queued) == 0 {
		return c.set
	}
	var add, remove []recon.Item
	for _, q := range c.queued {
		if q.in {
			add = append(add, q.it)
		} else {
			remove = append(remove, q.it)
		}
	}
	clear(c.queued)
	s, err := c.set.With(add, remove)
	if err == nil { // item times are clamped walls, never MaxTime
		c.set = s
	}
	return c.set
}

// selected returns base and the items of the orders keep selects among
// those not out, sorted, for an interest narrower than `all`.
func (c *coopIndex) selected(keep func(crdt.ID) bool) []recon.Item {
	items := make([]recon.Item, 0, len(c.base))
	for _, it := range c.base {
		items = append(items, it)
	}
	for oid, o := range c.orders {
		if !o.out && keep(oid) {
			items = append(items, o.items...)
		}
	}
	slices.SortFunc(items, recon.Item.Compare)
	return items
}

// inScope reports whether the order is held and not out.
func (c *coopIndex) inScope(oid crdt.ID) bool {
	o := c.orders[oid]
	return o != nil && !o.out
}

// dueHeap orders orders by last activity (then ID, for determinism).
type dueOrder struct {
	last  uint64
	order crdt.ID
}

type dueHeap []dueOrder

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if h[i].last != h[j].last {
		return h[i].last < h[j].last
	}
	return bytes.Compare(h[i].order[:], h[j].order[:]) < 0
}
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(dueOrder)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
