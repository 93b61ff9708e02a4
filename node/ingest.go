package node

import (
	"fmt"
	"sort"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// The one path of an event into the replica (SPEC.md §12.1), whatever way
// it came: gossip (ingestGossip), party push (ingestPushed), a sync
// session's Events frame (receiveEvents), or this node itself (author, for
// the API and for the duties).
//
//	ingest(batch)                         author(draft)
//	  │                                     │ seal: build, sign, simulate
//	  ▼                                     ▼
//	step ── admit ──► advance ─────────────────────────────────────────┐
//	         (pure)    1 persist  the admitted bytes, one durable write │
//	                   2 apply    to the replica; each outcome becomes  │
//	                              effects, as data (effectsOf)          │
//	                   3 delete   what the replica did not keep         │
//	                   4 announce changes to subscribers                │
//	                   5 publish  own events (and young synced ones)    │
//	                   6 push     order events to their parties         │
//	                   7 arm      gap checks for events still pending   │
//	  ◄───────────────────────────── the orders that changed ───────────┘
//	fulfil: duties (pure decisions on state) → drafts → author → …
//
// Like etcd raft's Ready, applying returns what must happen rather than
// doing it, and advance is the one function that does it, always in the
// order above: nothing is announced, published, pushed or acknowledged
// before it is durable. The duties are recomputed from state, never from
// memory of what was done, so they also run on start and after every
// catch-up sync (duties.go). Events leave the replica by the same pattern:
// archival (archive.go) plans its writes and replica changes as data
// (planArchive) and advanceArchive persists, then applies them.

// source is where an incoming event came from. It picks the admission
// mode, how long a pending event waits for its parents before its sender
// is asked for them, and whether the node publishes it to gossip.
type source uint8

const (
	srcLocal  source = iota // authored by this node: published once applied
	srcGossip               // a gossip message the validator accepted
	srcPush                 // a party push (SPEC.md §10.4)
	srcSync                 // a catch-up session's Events frame (SPEC.md §8.6)
)

func (s source) mode() protocol.Mode {
	switch s {
	case srcLocal:
		return protocol.ModeLocal
	case srcGossip:
		return protocol.ModeGossip
	}
	return protocol.ModeSync
}

// gapWait is how long an event from s may wait for its parents before the
// node asks the sender for them by sync (defaults.go).
func (s source) gapWait() time.Duration {
	if s == srcPush {
		return pushGapWait
	}
	return gapWait
}

// incoming is one event offered to the replica.
type incoming struct {
	raw  []byte
	e    *crdt.Event // decoded and signature-checked; nil: admission decodes raw
	src  source
	from peer.ID // the peer it came from ("" for our own)
	// retried: kept because our coop log lagged, and let in now (lagging.go);
	// it was ignored, not forwarded, so it is passed on like a synced event
	retried bool
}

// ingested is what became of one incoming event: the admission verdict and
// the replica's outcome.
type ingested struct {
	res protocol.Result
	out crdt.Outcome
}

// effects are what applying events asks of the node besides the change to
// its replica. effectsOf builds them as each event is applied; advance
// carries them out. Two kinds of work are not here, by design: the writes,
// which admission decides and advance makes before anything is applied
// (SPEC.md §12.1: nothing is applied that is not durable), and the duties'
// drafts, which are decided on the state a whole batch leaves (orders
// lists what to look at) and authored by fulfil.
type effects struct {
	deletes []crdt.ID     // events the replica did not keep, versions it replaced
	changes []Change      // for subscribers, with the order's state as of the event
	publish []outMsg      // for gossip
	own     int           // how many of publish are our own events
	push    []pushJob     // for the order's parties; a nil raw is read from the store
	wake    []crdt.PubKey // sleeping phones to wake (wakeups.go)
	gaps    []gapReq      // pending events: ask their sender for the parents later
	orders  []crdt.ID     // orders whose state changed, for the duties
	coop    bool          // a coop log changed: kept lagging events may get in now
}

// ingest carries a batch of events through the path and then runs the
// duties their changes call for. It runs on the loop and returns what
// became of each event.
func (n *Node) ingest(batch ...incoming) []ingested {
	results, changed := n.step(batch)
	n.fulfil(changed)
	return results
}

// step admits, persists and applies a batch and carries out the effects,
// but runs no duty. It returns what became of each event and the orders
// that changed.
//
// A batch is admitted in rounds: each round admits what the replica takes
// as it stands, writes it with one fsync and applies it in the order that
// puts what grants authority first (sortForApply's: coop log, catalogues,
// orders, each by Lamport), whatever order the batch came in; an event
// refused for authority that an earlier event of the same batch grants (a
// member's first order, sent with its admission) is admitted in the next
// round. No refused event is ever written.
func (n *Node) step(batch []incoming) ([]ingested, []crdt.ID) {
	results := make([]ingested, len(batch))
	todo := make([]int, len(batch))
	for i := range todo {
		todo[i] = i
	}
	var changed []crdt.ID
	coopChanged := false
	for len(todo) > 0 {
		admitted, retry := n.admit(batch, todo, results)
		if len(admitted) == 0 {
			break
		}
		sort.SliceStable(admitted, func(i, j int) bool {
			return applyBefore(results[admitted[i]].res.Event, results[admitted[j]].res.Event)
		})
		orders, coop := n.advance(batch, admitted, results)
		changed, coopChanged = append(changed, orders...), coopChanged || coop
		todo = retry
	}
	for i, in := range batch {
		if in.src == srcGossip && results[i].res.Verdict == protocol.Reject {
			n.stats.GossipRejected++
		}
		n.keepLagging(in, results[i].res) // refused on our own lag: kept for a retry
	}
	if coopChanged {
		n.cold.clear() // archived orders fold with the coop's state (archive.go)
		changed = append(changed, n.retryLagging()...)
	}
	return results, changed
}

// admit runs admission (SPEC.md §3.4) on the events of batch listed in
// todo, against the replica as it stands, and records each verdict in
// results. It returns the admitted events, and those refused
// that deserve another look once the admitted ones are applied: refused
// for authority (a Reject, or an Ignore for possible lag). It changes no
// state.
func (n *Node) admit(batch []incoming, todo []int, results []ingested) (admitted, retry []int) {
	now := n.nowMs()
	seen := map[crdt.ID]bool{}
	for _, i := range todo {
		in := batch[i]
		var res protocol.Result
		if in.e != nil {
			res = protocol.Check(in.e, now, in.src.mode(), n.replica)
		} else {
			res = protocol.Validate(in.raw, now, in.src.mode(), n.replica)
		}
		if res.Verdict == protocol.Accept && seen[res.Event.ID] { // twice in one batch
			res = protocol.Result{Verdict: protocol.Ignore, Reason: protocol.ReasonDuplicate, Event: res.Event}
		}
		results[i] = ingested{res: res}
		if res.Verdict == protocol.Accept {
			seen[res.Event.ID] = true
			admitted = append(admitted, i)
			continue
		}
		results[i].out = crdt.Outcome{Status: crdt.Rejected, Reason: crdt.Reason(res.Reason)}
		if (res.Verdict == protocol.Reject || res.Retry()) && res.Event != nil && len(batch) > 1 {
			retry = append(retry, i)
		}
	}
	return admitted, retry
}

// advance carries admitted events through the rest of the path, in the
// fixed order of SPEC.md §12.1: persist, apply, delete, announce, publish,
// push, arm gap checks. If the write fails nothing is applied: the events
// are dropped (Ignore) and sync brings them again. It returns the orders
// whose state changed, and whether a coop log did.
func (n *Node) advance(batch []incoming, admitted []int, results []ingested) ([]crdt.ID, bool) {
	// 1. persist
	writes := make([]StoredEvent, len(admitted))
	for k, i := range admitted {
		// admitted, so its signature was checked: replay need not check
		// it again (node/verified.go)
		writes[k] = StoredEvent{ID: results[i].res.Event.ID, Raw: batch[i].raw, Verified: true}
	}
	if err := n.store.PutEvents(n.ctx, writes); err != nil {
		n.log.Error("persist events", "count", len(writes), "first", writes[0].ID.Short(), "err", err)
		for _, i := range admitted {
			results[i].res.Verdict, results[i].res.Err = protocol.Ignore, err
			results[i].out = crdt.Outcome{Status: crdt.Rejected}
		}
		return nil, false
	}
	// 2. apply
	var fx effects
	for _, i := range admitted {
		e := results[i].res.Event
		out := n.replica.Apply(e)
		results[i].out = out
		n.effectsOf(batch[i], e, out, &fx)
	}
	n.stats.EventsStored = n.replica.Len()
	n.stats.EventsPending = n.replica.PendingLen()
	// 3. delete
	for _, id := range fx.deletes {
		_ = n.store.DeleteEvent(n.ctx, id)
	}
	// 4. announce
	n.announce(fx.changes)
	// 5. publish
	n.stats.Published += fx.own
	for _, m := range fx.publish {
		select {
		case n.outbox <- m:
		default:
			n.log.Warn("outbox full; the event will spread by sync", "topic", m.topic)
		}
	}
	// 6. push
	for _, j := range fx.push {
		if j.raw == nil {
			raw, err := n.store.GetEvent(n.ctx, j.id)
			if err != nil {
				continue
			}
			j.raw = raw
		}
		select {
		case n.pushJobs <- j:
		default:
			n.stats.PushDropped++
		}
	}
	// 6b. wake sleeping phones (a relay's, WithWakeups)
	n.queueWakes(fx.wake)
	// 7. arm gap checks: gossip often delivers a parent a moment later, so
	// only an event still pending after the wait is worth a sync session
	for _, g := range fx.gaps {
		n.cfg.clock.AfterFunc(g.after, func() {
			select {
			case n.gapCheck <- g:
			default:
			}
		})
	}
	return fx.orders, fx.coop
}

// effectsOf adds to fx what applying e from in, with outcome out, asks of
// the node. It reads the replica and changes nothing.
func (n *Node) effectsOf(in incoming, e *crdt.Event, out crdt.Outcome, fx *effects) {
	switch out.Status {
	case crdt.Stored, crdt.Pending, crdt.Duplicate:
	default:
		fx.deletes = append(fx.deletes, e.ID) // refused by a scope limit or a late check
	}
	fx.deletes = append(fx.deletes, out.Dropped...)
	if in.src == srcGossip {
		n.stats.GossipAccepted++
	}
	if out.Status == crdt.Pending && in.from != "" {
		fx.gaps = append(fx.gaps, gapReq{id: e.ID, from: in.from, after: in.src.gapWait()})
	}
	switch {
	case in.src == srcLocal && out.Status == crdt.Stored:
		fx.publish = append(fx.publish, outMsg{topic: protocol.TopicFor(e), raw: in.raw})
		fx.own++
	case (in.src == srcSync || in.retried) && (out.Status == crdt.Stored || out.Status == crdt.Pending) && n.nowMs()-e.Wall < protocol.MaxGossipAge:
		// an event still young enough for gossip (an offline courier's
		// delivery, say) is passed on, so it does not wait for every
		// other node's next sync session (SPEC.md §8.6); so is one kept
		// for our lag, which gossip ignored rather than forwarded
		fx.publish = append(fx.publish, outMsg{topic: protocol.TopicFor(e), raw: in.raw})
	}
	if out.Status != crdt.Stored {
		return
	}
	fx.changes = append(fx.changes, n.changesOf(e, out.Changed, in.src == srcLocal)...)
	if j, ok := n.pushJobFor(e, in.raw, in.from); ok {
		fx.push = append(fx.push, j)
	}
	fx.push = append(fx.push, n.claimPushes(e, in.src == srcLocal)...)
	fx.wake = append(fx.wake, n.wakeTargetsFor(e)...)
	for _, r := range out.Released {
		// events that waited for this one: each gets its own change
		fx.changes = append(fx.changes, n.changesOf(r, []crdt.ScopeRef{refOf(r)}, false)...)
		if j, ok := n.pushJobFor(r, nil, ""); ok {
			fx.push = append(fx.push, j)
		}
	}
	for _, ref := range out.Changed {
		switch ref.Class {
		case crdt.ScopeOrder:
			fx.orders = append(fx.orders, ref.ID)
		case crdt.ScopeCoop:
			fx.coop = true
		}
	}
}

// changesOf builds the changes an applied event made, one per scope, with
// an order's state as of the event. It runs on the loop.
func (n *Node) changesOf(e *crdt.Event, refs []crdt.ScopeRef, local bool) []Change {
	var changes []Change
	for _, ref := range refs {
		ch := Change{Scope: ref.Class.String(), Coop: ref.Coop, ID: ref.ID, Event: e.ID, Kind: e.Kind.String(), Local: local}
		if ref.Class == crdt.ScopeOrder {
			ch.Order, _ = n.replica.Order(ref.ID)
		}
		changes = append(changes, ch)
	}
	return changes
}

// author seals one of our own events and carries it through the path,
// then runs the duties it calls for. It runs on the loop.
func (n *Node) author(d draft) (*crdt.Event, error) {
	in, err := n.seal(d)
	if err != nil {
		return nil, err
	}
	results, changed := n.step([]incoming{in})
	if err := notStored(d.kind, results[0]); err != nil {
		return nil, err
	}
	n.fulfil(changed)
	return in.e, nil
}

// emit authors an event of ours with the wall clock now.
func (n *Node) emit(kind crdt.Kind, scope crdt.ID, body crdt.Payload) (*crdt.Event, error) {
	return n.author(draft{kind: kind, scope: scope, body: body})
}

// notStored is the refusal of an own event the path did not store, or nil.
func notStored(kind crdt.Kind, r ingested) error {
	if r.res.Verdict == protocol.Accept && r.out.Status == crdt.Stored {
		return nil
	}
	return refused(kind, firstNonEmpty(string(r.res.Reason), string(r.out.Reason), r.out.Status.String()), "")
}

// refusal is the refusal of one of our own events for reason. An
// invalid_transition names the order's current status, so that the person
// refused learns what the order is doing now ("the order is cancelled").
// It runs on the loop.
func (n *Node) refusal(d draft, reason crdt.Reason) *RefusedError {
	re := refused(d.kind, string(reason), "")
	if reason != crdt.ReasonBadTransition || d.kind.Class() != crdt.ScopeOrder || d.kind.IsRoot() {
		return re
	}
	if st, ok := n.replica.Order(d.scope); ok {
		re.Detail = fmt.Sprintf("the order is %s, which does not allow %s (%s)", st.Status, d.kind, reason)
	}
	return re
}

// seal builds, signs and simulates one of our own events (SPEC.md §12.1,
// "Own events"): an event the fold would not take is refused here, before
// it is persisted or sent.
func (n *Node) seal(d draft) (incoming, error) {
	coop := n.cfg.coop
	wall := d.wall
	if wall == 0 {
		wall = n.nowMs()
	}
	pd := protocol.Draft{Coop: coop, Scope: d.scope, Kind: d.kind, Wall: wall, Body: d.body}
	switch {
	case d.kind == crdt.KindCoopGenesis:
		pd.Coop, pd.Scope, pd.Lamport = crdt.ID{}, crdt.ID{}, 1
	case d.kind.IsRoot():
		if coop.IsZero() {
			return incoming{}, ErrNoCoop
		}
		pd.Scope, pd.Lamport = crdt.ID{}, 1
	case d.kind.Class() == crdt.ScopeCatalog:
		if coop.IsZero() {
			return incoming{}, ErrNoCoop
		}
		pd.Lamport = 1
		if cur, ok := n.replica.Doc(crdt.DocKey{Coop: coop, Owner: crdt.PubKey(d.scope), Kind: d.kind}); ok {
			pd.Lamport, pd.Parents = cur.Lamport+1, []crdt.ID{cur.ID}
		}
	default:
		if coop.IsZero() {
			return incoming{}, ErrNoCoop
		}
		if err := n.notArchived(d.kind, d.scope, wall); err != nil {
			return incoming{}, err
		}
		pd.Parents = n.latestHeads(d.kind.Class(), d.scope)
		if len(pd.Parents) == 0 {
			return incoming{}, fmt.Errorf("%w: %s", ErrUnknown, d.scope.Short())
		}
		pd.Lamport = n.replica.NextLamport(pd.Parents)
	}
	key := n.key
	if d.signer != nil {
		key = d.signer
	}
	e, raw, err := protocol.Seal(key, pd)
	if err != nil {
		return incoming{}, fmt.Errorf("%w: %w", ErrBadArgument, err)
	}
	if r := n.replica.Simulate(e); r != crdt.ReasonOK {
		return incoming{}, n.refusal(d, r)
	}
	return incoming{raw: raw, e: e, src: srcLocal}, nil
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
