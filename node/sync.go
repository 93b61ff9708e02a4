package node

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
	"github.com/coopnode/coopnode/protocol/recon"
)

// Catch-up sync sessions (SPEC.md §8.6). The initiator opens a stream,
// sends Hello (its coop and interest) with its first reconciliation message,
// and the two sides exchange reconciliation messages until the initiator
// knows which events each side lacks. It then sends the events the responder
// lacks together with a Want list, and the responder answers with the wanted
// events. When the first reconciliation reply settles the difference (the
// usual case, thanks to the Since hint) that is two round trips.

// Frame types on a sync stream (SPEC.md §8.6.1).
const (
	frameHello  byte = 1
	frameRecon  byte = 2
	frameWant   byte = 3
	frameEvents byte = 4
	frameDone   byte = 5
	frameError  byte = 6
)

// Sync limits (SPEC.md §8.6.1, §9).
const (
	syncVersion      = 1
	maxFrame         = 4 << 20 // an Events frame of many events
	maxSyncParties   = 16
	maxListedOrders  = 4096 // order keys in a Hello
	orderKeyLen      = 8    // bytes of an order ID listed in a Hello
	syncTimeout      = 30 * time.Second
	sinceMarginMs    = 5 * 60_000
	eventsPerFrame   = 512
	frameEventBytes  = 1 << 20 // an Events frame is flushed past this many event bytes
	wantPerFrame     = 8192
	interestAll      = 1 << 0 // every order of the coop
	interestOpen     = 1 << 1 // every open order (couriers: the job board)
	interestNoOrders = 1 << 2 // coop log and catalogues only
)

// pushLimit bounds what a responder pushes with one reconciliation reply
// (it holds those events in memory until the reply is sent); the rest is
// named by ID and wanted. A variable so that tests can lower it.
var pushLimit = struct{ events, bytes int }{8192, 4 << 20}

// Errors of sync sessions. Every error a session returns for bad input
// from the peer wraps ErrSyncProtocol.
var (
	ErrSyncProtocol = errors.New("node: sync protocol violation")
	ErrSyncCoop     = errors.New("node: sync peer follows another coop")
)

// orderKey is the first orderKeyLen bytes of an order ID, as listed in a
// Hello.
type orderKey [orderKeyLen]byte

func keyOf(id crdt.ID) (k orderKey) {
	copy(k[:], id[:])
	return k
}

// interest is what a node wants from the coop (SPEC.md §8.6.2): the coop log
// and catalogues always, and the orders selected by flags, parties and the
// listed order keys.
type interest struct {
	coop    crdt.ID
	flags   byte
	parties []crdt.PubKey
	since   uint64
	orders  []orderKey // strictly ascending
}

func (in interest) wantsOrder(id crdt.ID, s *crdt.OrderState) bool {
	switch {
	case in.flags&interestNoOrders != 0:
		return false
	case in.flags&interestAll != 0:
		return true
	case in.flags&interestOpen != 0 && s.Status.Open():
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
	_, ok := slices.BinarySearchFunc(in.orders, keyOf(id), func(a, b orderKey) int { return bytes.Compare(a[:], b[:]) })
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
		in.flags = interestAll
	case RoleCourier:
		in.flags = interestOpen
		in.orders = n.openOrderKeys()
	}
	if n.lastSynced > sinceMarginMs {
		in.since = uint64(n.lastSynced - sinceMarginMs)
	}
	return in
}

// openOrderKeys lists the keys of the orders this node sees open, the
// maxListedOrders most recently active ones if there are more, ascending
// (SPEC.md §8.6.2). Runs on the loop.
func (n *Node) openOrderKeys() []orderKey {
	type open struct {
		key  orderKey
		last int64
	}
	var all []open
	for _, id := range n.replica.OrderIDs(n.cfg.coop) {
		if s, ok := n.replica.OrderView(id); ok && s.Status.Open() {
			all = append(all, open{keyOf(id), lastActivity(s)})
		}
	}
	if len(all) > maxListedOrders {
		slices.SortFunc(all, func(a, b open) int {
			if c := cmp.Compare(b.last, a.last); c != 0 {
				return c
			}
			return bytes.Compare(a.key[:], b.key[:])
		})
		all = all[:maxListedOrders]
	}
	keys := make([]orderKey, len(all))
	for i, o := range all {
		keys[i] = o.key
	}
	slices.SortFunc(keys, func(a, b orderKey) int { return bytes.Compare(a[:], b[:]) })
	return slices.Compact(keys)
}

