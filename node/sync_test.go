package node

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
	"github.com/coopnode/coopnode/protocol/recon"
)

// TestSyncFrameHeader: a frame's length is a minimal uvarint below 2^64; a
// malformed one wraps ErrSyncProtocol, a cut one is an EOF.
func TestSyncFrameHeader(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		want error
		v    uint64
	}{
		{[]byte{0x05}, nil, 5},
		{[]byte{0x80, 0x01}, nil, 128},
		{[]byte{0x85, 0x00}, ErrSyncProtocol, 0},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, nil, 1<<64 - 1},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, ErrSyncProtocol, 0},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, ErrSyncProtocol, 0},
		{[]byte{}, io.EOF, 0},
		{[]byte{0x80}, io.ErrUnexpectedEOF, 0},
	} {
		v, err := readUvarint(bufio.NewReader(bytes.NewReader(c.in)))
		if !errors.Is(err, c.want) || (c.want == nil && v != c.v) {
			t.Errorf("%x: got %d, %v; want %d, %v", c.in, v, err, c.v, c.want)
		}
	}
	// a frame of length 0 or over 4 MiB is refused before its body
	for _, in := range [][]byte{{0x00}, binaryUvarint(maxFrame + 1)} {
		f := &frameRW{r: bufioReader(in), w: io.Discard}
		if _, _, err := f.read(); !errors.Is(err, ErrSyncProtocol) {
			t.Errorf("%x: %v", in, err)
		}
	}
}

