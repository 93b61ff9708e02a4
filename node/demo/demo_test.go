package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/internal/leaktest"
	"github.com/coopnode/coopnode/node"
)

// TestRunSmallCoop plays a small demo end to end on real nodes.
func TestRunSmallCoop(t *testing.T) {
	noLeaks := leaktest.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	dir := t.TempDir()
	start := time.Now()
	sum, err := Run(ctx, Config{Restaurants: 1, Couriers: 2, Customers: 2, Orders: 3, Dir: dir, Out: &out, Seed: 7})
	t.Logf("timeline:\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(sum, "", "  ")
	t.Logf("summary (%s):\n%s", time.Since(start).Round(time.Millisecond), b)

	if sum.OrdersPlaced != 3 || sum.OrdersDelivered != sum.OrdersPlaced {
		t.Errorf("orders: %d placed, %d delivered", sum.OrdersPlaced, sum.OrdersDelivered)
	}
	if sum.ClaimConflicts < 1 {
		t.Errorf("claim conflicts = %d, want ≥ 1", sum.ClaimConflicts)
	}
	if !sum.ReplicasConverged {
		t.Error("replicas did not converge")
	}
	if sum.OfflineCatchUp.EventsIn <= 0 || sum.OfflineCatchUp.RoundTrips <= 0 || sum.OfflineCatchUp.BytesIn <= 0 {
		t.Errorf("offline catch-up: %+v", sum.OfflineCatchUp)
	}
	if sum.OfflineCourier == "" || sum.OfflineMissedEvents <= 0 {
		t.Errorf("offline courier %q missed %d events", sum.OfflineCourier, sum.OfflineMissedEvents)
	}
	if sum.PropagationP50Ms <= 0 || sum.PropagationP99Ms < sum.PropagationP50Ms || sum.PropagationSamples == 0 {
		t.Errorf("propagation p50 %.2f p99 %.2f over %d", sum.PropagationP50Ms, sum.PropagationP99Ms, sum.PropagationSamples)
	}
	// issue 12.6: order events reach the nodes that need them, not every
	// node, so they are measured, and none is left unmeasured
	if sum.PropagationIncomplete != 0 || sum.PropagationOrdersP50Ms <= 0 || sum.PropagationOrdersP99Ms < sum.PropagationOrdersP50Ms {
		t.Errorf("propagation: %d incomplete, order events p50 %.2f p99 %.2f", sum.PropagationIncomplete, sum.PropagationOrdersP50Ms, sum.PropagationOrdersP99Ms)
	}
	if sum.OfflineSyncEventsIn < sum.OfflineCatchUp.EventsIn || sum.OfflineCaughtUpMs < 0 {
		t.Errorf("catch-up: %d events by sync, session %d, caught up after %d ms", sum.OfflineSyncEventsIn, sum.OfflineCatchUp.EventsIn, sum.OfflineCaughtUpMs)
	}
	// issue 12.6: the seed alone chooses who goes offline, whoever won
	// the first order's race
	seeded := &run{cfg: Config{Restaurants: 1, Couriers: 2, Customers: 2}, seed: 7, rng: rand.New(rand.NewSource(7))}
	seeded.cast(t.TempDir())
	if want := seeded.chooseOffline().name; sum.OfflineCourier != want {
		t.Errorf("seed 7 sent %s offline, want %s", sum.OfflineCourier, want)
	}
	if sum.Nodes != 1+1+2+2 {
		t.Errorf("nodes = %d", sum.Nodes)
	}
	if sum.Events == 0 || sum.EventsByKind[crdt.KindTaskDeliver.String()] != 3 {
		t.Errorf("events %d, by kind %v", sum.Events, sum.EventsByKind)
	}
	// every participant had its own store
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) != sum.Nodes {
		t.Errorf("store folders: %d, want %d (%v)", len(ents), sum.Nodes, err)
	}
	for _, want := range []string{"founded \"Vélo Coop Nantes\"", "both claimed order", "lost to", "back online", "caught up", "converged"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("timeline lacks %q", want)
		}
	}
	noLeaks()

	// the stores stay, and a second run in the same folder is refused
	if _, err := Run(ctx, Config{Restaurants: 1, Couriers: 2, Customers: 1, Orders: 1, Dir: dir, Seed: 7}); err == nil {
		t.Error("a second run reused the first run's stores")
	}
}

