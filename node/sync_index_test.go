package node

import (
	"context"
	"math/rand"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
	"github.com/coopnode/coopnode/protocol/recon"
	"github.com/coopnode/coopnode/protocol/syncwire"
)

// syncItems is the item set of an interest as a session gets it (from the
// reconciliation index), for tests. Runs on the loop.
func (n *Node) syncItems(in interest) []recon.Item {
	s, err := n.syncSet(in)
	if err != nil {
		return nil
	}
	return s.Items()
}

// scanSyncItems builds the item set of an interest from scratch, from
// every stored event, as sessions did before the index (SPEC.md §8.6.2):
// the reference the index must equal. Runs on the loop.
func (n *Node) scanSyncItems(in interest) []recon.Item {
	var items []recon.Item
	orders := map[crdt.ID]bool{}
	now := n.nowMs()
	for _, id := range n.replica.OrderIDs(in.coop) {
		s, ok := n.replica.OrderView(id)
		if !ok || crdt.PastHorizon(s, n.replica.LastActivity(id), now) {
			continue
		}
		if in.wantsOrder(id, s) {
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
		items = append(items, itemOf(e))
	})
	for _, it := range n.rejected.items(in, func(id crdt.ID) bool { return orders[id] }, func(id crdt.ID) bool { _, ok := n.replica.OrderView(id); return ok }) {
		if !n.replica.Known(crdt.ID(it.ID)) {
			items = append(items, it)
		}
	}
	slices.SortFunc(items, recon.Item.Compare)
	return slices.Compact(items)
}

// TestSyncIndexMatchesScan (property): after any sequence of stored
// events (orders placed, accepted, finished, events arriving late and out
// of order), replaced catalogue documents, time passing the archive
// horizon and archival, the item set the index gives each interest equals
// the one built from scratch from every stored event.
func TestSyncIndexMatchesScan(t *testing.T) {
	t.Cleanup(leakCheck(t))
	for seed := int64(1); seed <= 3; seed++ {
		rng := rand.New(rand.NewSource(seed))
		clk := newFakeClock()
		w := newArchWorld(t, clk.Now().UnixMilli())
		n := archNode(t, clk, "relay", RoleRelay, w, nil)
		ctx := context.Background()
		var held []archOrder // fed in part or whole
		fedUpTo := map[crdt.ID]int{}
		menus := 0
		interests := func() map[string]interest {
			var keys []syncwire.OrderKey
			for _, o := range held {
				if rng.Intn(3) == 0 {
					keys = append(keys, syncwire.KeyOf(o.id))
				}
			}
			slices.SortFunc(keys, func(a, b syncwire.OrderKey) int { return slices.Compare(a[:], b[:]) })
			keys = slices.Compact(keys)
			return map[string]interest{
				"all":       {coop: w.coop, flags: syncwire.InterestAll},
				"open":      {coop: w.coop, flags: syncwire.InterestOpen, orders: keys},
				"resto":     {coop: w.coop, parties: []crdt.PubKey{w.pub("resto")}},
				"courier":   {coop: w.coop, parties: []crdt.PubKey{w.pub("courier")}},
				"listed":    {coop: w.coop, orders: keys},
				"no orders": {coop: w.coop, flags: syncwire.InterestAll | syncwire.InterestNoOrders},
				"other":     {coop: crdt.ID{1}, flags: syncwire.InterestAll},
			}
		}
		for step := 0; step < 120; step++ {
			switch op := rng.Intn(10); {
			case op < 4: // a new order, its events fed in part, in any order
				w.w0 = clk.Now().UnixMilli() - int64(rng.Intn(3))*24*3600*1000
				o := w.order()
				k := 1 + rng.Intn(len(o.raws))
				raws := slices.Clone(o.raws[:k])
				rng.Shuffle(len(raws), func(i, j int) { raws[i], raws[j] = raws[j], raws[i] })
				feed(t, n, srcSync, raws...)
				held, fedUpTo[o.id] = append(held, o), k
			case op < 6 && len(held) > 0: // the rest of an order, late
				o := held[rng.Intn(len(held))]
				feed(t, n, srcSync, o.raws[fedUpTo[o.id]:]...)
				fedUpTo[o.id] = len(o.raws)
			case op < 7: // the restaurant's menu, replaced
				menus++
				body := &crdt.CatalogMenu{Sections: []crdt.MenuSection{{Name: "Soups", Products: []crdt.Product{{ID: "soup", Name: "Soup", PriceCents: 400 + int64(menus)}}}}}
				_, raw, err := protocol.Seal(nodeKey("resto"), protocol.Draft{Coop: w.coop, Scope: crdt.ID(w.pub("resto")), Kind: crdt.KindCatalogMenu,
					Lamport: uint64(menus), Wall: clk.Now().UnixMilli(), Body: body})
				must(t, err)
				if res := feed(t, n, srcSync, raw); res[0].out.Status != crdt.Stored {
					t.Fatalf("menu %d: %v %s", menus, res[0].res, res[0].out.Status)
				}
			case op < 9: // time passes: hours to days
				clk.advance(time.Duration(1+rng.Intn(72)) * time.Hour)
			default:
				must(t, n.ArchiveNow(ctx))
			}
			for name, in := range interests() {
				var got, want []recon.Item
				must(t, n.do(ctx, func() error { got, want = n.syncItems(in), n.scanSyncItems(in); return nil }))
				if !slices.Equal(got, want) {
					t.Fatalf("seed %d step %d, %s: the index gives %d items, a rebuild %d", seed, step, name, len(got), len(want))
				}
			}
		}
		st := n.Stats(ctx)
		if st.Archived == 0 || menus < 2 {
			t.Fatalf("seed %d: %d orders archived, %d menus: the sequence did not exercise archival and replacement", seed, st.Archived, menus)
		}
		_ = n.Close()
	}
}

