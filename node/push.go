package node

import (
	"bufio"
	"context"
	"errors"
	"io"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// Party push (SPEC.md §10.4).
//
// Why: the orders topic carries every order of the city. Couriers need all
// of it (the job board) and relays keep it, but a customer needs only its
// own orders and a restaurant only the orders placed with it. If they
// followed the topic, every phone would carry the city's traffic. So
// customers and restaurants do not follow it (defaultFollow), and the
// events of their orders are pushed to them instead: every node that stores
// an order event sends it, over a one-way push stream, to the order's
// parties it is directly connected to that do not follow the orders topic.
// A leaf is usually connected to a few couriers or a relay, so it gets its
// events one hop after they do, and nothing else.
//
// Who does what, and on which goroutine:
//
//   - the loop, when it stores an order event (advance), resolves the
//     order's parties to device keys (pushJobFor) and queues a pushJob; it
//     never talks to pubsub or the network;
//   - the pusher goroutine turns jobs into frames for connected peers that
//     are parties and do not follow the orders topic, one pushWriter per
//     peer;
//   - each pushWriter goroutine opens one stream to its peer and writes
//     frames until the node closes, the stream fails or it idles out;
//   - handlePush, libp2p's goroutine for an inbound stream, reads frames and
//     hands each event to the loop, which checks it as it would a gossip
//     message (ingestPushed).
//
// Nothing is acknowledged: a frame lost with a broken stream or a full
// queue is repaired by sync, as a lost gossip message is.

// pushJob is one stored order event for the pusher: the bytes, the device
// keys of the order's parties, and whom not to send it to.
type pushJob struct {
	id      crdt.ID
	raw     []byte
	orders  string        // the coop's orders topic: its followers get gossip instead
	targets []crdt.PubKey // device keys (member keys and linked devices) of the parties
	from    peer.ID       // the peer that sent it to us ("" for our own)
	author  crdt.PubKey
	// followers too: the winning claim sent to the losing claimants with
	// the restaurant's confirmation (SPEC.md §10.8, claimPushes)
	followers bool
}

// pushJobFor resolves e's order to the device keys of its parties that the
// pusher offers it to (SPEC.md §10.4). It runs on the loop, for every order
// event the node stores, whatever way it arrived, and changes nothing; a
// nil raw is read from the store when the job is queued.
func (n *Node) pushJobFor(e *crdt.Event, raw []byte, from peer.ID) (pushJob, bool) {
	if n.pushJobs == nil || e.Kind.Class() != crdt.ScopeOrder || n.cfg.coop.IsZero() {
		return pushJob{}, false
	}
	s, ok := n.replica.OrderView(e.ScopeID())
	if !ok {
		return pushJob{}, false
	}
	coop := n.replica.CoopView(n.cfg.coop)
	var targets []crdt.PubKey
	// the holder too: a courier phone in leaf mode follows no orders topic
	for _, member := range s.Parties() {
		targets = append(targets, partyDevices(coop, member)...)
	}
	if !n.cfg.partyLinksOff && e.Author != n.self && slices.Contains(targets, n.self) && slices.Contains(targets, e.Author) {
		// a party's event, and we are another party: its author's party
		// links carry it to every party, and followers push it over a
		// link that is down; our copy would be a duplicate (SPEC.md §10.8)
		return pushJob{}, false
	}
	return pushJob{id: e.ID, raw: raw, orders: protocol.TopicOrders(n.cfg.coop), targets: targets, from: from, author: e.Author}, true
}

// pushWriter is one outbound push stream's queue; done closes when its
// goroutine has stopped.
type pushWriter struct {
	q    chan []byte
	done chan struct{}
}

func (w *pushWriter) alive() bool {
	select {
	case <-w.done:
		return false
	default:
		return true
	}
}

// pusher resolves push jobs to connected peers and feeds their writers. It
// owns the writer map.
func (n *Node) pusher() {
	defer n.wg.Done()
	writers := map[peer.ID]*pushWriter{}
	self := n.host.ID()
	for {
		var j pushJob
		select {
		case <-n.ctx.Done():
			return
		case j = <-n.pushJobs:
		}
		var followers map[peer.ID]bool // asked of pubsub only when needed
		for _, k := range j.targets {
			if k == j.author {
				continue
			}
			p, err := peerFromPubKey(k)
			if err != nil || p == self || p == j.from || n.host.Network().Connectedness(p) != network.Connected {
				continue
			}
			if followers == nil {
				followers = map[peer.ID]bool{}
				for _, f := range n.gossip.topicPeers(j.orders) {
					followers[f] = true
				}
			}
			if followers[p] && !j.followers {
				continue // it gets the event by gossip
			}
			w := writers[p]
			if w == nil || !w.alive() {
				w = &pushWriter{q: make(chan []byte, pushQueueLen), done: make(chan struct{})}
				writers[p] = w
				n.wg.Add(1)
				go n.runPushWriter(p, w)
			}
			select {
			case w.q <- j.raw:
			default:
				n.countPush(func(s *Stats) { s.PushDropped++ })
			}
		}
		for p, w := range writers { // forget stopped writers
			if !w.alive() {
				delete(writers, p)
			}
		}
	}
}

// runPushWriter opens a push stream to p and writes queued events to it
// until the node closes, a write fails or the stream idles out.
//
// A stream dies with its connection: when p restarts (a restaurant's
// desktop, say), the stream this writer holds belongs to the connection
// that went, while p is soon connected again on a new one. The frames in
// hand then go on a fresh stream rather than being lost, which would leave
// p to learn of them only at its next periodic sync (issue 12.3).
func (n *Node) runPushWriter(p peer.ID, w *pushWriter) {
	defer n.wg.Done()
	defer close(w.done)
	s, err := n.openPush(p)
	if err != nil {
		n.log.Debug("push: open stream", "peer", p, "err", err)
		return
	}
	idle := n.cfg.clock.NewTimer(pushIdle)
	defer idle.Stop()
	var buf []byte
	for {
		select {
		case <-n.ctx.Done():
			_ = s.Reset()
			return
		case <-idle.C():
			_ = s.Close()
			return
		case raw := <-w.q:
			buf = buf[:0]
			for more := true; more; {
				var err error
				if buf, err = protocol.AppendPushFrame(buf, raw); err != nil {
					n.log.Debug("push: frame", "err", err)
				}
				select { // what else is queued goes in the same write
				case raw = <-w.q:
				default:
					more = false
				}
			}
			if s = n.writePush(p, s, buf); s == nil {
				return
			}
			if n.cfg.pushSent != nil {
				n.cfg.pushSent(p, len(buf))
			}
			idle.Reset(pushIdle)
		}
	}
}

// openPush opens a push stream to p over an existing connection.
func (n *Node) openPush(p peer.ID) (network.Stream, error) {
	ctx, cancel := context.WithTimeout(n.ctx, pushOpenTimeout)
	defer cancel()
	return n.host.NewStream(network.WithNoDial(ctx, "push to a connected party"), p, protocol.PushProtocolID)
}

// writePush writes buf on s and returns the stream to use next. A stream
// whose connection closed, or whose write fails while p is connected again,
// is replaced once by a fresh one carrying buf; nil means the frames are
// lost (sync repairs them) and the writer stops.
func (n *Node) writePush(p peer.ID, s network.Stream, buf []byte) network.Stream {
	for attempt := 0; ; attempt++ {
		if !s.Conn().IsClosed() {
			_ = s.SetWriteDeadline(time.Now().Add(pushWriteTimeout))
			_, err := s.Write(buf)
			if err == nil {
				return s
			}
			n.log.Debug("push: write", "peer", p, "attempt", attempt, "err", err)
		}
		_ = s.Reset()
		if attempt > 0 || n.host.Network().Connectedness(p) != network.Connected {
			return nil
		}
		var err error
		if s, err = n.openPush(p); err != nil {
			n.log.Debug("push: reopen stream", "peer", p, "err", err)
			return nil
		}
	}
}

// handlePush reads an inbound push stream: one order event per frame, each
// checked on the loop like a gossip message (SPEC.md §10.4). A framing
// error resets the stream.
func (n *Node) handlePush(s network.Stream) {
	from := s.Conn().RemotePeer()
	r := bufio.NewReader(s)
	for {
		raw, err := protocol.ReadPushFrame(r)
		if err != nil {
			if errors.Is(err, io.EOF) {
				_ = s.Close()
			} else {
				n.log.Debug("push: read", "peer", from, "err", err)
				_ = s.Reset()
			}
			return
		}
		if n.cfg.pushRecv != nil {
			n.cfg.pushRecv(from, raw)
		}
		if !n.peerLimit.allow(string(from)) {
			n.countGossip(limitedVerdict)
			continue
		}
		if err := n.do(n.ctx, func() error { n.ingestPushed(raw, from); return nil }); err != nil {
			_ = s.Reset()
			return
		}
	}
}

// ingestPushed admits one pushed event on the loop. Push carries only this
// coop's order events; anything else is refused without being stored.
func (n *Node) ingestPushed(raw []byte, from peer.ID) {
	if id, err := protocol.ID(raw); err == nil && n.replica.Known(id) {
		n.stats.PushDuplicate++
		return
	}
	res := protocol.Validate(raw, n.nowMs(), protocol.ModeSync, n.replica)
	if res.Verdict == protocol.Accept {
		if e := res.Event; e.Kind.Class() != crdt.ScopeOrder || e.Coop != n.cfg.coop {
			res.Verdict = protocol.Reject
		} else if !n.keyLimit.allow(string(e.Author[:])) {
			n.stats.RateLimited++
			return
		}
	}
	if res.Verdict != protocol.Accept {
		n.stats.PushRejected++
		n.log.Debug("push: refused", "from", from, "verdict", res.Verdict, "reason", res.Reason)
		return
	}
	if r := n.ingest(incoming{raw: raw, e: res.Event, src: srcPush, from: from}); r[0].res.Verdict == protocol.Accept {
		n.stats.PushAccepted++
	}
}

// countPush updates the stats from a goroutine other than the loop, without
// waiting: a lost count is fine.
func (n *Node) countPush(f func(*Stats)) {
	select {
	case n.reqs <- func() { f(&n.stats) }:
	default:
	}
}

// neededBy keeps the events of ids that peer p needs (SPEC.md §8.6.2,
// §10.4): every coop-log and catalogue event; an order's events only if p
// follows the orders topic or is a device of one of the order's parties.
// It runs on the loop.
func (n *Node) neededBy(p peer.ID, follower bool, ids []crdt.ID) []crdt.ID {
	if follower {
		return ids
	}
	pk, err := pubKeyFromPeer(p)
	if err != nil {
		return nil
	}
	member, ok := n.replica.CoopView(n.cfg.coop).MemberKey(pk, n.nowMs())
	if !ok {
		member = pk // a customer needs no membership
	}
	out := ids[:0:0]
	for _, id := range ids {
		e, ok := n.replica.Event(id)
		if !ok {
			continue
		}
		if e.Kind.Class() != crdt.ScopeOrder {
			out = append(out, id)
			continue
		}
		if s, ok := n.replica.Order(e.ScopeID()); ok && s.IsParty(member) {
			out = append(out, id)
		}
	}
	return out
}
