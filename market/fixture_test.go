package market

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// A small Nantes cooperative: one restaurant, its menu, the coop's rules.

var paris = mustLoc("Europe/Paris")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// at is a local time in Paris.
func at(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, paris) }

// tuesdayNoon is Tuesday 10 March 2026, 12:00 in Paris (11:00 UTC).
var tuesdayNoon = at(2026, 3, 10, 12, 0)

func pk(name string) crdt.PubKey { return crdt.PubKey(sha256.Sum256([]byte("market test " + name))) }

var (
	restoPos   = crdt.Position{LatE6: 47_218_000, LonE6: -1_553_000}
	nearDrop   = crdt.Position{LatE6: 47_213_000, LonE6: -1_556_000} // ~600 m, in the centre
	farDrop    = crdt.Position{LatE6: 47_170_000, LonE6: -1_620_000} // ~7 km, in the city, outside the centre
	outsideDrp = crdt.Position{LatE6: 47_400_000, LonE6: -1_553_000} // 20 km north: outside the city
)

func rect(latLo, lonLo, latHi, lonHi int32) []crdt.Position {
	return []crdt.Position{{LatE6: latLo, LonE6: lonLo}, {LatE6: latLo, LonE6: lonHi}, {LatE6: latHi, LonE6: lonHi}, {LatE6: latHi, LonE6: lonLo}}
}

func testRulesSet() *crdt.RulesSet {
	return &crdt.RulesSet{Version: 3, Strategy: crdt.StrategyFind,
		Zones: []crdt.Zone{
			{Name: "centre", Rings: [][]crdt.Position{rect(47_190_000, -1_600_000, 47_250_000, -1_500_000)}},
			{Name: "city", Rings: [][]crdt.Position{rect(47_150_000, -1_700_000, 47_300_000, -1_400_000)}},
		},
		ServiceZone: "city",
		Rules: []crdt.PriceRule{
			{Name: "centre short", Target: crdt.TargetFood, InZone: "centre", MaxDistanceM: 2000, FixedCents: 250},
			{Name: "evening", Target: crdt.TargetFood, FromMin: 19 * 60, ToMin: 23 * 60, FixedCents: 400,
				Steps: []crdt.PriceStep{{Of: crdt.StepDistance, Cents: 80, Every: 1000, After: 2000}}},
			{Name: "standard", Target: crdt.TargetFood, FixedCents: 350,
				Steps: []crdt.PriceStep{{Of: crdt.StepDistance, Cents: 80, Every: 1000, After: 2000}}},
			{Name: "parcels", Target: crdt.TargetParcel, MaxWeightG: 30_000, FixedCents: 500,
				Steps: []crdt.PriceStep{{Of: crdt.StepPackages, Cents: 100, Every: 1, After: 1}, {Of: crdt.StepWeight, Cents: 50, Every: 5000},
					{Of: crdt.StepDistance, Cents: 90, Every: 1000, After: 3000}, {Of: crdt.StepDropoffs, Cents: 150, After: 1}}},
		},
		Fees:        crdt.PlatformFees{DeliveryBps: 1500, CollectionBps: 800},
		Pay:         crdt.PayRule{BaseCents: 300, PerKmCents: 60, PerDropoffCents: 100, TipBps: 10_000, MinCents: 400},
		Taxes:       []crdt.TaxRate{{Category: "drink", RateBps: 550}, {Category: "drink_alcohol", RateBps: 2000}, {Category: "food_takeaway", RateBps: 1000}, {Category: "service", RateBps: 2000}},
		DeliveryTax: "service",
	}
}

func testRules(t testing.TB) *Rules {
	t.Helper()
	r, err := Compile(testRulesSet(), "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func testProfile() *crdt.CatalogProfile {
	return &crdt.CatalogProfile{Name: "Chez Mia", Position: restoPos, Timezone: "Europe/Paris",
		Fulfilment: crdt.FulfilDelivery | crdt.FulfilCollection, Hours: []string{"Mo-Su 11:00-14:30,18:30-23:00"},
		MinOrderCents: 1000, OrderingDelayM: 20, PrepMinutes: 15, PreOrder: true, PreOrderDays: 3,
		MaxOrders: 2, MaxOrdersWinM: 30, Enabled: true}
}

func testMenu() *crdt.CatalogMenu {
	return &crdt.CatalogMenu{Sections: []crdt.MenuSection{
		{Name: "Wraps", Products: []crdt.Product{
			{ID: "wrap", Name: "Falafel wrap", PriceCents: 650, TaxCategory: "food_takeaway", Enabled: true,
				Allergens: []string{"gluten", "sesame"}, Diets: []string{"VeganDiet"},
				Options: []crdt.Option{
					{ID: "sauce", Name: "Sauce", Min: 1, Max: 1, Values: []crdt.OptionValue{
						{ID: "tahini", Name: "Tahini", Enabled: true}, {ID: "harissa", Name: "Harissa", PriceCents: 50, Enabled: true}}},
					{ID: "extras", Name: "Extras", Max: 2, Values: []crdt.OptionValue{
						{ID: "feta", Name: "Feta", PriceCents: 100, Enabled: true}, {ID: "olives", Name: "Olives", PriceCents: 80, Enabled: true},
						{ID: "halloumi", Name: "Halloumi", PriceCents: 150}}},
				}},
			{ID: "old", Name: "Old wrap", PriceCents: 500, TaxCategory: "food_takeaway"},
		}},
		{Name: "Drinks", Products: []crdt.Product{
			{ID: "soda", Name: "Lemon soda", PriceCents: 250, TaxCategory: "drink", Enabled: true},
			{ID: "beer", Name: "Beer", PriceCents: 450, TaxCategory: "drink_alcohol", Enabled: true, SoldOut: true, Alcohol: true},
			{ID: "pricey", Name: "Gold", PriceCents: MaxCents + 1, TaxCategory: "drink", Enabled: true},
		}},
	}}
}

func testCtx(t testing.TB, now time.Time) Context {
	return Context{Profile: testProfile(), Menu: testMenu(), Rules: testRules(t), CoopTimezone: "Europe/Paris", Now: now}
}

func testCart() Cart {
	return Cart{Restaurant: pk("resto"), Fulfilment: crdt.FulfilDelivery, TipCents: 200, Dropoff: nearDrop,
		Items: []CartItem{{Product: "wrap", Quantity: 2, Options: []string{"feta", "harissa"}}, {Product: "soda", Quantity: 1}}}
}
