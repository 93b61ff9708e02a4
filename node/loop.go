package node

import (
	"context"
	"fmt"
	"sort"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

type gapReq struct {
	id   crdt.ID
	from peer.ID
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
func (n *Node) loop() {
	defer n.wg.Done()
	var tick <-chan time.Time
	if n.cfg.syncInterval > 0 {
		t := n.cfg.clock.NewTicker(n.cfg.syncInterval)
		defer t.Stop()
		tick = t.C()
	}
	for {
		select {
		case <-n.ctx.Done():
			return
		case f := <-n.reqs:
			f()
		case m := <-n.gossip.msgs:
			if m.Topic == protocol.TopicTracking(n.cfg.coop) {
				n.receiveTrack(m)
			} else {
				n.ingestGossip(m)
			}
		case <-tick:
			n.antiEntropy()
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
		n.keepLaggingFromGossip(data, res, from)
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
	n.ingestEvent(m.Data, e, protocol.ModeGossip, m.From)
}

// ingest validates, persists, applies and announces one event. It runs on
// the loop. Persisting comes before applying and publishing (SPEC.md §12.1).
func (n *Node) ingest(raw []byte, mode protocol.Mode, from peer.ID) (protocol.Result, crdt.Outcome) {
	return n.ingestEvent(raw, nil, mode, from)
}

// ingestEvent is ingest for bytes whose decoded, signature-checked event e
// is already at hand (nil: decode and verify raw here).
func (n *Node) ingestEvent(raw []byte, e *crdt.Event, mode protocol.Mode, from peer.ID) (protocol.Result, crdt.Outcome) {
	return n.ingestEventGap(raw, e, mode, from, gapWait)
}

// ingestEventGap is ingestEvent that, if e must wait for its parents, asks
// from for them by sync after gap (a pushed event's gap is repaired
// sooner than a gossiped one's: pushGapWait).
func (n *Node) ingestEventGap(raw []byte, e *crdt.Event, mode protocol.Mode, from peer.ID, gap time.Duration) (protocol.Result, crdt.Outcome) {
	var res protocol.Result
	if e != nil {
		res = protocol.Check(e, n.nowMs(), mode, n.replica)
	} else {
		res = protocol.Validate(raw, n.nowMs(), mode, n.replica)
	}
	if res.Verdict != protocol.Accept {
		if mode == protocol.ModeGossip && res.Verdict == protocol.Reject {
			n.stats.GossipRejected++
		}
		n.keepLagging(raw, res, mode, from)
		return res, crdt.Outcome{Status: crdt.Rejected, Reason: crdt.Reason(res.Reason)}
	}
	e = res.Event
	if n.batchPersisted {
		// already written durably by the caller's batch
	} else if err := n.store.PutEvent(n.ctx, e.ID, raw); err != nil {
		n.log.Error("persist event", "id", e.ID.Short(), "err", err)
		res.Verdict, res.Err = protocol.Ignore, err
		return res, crdt.Outcome{Status: crdt.Rejected}
	}
	out := n.replica.Apply(e)
	switch out.Status {
	case crdt.Stored, crdt.Pending:
	default:
		_ = n.store.DeleteEvent(n.ctx, e.ID)
	}
	for _, id := range out.Dropped {
		_ = n.store.DeleteEvent(n.ctx, id)
	}
	if mode == protocol.ModeGossip {
		n.stats.GossipAccepted++
	}
	n.stats.EventsStored = n.replica.Len()
	n.stats.EventsPending = n.replica.PendingLen()
	if out.Status == crdt.Pending && from != "" {
		// gossip often delivers a parent a moment later: only if the event
		// still waits after two heartbeats is a sync session worth it
		id := e.ID
		n.cfg.clock.AfterFunc(gap, func() {
			select {
			case n.gapCheck <- gapReq{id: id, from: from}:
			default:
			}
		})
	}
	if out.Status == crdt.Stored {
		n.announce(e, out, mode == protocol.ModeLocal)
		n.offerPush(e, raw, from)
		for _, r := range out.Released {
			// events that waited for this one: each gets its own change
			n.announce(r, crdt.Outcome{Status: crdt.Stored, Changed: []crdt.ScopeRef{refOf(r)}}, false)
			if rraw, err := n.store.GetEvent(n.ctx, r.ID); err == nil {
				n.offerPush(r, rraw, "")
			}
		}
		n.automate(out)
		n.retryLagging(out)
	}
	return res, out
}

// emit seals one of our own events, checks that the fold would take it,
// persists, applies and queues it for gossip. It runs on the loop.
func (n *Node) emit(kind crdt.Kind, scope crdt.ID, body crdt.Payload) (*crdt.Event, error) {
	return n.emitAt(kind, scope, body, 0)
}

// emitAt is emit with the event's wall clock set to wall (ms; 0 = now): an
// order priced at a quote's time is signed with that time, because
// time-of-day pricing reads the wall (SPEC.md §5.4).
func (n *Node) emitAt(kind crdt.Kind, scope crdt.ID, body crdt.Payload, wall int64) (*crdt.Event, error) {
	coop := n.cfg.coop
	if wall == 0 {
		wall = n.nowMs()
	}
	d := protocol.Draft{Coop: coop, Scope: scope, Kind: kind, Wall: wall, Body: body}
	switch {
	case kind == crdt.KindCoopGenesis:
		d.Coop, d.Scope, d.Lamport = crdt.ID{}, crdt.ID{}, 1
	case kind.IsRoot():
		if coop.IsZero() {
			return nil, ErrNoCoop
		}
		d.Scope, d.Lamport = crdt.ID{}, 1
	case kind.Class() == crdt.ScopeCatalog:
		if coop.IsZero() {
			return nil, ErrNoCoop
		}
		d.Lamport = 1
		if cur, ok := n.replica.Doc(crdt.DocKey{Coop: coop, Owner: crdt.PubKey(scope), Kind: kind}); ok {
			d.Lamport, d.Parents = cur.Lamport+1, []crdt.ID{cur.ID}
		}
	default:
		if coop.IsZero() {
			return nil, ErrNoCoop
		}
		d.Parents = n.latestHeads(kind.Class(), scope)
		if len(d.Parents) == 0 {
			return nil, fmt.Errorf("%w: %s", ErrUnknown, scope.Short())
		}
		d.Lamport = n.replica.NextLamport(d.Parents)
	}
	e, raw, err := protocol.Seal(n.key, d)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadArgument, err)
	}
	if r := n.replica.Simulate(e); r != crdt.ReasonOK {
		return nil, refused(kind, string(r), "")
	}
	res, out := n.ingestEvent(raw, e, protocol.ModeLocal, "")
	if res.Verdict != protocol.Accept || out.Status != crdt.Stored {
		return nil, refused(kind, firstNonEmpty(string(res.Reason), string(out.Reason), out.Status.String()), "")
	}
	n.stats.Published++
	topic := protocol.TopicFor(e)
	select {
	case n.outbox <- outMsg{topic: topic, raw: raw}:
	default:
		n.log.Warn("outbox full; the event will spread by sync", "id", e.ID.Short())
	}
	return e, nil
}

// latestHeads returns the scope's heads, at most protocol.MaxParents of
// them, preferring the highest Lamport clocks (SPEC.md §4.2).
func (n *Node) latestHeads(class crdt.ScopeClass, scope crdt.ID) []crdt.ID {
	heads := n.replica.Heads(class, scope)
	if len(heads) <= protocol.MaxParents {
		return heads
	}
	lam := func(id crdt.ID) uint64 { e, _ := n.replica.Event(id); return e.Lamport }
	sort.Slice(heads, func(i, j int) bool { return lam(heads[i]) > lam(heads[j]) })
	heads = heads[:protocol.MaxParents]
	sort.Slice(heads, func(i, j int) bool { return heads[i].Compare(heads[j]) < 0 })
	return heads
}

// refOf names the scope an event belongs to.
func refOf(e *crdt.Event) crdt.ScopeRef {
	return crdt.ScopeRef{Class: e.Kind.Class(), Coop: e.Coop, ID: e.ScopeID()}
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
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

// automate runs the node's standing duties after a change, on the loop. A
// restaurant confirms the first valid claim it sees on its orders
// (SPEC.md §7.2): that answer is what tells a courier they won.
func (n *Node) automate(out crdt.Outcome) {
	coop := n.replica.CoopView(n.cfg.coop)
	me, ok := coop.MemberKey(n.self, n.nowMs())
	if !ok {
		return
	}
	for _, ch := range out.Changed {
		if ch.Class != crdt.ScopeOrder {
			continue
		}
		s, ok := n.replica.Order(ch.ID)
		if !ok || s.Restaurant != me {
			continue
		}
		n.autoAccept(s)
		n.shareWithHolder(s)
		if !n.cfg.autoConfirm || !s.HasHolder() || s.HolderConfirmed {
			continue
		}
		var claim crdt.ID
		for _, c := range s.Claims {
			if c.Courier == s.Holder && c.Outcome == crdt.ClaimProvisional {
				claim = c.Event
			}
		}
		if n.confirmed[claim] {
			continue
		}
		n.confirmed[claim] = true
		if _, err := n.emit(crdt.KindCourierAssign, s.ID, &crdt.CourierAssign{Courier: s.Holder, Claim: claim}); err != nil {
			n.log.Warn("auto-confirm claim", "order", s.ID.Short(), "err", err)
		}
	}
}

// submit runs ingest for raw bytes on the loop, as if they had arrived in
// the given mode, and returns the verdict. Tests use it to read the named
// reason a node gives an attack.
func (n *Node) submit(ctx context.Context, raw []byte, mode protocol.Mode) (protocol.Result, crdt.Outcome, error) {
	var res protocol.Result
	var out crdt.Outcome
	err := n.do(ctx, func() error { res, out = n.ingest(raw, mode, ""); return nil })
	return res, out, err
}