func binaryUvarint(v uint64) []byte {
	var b []byte
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// TestSyncHello: the Hello carries the listed order keys, ascending; a
// list out of order, too long or followed by bytes is refused.
func TestSyncHello(t *testing.T) {
	in := interest{coop: crdt.ID{7}, flags: interestOpen, since: 99, parties: []crdt.PubKey{{1}},
		orders: []orderKey{{1, 2}, {1, 3}, {9}}}
	got, err := decodeHello(encodeHello(in))
	if err != nil || got.coop != in.coop || got.flags != in.flags || got.since != in.since ||
		!slices.Equal(got.parties, in.parties) || !slices.Equal(got.orders, in.orders) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if !got.lists(crdt.ID{1, 3, 0, 0, 0, 0, 0, 0, 0xff}) || got.lists(crdt.ID{1, 3, 1}) {
		t.Fatal("lists matches the first 8 bytes of an order ID")
	}
	bad := func(in interest) []byte { return encodeHello(in) }
	long := make([]orderKey, maxListedOrders+1)
	for i := range long {
		long[i][0], long[i][1] = byte(i>>8), byte(i)
	}
	for name, b := range map[string][]byte{
		"descending": bad(interest{orders: []orderKey{{2}, {1}}}),
		"duplicate":  bad(interest{orders: []orderKey{{2}, {2}}}),
		"too many":   bad(interest{orders: long}),
		"trailing":   append(bad(interest{orders: []orderKey{{2}}}), 0),
		"cut":        bad(interest{orders: []orderKey{{2}}})[:40],
		"no list":    bad(interest{})[:len(bad(interest{}))-1],
		"version":    append([]byte{2}, bad(interest{})[1:]...),
	} {
		if _, err := decodeHello(b); !errors.Is(err, ErrSyncProtocol) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// rawSession runs a sync session as initiator by hand over a stream from h
// to p: a set of items, a Hello, then the reconciliation, collecting the
// events the responder pushes and those it sends for the Want.
type rawResult struct {
	pushed, wanted []crdt.ID // events received, by how they came
	need           int       // IDs sent in Want frames
	trips          int
}

func rawSession(t *testing.T, ctx context.Context, h host.Host, p peer.ID, in interest, items []recon.Item) rawResult {
	t.Helper()
	s, err := h.NewStream(ctx, p, protocol.SyncProtocolID)
	must(t, err)
	defer s.Close()
	f := &frameRW{r: bufio.NewReader(s), w: s}
	set, err := recon.NewSet(items)
	must(t, err)
	ini := recon.NewInitiator(set, recon.Options{Since: in.since})
	msg, err := ini.Initiate()
	must(t, err)
	must(t, f.write(frameHello, encodeHello(in)))
	must(t, f.write(frameRecon, msg))
	var res rawResult
	events := func(body []byte) []crdt.ID {
		raws, err := decodeEvents(body)
		must(t, err)
		var ids []crdt.ID
		for _, raw := range raws {
			e, err := protocol.Decode(raw)
			must(t, err)
			ids = append(ids, e.ID)
			must(t, ini.AddPushed(recon.Item{Time: uint64(max(e.Wall, 0)), ID: recon.ID(e.ID)}))
		}
		return ids
	}
	for done := false; !done; {
		typ, body, err := f.read()
		must(t, err)
		switch typ {
		case frameEvents:
			res.pushed = append(res.pushed, events(body)...)
		case frameRecon:
			msg, done, err = ini.Next(body)
			must(t, err)
			if !done {
				must(t, f.write(frameRecon, msg))
			}
		default:
			t.Fatalf("frame %d during reconciliation", typ)
		}
	}
	need := toIDs(ini.Need())
	res.need = len(need)
	if len(need) > 0 {
		must(t, f.write(frameWant, encodeIDs(need)))
	}
	must(t, f.write(frameDone, nil))
	for {
		typ, body, err := f.read()
		must(t, err)
		if typ == frameDone {
			break
		}
		if typ != frameEvents {
			t.Fatalf("frame %d after Want", typ)
		}
		res.wanted = append(res.wanted, events(body)...)
	}
	res.trips = f.trips
	return res
}

func sortedIDs(ids []crdt.ID) []crdt.ID {
	out := slices.Clone(ids)
	slices.SortFunc(out, func(a, b crdt.ID) int { return bytes.Compare(a[:], b[:]) })
	return out
}

// deliverOrder runs an order from placement to delivery by c1.
func deliverOrder(t *testing.T, ctx context.Context, cust, resto, c1 *Node) crdt.ID {
	t.Helper()
	id, err := cust.PlaceUnpriced(ctx, samplePlace(resto.Key()))
	must(t, err)
	waitFor(t, "placed at the restaurant", func() bool { _, err := resto.Order(ctx, id); return err == nil })
	must(t, resto.Accept(ctx, id, 5))
	waitFor(t, "accepted at the courier", func() bool {
		s, err := c1.Order(ctx, id)
		return err == nil && s.Status == crdt.StatusAccepted
	})
	claim, err := c1.Claim(ctx, id, crdt.Position{})
	must(t, err)
	_, err = c1.AwaitClaim(ctx, id, claim)
	must(t, err)
	must(t, c1.Pickup(ctx, id))
	must(t, c1.Deliver(ctx, id, crdt.Proof{Recipient: "x"}))
	return id
}

// waitFor polls cond until it holds or 20 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached", what)
		}
		time.Sleep(20 * time.Millisecond) // polling interval of a condition wait
	}
}

