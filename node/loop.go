package node

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// gapReq asks, after a wait, whether an event still waits for its parents,
// and if so syncs with the peer that sent it.
type gapReq struct {
	id    crdt.ID
	from  peer.ID
	after time.Duration
}

type outMsg struct {
	topic     string
	raw       []byte
	ephemeral bool // a tracking message: never pushed by sync
}

func (n *Node) nowMs() int64 { return n.cfg.clock.Now().UnixMilli() }

// do runs f on the loop goroutine and waits for it.
func (n *Node) do(ctx context.Context, f func() error) error {
	errc := make(chan error, 1)
	select {
	case n.reqs <- func() { errc <- f() }:
	case <-ctx.Done():
		return ctx.Err()
	case <-n.ctx.Done():
		return ErrClosed
	}
	select {
	case err := <-errc:
		return err
	case <-n.ctx.Done():
		return ErrClosed
	}
}

// loop owns the replica. Everything that reads or changes it runs here.
// It starts with the duties the replayed state calls for: a restaurant
// killed between persisting a claim and confirming it confirms now
// (SPEC.md §7.2).
func (n *Node) loop() {
	defer n.wg.Done()
	n.fulfil(n.ownOrders())
	n.noteParties(n.replica.OpenOrderIDs(n.cfg.coop)) // a customer's or courier's open orders (SPEC.md §10.8)
	var tick <-chan time.Time
	if n.cfg.syncInterval > 0 {
		t := n.cfg.clock.NewTicker(n.cfg.syncInterval)
		defer t.Stop()
		tick = t.C()
	}
	archiveTick, stopArchive := n.archiveTicker()
	defer stopArchive()
	for {
		select {
		case <-n.ctx.Done():
			return
		case f := <-n.reqs:
			f()
		case m := <-n.gossip.msgs:
			if m.Topic == protocol.TopicTracking(n.cfg.coop) {
				n.receiveTrack(m)
			} else if m.Topic == n.cityTopic && n.cityTopic != "" {
				// a card: folded by its validator (directory.go)
			} else {
				n.ingestGossip(m)
			}
		case <-tick:
			n.antiEntropy()
		case <-archiveTick:
			if err := n.archiveNow(n.ctx); err != nil && n.ctx.Err() == nil {
				n.log.Warn("archive", "err", err)
			}
		case g := <-n.gapCheck:
			if n.replica.Known(g.id) && !n.replica.Has(g.id) { // still pending
				n.requestSync(g.from)
			}
		}
	}
}

// loopView lets a validator on a pubsub goroutine ask the loop for the one
// stateful check, Precheck; decoding and signature checks stay off-loop.
type loopView struct {
	n   *Node
	ctx context.Context
}

func (v loopView) Precheck(e *crdt.Event) (crdt.Status, crdt.Reason) {
	st, r := crdt.Status(0), crdt.ReasonOK
	err := v.n.do(v.ctx, func() error { st, r = v.n.replica.Precheck(e); return nil })
	if err != nil {
		return crdt.Pending, crdt.ReasonOK // shutting down: the caller ignores
	}
	return st, r
}

// MayLag lets the validator tell a refusal that may be our own lag from a
// final one (protocol.LagView), asking the loop like Precheck.
func (v loopView) MayLag(e *crdt.Event, r crdt.Reason) bool {
	lag := false
	_ = v.n.do(v.ctx, func() error { lag = v.n.replica.MayLag(e, r); return nil })
	return lag
}

// validate is the gossipsub topic validator (SPEC.md §10.2): Reject counts
// against the forwarding peer's score, Ignore drops silently.
func (n *Node) validate(ctx context.Context, from peer.ID, data []byte) pubsub.ValidationResult {
	if from == n.host.ID() {
		return pubsub.ValidationAccept // our own events were checked before publishing
	}
	if !n.peerLimit.allow(string(from)) {
		// honest peers stay far below PeerRate: a flood counts against them
		n.countGossip(limitedVerdict)
		return pubsub.ValidationReject
	}
	res := protocol.Validate(data, n.nowMs(), protocol.ModeGossip, loopView{n, ctx})
	if res.Verdict == protocol.Accept && !n.keyLimit.allow(string(res.Event.Author[:])) {
		// over the author's rate: dropped here without blaming the
		// forwarder, whose bucket for that author may have had room
		n.countGossip(limitedVerdict)
		return pubsub.ValidationIgnore
	}
	switch res.Verdict {
	case protocol.Accept:
		n.verified.put(data, res.Event) // so the loop need not verify it again
		return pubsub.ValidationAccept
	case protocol.Reject:
		n.log.Debug("gossip reject", "from", from, "reason", res.Reason)
		n.countGossip(protocol.Reject)
		return pubsub.ValidationReject
	default:
		n.countGossip(protocol.Ignore)
		n.keepLaggingFromGossip(ctx, data, res, from)
		return pubsub.ValidationIgnore
	}
}

