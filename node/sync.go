package node

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
	"github.com/coopnode/coopnode/protocol/recon"
	"github.com/coopnode/coopnode/protocol/syncwire"
)

// Catch-up sync sessions (SPEC.md §8.6). The initiator opens a stream,
// sends Hello (its coop and interest) with its first reconciliation message,
// and the two sides exchange reconciliation messages until the initiator
// knows which events each side lacks. It then sends the events the responder
// lacks together with a Want list, and the responder answers with the wanted
// events. When the first reconciliation reply settles the difference (the
// usual case, thanks to the Since hint) that is two round trips.

// The wire form (frames, Hello, ID and event lists, limits) is package
// protocol/syncwire; this file holds what a node lists, sends and stores.

// sessionLimit bounds one session's work on each side (SPEC.md §8.6.4,
// §8.7): the events a responder sends (pushed and wanted together), and
// those an initiator takes in, wants and sends. A catch-up larger than
// that takes several sessions, each continuing where the last stopped:
// what a session brought is in the next one's item set, so reconciliation
// settles it by fingerprint. At about 300 bytes an event, 4 096 events is
// about 1.2 MB: well within the 30 s session on a slow link, a phone's
// signature checks included. A variable so that tests can lower it.
var sessionLimit = struct{ events, bytes int }{4096, 2 << 20}

// pushLimit bounds what a responder pushes in one session (it holds the
// events of one reply in memory until the reply is sent); the rest is
// named by ID and wanted. A variable so that tests can lower it.
var pushLimit = sessionLimit

// Errors of sync sessions. Every error a session returns for bad input
// from the peer wraps ErrSyncProtocol.
var (
	ErrSyncProtocol = errors.New("node: sync protocol violation")
	ErrSyncCoop     = errors.New("node: sync peer follows another coop")
)

// interest is what a node wants from the coop (SPEC.md §8.6.2): the coop log
// and catalogues always, and the orders selected by flags, parties and the
// listed order keys.
type interest struct {
	coop    crdt.ID
	flags   byte
	parties []crdt.PubKey
	since   uint64
	orders  []syncwire.OrderKey // strictly ascending
}

func (in interest) wantsOrder(id crdt.ID, s *crdt.OrderState) bool {
	switch {
	case in.flags&syncwire.InterestNoOrders != 0:
		return false
	case in.flags&syncwire.InterestAll != 0:
		return true
	case in.flags&syncwire.InterestOpen != 0 && s.Status.Open():
		return true
	case in.lists(id):
		// the initiator sees it open: both sides include it, so the events
		// that closed it reach an initiator that missed them (SPEC.md §8.6.2)
		return true
	}
	for _, p := range in.parties {
		if s.IsParty(p) {
			return true
		}
		for _, c := range s.Claims {
			if c.Courier == p {
				return true
			}
		}
	}
	return false
}

// lists reports whether the interest lists the order's key.
func (in interest) lists(id crdt.ID) bool {
	_, ok := slices.BinarySearchFunc(in.orders, syncwire.KeyOf(id), func(a, b syncwire.OrderKey) int { return bytes.Compare(a[:], b[:]) })
	return ok
}

// lastActivity is the wall time of the order's latest applied event.
func lastActivity(s *crdt.OrderState) int64 {
	var last int64
	for _, st := range s.Steps {
		last = max(last, st.Wall)
	}
	return last
}

// ownInterest derives this node's interest from its role. Runs on the loop.
func (n *Node) ownInterest() interest {
	in := interest{coop: n.cfg.coop, parties: []crdt.PubKey{n.self}}
	if m, ok := n.replica.CoopView(n.cfg.coop).MemberKey(n.self, n.nowMs()); ok && m != n.self {
		in.parties = append(in.parties, m)
	}
	switch n.cfg.role {
	case RoleRelay, RoleAdmin:
		in.flags = syncwire.InterestAll
	case RoleCourier:
		in.flags = syncwire.InterestOpen
		in.orders = n.openOrderKeys()
	}
	if n.lastSynced > sinceMarginMs {
		in.since = uint64(n.lastSynced - sinceMarginMs)
	}
	return in
}

