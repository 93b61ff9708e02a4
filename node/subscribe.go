package node

import (
	"sync"

	"github.com/coopnode/coopnode/crdt"
)

// Change is one state change, delivered to subscribers (SPEC.md §12.3).
type Change struct {
	Scope string  `json:"scope"` // "coop", "catalog" or "order"
	Coop  crdt.ID `json:"coop"`
	ID    crdt.ID `json:"id"` // coop ID, order ID, or the catalogue owner's key
	// Event is the event that caused the change and Kind its kind.
	Event crdt.ID `json:"event"`
	Kind  string  `json:"kind"`
	// Local is true when this node authored the event.
	Local bool `json:"local"`
	// Order is the order's new state, for order changes.
	Order *crdt.OrderState `json:"order,omitempty"`
}

// Subscription receives changes on C until Close. A subscriber that falls
// more than its buffer behind loses changes (counted in Stats) rather than
// stall the node; it can always re-read state.
type Subscription struct {
	C      <-chan Change
	c      chan Change
	n      *Node
	once   sync.Once
	closed bool
}

// Subscribe returns a subscription to every state change.
func (n *Node) Subscribe(buffer int) *Subscription {
	if buffer <= 0 {
		buffer = 256
	}
	c := make(chan Change, buffer)
	s := &Subscription{C: c, c: c, n: n}
	n.subMu.Lock()
	defer n.subMu.Unlock()
	if n.ctx.Err() != nil {
		s.closed = true
		close(c)
		return s
	}
	n.subs[s] = struct{}{}
	return s
}

// Close ends the subscription and closes C.
func (s *Subscription) Close() {
	s.n.subMu.Lock()
	defer s.n.subMu.Unlock()
	delete(s.n.subs, s)
	s.closeLocked()
}

func (s *Subscription) closeLocked() {
	s.once.Do(func() {
		s.closed = true
		close(s.c)
	})
}

// announce delivers changes to subscribers. It never blocks: a change that
// does not fit a subscriber's buffer is dropped for it and counted.
func (n *Node) announce(changes []Change) {
	if len(changes) == 0 {
		return
	}
	n.subMu.Lock()
	defer n.subMu.Unlock()
	for s := range n.subs {
		for _, ch := range changes {
			select {
			case s.c <- ch:
			default:
				n.stats.DroppedChanges++
			}
		}
	}
}
