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
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/internal/leaktest"
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

func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	if percentile(s, 50) != 50 || percentile(s, 99) != 99 || percentile(s, 100) != 100 || percentile(nil, 50) != 0 {
		t.Errorf("percentile: %v %v %v", percentile(s, 50), percentile(s, 99), percentile(s, 100))
	}
	if percentile(s[:1], 99) != 1 {
		t.Error("percentile of one sample")
	}
}
