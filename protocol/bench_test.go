package protocol

import (
	"testing"

	"github.com/coopnode/coopnode/crdt"
)

// Benchmarks report events/s next to ns/op. Run with:
// go test -run=^$ -bench=. -benchmem ./protocol/

func reportRate(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "events/s")
	}
}

// BenchmarkSeal: encode, self-check and sign a typical order.place.
func BenchmarkSeal(b *testing.B) {
	priv := testKey("customer")
	d := Draft{Kind: crdt.KindOrderPlace, Coop: testID("coop"), Lamport: 1, Wall: testWall,
		Body: samplePlace(PubKeyOf(testKey("restaurant")), 1)}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Seal(priv, d); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

// BenchmarkDecode: full decode of a typical order.place, signature included.
func BenchmarkDecode(b *testing.B) {
	_, raw := mustSeal(b, testKey("customer"), Draft{Kind: crdt.KindOrderPlace, Coop: testID("coop"), Lamport: 1,
		Wall: testWall, Body: samplePlace(PubKeyOf(testKey("restaurant")), 1)})
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(raw); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

// BenchmarkDecodeMenu: a large catalogue document (about 100 KiB).
func BenchmarkDecodeMenu(b *testing.B) {
	menu := &crdt.CatalogMenu{}
	for s := 0; s < 10; s++ {
		sec := crdt.MenuSection{Name: "Section"}
		for p := 0; p < 50; p++ {
			sec.Products = append(sec.Products, crdt.Product{ID: "p", Name: "Pizza of the day", PriceCents: 1150,
				Description: "Tomato, mozzarella, basil, olive oil, and a long description of the dough and the oven.",
				Enabled:     true, Allergens: []string{"gluten", "milk"},
				Options: []crdt.Option{{ID: "size", Name: "Size", Min: 1, Max: 1, Values: []crdt.OptionValue{
					{ID: "s", Name: "Small", Enabled: true}, {ID: "l", Name: "Large", PriceCents: 300, Enabled: true}}}}})
		}
		menu.Sections = append(menu.Sections, sec)
	}
	r := testKey("restaurant")
	_, raw := mustSeal(b, r, Draft{Kind: crdt.KindCatalogMenu, Coop: testID("coop"), Scope: crdt.ID(PubKeyOf(r)),
		Lamport: 1, Wall: testWall, Body: menu})
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(raw); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

// BenchmarkID: the cheap ID of wire bytes.
func BenchmarkID(b *testing.B) {
	_, raw := mustSeal(b, testKey("customer"), Draft{Kind: crdt.KindOrderPlace, Coop: testID("coop"), Lamport: 1,
		Wall: testWall, Body: samplePlace(PubKeyOf(testKey("restaurant")), 1)})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ID(raw); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

// BenchmarkValidate: gossip validation of distinct order.place events
// against a real replica holding a coop with an admin, a restaurant and a
// courier.
func BenchmarkValidate(b *testing.B) {
	w := newWorld(b)
	raws := make([][]byte, 256)
	for i := range raws {
		raws[i] = w.place(b, i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		res := Validate(raws[i%len(raws)], testNow, ModeGossip, w.r)
		if res.Verdict != Accept {
			b.Fatal(res)
		}
		i++
	}
	reportRate(b)
}
