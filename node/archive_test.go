package node

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
	"github.com/coopnode/coopnode/protocol/recon"
	"github.com/coopnode/coopnode/protocol/syncwire"
)

// Tests of archival (archive.go, cold.go; SPEC.md §4.5 rules 1–5).

// archWorld is a coop with a restaurant, a customer and a courier whose
// orders were accepted and then cancelled by the restaurant (finished; a
// restore stays possible until the horizon), all at wall w0.
type archWorld struct {
	t    *testing.T
	coop crdt.ID
	w0   int64
	base [][]byte
	seq  int
}

type archOrder struct {
	id   crdt.ID
	ids  []crdt.ID
	raws [][]byte
}

func newArchWorld(t *testing.T, w0 int64) *archWorld {
	w := &archWorld{t: t, w0: w0}
	g := w.seal("admin", protocol.Draft{Kind: crdt.KindCoopGenesis, Lamport: 1,
		Body: &crdt.CoopGenesis{Name: "Archive Coop", City: "Nantes", Currency: "EUR", Admins: []crdt.PubKey{w.pub("admin")}}})
	w.coop = g.ID
	prev := g.ID
	for i, m := range []struct {
		who   string
		roles crdt.Roles
	}{{"resto", crdt.RoleRestaurant}, {"courier", crdt.RoleCourier}} {
		e := w.seal("admin", protocol.Draft{Coop: w.coop, Scope: w.coop, Kind: crdt.KindMemberAdmit, Parents: []crdt.ID{prev}, Lamport: uint64(i + 2),
			Body: &crdt.MemberAdmit{Member: w.pub(m.who), Roles: m.roles, Name: m.who}})
		prev = e.ID
	}
	return w
}

func (w *archWorld) pub(who string) crdt.PubKey { return protocol.PubKeyOf(nodeKey(who)) }

// seal signs d by who at w0 and keeps it in base if it is a coop event.
func (w *archWorld) seal(who string, d protocol.Draft) *crdt.Event {
	d.Wall = w.w0
	e, raw, err := protocol.Seal(nodeKey(who), d)
	must(w.t, err)
	if e.Kind.Class() == crdt.ScopeCoop {
		w.base = append(w.base, raw)
	}
	return e
}

// order places, accepts and cancels one order; its events' walls are w0+i ms.
func (w *archWorld) order() archOrder {
	w.seq++
	body := samplePlace(w.pub("resto"))
	body.Note = string(rune('a' + w.seq)) // distinct orders
	var o archOrder
	add := func(who string, d protocol.Draft) *crdt.Event {
		d.Coop, d.Wall = w.coop, w.w0+int64(len(o.raws))
		e, raw, err := protocol.Seal(nodeKey(who), d)
		must(w.t, err)
		o.ids, o.raws = append(o.ids, e.ID), append(o.raws, raw)
		return e
	}
	p := add("cust", protocol.Draft{Kind: crdt.KindOrderPlace, Lamport: 1, Body: &body})
	o.id = p.ID
	a := add("resto", protocol.Draft{Scope: p.ID, Kind: crdt.KindOrderAccept, Parents: []crdt.ID{p.ID}, Lamport: 2, Body: &crdt.OrderAccept{PrepMinutes: 10}})
	add("resto", protocol.Draft{Scope: p.ID, Kind: crdt.KindOrderCancel, Parents: []crdt.ID{a.ID}, Lamport: 3, Body: &crdt.OrderCancel{Reason: crdt.ReasonSoldOut}})
	return o
}

// last is the order's last activity.
func (o archOrder) last(w *archWorld) int64 { return w.w0 + int64(len(o.raws)) - 1 }