// limitedVerdict marks a rate-limited event in countGossip.
const limitedVerdict protocol.Verdict = 255

func (n *Node) countGossip(v protocol.Verdict) {
	select {
	case n.reqs <- func() {
		switch v {
		case protocol.Reject:
			n.stats.GossipRejected++
		case limitedVerdict:
			n.stats.RateLimited++
		default:
			n.stats.GossipIgnored++
		}
	}:
	default: // the loop is busy; a lost count is fine
	}
}

// verifiedCache remembers events whose signatures the gossip validator
// already checked, keyed by the hash of their bytes, so the loop does not
// verify them again: Ed25519 verification is most of the cost of an event
// (SPEC.md §9.2). It is bounded; a miss only costs a second verification.
type verifiedCache struct {
	mu sync.Mutex
	m  map[[32]byte]*crdt.Event
}

func (c *verifiedCache) put(raw []byte, e *crdt.Event) {
	k := sha256.Sum256(raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[[32]byte]*crdt.Event{}
	}
	if len(c.m) >= verifiedCacheMax {
		for old := range c.m { // drop an arbitrary entry
			delete(c.m, old)
			break
		}
	}
	c.m[k] = e
}

// take returns and forgets the event verified for exactly these bytes.
func (c *verifiedCache) take(raw []byte) (*crdt.Event, bool) {
	k := sha256.Sum256(raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if ok {
		delete(c.m, k)
	}
	return e, ok
}

// ingestGossip ingests a gossip message after checking that the event was
// sent on the topic it belongs to (SPEC.md §10.2): one coop's topic must not
// carry another coop's events.
func (n *Node) ingestGossip(m gossipMsg) {
	e, ok := n.verified.take(m.Data)
	if !ok {
		if id, err := protocol.ID(m.Data); err == nil && n.replica.Known(id) {
			return
		}
		var err error
		if e, err = protocol.Decode(m.Data); err != nil {
			return // the validator already rejected it
		}
	}
	if want := protocol.TopicFor(e); want != m.Topic {
		n.stats.GossipRejected++
		n.log.Debug("event on the wrong topic", "from", m.From, "topic", m.Topic, "want", want)
		return
	}
	n.ingest(incoming{raw: m.Data, e: e, src: srcGossip, from: m.From})
}

// publisher sends queued events to gossip, off the loop: pubsub runs our own
// validator on publish, and the network must never block the state owner.
func (n *Node) publisher() {
	defer n.wg.Done()
	for {
		select {
		case <-n.ctx.Done():
			return
		case m := <-n.outbox:
			if err := n.gossip.publish(n.ctx, m.topic, m.raw); err != nil && n.ctx.Err() == nil {
				n.log.Warn("publish", "topic", m.topic, "err", err)
			}
			// no known subscriber yet (a fresh connection whose
			// subscriptions have not arrived): push by sync instead
			if len(n.gossip.topicPeers(m.topic)) == 0 && !m.ephemeral {
				n.syncAll()
			}
		}
	}
}

// submit runs ingest for raw bytes on the loop, as if they had arrived in
// the given mode, and returns the verdict. Tests use it to read the named
// reason a node gives an attack.
func (n *Node) submit(ctx context.Context, raw []byte, mode protocol.Mode) (protocol.Result, crdt.Outcome, error) {
	var res protocol.Result
	var out crdt.Outcome
	src := map[protocol.Mode]source{protocol.ModeLocal: srcLocal, protocol.ModeGossip: srcGossip, protocol.ModeSync: srcSync}[mode]
	err := n.do(ctx, func() error {
		r := n.ingest(incoming{raw: raw, src: src})
		res, out = r[0].res, r[0].out
		return nil
	})
	return res, out, err
}
