package bench

import (
	"fmt"
	"math"
	"math/rand"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
)

// The simulated city: places, menus and carts. Everything is integer
// cents and microdegrees, drawn from the run's seeded randomness.

// city is the centre of the simulated city (Nantes), in microdegrees.
var city = crdt.Position{LatE6: 47_215_800, LonE6: -1_557_600}

// around returns a point within radiusM metres of c.
func around(rng *rand.Rand, c crdt.Position, radiusM float64) crdt.Position {
	d := radiusM * math.Sqrt(rng.Float64())
	a := rng.Float64() * 2 * math.Pi
	dLat := d * math.Cos(a) / 111_320
	dLon := d * math.Sin(a) / (111_320 * math.Cos(float64(c.LatE6)/1e6*math.Pi/180))
	return crdt.Position{LatE6: c.LatE6 + int32(dLat*1e6), LonE6: c.LonE6 + int32(dLon*1e6)}
}

// coarse rounds a position to about 100 m (the public dropoff area).
func coarse(p crdt.Position) crdt.Position {
	return crdt.Position{LatE6: p.LatE6 / 1000 * 1000, LonE6: p.LonE6 / 1000 * 1000}
}

var dishes = []struct {
	name, descr string
	cents       int64
}{
	{"Falafel wrap", "Chickpea falafel, tahini, pickled turnip, parsley", 750},
	{"Pho bo", "Beef broth simmered 12 hours, rice noodles, herbs", 1150},
	{"Galette complète", "Buckwheat galette, ham, egg, emmental", 900},
	{"Margherita", "San Marzano tomato, fior di latte, basil", 1000},
	{"Smash burger", "Two smashed patties, cheddar, onions, house sauce", 1250},
	{"Dal makhani", "Black lentils, butter, cream, naan on the side", 1050},
	{"Green salad", "Seasonal leaves, mustard vinaigrette", 550},
	{"Lemonade", "Pressed lemons, cane sugar, mint", 350},
}

// menuFor builds restaurant j's menu: two sections of four products, about
// a kilobyte on the wire.
func menuFor(j int) crdt.CatalogMenu {
	var m crdt.CatalogMenu
	for s, title := range []string{"Plates", "Sides and drinks"} {
		sec := crdt.MenuSection{Name: title}
		for k := range 4 {
			d := dishes[(j+s*4+k)%len(dishes)]
			sec.Products = append(sec.Products, crdt.Product{
				ID: fmt.Sprintf("p%d-%d", s, k), Name: d.name, Description: d.descr,
				PriceCents: d.cents + int64(j%5)*50, TaxCategory: "food", Enabled: true,
				Allergens: []string{"gluten"},
			})
		}
		m.Sections = append(m.Sections, sec)
	}
	return m
}

func profileFor(m *member) crdt.CatalogProfile {
	return crdt.CatalogProfile{
		Name: fmt.Sprintf("Restaurant %d", m.i), Description: "A member restaurant of the bench coop",
		Address: fmt.Sprintf("%d rue de la Bench, 44000 Nantes", m.i), Position: m.pos,
		Tags: []string{"bench"}, Timezone: "Europe/Paris", Fulfilment: crdt.FulfilDelivery,
		Hours: []string{"Mo-Su 11:00-23:00"}, PrepMinutes: 10, Enabled: true,
	}
}

// toggleSoldOut flips one product of the menu (a sold-out update).
func toggleSoldOut(m crdt.CatalogMenu, rng *rand.Rand) crdt.CatalogMenu {
	out := crdt.CatalogMenu{Sections: make([]crdt.MenuSection, len(m.Sections))}
	for i, s := range m.Sections {
		out.Sections[i] = crdt.MenuSection{Name: s.Name, Products: append([]crdt.Product(nil), s.Products...)}
	}
	s := rng.Intn(len(out.Sections))
	p := &out.Sections[s].Products[rng.Intn(len(out.Sections[s].Products))]
	p.SoldOut = !p.SoldOut
	return out
}

// placeFor fills a cart of one to three available products and prices it.
// cartOf is the cart the customer's app quotes for place.
func cartOf(place crdt.OrderPlace) market.Cart {
	c := market.Cart{Restaurant: place.Restaurant, Fulfilment: place.Fulfilment, TipCents: place.Totals.TipCents, Dropoff: place.DropoffArea}
	for _, li := range place.Items {
		c.Items = append(c.Items, market.CartItem{Product: li.Product, Quantity: li.Quantity})
	}
	return c
}

func placeFor(rng *rand.Rand, cust, resto *member, menu crdt.CatalogMenu, pin string, no int) crdt.OrderPlace {
	var avail []crdt.Product
	for _, s := range menu.Sections {
		for _, p := range s.Products {
			if p.Enabled && !p.SoldOut {
				avail = append(avail, p)
			}
		}
	}
	if len(avail) == 0 { // everything sold out: order anyway, the kitchen copes
		for _, s := range menu.Sections {
			avail = append(avail, s.Products...)
		}
	}
	var items []crdt.LineItem
	var sum int64
	for _, i := range rng.Perm(len(avail))[:min(len(avail), 1+rng.Intn(3))] {
		p := avail[i]
		q := uint32(1 + rng.Intn(2))
		li := crdt.LineItem{Product: p.ID, Name: p.Name, Quantity: q, UnitCents: p.PriceCents, TotalCents: int64(q) * p.PriceCents}
		sum += li.TotalCents
		items = append(items, li)
	}
	tip := int64(rng.Intn(4)) * 50
	h := crdt.PINHash(cust.pub, pin)
	return crdt.OrderPlace{
		Restaurant: resto.pub, Fulfilment: crdt.FulfilDelivery, Items: items,
		Totals: crdt.Totals{ItemsCents: sum, DeliveryCents: 400, TipCents: tip, TotalCents: sum + 400 + tip},
		Pickup: resto.pos, DropoffArea: coarse(cust.pos), DistanceM: 1500, PINHash: h[:],
		Note: fmt.Sprintf("bench order %d", no),
	}
}