// TestSyncBoundedCatchUp: a catch-up larger than one session's bound
// (SPEC.md §8.6.4) completes across several sessions, each within the
// bound, each continuing where the last stopped, with progress reported
// in the report and the stats; started once, the node's syncer runs the
// sessions that follow by itself until it is caught up.
func TestSyncBoundedCatchUp(t *testing.T) {
	t.Cleanup(leakCheck(t))
	old := sessionLimit
	sessionLimit.events = 40
	t.Cleanup(func() { sessionLimit = old })
	clk := newFakeClock()
	w := newArchWorld(t, clk.Now().UnixMilli())
	var orders []archOrder
	for i := 0; i < 50; i++ {
		orders = append(orders, w.order())
	}
	a := archNode(t, clk, "relay", RoleRelay, w, nil, orders...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	total := a.Stats(ctx).EventsStored
	ai := peer.AddrInfo{ID: a.ID(), Addrs: a.Addrs()}

	// a starts no session of its own (its graft sync with each peer is
	// spent; the clock stands still), so what b gets comes by b's sessions
	spend := func(p peer.ID) {
		a.graftMu.Lock()
		if a.graftLast == nil {
			a.graftLast = map[peer.ID]time.Time{}
		}
		a.graftLast[p] = clk.Now()
		a.graftMu.Unlock()
	}
	b := archNode(t, clk, "courier", RoleRelay, w, nil)
	spend(b.ID())
	must(t, b.Connect(ctx, ai))
	have := b.Stats(ctx).EventsStored
	want := total - have
	// the node's syncer may run sessions of the same catch-up in between
	// (events that turned out pending ask for one): sessions follow one
	// another, and each is within the bound
	var reps []SyncReport
	for len(reps) < 40 {
		rep, err := b.Sync(ctx, a.ID())
		must(t, err)
		if rep.EventsIn > sessionLimit.events {
			t.Fatalf("session %d brought %d events, over the bound of %d", len(reps)+1, rep.EventsIn, sessionLimit.events)
		}
		if len(reps) > 0 && rep.Cut && (rep.Session <= reps[len(reps)-1].Session || rep.CatchUpEvents < reps[len(reps)-1].CatchUpEvents+rep.EventsIn) {
			t.Fatalf("session %d: reported as session %d with %d events so far, after %+v", len(reps)+1, rep.Session, rep.CatchUpEvents, reps[len(reps)-1])
		}
		reps = append(reps, rep)
		if !rep.Cut {
			break
		}
	}
	st := b.Stats(ctx)
	if !st.SyncCaughtUp || st.EventsStored != total {
		t.Fatalf("after the catch-up: caught up %v, %d events, want %d", st.SyncCaughtUp, st.EventsStored, total)
	}
	if min := (want + sessionLimit.events - 1) / sessionLimit.events; st.SyncCatchUpSessions < min || st.SyncCatchUpSessions > 3*min || st.SyncCatchUpEvents < want {
		t.Fatalf("%d events caught up in %d sessions (%d events received), want %d to %d sessions", want, st.SyncCatchUpSessions, st.SyncCatchUpEvents, min, 3*min)
	}
	t.Logf("%d events in %d sessions of at most %d events (%d called here), %d received", want, st.SyncCatchUpSessions, sessionLimit.events, len(reps), st.SyncCatchUpEvents)
	all := interest{coop: w.coop, flags: syncwire.InterestAll}
	var ia, ib []recon.Item
	must(t, a.do(ctx, func() error { ia = a.syncItems(all); return nil }))
	must(t, b.do(ctx, func() error { ib = b.syncItems(all); return nil }))
	if !slices.Equal(ia, ib) {
		t.Fatalf("after the catch-up the item sets differ: %d and %d", len(ia), len(ib))
	}
	if rep, err := b.Sync(ctx, a.ID()); err != nil || rep.EventsIn+rep.EventsOut != 0 || rep.Cut || rep.Session != 1 {
		t.Fatalf("a session in step: %+v, %v", rep, err)
	}

	// one request: the syncer resumes after each cut session by itself
	c := archNode(t, clk, "cust", RoleRelay, w, nil)
	spend(c.ID())
	must(t, c.Connect(ctx, ai))
	c.requestSync(a.ID())
	waitFor(t, "the syncer's catch-up", func() bool {
		st := c.Stats(ctx)
		return st.SyncCaughtUp && st.EventsStored == total
	})
	// (a session asked for meanwhile may run after, and start a catch-up
	// of its own, with nothing to bring)
	if st := c.Stats(ctx); st.SyncCut < (want+sessionLimit.events-1)/sessionLimit.events-1 {
		t.Fatalf("the syncer caught up with %d sessions cut at the bound (%d sessions)", st.SyncCut, st.SyncSessions)
	}
}
