// Package history generates a cooperative's history deterministically and
// writes it straight into node stores, so that what a node costs after
// months or a year of service (start-up, memory, queries, sync; issue 14)
// can be measured without running a year of network traffic.
//
// The shape is the one issue 14 measured: 20 restaurants, 30 couriers and
// a few thousand customers, 200 orders a day, about 10 signed events per
// order (place, accept, start preparing, one or two claims, the holder's
// confirmation, the start for the pickup, ready, pickup, start of the dropoff, delivery, and most of
// the time a rating); a few orders are refused, and the last ones of the
// history are left open at every stage. Every event is a real signed
// event that a replica folds (TestGenerateFolds); the same seed and size
// give the same bytes.
package history

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand"
	"runtime"
	"sync"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// Shape is the size of a generated cooperative.
type Shape struct {
	Restaurants, Couriers, Customers int
	OrdersPerDay                     int
	Days                             int
	Open                             int   // last orders of the history left open
	Seed                             int64 // keys and choices derive from it
	// Start is the wall clock of the first day's midnight, UTC.
	Start time.Time
}

// Coop returns issue 14's cooperative over days days.
func Coop(days int) Shape {
	return Shape{Restaurants: 20, Couriers: 30, Customers: 2000, OrdersPerDay: 200, Days: days, Open: 40, Seed: 14,
		Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// Event is one generated event: its ID and wire bytes, and the parties of
// its order (Order is zero for the coop log and the catalogue).
type Event struct {
	ID         crdt.ID
	Raw        []byte
	Kind       crdt.Kind
	Wall       int64 // its wall clock, ms
	Order      int   // index of the order + 1; 0 outside orders
	Restaurant int
	Customer   int
}

// Generator holds a shape's keys.
type Generator struct {
	S                             Shape
	Admin                         ed25519.PrivateKey
	Restaurants, Couriers, Custom []ed25519.PrivateKey
	Coop                          crdt.ID
	// Unmarked writes events without their verified markers, as a node
	// did before it had them (node/verified.go): its first start-up
	// verifies every signature again.
	Unmarked bool
}

// New derives the shape's keys.
func New(s Shape) *Generator {
	g := &Generator{S: s}
	key := func(what string, i int) ed25519.PrivateKey {
		seed := sha256.Sum256(fmt.Appendf(nil, "history %d %s %d", s.Seed, what, i))
		return ed25519.NewKeyFromSeed(seed[:])
	}
	g.Admin = key("admin", 0)
	for i := 0; i < s.Restaurants; i++ {
		g.Restaurants = append(g.Restaurants, key("restaurant", i))
	}
	for i := 0; i < s.Couriers; i++ {
		g.Couriers = append(g.Couriers, key("courier", i))
	}
	for i := 0; i < s.Customers; i++ {
		g.Custom = append(g.Custom, key("customer", i))
	}
	return g
}

// Orders is how many orders the history holds.
func (g *Generator) Orders() int { return g.S.OrdersPerDay * g.S.Days }

// End is the wall clock just after the last generated event.
func (g *Generator) End() time.Time { return g.S.Start.Add(time.Duration(g.S.Days) * 24 * time.Hour) }

func pub(k ed25519.PrivateKey) crdt.PubKey { return protocol.PubKeyOf(k) }

func seal(k ed25519.PrivateKey, d protocol.Draft) Event {
	e, raw, err := protocol.Seal(k, d)
	if err != nil {
		panic(fmt.Sprintf("history: seal %s: %v", d.Kind, err)) // a generator bug, not input
	}
	return Event{ID: e.ID, Raw: raw, Kind: d.Kind, Wall: d.Wall}
}

// Base returns the coop log and the catalogue: the genesis, every
// member's admission, each restaurant's profile and menu.
func (g *Generator) Base() []Event {
	wall := g.S.Start.Add(-24 * time.Hour).UnixMilli()
	gen := seal(g.Admin, protocol.Draft{Kind: crdt.KindCoopGenesis, Lamport: 1, Wall: wall,
		Body: &crdt.CoopGenesis{Name: "History Coop", City: "Nantes", Currency: "EUR", Admins: []crdt.PubKey{pub(g.Admin)}}})
	g.Coop = gen.ID
	out := []Event{gen}
	prev, lam := gen.ID, uint64(1)
	admit := func(k ed25519.PrivateKey, roles crdt.Roles, name string) {
		lam++
		e := seal(g.Admin, protocol.Draft{Coop: g.Coop, Scope: g.Coop, Kind: crdt.KindMemberAdmit, Parents: []crdt.ID{prev}, Lamport: lam, Wall: wall,
			Body: &crdt.MemberAdmit{Member: pub(k), Roles: roles, Name: name}})
		out, prev = append(out, e), e.ID
	}
	for i, k := range g.Restaurants {
		admit(k, crdt.RoleRestaurant, fmt.Sprintf("restaurant-%d", i))
	}
	for i, k := range g.Couriers {
		admit(k, crdt.RoleCourier, fmt.Sprintf("courier-%d", i))
	}
	for i, k := range g.Restaurants {
		scope := crdt.ID(pub(k))
		out = append(out, seal(k, protocol.Draft{Coop: g.Coop, Scope: scope, Kind: crdt.KindCatalogProfile, Lamport: 1, Wall: wall,
			Body: &crdt.CatalogProfile{Name: fmt.Sprintf("Restaurant %d", i), Enabled: true, Fulfilment: crdt.FulfilDelivery,
				Timezone: "Europe/Paris", Position: restaurantAt(i)}}))
		out = append(out, seal(k, protocol.Draft{Coop: g.Coop, Scope: scope, Kind: crdt.KindCatalogMenu, Lamport: 1, Wall: wall,
			Body: &crdt.CatalogMenu{Sections: []crdt.MenuSection{{Name: "Plats", Products: menu}}}}))
	}
	return out
}

var menu = []crdt.Product{
	{ID: "soup", Name: "Soup", PriceCents: 900},
	{ID: "galette", Name: "Galette", PriceCents: 1200},
	{ID: "salad", Name: "Salad", PriceCents: 1050},
	{ID: "cake", Name: "Cake", PriceCents: 550},
}

func restaurantAt(i int) crdt.Position {
	return crdt.Position{LatE6: 47_200_000 + int32(i%5)*4_000, LonE6: -1_570_000 + int32(i/5)*5_000}
}

// orderPlan is what an order's events are decided from: its parties,
// and one deterministic source of choices.
type orderPlan struct {
	i          int
	resto, cus int
	rng        *rand.Rand
}

// plan decides order i's parties. Restaurants and customers are skewed:
// a few are much busier than the rest, as in a real city.
func (g *Generator) plan(i int) orderPlan {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	h := sha256.Sum256(append(fmt.Appendf(nil, "order %d ", g.S.Seed), b[:]...))
	rng := rand.New(rand.NewSource(int64(binary.BigEndian.Uint64(h[:8]))))
	skew := func(n int) int { // about half of the picks fall on the first fifth
		if rng.Intn(2) == 0 {
			return rng.Intn(max(1, n/5))
		}
		return rng.Intn(n)
	}
	return orderPlan{i: i, resto: skew(g.S.Restaurants), cus: skew(g.S.Customers), rng: rng}
}

// order returns order i's events, in causal order.
func (g *Generator) order(i int) []Event {
	p := g.plan(i)
	rng := p.rng
	day := i / g.S.OrdersPerDay
	// lunch (11:30–14:00) or dinner (18:30–22:00)
	minute := 690 + rng.Intn(150)
	if rng.Intn(5) >= 2 {
		minute = 1110 + rng.Intn(210)
	}
	wall := g.S.Start.Add(time.Duration(day)*24*time.Hour + time.Duration(minute)*time.Minute + time.Duration(rng.Intn(60_000))*time.Millisecond).UnixMilli()
	resto, cust := g.Restaurants[p.resto], g.Custom[p.cus]
	var items []crdt.LineItem
	var total int64
	for n := 1 + rng.Intn(3); n > 0; n-- {
		m := menu[rng.Intn(len(menu))]
		q := uint32(1 + rng.Intn(2))
		items = append(items, crdt.LineItem{Product: m.ID, Name: m.Name, Quantity: q, UnitCents: m.PriceCents, TotalCents: m.PriceCents * int64(q)})
		total += m.PriceCents * int64(q)
	}
	tip := int64(rng.Intn(4)) * 50
	pos := restaurantAt(p.resto)
	drop := crdt.Position{LatE6: pos.LatE6 + int32(rng.Intn(20_000)) - 10_000, LonE6: pos.LonE6 + int32(rng.Intn(20_000)) - 10_000}
	place := seal(cust, protocol.Draft{Coop: g.Coop, Kind: crdt.KindOrderPlace, Lamport: 1, Wall: wall, Body: &crdt.OrderPlace{
		Restaurant: pub(resto), Fulfilment: crdt.FulfilDelivery, Items: items,
		Totals: crdt.Totals{ItemsCents: total, DeliveryCents: 400, TipCents: tip, TotalCents: total + 400 + tip},
		Pickup: pos, DropoffArea: drop, DistanceM: uint32(800 + rng.Intn(3000)),
	}})
	out := []Event{place}
	scope, lam, heads := place.ID, uint64(1), []crdt.ID{place.ID}
	// stop is where an open order stops: the last Open orders of the
	// history stop at each stage in turn; the others run to the end.
	stop := 99
	if left := g.Orders() - i; left <= g.S.Open {
		stop = left % 5
	}
	step := func(k ed25519.PrivateKey, kind crdt.Kind, body crdt.Payload, minutes int) Event {
		lam++
		wall += int64(minutes)*60_000 + int64(rng.Intn(30_000))
		e := seal(k, protocol.Draft{Coop: g.Coop, Scope: scope, Kind: kind, Parents: heads, Lamport: lam, Wall: wall, Body: body})
		out, heads = append(out, e), []crdt.ID{e.ID}
		return e
	}
	if stop == 0 {
		return g.mark(out, p)
	}
	if rng.Intn(40) == 0 && stop == 99 { // sold out, rush hour: refused
		step(resto, crdt.KindOrderRefuse, &crdt.OrderRefuse{Reason: crdt.ReasonRushHour}, 2)
		return g.mark(out, p)
	}
	step(resto, crdt.KindOrderAccept, &crdt.OrderAccept{PrepMinutes: uint32(10 + rng.Intn(20))}, 1)
	if stop == 1 {
		return g.mark(out, p)
	}
	step(resto, crdt.KindOrderStartPreparing, &crdt.OrderStartPreparing{}, 2)
	a := rng.Intn(len(g.Couriers))
	courier := g.Couriers[a]
	claim := step(courier, crdt.KindCourierClaim, &crdt.CourierClaim{Position: pos}, 1)
	if rng.Intn(10) < 3 { // a second courier claims too late
		b := (a + 1 + rng.Intn(len(g.Couriers)-1)) % len(g.Couriers)
		lam++
		e := seal(g.Couriers[b], protocol.Draft{Coop: g.Coop, Scope: scope, Kind: crdt.KindCourierClaim, Parents: heads, Lamport: lam, Wall: wall + 20_000,
			Body: &crdt.CourierClaim{Position: pos}})
		out, heads = append(out, e), append(heads, e.ID)
	}
	step(resto, crdt.KindCourierAssign, &crdt.CourierAssign{Courier: pub(courier), Claim: claim.ID}, 1)
	if stop == 2 {
		return g.mark(out, p)
	}
	step(courier, crdt.KindTaskStart, &crdt.TaskStart{Task: crdt.TaskPickupN}, 1)
	step(resto, crdt.KindOrderReady, &crdt.OrderReady{}, 10+rng.Intn(15))
	if stop == 3 {
		return g.mark(out, p)
	}
	step(courier, crdt.KindTaskPickup, &crdt.TaskPickup{}, 2)
	if stop == 4 {
		return g.mark(out, p)
	}
	step(courier, crdt.KindTaskStart, &crdt.TaskStart{Task: crdt.TaskDropoffN}, 1)
	step(courier, crdt.KindTaskDeliver, &crdt.TaskDeliver{Proof: crdt.Proof{Recipient: "at the door"}}, 8+rng.Intn(15))
	if rng.Intn(10) < 6 {
		step(cust, crdt.KindOrderRate, &crdt.OrderRate{RestaurantStars: uint8(3 + rng.Intn(3)), CourierStars: uint8(3 + rng.Intn(3))}, 30+rng.Intn(600))
	}
	return g.mark(out, p)
}

func (g *Generator) mark(evs []Event, p orderPlan) []Event {
	for j := range evs {
		evs[j].Order, evs[j].Restaurant, evs[j].Customer = p.i+1, p.resto, p.cus
	}
	return evs
}

// Each generates orders [from, to) on every core and calls fn with each
// order's events, in order of the orders (so the output is deterministic
// whatever the scheduling). Base must have been called first.
func (g *Generator) Each(from, to int, fn func([]Event) error) error {
	if g.Coop.IsZero() {
		g.Base()
	}
	const chunk = 256
	workers := runtime.GOMAXPROCS(0)
	for lo := from; lo < to; lo += chunk * workers {
		hi := min(to, lo+chunk*workers)
		res := make([][]Event, hi-lo)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := lo + w; i < hi; i += workers {
					res[i-lo] = g.order(i)
				}
			}(w)
		}
		wg.Wait()
		for _, evs := range res {
			if err := fn(evs); err != nil {
				return err
			}
		}
	}
	return nil
}