// syncItems lists the IDs, with their wall times, of the events in scope of
// an interest. Runs on the loop.
func (n *Node) syncItems(in interest) []recon.Item {
	var items []recon.Item
	orders := map[crdt.ID]bool{}
	for _, id := range n.replica.OrderIDs(in.coop) {
		if s, ok := n.replica.OrderView(id); ok && in.wantsOrder(id, s) {
			orders[id] = true
		}
	}
	n.replica.StoredIDs(func(e *crdt.Event) {
		if e.Kind != crdt.KindCoopGenesis && e.Coop != in.coop {
			return
		}
		if e.Kind == crdt.KindCoopGenesis && e.ID != in.coop {
			return
		}
		if e.Kind.Class() == crdt.ScopeOrder && !orders[e.ScopeID()] {
			return
		}
		items = append(items, recon.Item{Time: uint64(max(e.Wall, 0)), ID: recon.ID(e.ID)})
	})
	// events refused for good count as held, so no session offers them
	// again (SPEC.md §15.3)
	for _, it := range n.rejected.items(in, orders, func(id crdt.ID) bool { _, ok := n.replica.OrderView(id); return ok }) {
		if !n.replica.Known(crdt.ID(it.ID)) {
			items = append(items, it)
		}
	}
	return items
}

// ---- framing ----

type frameRW struct {
	r        *bufio.Reader
	w        io.Writer
	in, out  int
	lastSent bool
	trips    int
	evBytes  int // raw event bytes carried, both ways
}

func (f *frameRW) write(typ byte, body []byte) error {
	// one write per frame: header and body together
	b := make([]byte, 0, binary.MaxVarintLen64+1+len(body))
	b = binary.AppendUvarint(b, uint64(len(body)+1))
	b = append(b, typ)
	b = append(b, body...)
	if _, err := f.w.Write(b); err != nil {
		return err
	}
	f.out += len(b)
	f.lastSent = true
	return nil
}

func (f *frameRW) read() (byte, []byte, error) {
	size, err := readUvarint(f.r)
	if err != nil {
		return 0, nil, err
	}
	if size == 0 || size > maxFrame {
		return 0, nil, fmt.Errorf("%w: frame of %d bytes", ErrSyncProtocol, size)
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(f.r, buf); err != nil {
		return 0, nil, err
	}
	if f.lastSent {
		f.trips++ // a reply after our flight closes a round trip
		f.lastSent = false
	}
	f.in += uvarintLen(size) + int(size)
	if buf[0] == frameError {
		return 0, nil, fmt.Errorf("%w: peer says: %s", ErrSyncProtocol, buf[1:])
	}
	return buf[0], buf[1:], nil
}

// readUvarint reads a frame's length: a minimal uvarint below 2^64. A
// stream that ends before it is io.EOF (nothing read) or
// io.ErrUnexpectedEOF; a malformed one wraps ErrSyncProtocol.
func readUvarint(r io.ByteReader) (uint64, error) {
	var v uint64
	for i := 0; i < binary.MaxVarintLen64; i++ {
		c, err := r.ReadByte()
		if err != nil {
			if i > 0 && err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		if i == binary.MaxVarintLen64-1 && c > 1 {
			break // overflows 64 bits
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			if c == 0 && i > 0 {
				return 0, fmt.Errorf("%w: non-minimal frame length", ErrSyncProtocol)
			}
			return v, nil
		}
	}
	return 0, fmt.Errorf("%w: frame length overflows 64 bits", ErrSyncProtocol)
}

// uvarint decodes a minimally encoded unsigned varint; non-minimal forms
// are malformed (SPEC.md §8.6.1), so every frame has one encoding.
func uvarint(b []byte) (uint64, int) {
	v, k := binary.Uvarint(b)
	if k <= 0 || k != uvarintLen(v) {
		return 0, -1
	}
	return v, k
}

func uvarintLen(v uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], v)
}

func encodeHello(in interest) []byte {
	b := []byte{syncVersion}
	b = append(b, in.coop[:]...)
	b = append(b, in.flags)
	b = binary.AppendUvarint(b, in.since)
	b = binary.AppendUvarint(b, uint64(len(in.parties)))
	for _, p := range in.parties {
		b = append(b, p[:]...)
	}
	b = binary.AppendUvarint(b, uint64(len(in.orders)))
	for _, k := range in.orders {
		b = append(b, k[:]...)
	}
	return b
}