// archNode starts a node on store s (a memory store if nil) with the
// clock, fed the world's coop log and the orders.
func archNode(t *testing.T, clk Clock, who string, role Role, w *archWorld, s *Store, orders ...archOrder) *Node {
	t.Helper()
	if s == nil {
		s = OpenMemory()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := New(ctx, WithKey(nodeKey(who)), WithRole(role), WithClock(clk), WithCoop(w.coop), WithStore(s),
		WithListen("/ip4/127.0.0.1/tcp/0"), WithSyncInterval(-1), WithSyncOnConnect(false), WithArchiveInterval(-1))
	must(t, err)
	t.Cleanup(func() { _ = n.Close() })
	raws := append([][]byte(nil), w.base...)
	for _, o := range orders {
		raws = append(raws, o.raws...)
	}
	feed(t, n, srcSync, raws...)
	return n
}

// feed ingests raws as from src in one batch and returns the results.
func feed(t *testing.T, n *Node, src source, raws ...[]byte) []ingested {
	t.Helper()
	batch := make([]incoming, len(raws))
	for i, raw := range raws {
		batch[i] = incoming{raw: raw, src: src, from: "peer"}
	}
	var res []ingested
	must(t, n.do(context.Background(), func() error { res = n.ingest(batch...); return nil }))
	return res
}

// onDisk counts what the store holds of o: live events, a cold copy, a
// tombstone, and archived-event entries.
func onDisk(t *testing.T, n *Node, o archOrder) (live int, cold, tombstone bool, wanted int) {
	t.Helper()
	ctx := context.Background()
	for _, id := range o.ids {
		if ok, err := n.store.HasEvent(ctx, id); err == nil && ok {
			live++
		}
		if n.store.archivedEvent(ctx, id) {
			wanted++
		}
	}
	_, err := n.store.coldRaws(ctx, o.id)
	cold = err == nil
	ts, err := n.store.tombs(ctx)
	must(t, err)
	for _, tb := range ts {
		if tb.order == o.id {
			tombstone = true
			full, err := n.store.tomb(ctx, o.id, tb.until)
			if err != nil || len(full.events) != len(o.ids) {
				t.Fatalf("tombstone of %s: %v, %d events", o.id.Short(), err, len(full.events))
			}
		}
	}
	return live, cold, tombstone, wanted
}

func archiveAt(t *testing.T, n *Node, clk *fakeClock, at int64) {
	t.Helper()
	clk.advance(time.Duration(at-clk.Now().UnixMilli()) * time.Millisecond)
	must(t, n.ArchiveNow(context.Background()))
}

// pastHorizon is when the node archives an order last active at last.
func pastHorizon(last int64) int64 {
	return last + crdt.ArchiveHorizonMs + archiveGrace.Milliseconds() + 1
}

// TestArchiveRule1OthersDelete: a node that is neither a party to a
// finished order nor a relay drops it once past the horizon (and the
// grace), not before: its events leave memory and disk, and only the
// tombstone and the archived events' IDs remain.
func TestArchiveRule1OthersDelete(t *testing.T) {
	t.Cleanup(leakCheck(t))
	clk := newFakeClock()
	w := newArchWorld(t, clk.Now().UnixMilli())
	o := w.order()
	n := archNode(t, clk, "courier", RoleCourier, w, nil, o)
	ctx := context.Background()
	before := n.Stats(ctx).EventsStored
	archiveAt(t, n, clk, o.last(w)+crdt.ArchiveHorizonMs) // at the horizon: kept
	if _, err := n.Order(ctx, o.id); err != nil {
		t.Fatalf("archived before the horizon: %v", err)
	}
	archiveAt(t, n, clk, pastHorizon(o.last(w)))
	if _, err := n.Order(ctx, o.id); !errors.Is(err, ErrUnknown) || !errors.Is(err, ErrArchived) || Code(err) != "not_found" {
		t.Fatalf("order after archival: %v, want ErrUnknown and ErrArchived", err)
	}
	st := n.Stats(ctx)
	if st.Archived != 1 || st.EventsStored != before-len(o.ids) {
		t.Fatalf("archived %d, live events %d (was %d)", st.Archived, st.EventsStored, before)
	}
	live, cold, tomb, wanted := onDisk(t, n, o)
	if live != 0 || cold || !tomb || wanted != len(o.ids) {
		t.Fatalf("on disk: %d live, cold %v, tombstone %v, %d archived IDs", live, cold, tomb, wanted)
	}
}

// TestArchiveRule2PartiesAndRelaysKeep: the restaurant, the customer and a
// relay keep an archived order in the cold store for the retention
// period: its state reads the same (Order, Orders by party, after a
// restart too) though it left the live set; after the retention period the
// cold copy is deleted, and the tombstone once its own time is over.
func TestArchiveRule2PartiesAndRelaysKeep(t *testing.T) {
	t.Cleanup(leakCheck(t))
	for _, c := range []struct {
		who  string
		role Role
	}{{"resto", RoleRestaurant}, {"cust", RoleCustomer}, {"relay", RoleRelay}} {
		t.Run(c.who, func(t *testing.T) {
			clk := newFakeClock()
			w := newArchWorld(t, clk.Now().UnixMilli())
			o := w.order()
			dir := t.TempDir()
			s, err := OpenPebble(dir)
			must(t, err)
			n := archNode(t, clk, c.who, c.role, w, s, o)
			ctx := context.Background()
			want, err := n.Order(ctx, o.id)
			must(t, err)
			archiveAt(t, n, clk, pastHorizon(o.last(w)))
			got, err := n.Order(ctx, o.id)
			if err != nil || got.Hash() != want.Hash() {
				t.Fatalf("archived order reads %v (%v), want the state before archival", got, err)
			}
			if _, ok := n.replica.OrderView(o.id); ok {
				t.Fatal("the archived order is still in the live set")
			}
			live, cold, tomb, _ := onDisk(t, n, o)
			if live != 0 || !cold || !tomb {
				t.Fatalf("on disk: %d live, cold %v, tombstone %v", live, cold, tomb)
			}
			list, err := n.Orders(ctx, OrderFilter{Party: w.pub("resto")})
			if err != nil || len(list) != 1 || list[0].ID != o.id {
				t.Fatalf("Orders by party: %d (%v)", len(list), err)
			}
			if list, _ := n.Orders(ctx, OrderFilter{Party: w.pub("resto"), Since: w.w0 + 1}); len(list) != 0 {
				t.Fatal("Orders Since: an order placed before it")
			}
			for status, want := range map[string]int{"cancelled": 1, "delivered": 0} {
				if list, err := n.Orders(ctx, OrderFilter{Status: status}); err != nil || len(list) != want {
					t.Fatalf("Orders by status %s: %d (%v), want %d", status, len(list), err, want)
				}
			}
			if _, err := n.Orders(ctx, OrderFilter{Status: "delivered/x"}); !errors.Is(err, ErrBadArgument) {
				t.Fatalf("Orders by an unknown status: %v", err)
			}
			// restart: the order is not replayed, and reads the same
			must(t, n.Close())
			s, err = OpenPebble(dir)
			must(t, err)
			n = archNode(t, clk, c.who, c.role, w, s)
			if got, err := n.Order(ctx, o.id); err != nil || got.Hash() != want.Hash() {
				t.Fatalf("after a restart: %v", err)
			}
			if st := n.Stats(ctx); st.EventsStored != len(w.base) {
				t.Fatalf("after a restart %d live events, want the coop log's %d", st.EventsStored, len(w.base))
			}
			// past retention: the cold copy goes, the tombstone stays
			archiveAt(t, n, clk, o.last(w)+crdt.RetentionMs+1)
			if _, err := n.Order(ctx, o.id); !errors.Is(err, ErrUnknown) {
				t.Fatalf("after retention: %v", err)
			}
			if _, cold, tomb, wanted := onDisk(t, n, o); cold || !tomb || wanted != len(o.ids) {
				t.Fatalf("after retention: cold %v, tombstone %v, %d IDs", cold, tomb, wanted)
			}
			// the tombstone's own time: archived at pastHorizon, kept RetentionMs
			archiveAt(t, n, clk, pastHorizon(o.last(w))+crdt.RetentionMs)
			if _, _, tomb, wanted := onDisk(t, n, o); tomb || wanted != 0 || n.replica.Tombstones() != 0 {
				t.Fatalf("after the tombstone's time: tombstone %v, %d IDs", tomb, wanted)
			}
		})
	}
}

// TestArchiveRule3SyncInterest: an order past the horizon is selected by
// no interest, whatever the flags, parties or listed keys, even before the
// node archives it (within the grace); an open order as old is selected.
func TestArchiveRule3SyncInterest(t *testing.T) {
	t.Cleanup(leakCheck(t))
	clk := newFakeClock()
	w := newArchWorld(t, clk.Now().UnixMilli())
	o := w.order()
	// an open order, placed at the same time
	body := samplePlace(w.pub("resto"))
	body.Note = "open"
	open, openRaw, err := protocol.Seal(nodeKey("cust"), protocol.Draft{Coop: w.coop, Kind: crdt.KindOrderPlace, Lamport: 1, Wall: w.w0, Body: &body})
	must(t, err)
	n := archNode(t, clk, "relay", RoleRelay, w, nil, o)
	feed(t, n, srcSync, openRaw)
	keys := []syncwire.OrderKey{syncwire.KeyOf(o.id), syncwire.KeyOf(open.ID)}
	if keys[0][0] > keys[1][0] {
		keys[0], keys[1] = keys[1], keys[0]
	}
	interests := map[string]interest{
		"all":     {coop: w.coop, flags: syncwire.InterestAll},
		"open":    {coop: w.coop, flags: syncwire.InterestOpen},
		"parties": {coop: w.coop, parties: []crdt.PubKey{w.pub("resto"), w.pub("cust")}},
		"listed":  {coop: w.coop, orders: keys},
	}
	items := func(in interest) map[recon.ID]bool {
		got := map[recon.ID]bool{}
		must(t, n.do(context.Background(), func() error {
			for _, it := range n.syncItems(in) {
				got[it.ID] = true
			}
			return nil
		}))
		return got
	}
	for name, in := range interests {
		got := items(in)
		if !got[recon.ID(open.ID)] || (name != "open" && !got[recon.ID(o.ids[0])]) {
			t.Fatalf("%s, before the horizon: the orders must be selected", name)
		}
	}
	clk.advance(time.Duration(o.last(w)+crdt.ArchiveHorizonMs+1-clk.Now().UnixMilli()) * time.Millisecond)
	for name, in := range interests {
		got := items(in)
		for _, id := range o.ids {
			if got[recon.ID(id)] {
				t.Fatalf("%s: an event of the order past the horizon is selected", name)
			}
		}
		if !got[recon.ID(open.ID)] {
			t.Fatalf("%s: the open order is no longer selected", name)
		}
	}
	if _, err := n.Order(context.Background(), o.id); err != nil {
		t.Fatal("within the grace the order is not archived yet")
	}
}

// TestArchiveRule4NeverStoredAgain: once archived, none of the order's
// events is stored or parked again, whatever the source and order they
// come in (Ignore duplicate), and sync never wants them: a peer whose
// clock is behind still offers them, and they are neither requested nor
// stored, whichever side starts the session.
func TestArchiveRule4NeverStoredAgain(t *testing.T) {
	t.Cleanup(leakCheck(t))
	clk := newFakeClock()
	w := newArchWorld(t, clk.Now().UnixMilli())
	o := w.order()
	a := archNode(t, clk, "relay", RoleRelay, w, nil, o)
	archiveAt(t, a, clk, pastHorizon(o.last(w)))
	ctx := context.Background()
	for _, src := range []source{srcSync, srcPush} {
		for _, raws := range [][][]byte{o.raws, {o.raws[2], o.raws[1]}, {o.raws[0]}} {
			for _, r := range feed(t, a, src, raws...) {
				if r.res.Verdict != protocol.Ignore || r.res.Reason != protocol.ReasonDuplicate {
					t.Fatalf("source %d: %s %s, want ignore duplicate", src, r.res.Verdict, r.res.Reason)
				}
			}
		}
	}
	if live, _, _, _ := onDisk(t, a, o); live != 0 || a.Stats(ctx).EventsPending != 0 {
		t.Fatalf("%d events stored again, %d pending", live, a.Stats(ctx).EventsPending)
	}
	// a peer whose clock is 8 days behind holds the order and offers it,
	// naming its events rather than pushing them (so the initiator would
	// want them)
	old := pushLimit
	pushLimit.events = 0
	t.Cleanup(func() { pushLimit = old })
	bclk := &fakeClock{now: time.UnixMilli(w.w0 + 60_000), changed: make(chan struct{})}
	b := archNode(t, bclk, "relay2", RoleRelay, w, nil, o)
	must(t, b.Connect(ctx, peer.AddrInfo{ID: a.ID(), Addrs: a.Addrs()}))
	rep, err := a.Sync(ctx, b.ID())
	must(t, err)
	if rep.Wanted != 0 {
		t.Fatalf("a wanted %d events from a peer offering the archived order", rep.Wanted)
	}
	if live, _, _, _ := onDisk(t, a, o); live != 0 {
		t.Fatalf("%d archived events pushed by the peer were stored again", live)
	}
	if _, err := b.Sync(ctx, a.ID()); err != nil {
		t.Fatal(err)
	}
	if live, _, _, _ := onDisk(t, a, o); live != 0 {
		t.Fatalf("%d archived events stored again by a session the peer started", live)
	}
	if _, err := a.Order(ctx, o.id); err != nil {
		t.Fatalf("the cold copy after the sessions: %v", err)
	}
}

// TestArchiveRule5NoRestore: a restore (or any other event) can be
// authored on a cancelled order before the horizon, not past it, archived
// or not yet.
func TestArchiveRule5NoRestore(t *testing.T) {
	t.Cleanup(leakCheck(t))
	clk := newFakeClock()
	w := newArchWorld(t, clk.Now().UnixMilli())
	o1, o2 := w.order(), w.order()
	n := archNode(t, clk, "resto", RoleRestaurant, w, nil, o1, o2)
	ctx := context.Background()
	clk.advance(time.Duration(crdt.ArchiveHorizonMs-60_000) * time.Millisecond)
	must(t, n.Restore(ctx, o1.id)) // before the horizon
	clk.advance(2 * time.Minute)   // o2 is past the horizon, not archived yet
	if err := n.Restore(ctx, o2.id); !errors.Is(err, ErrArchived) || Code(err) != "archived" {
		t.Fatalf("restore past the horizon: %v", err)
	}
	archiveAt(t, n, clk, pastHorizon(o2.last(w)))
	if err := n.Restore(ctx, o2.id); !errors.Is(err, ErrArchived) {
		t.Fatalf("restore of an archived order: %v", err)
	}
	if s, err := n.Order(ctx, o1.id); err != nil || s.Status == crdt.StatusCancelled {
		t.Fatalf("the restored order: %v", err)
	}
}

// TestArchiveByClock: the node archives by itself, on its timer of the
// injected clock, once the clock passes the horizon and the grace.
func TestArchiveByClock(t *testing.T) {
	t.Cleanup(leakCheck(t))
	clk := newFakeClock()
	w := newArchWorld(t, clk.Now().UnixMilli())
	o := w.order()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := New(ctx, WithKey(nodeKey("relay")), WithRole(RoleRelay), WithClock(clk), WithCoop(w.coop),
		WithListen("/ip4/127.0.0.1/tcp/0"), WithSyncInterval(-1), WithSyncOnConnect(false))
	must(t, err)
	defer n.Close()
	feed(t, n, srcSync, append(append([][]byte(nil), w.base...), o.raws...)...)
	clk.waitTimer(t, defaultArchiveEvery, 10*time.Second)
	clk.advance(time.Duration(crdt.ArchiveHorizonMs)*time.Millisecond - time.Hour) // ticks, not yet due
	if n.Stats(ctx).Archived != 0 {
		t.Fatal("archived before the horizon")
	}
	clk.advance(2*time.Hour + time.Minute)
	eventually(t, 10*time.Second, "the order archived on the clock's tick", func() bool { return n.Stats(ctx).Archived == 1 })
	if _, err := n.Order(ctx, o.id); err != nil {
		t.Fatalf("the relay keeps the archived order: %v", err)
	}
}