// TestSyncResponderPushes drives a responder by hand (SPEC.md §8.6): it
// pushes the events its replies settle as missing before each reply, so
// an initiator that lacks everything wants nothing; past its push budget
// it names the rest by ID and serves them on Want; a Hello that lists an
// order's key brings that order in whatever its state on the responder.
func TestSyncResponderPushes(t *testing.T) {
	mc := newMockCluster(t, map[string]Role{"resto": RoleRestaurant, "c1": RoleCourier, "cust": RoleCustomer})
	ctx := mc.ctx
	resto, c1, cust := mc.nodes["resto"], mc.nodes["c1"], mc.nodes["cust"]
	done := deliverOrder(t, ctx, cust, resto, c1)
	open, err := cust.PlaceUnpriced(ctx, samplePlace(resto.Key()))
	must(t, err)
	waitFor(t, "both orders at c1", func() bool {
		a, errA := c1.Order(ctx, done)
		_, errB := c1.Order(ctx, open)
		return errA == nil && errB == nil && a.Status == crdt.StatusDelivered
	})

	h, err := mc.mn.GenPeer()
	must(t, err)
	must(t, mc.mn.LinkAll())
	_, err = mc.mn.ConnectPeers(h.ID(), c1.ID())
	must(t, err)
	scope := func(in interest) []crdt.ID {
		var items []recon.Item
		must(t, c1.do(ctx, func() error { items = c1.syncItems(in); return nil }))
		ids := make([]crdt.ID, len(items))
		for i, it := range items {
			ids[i] = crdt.ID(it.ID)
		}
		return sortedIDs(ids)
	}

	// an empty initiator interested in everything gets everything pushed
	all := interest{coop: mc.coop, flags: interestAll}
	r := rawSession(t, ctx, h, c1.ID(), all, nil)
	want := scope(all)
	if !slices.Equal(sortedIDs(r.pushed), want) || r.need != 0 || len(r.wanted) != 0 || r.trips != 2 {
		t.Fatalf("all: pushed %d of %d, wanted %d (%d received), %d round trips", len(r.pushed), len(want), r.need, len(r.wanted), r.trips)
	}

	// a courier's job board: the open order, not the delivered one, unless
	// the Hello lists it (the initiator still sees it open)
	board := interest{coop: mc.coop, flags: interestOpen, parties: []crdt.PubKey{{9}}}
	r = rawSession(t, ctx, h, c1.ID(), board, nil)
	if inScope := scope(board); !slices.Equal(sortedIDs(r.pushed), inScope) || len(inScope) >= len(want) {
		t.Fatalf("job board: pushed %d events, %d in scope, %d in all", len(r.pushed), len(inScope), len(want))
	}
	board.orders = []orderKey{keyOf(done)}
	r = rawSession(t, ctx, h, c1.ID(), board, nil)
	if !slices.Equal(sortedIDs(r.pushed), want) {
		t.Fatalf("listed order: pushed %d events, want %d", len(r.pushed), len(want))
	}

	// over the push budget the rest is named by ID and wanted
	old := pushLimit
	pushLimit.events = 3
	t.Cleanup(func() { pushLimit = old })
	r = rawSession(t, ctx, h, c1.ID(), all, nil)
	got := append(slices.Clone(r.pushed), r.wanted...)
	if len(r.pushed) != 3 || r.need != len(want)-3 || !slices.Equal(sortedIDs(got), want) || r.trips != 2 {
		t.Fatalf("budget: pushed %d, wanted %d (%d received), %d round trips; want 3 + %d", len(r.pushed), r.need, len(r.wanted), r.trips, len(want)-3)
	}
}

// TestSyncBadHello: a responder answers a malformed Hello with an Error
// frame naming the violation, and a Hello for another coop likewise.
func TestSyncBadHello(t *testing.T) {
	mc := newMockCluster(t, map[string]Role{"c1": RoleCourier})
	ctx := mc.ctx
	c1 := mc.nodes["c1"]
	h, err := mc.mn.GenPeer()
	must(t, err)
	must(t, mc.mn.LinkAll())
	_, err = mc.mn.ConnectPeers(h.ID(), c1.ID())
	must(t, err)
	for name, c := range map[string]struct {
		hello []byte
		says  string
	}{
		"cut":     {encodeHello(interest{coop: mc.coop})[:20], "hello of 20 bytes"},
		"version": {append([]byte{9}, encodeHello(interest{coop: mc.coop})[1:]...), "hello version 9"},
		"coop":    {encodeHello(interest{coop: crdt.ID{1}}), ErrSyncCoop.Error()},
	} {
		s, err := h.NewStream(ctx, c1.ID(), protocol.SyncProtocolID)
		must(t, err)
		f := &frameRW{r: bufio.NewReader(s), w: s}
		must(t, f.write(frameHello, c.hello))
		_, _, err = f.read()
		if !errors.Is(err, ErrSyncProtocol) || !bytes.Contains([]byte(err.Error()), []byte(c.says)) {
			t.Errorf("%s: %v", name, err)
		}
		_ = s.Reset()
	}
}

