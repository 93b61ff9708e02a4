package node

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
	"github.com/coopnode/coopnode/protocol/recon"
	"github.com/coopnode/coopnode/protocol/syncwire"
)

// SyncReport is what one catch-up session cost and brought (SPEC.md §8.6).
type SyncReport struct {
	Peer       peer.ID `json:"peer"`
	RoundTrips int     `json:"round_trips"`
	BytesOut   int     `json:"bytes_out"`
	BytesIn    int     `json:"bytes_in"`
	EventsIn   int     `json:"events_in"`
	EventsOut  int     `json:"events_out"`
	// EventBytes is the size of the events moved, both ways: the d·S of
	// the SPEC.md §8 target; the rest of the bytes is sync overhead.
	EventBytes int `json:"event_bytes"`
	Items      int `json:"items"` // events in scope on this side
	// Pushed is how many of EventsIn the responder pushed with its
	// reconciliation replies; Wanted how many events were then requested
	// by ID (SPEC.md §8.6).
	Pushed int `json:"pushed"`
	Wanted int `json:"wanted"`
	// Cut says the session stopped at its bound (sessionLimit, SPEC.md
	// §8.6.4) with more to exchange: the next session continues.
	Cut bool `json:"cut"`
	// Session is this session's number in the current catch-up with the
	// peer (1 for one that needed a single session), CatchUpEvents the
	// events received in that catch-up so far, this session's included.
	Session       int `json:"session"`
	CatchUpEvents int `json:"catch_up_events"`
}

// Sync runs one catch-up session with p now and reports its cost.
func (n *Node) Sync(ctx context.Context, p peer.ID) (SyncReport, error) {
	if !n.track() {
		return SyncReport{}, ErrClosed
	}
	defer n.wg.Done()
	return n.syncWith(ctx, p)
}

func (n *Node) syncWith(ctx context.Context, p peer.ID) (rep SyncReport, err error) {
	rep.Peer = p
	n.initiating.Lock()
	defer n.initiating.Unlock()
	ctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	var in interest
	var set *recon.SortedSet
	if err := n.do(ctx, func() error {
		if n.cfg.coop.IsZero() {
			return ErrNoCoop
		}
		in = n.ownInterest()
		var err error
		set, err = n.syncSet(in)
		return err
	}); err != nil {
		return rep, err
	}
	rep.Items = set.Len()
	s, err := n.host.NewStream(network.WithAllowLimitedConn(ctx, "sync"), p, protocol.SyncProtocolID)
	if err != nil {
		return rep, fmt.Errorf("node: open sync stream to %s: %w", p, err)
	}
	defer s.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = s.SetDeadline(dl)
	}
	// not every transport honours deadlines (mocknet does not): when the
	// session's context ends, reset the stream so no read or write hangs
	defer context.AfterFunc(ctx, func() { _ = s.Reset() })()
	f := newFrameRW(s, s)
	defer func() {
		rep.RoundTrips, rep.BytesIn, rep.BytesOut, rep.EventBytes = f.c.RoundTrips(), f.c.BytesIn(), f.c.BytesOut(), f.evBytes
		_ = n.do(context.Background(), func() error {
			n.stats.SyncSessions++
			n.stats.SyncBytesIn += f.c.BytesIn()
			n.stats.SyncBytesOut += f.c.BytesOut()
			n.stats.SyncRoundTrips += f.c.RoundTrips()
			if err == nil {
				n.catchUp.note(n, &rep)
				if !rep.Cut { // in step: the since hint of the next sessions (SPEC.md §8.6.3)
					n.lastSynced = n.nowMs()
					var b [8]byte
					binary.BigEndian.PutUint64(b[:], uint64(n.lastSynced))
					_ = n.store.PutMeta(n.ctx, "last_synced", b[:])
				}
				n.fulfil(n.ownOrders()) // a duty missed before is owed still (SPEC.md §7.3)
			}
			return nil
		})
	}()

	ini := recon.NewInitiator(set, recon.Options{Since: in.since, Rand: n.randReader()})
	msg, err := ini.Initiate()
	if err != nil {
		return rep, err
	}
	if err := f.write(syncwire.FrameHello, encodeHello(in)); err != nil {
		return rep, err
	}
	if err := f.write(syncwire.FrameRecon, msg); err != nil {
		return rep, err
	}
	// reconciliation: the responder answers each message with the events
	// it pushes, then its reply (SPEC.md §8.6)
	for done := false; !done; {
		typ, body, err := f.read()
		if err != nil {
			return rep, err
		}
		switch typ {
		case syncwire.FrameEvents:
			k, items, err := n.receiveEvents(ctx, f, body, p)
			rep.EventsIn += k
			rep.Pushed += k
			if err != nil {
				return rep, err
			}
			if err := ini.AddPushed(items...); err != nil {
				return rep, fmt.Errorf("%w: pushed events: %w", ErrSyncProtocol, err)
			}
		case syncwire.FrameRecon:
			msg, done, err = ini.Next(body)
			if err != nil {
				return rep, fmt.Errorf("%w: %w", ErrSyncProtocol, err)
			}
			if !done && (rep.Pushed+len(ini.Need()) >= sessionLimit.events || f.evBytes >= sessionLimit.bytes) {
				// the session's bound: what is settled now is exchanged,
				// the rest in the next session (SPEC.md §8.6.4)
				rep.Cut, done = true, true
			}
			if !done {
				if err := f.write(syncwire.FrameRecon, msg); err != nil {
					return rep, err
				}
			}
		default:
			return rep, fmt.Errorf("%w: want recon or events, got frame %d", ErrSyncProtocol, typ)
		}
	}
	have, need := toIDs(ini.Have()), toIDs(ini.Need())
	need = slices.DeleteFunc(need, n.rejected.has) // refused for good: not wanted again
	// an archived order's events are never wanted again (SPEC.md §4.5 rule 4)
	need = slices.DeleteFunc(need, func(id crdt.ID) bool { return n.store.archivedEvent(ctx, id) })
	if room := max(sessionLimit.events-rep.EventsIn, 0); len(need) > room {
		need, rep.Cut = need[:room], true
	}
	rep.Wanted = len(need)
	// only what the responder needs: it declared no interest (SPEC.md
	// §8.6.2), so order events go to followers of the orders topic and to
	// the order's parties, as party push does (§10.4)
	follower := slices.Contains(n.gossip.topicPeers(protocol.TopicOrders(in.coop)), p)
	if err := n.do(ctx, func() error { have = n.neededBy(p, follower, have); return nil }); err != nil {
		return rep, err
	}
	var cut bool
	if rep.EventsOut, cut, err = n.sendEvents(ctx, f, have, sessionLimit.events, sessionLimit.bytes); err != nil {
		return rep, err
	}
	rep.Cut = rep.Cut || cut
	for len(need) > 0 {
		k := min(len(need), syncwire.WantPerFrame)
		if err := f.write(syncwire.FrameWant, encodeIDs(need[:k])); err != nil {
			return rep, err
		}
		need = need[k:]
	}
	if err := f.write(syncwire.FrameDone, nil); err != nil {
		return rep, err
	}
	for {
		typ, body, err := f.read()
		if err != nil {
			return rep, err
		}
		switch typ {
		case syncwire.FrameEvents:
			k, _, err := n.receiveEvents(ctx, f, body, p)
			rep.EventsIn += k
			if err != nil {
				return rep, err
			}
		case syncwire.FrameDone:
			return rep, nil
		default:
			return rep, fmt.Errorf("%w: unexpected frame %d", ErrSyncProtocol, typ)
		}
	}
}

