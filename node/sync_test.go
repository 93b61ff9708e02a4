package node

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
	"github.com/coopnode/coopnode/protocol/recon"
	"github.com/coopnode/coopnode/protocol/syncwire"
)

// TestSyncHello: the node's interest goes through the Hello unchanged
// (protocol/syncwire tests the codec), and an interest lists an order by
// the first 8 bytes of its ID.
func TestSyncHello(t *testing.T) {
	in := interest{coop: crdt.ID{7}, flags: syncwire.InterestOpen, since: 99, parties: []crdt.PubKey{{1}},
		orders: []syncwire.OrderKey{{1, 2}, {1, 3}, {9}}}
	got, err := decodeHello(encodeHello(in))
	if err != nil || got.coop != in.coop || got.flags != in.flags || got.since != in.since ||
		!slices.Equal(got.parties, in.parties) || !slices.Equal(got.orders, in.orders) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if !got.lists(crdt.ID{1, 3, 0, 0, 0, 0, 0, 0, 0xff}) || got.lists(crdt.ID{1, 3, 1}) {
		t.Fatal("lists matches the first 8 bytes of an order ID")
	}
	if _, err := decodeHello(encodeHello(in)[:40]); !errors.Is(err, ErrSyncProtocol) {
		t.Fatalf("a cut hello: %v, want ErrSyncProtocol", err)
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
	f := newFrameRW(s, s)
	set, err := recon.NewSet(items)
	must(t, err)
	ini := recon.NewInitiator(set, recon.Options{Since: in.since})
	msg, err := ini.Initiate()
	must(t, err)
	must(t, f.write(syncwire.FrameHello, encodeHello(in)))
	must(t, f.write(syncwire.FrameRecon, msg))
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
		case syncwire.FrameEvents:
			res.pushed = append(res.pushed, events(body)...)
		case syncwire.FrameRecon:
			msg, done, err = ini.Next(body)
			must(t, err)
			if !done {
				must(t, f.write(syncwire.FrameRecon, msg))
			}
		default:
			t.Fatalf("frame %d during reconciliation", typ)
		}
	}
	need := toIDs(ini.Need())
	res.need = len(need)
	if len(need) > 0 {
		must(t, f.write(syncwire.FrameWant, encodeIDs(need)))
	}
	must(t, f.write(syncwire.FrameDone, nil))
	for {
		typ, body, err := f.read()
		must(t, err)
		if typ == syncwire.FrameDone {
			break
		}
		if typ != syncwire.FrameEvents {
			t.Fatalf("frame %d after Want", typ)
		}
		res.wanted = append(res.wanted, events(body)...)
	}
	res.trips = f.c.RoundTrips()
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
	all := interest{coop: mc.coop, flags: syncwire.InterestAll}
	r := rawSession(t, ctx, h, c1.ID(), all, nil)
	want := scope(all)
	if !slices.Equal(sortedIDs(r.pushed), want) || r.need != 0 || len(r.wanted) != 0 || r.trips != 2 {
		t.Fatalf("all: pushed %d of %d, wanted %d (%d received), %d round trips", len(r.pushed), len(want), r.need, len(r.wanted), r.trips)
	}

	// a courier's job board: the open order, not the delivered one, unless
	// the Hello lists it (the initiator still sees it open)
	board := interest{coop: mc.coop, flags: syncwire.InterestOpen, parties: []crdt.PubKey{{9}}}
	r = rawSession(t, ctx, h, c1.ID(), board, nil)
	if inScope := scope(board); !slices.Equal(sortedIDs(r.pushed), inScope) || len(inScope) >= len(want) {
		t.Fatalf("job board: pushed %d events, %d in scope, %d in all", len(r.pushed), len(inScope), len(want))
	}
	board.orders = []syncwire.OrderKey{syncwire.KeyOf(done)}
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
		f := newFrameRW(s, s)
		must(t, f.write(syncwire.FrameHello, c.hello))
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