// TestSyncCatchUpJobBoard: a courier away while one order it saw open was
// delivered, another was placed and delivered, and a third was placed,
// catches up from another courier. Its session fetches the closing events
// of the first (listed in its Hello) and the open third (the job board),
// not the second, which it never needed: the rule that fetched every order
// active since the hint is gone (SPEC.md §8.6.2). Every event comes
// pushed, nothing is wanted, within 2 round trips and 1.1·d·S + 2 KB.
func TestSyncCatchUpJobBoard(t *testing.T) {
	mc := newMockCluster(t, map[string]Role{"resto": RoleRestaurant, "c1": RoleCourier, "c2": RoleCourier, "c3": RoleCourier, "cust": RoleCustomer})
	ctx := mc.ctx
	resto, c1, c2, c3, cust := mc.nodes["resto"], mc.nodes["c1"], mc.nodes["c2"], mc.nodes["c3"], mc.nodes["cust"]
	seen, err := cust.PlaceUnpriced(ctx, samplePlace(resto.Key()))
	must(t, err)
	waitFor(t, "placed at the restaurant", func() bool { _, err := resto.Order(ctx, seen); return err == nil })
	must(t, resto.Accept(ctx, seen, 5))
	mc.eventually("accepted", mc.orderIs(seen, crdt.StatusAccepted))
	if _, err := c2.Sync(ctx, c3.ID()); err != nil { // a "since" hint, as after any session
		t.Fatal(err)
	}
	mc.isolate("c2")

	claim, err := c1.Claim(ctx, seen, crdt.Position{})
	must(t, err)
	_, err = c1.AwaitClaim(ctx, seen, claim)
	must(t, err)
	must(t, c1.Pickup(ctx, seen))
	must(t, c1.Deliver(ctx, seen, crdt.Proof{Recipient: "x"}))
	unseen := deliverOrder(t, ctx, cust, resto, c1)
	open, err := cust.PlaceUnpriced(ctx, samplePlace(resto.Key()))
	must(t, err)
	waitFor(t, "c3 up to date", func() bool {
		a, errA := c3.Order(ctx, seen)
		b, errB := c3.Order(ctx, unseen)
		_, errC := c3.Order(ctx, open)
		return errA == nil && errB == nil && errC == nil && a.Status == crdt.StatusDelivered && b.Status == crdt.StatusDelivered
	})

	mc.link(c2, c3)
	var rep SyncReport
	deadline := time.Now().Add(20 * time.Second)
	for { // a session on a connection torn down by the partition fails: retry
		sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		rep, err = c2.Sync(sctx, c3.ID())
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("c2 cannot sync with c3: %v", err)
		}
	}
	// c2's connect-time session with c3 runs too and may fetch first:
	// whichever did, every event came pushed and nothing was wanted
	total, limit := rep.BytesIn+rep.BytesOut, 11*rep.EventBytes/10+2048
	t.Logf("catch-up: %d events in (%d pushed, %d wanted), %d out, %d round trips, %d bytes (%d event bytes), limit %d",
		rep.EventsIn, rep.Pushed, rep.Wanted, rep.EventsOut, rep.RoundTrips, total, rep.EventBytes, limit)
	if rep.Pushed != rep.EventsIn || rep.Wanted != 0 || rep.RoundTrips > 2 || total > limit {
		t.Fatalf("catch-up over target: %+v", rep)
	}
	s, err := c2.Order(ctx, seen)
	must(t, err)
	if s.Status != crdt.StatusDelivered {
		t.Fatalf("c2 still sees the order it knew as %s", s.Status)
	}
	if _, err := c2.Order(ctx, open); err != nil {
		t.Fatalf("c2 lacks the open order: %v", err)
	}
	if _, err := c2.Order(ctx, unseen); err == nil {
		t.Fatal("c2 fetched an order that opened and closed while it was away")
	}
}
