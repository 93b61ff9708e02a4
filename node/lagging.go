package node

import (
	"context"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
	"github.com/coopnode/coopnode/protocol/recon"
	"github.com/coopnode/coopnode/protocol/syncwire"
)

// Two memories that keep honest disagreement from costing anything
// (SPEC.md §10.2, §15.3):
//
//   - lagged holds events refused because our coop log may lag the
//     sender's (protocol.Result.Retry: a claim by a courier whose admission
//     has not reached us). They were Ignored, not Rejected, so the honest
//     forwarder keeps its score, and they are checked again each time our
//     coop log changes, instead of waiting for the next sync to bring them.
//   - rejected remembers the IDs of events refused for good
//     (protocol.Result.Final: a device's claim after its revocation, which a
//     peer stored before it learned the revocation). Sync sessions list them
//     as held, so reconciliation stops offering them, and neither want nor
//     accept them again.
//
// Both are bounded: the oldest entries go first.
const (
	maxLagged   = 1024
	maxRejected = 4096
	// lagHold is how long a lagging event is kept for retry: as long as
	// gossip would carry it (protocol.MaxGossipAge); sync brings it after.
	lagHold = protocol.MaxGossipAge * time.Millisecond
)

// laggedEvent is an event kept for a retry, with how it arrived.
type laggedEvent struct {
	raw  []byte
	e    *crdt.Event
	src  source
	from peer.ID
	at   int64 // our wall ms when it was kept
}

// lagQueue is a bounded FIFO of lagging events. The loop owns it.
type lagQueue struct {
	order []crdt.ID
	byID  map[crdt.ID]laggedEvent
}

func (q *lagQueue) add(x laggedEvent) {
	if q.byID == nil {
		q.byID = map[crdt.ID]laggedEvent{}
	}
	if _, ok := q.byID[x.e.ID]; ok {
		return
	}
	for len(q.order) >= maxLagged {
		delete(q.byID, q.order[0])
		q.order = q.order[1:]
	}
	q.order = append(q.order, x.e.ID)
	q.byID[x.e.ID] = x
}

// take empties the queue and returns its events, oldest first.
func (q *lagQueue) take() []laggedEvent {
	out := make([]laggedEvent, 0, len(q.order))
	for _, id := range q.order {
		out = append(out, q.byID[id])
	}
	q.order, q.byID = nil, nil
	return out
}

func (q *lagQueue) len() int { return len(q.order) }

// keepLagging keeps an event whose refusal may be our own lag. It runs on
// the loop.
func (n *Node) keepLagging(in incoming, res protocol.Result) {
	if res.Retry() {
		n.lagged.add(laggedEvent{raw: in.raw, e: res.Event, src: in.src, from: in.from, at: n.nowMs()})
	}
}

// keepLaggingFromGossip hands a lagging gossip message, which the validator
// ignores, to the loop to keep. It waits for the loop as the validator's
// Precheck does, but not for the keeping.
func (n *Node) keepLaggingFromGossip(ctx context.Context, raw []byte, res protocol.Result, from peer.ID) {
	if !res.Retry() {
		return
	}
	select {
	case n.reqs <- func() { n.keepLagging(incoming{raw: raw, src: srcGossip, from: from}, res) }:
	case <-ctx.Done():
	case <-n.ctx.Done():
	}
}

// retryLagging checks the kept events again after a change to our coop log
// (step calls it): they go through step again as one batch, with their
// source, and one the change let in is passed on by gossip if it is still
// young (it was ignored, so not forwarded: effectsOf). An admission let in
// may let in the events of the member it admits, so it repeats while
// events get in. It returns the orders that changed. It runs on the loop.
func (n *Node) retryLagging() []crdt.ID {
	if n.retrying || n.lagged.len() == 0 {
		return nil
	}
	n.retrying = true
	defer func() { n.retrying = false }()
	var changed []crdt.ID
	for progress := true; progress && n.lagged.len() > 0; {
		progress = false
		now := n.nowMs()
		var batch []incoming
		for _, x := range n.lagged.take() {
			if now-x.at > lagHold.Milliseconds() {
				continue // dropped: sync brings it if it is still wanted
			}
			batch = append(batch, incoming{raw: x.raw, e: x.e, src: x.src, from: x.from, retried: true})
		}
		// step keeps again what still lags
		results, orders := n.step(batch)
		changed = append(changed, orders...)
		for _, r := range results {
			if r.res.Verdict == protocol.Accept && (r.out.Status == crdt.Stored || r.out.Status == crdt.Pending) {
				progress = true
			}
		}
	}
	return changed
}

// rejectMemory is a bounded FIFO of the IDs of events refused for good,
// with what sync needs to list them. Sync sessions read it off the loop,
// so it has its own lock.
type rejectMemory struct {
	mu    sync.Mutex
	order []crdt.ID
	byID  map[crdt.ID]rejectedEvent
}

// rejectedEvent is what sync needs to know of a refused event: whether it
// is in scope of an interest, and its reconciliation item.
type rejectedEvent struct {
	coop, scope crdt.ID
	class       crdt.ScopeClass
	wall        int64
}

// remember records the event of a final refusal (protocol.Result.Final).
func (m *rejectMemory) remember(res protocol.Result) {
	if !res.Final() {
		return
	}
	e := res.Event
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byID == nil {
		m.byID = map[crdt.ID]rejectedEvent{}
	}
	if _, ok := m.byID[e.ID]; ok {
		return
	}
	for len(m.order) >= maxRejected {
		delete(m.byID, m.order[0])
		m.order = m.order[1:]
	}
	m.order = append(m.order, e.ID)
	m.byID[e.ID] = rejectedEvent{coop: e.Coop, scope: e.ScopeID(), class: e.Kind.Class(), wall: e.Wall}
}

// has reports whether id was refused for good.
func (m *rejectMemory) has(id crdt.ID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.byID[id]
	return ok
}

// items lists the refused events in scope of an interest as
// reconciliation items, so that a session counts them as held on our side
// and no peer offers them again. orders selects the orders of the interest
// we hold; an order we do not hold (a refused place) is in scope when the
// interest takes every order or lists it.
func (m *rejectMemory) items(in interest, orders func(crdt.ID) bool, held func(crdt.ID) bool) []recon.Item {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []recon.Item
	for _, id := range m.order {
		r := m.byID[id]
		if r.coop != in.coop {
			continue
		}
		if r.class == crdt.ScopeOrder && !orders(r.scope) {
			if held(r.scope) || in.flags&syncwire.InterestNoOrders != 0 || (in.flags&syncwire.InterestAll == 0 && !in.lists(r.scope)) {
				continue
			}
		}
		out = append(out, recon.Item{Time: uint64(max(r.wall, 0)), ID: recon.ID(id)})
	}
	return out
}