func toIDs(ids []recon.ID) []crdt.ID {
	out := make([]crdt.ID, len(ids))
	for i, id := range ids {
		out[i] = crdt.ID(id)
	}
	return out
}

// handleSync answers a peer's session on a libp2p stream goroutine.
func (n *Node) handleSync(s network.Stream) {
	if !n.track() {
		_ = s.Reset()
		return
	}
	defer n.wg.Done()
	defer s.Close()
	ctx, cancel := context.WithTimeout(n.ctx, syncTimeout)
	defer cancel()
	_ = s.SetDeadline(time.Now().Add(syncTimeout))
	defer context.AfterFunc(ctx, func() { _ = s.Reset() })()
	from := s.Conn().RemotePeer()
	f := newFrameRW(s, s)
	err := n.respond(ctx, f, from)
	if err != nil {
		n.log.Debug("sync responder", "peer", from, "err", err)
		// the Error frame, then a close that delivers it (a reset may
		// discard it on the way)
		_ = f.write(syncwire.FrameError, []byte(err.Error()))
		_ = s.Close()
	}
	_ = n.do(context.Background(), func() error {
		n.stats.SyncBytesIn += f.c.BytesIn()
		n.stats.SyncBytesOut += f.c.BytesOut()
		if err == nil {
			n.fulfil(n.ownOrders()) // a duty missed before is owed still (SPEC.md §7.3)
		}
		return nil
	})
}