// openOrderKeys lists the keys of the orders this node sees open, the
// syncwire.MaxListedOrders most recently active ones if there are more, ascending
// (SPEC.md §8.6.2). Runs on the loop.
func (n *Node) openOrderKeys() []syncwire.OrderKey {
	type open struct {
		key  syncwire.OrderKey
		last int64
	}
	var all []open
	for _, id := range n.replica.OpenOrderIDs(n.cfg.coop) {
		if s, ok := n.replica.OrderView(id); ok && s.Status.Open() {
			all = append(all, open{syncwire.KeyOf(id), lastActivity(s)})
		}
	}
	if len(all) > syncwire.MaxListedOrders {
		slices.SortFunc(all, func(a, b open) int {
			if c := cmp.Compare(b.last, a.last); c != 0 {
				return c
			}
			return bytes.Compare(a.key[:], b.key[:])
		})
		all = all[:syncwire.MaxListedOrders]
	}
	keys := make([]syncwire.OrderKey, len(all))
	for i, o := range all {
		keys[i] = o.key
	}
	slices.SortFunc(keys, func(a, b syncwire.OrderKey) int { return bytes.Compare(a[:], b[:]) })
	return slices.Compact(keys)
}

// syncSet returns the item set of an interest (SPEC.md §8.6.2) from the
// reconciliation index (sync_index.go): for `all`, the index's set as it
// stands, with no event looked at; for a narrower interest, the items of
// the orders it selects. Orders past the archive horizon at the node's
// time are in neither (§4.5 rule 3). Runs on the loop; the set returned
// is the session's (later changes make a new one).
func (n *Node) syncSet(in interest) (*recon.SortedSet, error) {
	c := n.syncIdx.coop(in.coop)
	c.refresh(n.nowMs(), func(id crdt.ID, last int64) bool {
		s, ok := n.replica.OrderView(id)
		return ok && crdt.PastHorizon(s, last, n.nowMs())
	})
	var set *recon.SortedSet
	var items []recon.Item
	selected := c.inScope
	if in.flags&syncwire.InterestNoOrders == 0 && in.flags&syncwire.InterestAll != 0 {
		set = c.all()
	} else {
		chosen := map[crdt.ID]bool{}
		items = c.selected(func(id crdt.ID) bool {
			s, ok := n.replica.OrderView(id)
			chosen[id] = ok && in.wantsOrder(id, s)
			return chosen[id]
		})
		selected = func(id crdt.ID) bool { return chosen[id] }
	}
	// events refused for good count as held, so no session offers them
	// again (SPEC.md §15.3)
	var rej []recon.Item
	for _, it := range n.rejected.items(in, selected, func(id crdt.ID) bool { _, ok := n.replica.OrderView(id); return ok }) {
		if !n.replica.Known(crdt.ID(it.ID)) {
			rej = append(rej, it)
		}
	}
	if set == nil {
		return recon.NewSet(append(items, rej...))
	}
	if len(rej) > 0 {
		return set.With(rej, nil)
	}
	return set, nil
}

// ---- framing (the codec is protocol/syncwire) ----

// frameRW is one session's frame codec plus the event bytes it carried.
type frameRW struct {
	c       *syncwire.Conn
	evBytes int // raw event bytes carried, both ways
}

func newFrameRW(r io.Reader, w io.Writer) *frameRW { return &frameRW{c: syncwire.NewConn(r, w)} }

func (f *frameRW) write(typ byte, body []byte) error { return f.c.WriteFrame(typ, body) }

func (f *frameRW) read() (byte, []byte, error) {
	typ, body, err := f.c.ReadFrame()
	return typ, body, syncErr(err)
}

// syncErr gives the codec's errors the node's sentinel: malformed bytes
// and a peer's Error frame wrap ErrSyncProtocol (codes.go).
func syncErr(err error) error {
	if errors.Is(err, syncwire.ErrMalformed) || errors.Is(err, syncwire.ErrPeer) {
		return fmt.Errorf("%w: %w", ErrSyncProtocol, err)
	}
	return err
}

func encodeHello(in interest) []byte {
	return syncwire.AppendHello(nil, syncwire.Hello{Coop: in.coop, Flags: in.flags, Since: in.since,
		Parties: in.parties, Orders: in.orders})
}

func decodeHello(b []byte) (interest, error) {
	h, err := syncwire.DecodeHello(b)
	return interest{coop: h.Coop, flags: h.Flags, since: h.Since, parties: h.Parties, orders: h.Orders}, syncErr(err)
}

func encodeIDs(ids []crdt.ID) []byte { return syncwire.AppendIDs(nil, ids) }

func decodeIDs(b []byte) ([]crdt.ID, error) {
	ids, err := syncwire.DecodeIDs(b)
	return ids, syncErr(err)
}

func encodeEvents(raws [][]byte) []byte { return syncwire.AppendEvents(nil, raws) }

func decodeEvents(b []byte) ([][]byte, error) {
	raws, err := syncwire.DecodeEvents(b)
	return raws, syncErr(err)
}

// eventFrames batches raw events into Events frames: at most
// syncwire.EventsPerFrame events, flushed once frameEventBytes are held.
type eventFrames struct {
	f    *frameRW
	raws [][]byte
	size int
	sent int
}