func TestSummaryJSONContract(t *testing.T) {
	b, err := json.Marshal(Summary{})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"orders_placed", "orders_delivered", "claim_conflicts", "replicas_converged",
		"propagation_p50_ms", "propagation_p99_ms", "nodes", "events", "duration_ms", "offline_catch_up"} {
		if _, ok := m[k]; !ok {
			t.Errorf("summary JSON lacks %q", k)
		}
	}
	catch, _ := m["offline_catch_up"].(map[string]any)
	for _, k := range []string{"events_in", "round_trips", "bytes_in", "bytes_out"} {
		if _, ok := catch[k]; !ok {
			t.Errorf("offline_catch_up lacks %q", k)
		}
	}
}

func TestConfigDefaultsAndLimits(t *testing.T) {
	c, err := Config{}.withDefaults()
	if err != nil || c.Restaurants != 2 || c.Couriers != 3 || c.Customers != 3 || c.Orders != 6 || c.Seed != 1 || c.Out == nil || c.Logger == nil {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	for _, bad := range []Config{{Orders: -1}, {Couriers: MaxCouriers + 1}, {Restaurants: -2}, {Customers: MaxCustomers + 1}} {
		if _, err := Run(context.Background(), bad); err == nil {
			t.Errorf("Run(%+v) accepted", bad)
		}
	}
}

func TestCheckDirsRefusesStores(t *testing.T) {
	dir := t.TempDir()
	p := &participant{dir: filepath.Join(dir, "relay")}
	if err := checkDirs([]*participant{p}); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := checkDirs([]*participant{p}); err != nil {
		t.Fatalf("empty folder refused: %v", err)
	}
	if err := os.WriteFile(filepath.Join(p.dir, "MANIFEST"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := checkDirs([]*participant{p}); err == nil {
		t.Fatal("a folder with a store was accepted")
	}
}

func TestMoney(t *testing.T) {
	for _, c := range []struct {
		cents int64
		cat   string
		tax   int64
	}{{1100, taxFood, 100}, {1200, taxAlcohol, 200}, {0, taxFood, 0}, {999, "unknown", 0}, {105, taxFood, 10}, {350, taxService, 58}} {
		if got := includedTax(c.cents, c.cat); got != c.tax {
			t.Errorf("includedTax(%d, %s) = %d, want %d", c.cents, c.cat, got, c.tax)
		}
	}
	for _, c := range []struct {
		m    int
		cent int64
	}{{0, 250}, {1000, 250}, {1500, 290}, {2600, 380}, {10_000, 970}} {
		if got := deliveryFeeCents(c.m); got != c.cent {
			t.Errorf("deliveryFeeCents(%d) = %d, want %d", c.m, got, c.cent)
		}
	}
	if euros(1850) != "18.50 €" || euros(5) != "0.05 €" || euros(-120) != "-1.20 €" {
		t.Errorf("euros: %q %q %q", euros(1850), euros(5), euros(-120))
	}
}

// TestFillCart: carts hold 1–3 available products, valid option values,
// integer totals that add up, and reach the minimum order.
func TestFillCart(t *testing.T) {
	for ci, cu := range cuisines {
		menu := menuFor(cu)
		menu, _, ok := markSoldOut(menu, cu.SoldOutPID)
		if !ok {
			t.Fatalf("cuisine %d: sold-out product %q not on the menu", ci, cu.SoldOutPID)
		}
		products := map[string]crdt.Product{}
		for _, s := range menu.Sections {
			for _, p := range s.Products {
				products[p.ID] = p
			}
		}
		rng := rand.New(rand.NewSource(int64(ci)))
		for range 200 {
			c := fillCart(rng, &menu, 800)
			if len(c.Items) < 1 || len(c.Items) > 3 || c.Text == "" {
				t.Fatalf("cart %+v", c)
			}
			var sum int64
			for _, li := range c.Items {
				p := products[li.Product]
				if p.SoldOut || !p.Enabled {
					t.Fatalf("ordered unavailable %s", p.Name)
				}
				unit := p.PriceCents
				for _, ov := range li.Options {
					found := false
					for _, o := range p.Options {
						for _, v := range o.Values {
							if v.ID == ov {
								unit += v.PriceCents
								found = true
							}
						}
					}
					if !found {
						t.Fatalf("%s: unknown option value %s", p.Name, ov)
					}
				}
				if li.UnitCents != unit || li.TotalCents != unit*int64(li.Quantity) || li.Quantity == 0 {
					t.Fatalf("line %+v, unit want %d", li, unit)
				}
				sum += li.TotalCents
			}
			if sum < 800 {
				t.Fatalf("cart of %d cents is under the minimum", sum)
			}
			if c.Tax <= 0 || c.Tax >= sum {
				t.Fatalf("tax %d of %d", c.Tax, sum)
			}
		}
	}
}

func TestPlacesAndNames(t *testing.T) {
	for i := range MaxRestaurants + 3 {
		s := restaurantSpecFor(i)
		if !s.Pos.Valid() || node2km(s.Pos) > 8000 {
			t.Errorf("restaurant %d %s at %+v", i, s.Name, s.Pos)
		}
	}
	rng := rand.New(rand.NewSource(1))
	for range 500 {
		p := around(rng, nantes, 2500)
		if d := node2km(p); d > 2600 {
			t.Fatalf("around: %d m from the centre", d)
		}
		c := coarse(p)
		if c.LatE6%5000 != 0 || c.LonE6%5000 != 0 {
			t.Fatalf("coarse(%+v) = %+v", p, c)
		}
		if d := abs(c.LatE6-p.LatE6) + abs(c.LonE6-p.LonE6); d > 5000 {
			t.Fatalf("coarse moved %+v by %d µdeg", p, d)
		}
	}
	if pickName(courierNames, 0) != "Zoé" || pickName(courierNames, len(courierNames)) != "Zoé 2" {
		t.Error("pickName")
	}
	if joinNames([]string{"Zoé"}) != "Zoé" || joinNames([]string{"Zoé", "Malik", "Inès"}) != "Zoé, Malik and Inès" {
		t.Error("joinNames")
	}
	if got := padRunes("Zoé", 6); got != "Zoé   " {
		t.Errorf("padRunes: %q", got)
	}
	if deriveKey(1, "courier-1").Equal(deriveKey(2, "courier-1")) || !deriveKey(1, "a").Equal(deriveKey(1, "a")) {
		t.Error("deriveKey")
	}
}

// node2km is the distance from the centre in metres (equirectangular is
// plenty at city scale).
func node2km(p crdt.Position) int {
	dy := float64(p.LatE6-nantes.LatE6) * 0.111
	dx := float64(p.LonE6-nantes.LonE6) * 0.0758
	return int(math.Sqrt(dx*dx + dy*dy))
}

func abs(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

// TestPropagationCountsWhoNeedsIt (issue 12.6): an order's events travel
// to the couriers, the relay and the order's parties only (audience
// routing), so an order event is complete when those have it; before, it
// waited for every node and no order event was ever measured.
func TestPropagationCountsWhoNeedsIt(t *testing.T) {
	tr := newTracker()
	key := func(b byte) crdt.PubKey { return crdt.PubKey{b} }
	relay := tr.add("relay", node.RoleRelay, key(1))
	resto := tr.add("resto", node.RoleRestaurant, key(2))
	courier := tr.add("courier", node.RoleCourier, key(3))
	alice := tr.add("alice", node.RoleCustomer, key(4))
	bob := tr.add("bob", node.RoleCustomer, key(5)) // no order of his
	order, menu, lost := crdt.ID{0xaa}, crdt.ID{0xbb}, crdt.ID{0xcc}
	t0 := time.Now().Add(time.Second)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	change := func(scope string, id, ev crdt.ID, local bool) node.Change {
		return node.Change{Scope: scope, ID: id, Event: ev, Kind: scope + ".x", Local: local}
	}
	// Alice's order: the restaurant, the courier and the relay apply it.
	tr.record(alice, change("order", order, order, true), at(0))
	tr.record(relay, change("order", order, order, false), at(3))
	tr.record(courier, change("order", order, order, false), at(5))
	tr.record(resto, change("order", order, order, false), at(9))
	// A menu: every node needs it, Bob included.
	tr.record(resto, change("catalog", crdt.ID{2}, menu, true), at(10))
	for i, in := range []*instance{relay, courier, alice, bob} {
		tr.record(in, change("catalog", crdt.ID{2}, menu, false), at(11+i))
	}
	// An order event the courier never got: incomplete, whoever else has it.
	tr.record(alice, change("order", order, lost, true), at(20))
	tr.record(resto, change("order", order, lost, false), at(21))

	party := func(id crdt.ID, k crdt.PubKey) bool { return id == order && (k == alice.key || k == resto.key) }
	ps := tr.stats(party)
	if ps.Authored != 3 || len(ps.Samples) != 2 || len(ps.Orders) != 1 || ps.Incomplete != 1 {
		t.Fatalf("authored %d, samples %v, orders %v, incomplete %d; want 3, 2, 1, 1", ps.Authored, ps.Samples, ps.Orders, ps.Incomplete)
	}
	if ps.Orders[0] != 9*time.Millisecond {
		t.Errorf("order event: %v to its last node, want 9ms (the restaurant)", ps.Orders[0])
	}
	if ps.Samples[0] != 4*time.Millisecond || ps.Samples[1] != 9*time.Millisecond {
		t.Errorf("samples %v, want [4ms 9ms]", ps.Samples)
	}
}

// TestOfflineCourierIsTheSeeds (issue 12.6): the same seed sends the same
// courier offline whoever wins the claim races.
func TestOfflineCourierIsTheSeeds(t *testing.T) {
	pick := func(seed int64) string {
		r := &run{cfg: Config{Restaurants: 1, Couriers: 5, Customers: 1}, seed: seed, rng: rand.New(rand.NewSource(seed))}
		r.cast(t.TempDir())
		return r.chooseOffline().slug
	}
	seen := map[string]bool{}
	for seed := int64(1); seed <= 20; seed++ {
		a := pick(seed)
		for range 3 {
			if b := pick(seed); b != a {
				t.Fatalf("seed %d sent %s, then %s offline", seed, a, b)
			}
		}
		seen[a] = true
	}
	if len(seen) < 2 {
		t.Errorf("20 seeds all chose %v", seen)
	}
}

// TestCatchUpFigure (issue 12.6): the catch-up's sync figure is read when
// the returning node holds everything it missed, not at the end of the
// run (its node's lifetime total, which includes later anti-entropy).
func TestCatchUpFigure(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	r := &run{ctx: ctx, track: newTracker()}
	old := r.track.add("courier", node.RoleCourier, crdt.PubKey{3})
	relay := r.track.add("relay", node.RoleRelay, crdt.PubKey{1})
	went := time.Now().Add(-time.Second) // back, below, is in the past: took > 0
	had, missed := crdt.ID{1}, crdt.ID{2}
	ch := func(ev crdt.ID, local bool) node.Change {
		return node.Change{Scope: "order", ID: crdt.ID{9}, Event: ev, Local: local}
	}
	r.track.record(relay, ch(had, true), went.Add(time.Millisecond))
	r.track.record(old, ch(had, false), went.Add(2*time.Millisecond)) // arrived before it closed
	r.track.record(relay, ch(missed, true), went.Add(3*time.Millisecond))
	back := went.Add(10 * time.Millisecond)
	cur := r.track.add("courier", node.RoleCourier, crdt.PubKey{3})
	var syncIn atomic.Int64
	syncIn.Store(4)
	go func() {
		syncIn.Store(7)
		r.track.record(cur, ch(missed, false), time.Now())
	}()
	took, n, err := r.awaitCatchUp(old, cur, went, back, func() int { return int(syncIn.Load()) })
	syncIn.Store(30) // later anti-entropy sessions
	if err != nil || n != 7 || took <= 0 {
		t.Fatalf("catch-up: %d sync events after %v, %v; want 7", n, took, err)
	}
}