func (n *Node) respond(ctx context.Context, f *frameRW, from peer.ID) error {
	typ, body, err := f.read()
	if err != nil {
		return err
	}
	if typ != syncwire.FrameHello {
		return fmt.Errorf("%w: want hello", ErrSyncProtocol)
	}
	in, err := decodeHello(body)
	if err != nil {
		return err
	}
	var set *recon.SortedSet
	if err := n.do(ctx, func() error {
		if in.coop != n.cfg.coop {
			return ErrSyncCoop
		}
		var err error
		set, err = n.syncSet(in)
		return err
	}); err != nil {
		return err
	}
	// the events a reply settles as lacking on the initiator's side travel
	// right before it, instead of waiting for a Want (SPEC.md §8.6)
	push := &pusher{ctx: ctx, store: n.store, raws: map[recon.ID][]byte{}}
	rs := recon.NewResponder(set, recon.Options{Push: push.push})
	var wanted []crdt.ID
	for {
		typ, body, err := f.read()
		if err != nil {
			return err
		}
		switch typ {
		case syncwire.FrameRecon:
			reply, _, err := rs.Respond(body)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrSyncProtocol, err)
			}
			sent, err := push.send(f, rs.TakePushed())
			_ = n.do(ctx, func() error { n.stats.SyncEventsOut += sent; return nil })
			if err != nil {
				return err
			}
			if err := f.write(syncwire.FrameRecon, reply); err != nil {
				return err
			}
		case syncwire.FrameEvents:
			if _, _, err := n.receiveEvents(ctx, f, body, from); err != nil {
				return err
			}
		case syncwire.FrameWant:
			// served after Done: the initiator may still be writing, and
			// writing back meanwhile could fill both directions of the
			// stream at once (SPEC.md §8.6)
			ids, err := decodeIDs(body)
			if err != nil {
				return err
			}
			if len(wanted)+len(ids) > max(set.Len(), syncwire.WantPerFrame) {
				return fmt.Errorf("%w: %d events wanted, %d in scope", ErrSyncProtocol, len(wanted)+len(ids), set.Len())
			}
			wanted = append(wanted, ids...)
		case syncwire.FrameDone:
			// within the session's bound, pushes included: an initiator
			// wants the rest in its next session (SPEC.md §8.6.4)
			sent, _, err := n.sendEvents(ctx, f, wanted, sessionLimit.events-push.events, sessionLimit.bytes-push.bytes)
			_ = n.do(ctx, func() error { n.stats.SyncEventsOut += sent; return nil })
			if err != nil {
				return err
			}
			return f.write(syncwire.FrameDone, nil)
		default:
			return fmt.Errorf("%w: unexpected frame %d", ErrSyncProtocol, typ)
		}
	}
}

// ---- scheduling ----

// track registers a goroutine that must finish before Close returns; it
// returns false once the node is closing.
func (n *Node) track() bool {
	n.trackMu.Lock()
	defer n.trackMu.Unlock()
	if n.closing {
		return false
	}
	n.wg.Add(1)
	return true
}

// requestSync asks the syncer for a session with p; it never blocks.
func (n *Node) requestSync(p peer.ID) {
	if p == "" || p == n.host.ID() {
		return
	}
	select {
	case n.syncReq <- p:
	default:
	}
}

// syncAll requests a session with every connected peer.
func (n *Node) syncAll() {
	for _, p := range n.host.Network().Peers() {
		n.requestSync(p)
	}
}

// antiEntropy syncs with one random connected peer (SPEC.md §8.6.3).
func (n *Node) antiEntropy() {
	peers := n.host.Network().Peers()
	if len(peers) == 0 {
		return
	}
	n.rngMu.Lock()
	i := n.cfg.rng.Intn(len(peers))
	n.rngMu.Unlock()
	n.requestSync(peers[i])
}

// syncer runs requested sessions one at a time, skipping repeats queued
// while a session with the same peer ran.
func (n *Node) syncer() {
	defer n.wg.Done()
	for {
		select {
		case <-n.ctx.Done():
			return
		case p := <-n.syncReq:
			pending := map[peer.ID]bool{p: true}
		drain:
			for {
				select {
				case q := <-n.syncReq:
					pending[q] = true
				default:
					break drain
				}
			}
			for q := range pending {
				if n.ctx.Err() != nil {
					return
				}
				if n.host.Network().Connectedness(q) != network.Connected {
					continue
				}
				rep, err := n.syncWith(n.ctx, q)
				if err != nil {
					n.log.Debug("sync", "peer", q, "err", err)
				} else if rep.EventsIn+rep.EventsOut > 0 {
					n.log.Info("synced", "peer", q, "in", rep.EventsIn, "out", rep.EventsOut, "round_trips", rep.RoundTrips, "bytes", rep.BytesIn+rep.BytesOut, "cut", rep.Cut)
				}
				if err == nil && rep.Cut && rep.EventsIn+rep.EventsOut > 0 {
					n.requestSync(q) // resume: the next session continues the catch-up
				}
			}
		}
	}
}

// watchPeers starts a session with every newly connected peer.
func (n *Node) watchPeers() {
	defer n.wg.Done()
	for {
		select {
		case <-n.ctx.Done():
			return
		case p, ok := <-n.disc.connected():
			if !ok {
				return
			}
			if !n.cfg.noConnSync {
				n.requestSync(p)
			}
		}
	}
}