func decodeHello(b []byte) (interest, error) {
	var in interest
	if len(b) < 1+32+1 {
		return in, fmt.Errorf("%w: hello of %d bytes", ErrSyncProtocol, len(b))
	}
	if b[0] != syncVersion {
		return in, fmt.Errorf("%w: hello version %d", ErrSyncProtocol, b[0])
	}
	copy(in.coop[:], b[1:33])
	in.flags = b[33]
	rest := b[34:]
	since, k := uvarint(rest)
	if k <= 0 {
		return in, fmt.Errorf("%w: bad hello since", ErrSyncProtocol)
	}
	in.since, rest = since, rest[k:]
	np, k := uvarint(rest)
	if k <= 0 || np > maxSyncParties || uint64(len(rest)-k) < np*32 {
		return in, fmt.Errorf("%w: bad hello parties", ErrSyncProtocol)
	}
	rest = rest[k:]
	for i := uint64(0); i < np; i++ {
		var p crdt.PubKey
		copy(p[:], rest[i*32:])
		in.parties = append(in.parties, p)
	}
	rest = rest[np*32:]
	no, k := uvarint(rest)
	if k <= 0 || no > maxListedOrders || uint64(len(rest)-k) != no*orderKeyLen {
		return in, fmt.Errorf("%w: bad hello order list", ErrSyncProtocol)
	}
	rest = rest[k:]
	for i := uint64(0); i < no; i++ {
		var o orderKey
		copy(o[:], rest[i*orderKeyLen:])
		if i > 0 && bytes.Compare(in.orders[i-1][:], o[:]) >= 0 {
			return in, fmt.Errorf("%w: hello order keys not ascending", ErrSyncProtocol)
		}
		in.orders = append(in.orders, o)
	}
	return in, nil
}

func encodeIDs(ids []crdt.ID) []byte {
	b := binary.AppendUvarint(nil, uint64(len(ids)))
	for _, id := range ids {
		b = append(b, id[:]...)
	}
	return b
}

func decodeIDs(b []byte) ([]crdt.ID, error) {
	n, k := uvarint(b)
	if k <= 0 || n > wantPerFrame || uint64(len(b)-k) != n*32 {
		return nil, fmt.Errorf("%w: bad id list", ErrSyncProtocol)
	}
	b = b[k:]
	out := make([]crdt.ID, n)
	for i := range out {
		copy(out[i][:], b[i*32:])
	}
	return out, nil
}

func encodeEvents(raws [][]byte) []byte {
	b := binary.AppendUvarint(nil, uint64(len(raws)))
	for _, r := range raws {
		b = binary.AppendUvarint(b, uint64(len(r)))
		b = append(b, r...)
	}
	return b
}

func decodeEvents(b []byte) ([][]byte, error) {
	n, k := uvarint(b)
	if k <= 0 || n > eventsPerFrame {
		return nil, fmt.Errorf("%w: bad event list", ErrSyncProtocol)
	}
	b = b[k:]
	out := make([][]byte, 0, n)
	for i := uint64(0); i < n; i++ {
		l, k := uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) || l > protocol.MaxDocSize {
			return nil, fmt.Errorf("%w: bad event length", ErrSyncProtocol)
		}
		out = append(out, b[k:k+int(l)])
		b = b[k+int(l):]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: trailing bytes in event list", ErrSyncProtocol)
	}
	return out, nil
}

// eventFrames batches raw events into Events frames: at most
// eventsPerFrame events, flushed once frameEventBytes are held.
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
	if len(b.raws) == eventsPerFrame || b.size >= frameEventBytes {
		return b.flush()
	}
	return nil
}

func (b *eventFrames) flush() error {
	if len(b.raws) == 0 {
		return nil
	}
	err := b.f.write(frameEvents, encodeEvents(b.raws))
	b.sent += len(b.raws)
	b.raws, b.size = b.raws[:0], 0
	return err
}

// sendEvents writes the raw bytes of ids, in frames of eventsPerFrame.
func (n *Node) sendEvents(ctx context.Context, f *frameRW, ids []crdt.ID) (int, error) {
	b := &eventFrames{f: f}
	for _, id := range ids {
		raw, err := n.store.GetEvent(ctx, id)
		if err != nil {
			continue // deleted meanwhile (a replaced document)
		}
		if err := b.add(raw); err != nil {
			return b.sent, err
		}
	}
	return b.sent, b.flush()
}

// pusher loads the events a responder pushes with one reconciliation reply
// (SPEC.md §8.6): recon asks it item by item, and it accepts while the
// event is still stored and the reply's budget lasts.
type pusher struct {
	ctx   context.Context
	store *Store
	raws  map[recon.ID][]byte
	bytes int
}

func (p *pusher) push(id recon.ID) bool {
	if _, ok := p.raws[id]; ok {
		return true
	}
	if len(p.raws) >= pushLimit.events || p.bytes >= pushLimit.bytes {
		return false
	}
	raw, err := p.store.GetEvent(p.ctx, crdt.ID(id))
	if err != nil {
		return false // deleted meanwhile: named by ID instead
	}
	p.raws[id] = raw
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
	p.bytes = 0
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