func (b *eventFrames) add(raw []byte) error {
	b.raws = append(b.raws, raw)
	b.f.evBytes += len(raw)
	b.size += len(raw)
	if len(b.raws) == syncwire.EventsPerFrame || b.size >= frameEventBytes {
		return b.flush()
	}
	return nil
}

func (b *eventFrames) flush() error {
	if len(b.raws) == 0 {
		return nil
	}
	err := b.f.write(syncwire.FrameEvents, encodeEvents(b.raws))
	b.sent += len(b.raws)
	b.raws, b.size = b.raws[:0], 0
	return err
}

// sendEvents writes the raw bytes of ids, in frames of
// syncwire.EventsPerFrame, until the budget of events and bytes is spent.
// It returns how many it sent and whether the budget cut the list.
func (n *Node) sendEvents(ctx context.Context, f *frameRW, ids []crdt.ID, events, bytes int) (int, bool, error) {
	b := &eventFrames{f: f}
	size := 0
	for _, id := range ids {
		if b.sent+len(b.raws) >= events || size >= bytes {
			err := b.flush()
			return b.sent, true, err
		}
		raw, err := n.store.GetEvent(ctx, id)
		if err != nil {
			continue // deleted meanwhile (a replaced document)
		}
		size += len(raw)
		if err := b.add(raw); err != nil {
			return b.sent, false, err
		}
	}
	err := b.flush()
	return b.sent, false, err
}

// pusher loads the events a responder pushes with one reconciliation reply
// (SPEC.md §8.6): recon asks it item by item, and it accepts while the
// event is still stored and the reply's budget lasts.
type pusher struct {
	ctx   context.Context
	store *Store
	raws  map[recon.ID][]byte
	// the session's pushes so far, this reply's included (pushLimit)
	events, bytes int
}

func (p *pusher) push(id recon.ID) bool {
	if _, ok := p.raws[id]; ok {
		return true
	}
	if p.events >= min(pushLimit.events, sessionLimit.events) || p.bytes >= min(pushLimit.bytes, sessionLimit.bytes) {
		return false
	}
	raw, err := p.store.GetEvent(p.ctx, crdt.ID(id))
	if err != nil {
		return false // deleted meanwhile: named by ID instead
	}
	p.raws[id] = raw
	p.events++
	p.bytes += len(raw)
	return true
}

// send writes the events of ids (the reply's TakePushed) and forgets the
// rest of what it loaded.
func (p *pusher) send(f *frameRW, ids []recon.ID) (int, error) {
	b := &eventFrames{f: f}
	for _, id := range ids {
		raw, ok := p.raws[id]
		if !ok {
			return b.sent, fmt.Errorf("node: pushed event %x was not loaded", id[:8])
		}
		if err := b.add(raw); err != nil {
			return b.sent, err
		}
	}
	clear(p.raws)
	return b.sent, b.flush()
}

// receiveEvents ingests one Events frame on the loop as one batch, which
// ingest applies coop events first (SPEC.md §8.6). It returns the number
// of events in the frame and the reconciliation items of those that
// decode.
func (n *Node) receiveEvents(ctx context.Context, f *frameRW, body []byte, from peer.ID) (int, []recon.Item, error) {
	raws, err := decodeEvents(body)
	if err != nil {
		return 0, nil, err
	}
	total := len(raws)
	for _, r := range raws {
		f.evBytes += len(r)
	}
	// events refused for good are not checked again (SPEC.md §15.3)
	raws = slices.DeleteFunc(raws, func(raw []byte) bool { id, err := protocol.ID(raw); return err == nil && n.rejected.has(id) })
	type item struct {
		e   *crdt.Event
		raw []byte
	}
	var items []item
	decoded, errs := protocol.DecodeBatch(raws) // signatures checked in batches (SPEC.md §3.3)
	for i, raw := range raws {
		if errs[i] == nil {
			items = append(items, item{decoded[i], raw})
		}
	}
	evs := make([]*crdt.Event, len(items))
	byID := map[crdt.ID][]byte{}
	ritems := make([]recon.Item, len(items))
	for i, it := range items {
		evs[i] = it.e
		byID[it.e.ID] = it.raw
		ritems[i] = recon.Item{Time: uint64(max(it.e.Wall, 0)), ID: recon.ID(it.e.ID)}
	}
	batch := make([]incoming, len(evs))
	for i, e := range evs {
		batch[i] = incoming{raw: byID[e.ID], e: e, src: srcSync, from: from}
	}
	err = n.do(ctx, func() error {
		for _, r := range n.ingest(batch...) { // one durable write per round of admission (ingest.go)
			n.rejected.remember(r.res)
		}
		n.stats.SyncEventsIn += total
		return nil
	})
	return total, ritems, err
}
