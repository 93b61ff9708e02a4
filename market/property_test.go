package market

import (
	"encoding/json"
	"math/big"
	"math/rand"
	"sort"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// The pricing property (issue 4): quotes computed on different nodes — a
// fresh compilation, rules and menus that went through the wire encoding,
// shuffled option choices, and for "map" shuffled rules — are identical,
// and equal to a simple reference computation written separately below
// with math/big.

var taxCats = []string{"food_takeaway", "drink", "drink_alcohol", "service", "", "mystery"}

type world struct {
	set     *crdt.RulesSet
	menu    *crdt.CatalogMenu
	profile *crdt.CatalogProfile
	cart    Cart
	now     time.Time
}

func genWorld(rng *rand.Rand) *world {
	w := &world{now: tuesdayNoon.Add(time.Duration(rng.Intn(7*24*60)) * time.Minute)}
	w.profile = &crdt.CatalogProfile{Name: "R", Position: restoPos, Timezone: "Europe/Paris", Fulfilment: 3,
		Hours: []string{"Mo-Su 00:00-24:00"}, Enabled: true}
	// the menu
	w.menu = &crdt.CatalogMenu{}
	for s := 0; s < 1+rng.Intn(3); s++ {
		sec := crdt.MenuSection{Name: "s"}
		for p := 0; p < 1+rng.Intn(6); p++ {
			prod := crdt.Product{ID: string(rune('a'+s)) + string(rune('a'+p)), Name: "p", PriceCents: int64(rng.Intn(5000)),
				TaxCategory: taxCats[rng.Intn(len(taxCats))], Enabled: true}
			for o := 0; o < rng.Intn(3); o++ {
				opt := crdt.Option{ID: prod.ID + "o" + string(rune('0'+o))}
				n := 1 + rng.Intn(4)
				for v := 0; v < n; v++ {
					opt.Values = append(opt.Values, crdt.OptionValue{ID: opt.ID + "v" + string(rune('0'+v)), PriceCents: int64(rng.Intn(300)), Enabled: true})
				}
				opt.Min = uint32(rng.Intn(min(n, 2) + 1))
				if rng.Intn(2) == 0 {
					opt.Max = opt.Min + uint32(rng.Intn(n-int(opt.Min)+1))
				}
				prod.Options = append(prod.Options, opt)
			}
			sec.Products = append(sec.Products, prod)
		}
		w.menu.Sections = append(w.menu.Sections, sec)
	}
	// a valid cart
	w.cart = Cart{Restaurant: pk("r"), Fulfilment: crdt.FulfilDelivery, TipCents: int64(rng.Intn(500)),
		Dropoff: crdt.Position{LatE6: restoPos.LatE6 + int32(rng.Intn(120_000)-60_000), LonE6: restoPos.LonE6 + int32(rng.Intn(160_000)-80_000)}}
	if rng.Intn(6) == 0 {
		w.cart.Fulfilment, w.cart.Dropoff = crdt.FulfilCollection, crdt.Position{}
	}
	for l := 0; l < 1+rng.Intn(6); l++ {
		sec := w.menu.Sections[rng.Intn(len(w.menu.Sections))]
		prod := sec.Products[rng.Intn(len(sec.Products))]
		it := CartItem{Product: prod.ID, Quantity: uint32(1 + rng.Intn(5))}
		for _, o := range prod.Options {
			hi := int(o.Max)
			if hi == 0 {
				hi = len(o.Values)
			}
			c := int(o.Min) + rng.Intn(hi-int(o.Min)+1)
			for _, i := range rng.Perm(len(o.Values))[:c] {
				it.Options = append(it.Options, o.Values[i].ID)
			}
		}
		rng.Shuffle(len(it.Options), func(i, j int) { it.Options[i], it.Options[j] = it.Options[j], it.Options[i] })
		w.cart.Items = append(w.cart.Items, it)
	}
	// the rules: rectangular zones around the restaurant
	w.set = &crdt.RulesSet{Version: uint64(1 + rng.Intn(9)), Strategy: uint8(1 + rng.Intn(2)), DetourBps: uint32(rng.Intn(4000)),
		Fees: crdt.PlatformFees{DeliveryBps: uint32(rng.Intn(3000)), CollectionBps: uint32(rng.Intn(2000)), FlatCents: int64(rng.Intn(100))},
		Pay: crdt.PayRule{BaseCents: int64(rng.Intn(500)), PerKmCents: int64(rng.Intn(150)), PerDropoffCents: int64(rng.Intn(100)),
			FeeBps: uint32(rng.Intn(10_001)), TipBps: uint32(rng.Intn(10_001)), MinCents: int64(rng.Intn(600))}}
	var zones []string
	for z := 0; z < rng.Intn(4); z++ {
		name := "z" + string(rune('0'+z))
		lat, lon := restoPos.LatE6+int32(rng.Intn(80_000)-40_000), restoPos.LonE6+int32(rng.Intn(100_000)-50_000)
		w.set.Zones = append(w.set.Zones, crdt.Zone{Name: name, Rings: [][]crdt.Position{rect(lat-int32(rng.Intn(40_000)+1), lon-int32(rng.Intn(60_000)+1), lat+int32(rng.Intn(40_000)), lon+int32(rng.Intn(60_000)))}})
		zones = append(zones, name)
	}
	anyZone := func() string {
		if len(zones) == 0 || rng.Intn(3) != 0 {
			return ""
		}
		return zones[rng.Intn(len(zones))]
	}
	for i := 0; i < rng.Intn(7); i++ {
		r := crdt.PriceRule{Name: "r", Target: uint8(rng.Intn(3)), InZone: anyZone(), OutZone: anyZone(), PickupZone: anyZone(),
			FixedCents: int64(rng.Intn(1000) - 200), ItemsBps: uint32(rng.Intn(3) * rng.Intn(2000))}
		if rng.Intn(3) == 0 {
			r.MinDistanceM = uint32(rng.Intn(5000))
			r.MaxDistanceM = r.MinDistanceM + uint32(rng.Intn(6000)+1)
		}
		if rng.Intn(4) == 0 {
			r.Days = uint8(rng.Intn(128))
		}
		if rng.Intn(3) == 0 {
			r.FromMin, r.ToMin = uint16(rng.Intn(1441)), uint16(rng.Intn(1441))
		}
		if rng.Intn(4) == 0 {
			r.MinItemsCents = int64(rng.Intn(3000))
		}
		for s := 0; s < rng.Intn(3); s++ {
			r.Steps = append(r.Steps, crdt.PriceStep{Of: uint8(1 + rng.Intn(4)), Cents: int64(rng.Intn(200) - 20), Every: uint32(rng.Intn(2000)), After: uint32(rng.Intn(3000))})
		}
		w.set.Rules = append(w.set.Rules, r)
	}
	if rng.Intn(2) == 0 { // a catch-all rule, so that most carts are priced
		w.set.Rules = append(w.set.Rules, crdt.PriceRule{Name: "catch-all", FixedCents: int64(rng.Intn(600)),
			Steps: []crdt.PriceStep{{Of: crdt.StepDistance, Cents: int64(rng.Intn(100)), Every: uint32(rng.Intn(1500)), After: uint32(rng.Intn(3000))}}})
	}
	for _, c := range taxCats[:4] {
		if rng.Intn(5) != 0 {
			w.set.Taxes = append(w.set.Taxes, crdt.TaxRate{Category: c, RateBps: uint32(rng.Intn(2500))})
		}
	}
	if len(w.set.Taxes) > 0 && rng.Intn(3) != 0 {
		w.set.DeliveryTax = w.set.Taxes[rng.Intn(len(w.set.Taxes))].Category
	}
	if len(zones) > 0 && rng.Intn(3) == 0 {
		w.set.ServiceZone = zones[rng.Intn(len(zones))]
	}
	return w
}

// wire sends a payload through the protocol encoding, as another node
// receives it.
func wire[T crdt.Payload](t *testing.T, p T) T {
	t.Helper()
	b, err := protocol.EncodePayload(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := protocol.DecodePayload(p.Kind(), b)
	if err != nil {
		t.Fatal(err)
	}
	return q.(T)
}

func TestPricingProperty(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	rng := rand.New(rand.NewSource(42))
	stats := map[string]int{}
	for i := 0; i < n; i++ {
		w := genWorld(rng)
		rulesA, err := Compile(w.set, "Europe/Paris")
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		qa, errA := Checkout(w.cart, Context{Profile: w.profile, Menu: w.menu, Rules: rulesA, Now: w.now})

		// node B: everything came over the wire; option choices in another order
		setB := wire(t, w.set)
		rulesB, err := Compile(setB, "Europe/Paris")
		if err != nil {
			t.Fatal(err)
		}
		cartB := w.cart
		cartB.Items = append([]CartItem(nil), w.cart.Items...)
		for j := range cartB.Items {
			opts := append([]string(nil), cartB.Items[j].Options...)
			rng.Shuffle(len(opts), func(a, b int) { opts[a], opts[b] = opts[b], opts[a] })
			cartB.Items[j].Options = opts
		}
		qb, errB := Checkout(cartB, Context{Profile: wire(t, w.profile), Menu: wire(t, w.menu), Rules: rulesB, Now: w.now})
		if Code(errA) != Code(errB) || js(t, qa) != js(t, qb) {
			t.Fatalf("case %d: nodes disagree:\n%v %s\n%v %s", i, errA, js(t, qa), errB, js(t, qb))
		}

		// the reference
		ref := reference(w)
		switch {
		case ref.err != "":
			if Code(errA) != ref.err {
				t.Fatalf("case %d: got %v, reference refuses with %s", i, errA, ref.err)
			}
			stats[ref.err]++
			continue
		case errA != nil:
			t.Fatalf("case %d: %v; reference %+v\nrules %s", i, errA, ref, js(t, w.set))
		}
		got := []int64{qa.ItemsCents, qa.DeliveryCents, qa.TaxCents, qa.TotalCents, qa.PlatformFeeCents, int64(qa.DistanceM)}
		want := []int64{ref.items, ref.fee, ref.tax, ref.total, ref.platform, int64(ref.distance)}
		if qa.CourierPay != nil {
			got, want = append(got, qa.CourierPay.TotalCents), append(want, ref.pay)
		}
		if js(t, got) != js(t, want) {
			t.Fatalf("case %d: quote %v, reference %v\n%s\nrules %s", i, got, want, qa.Delivery, js(t, w.set))
		}
		stats[strategyName(w.set.Strategy)+"/"+fulfilmentName(w.cart.Fulfilment)]++

		// "map" does not depend on the order of the rules
		if w.set.Strategy == crdt.StrategyMap && qa.Delivery != nil {
			shuf := *setB
			shuf.Rules = append([]crdt.PriceRule(nil), setB.Rules...)
			rng.Shuffle(len(shuf.Rules), func(a, b int) { shuf.Rules[a], shuf.Rules[b] = shuf.Rules[b], shuf.Rules[a] })
			rulesC, _ := Compile(&shuf, "Europe/Paris")
			qc, err := Checkout(w.cart, Context{Profile: w.profile, Menu: w.menu, Rules: rulesC, Now: w.now})
			if err != nil || qc.TotalCents != qa.TotalCents || qc.DeliveryCents != qa.DeliveryCents || qc.TaxCents != qa.TaxCents {
				t.Fatalf("case %d: shuffled map rules: %v", i, err)
			}
		}

		// any node re-prices the recorded order to the same amounts
		s := &crdt.OrderState{ID: crdt.ID{1}, Place: *wire(t, qa.OrderPlace(PlaceExtras{})), PlacedAt: qa.PricedAt}
		rc, err := RepriceWith(rulesB, s)
		if err != nil || !rc.Matches() || rc.PlatformFeeCents != qa.PlatformFeeCents || (qa.CourierPay != nil && rc.Pay != *qa.CourierPay) {
			t.Fatalf("case %d: reprice %v %+v", i, err, rc)
		}
	}
	t.Logf("%d worlds: %v", n, stats)
	if stats["no_rule_matched"] == 0 || stats["outside_zone"] == 0 || stats["find/delivery"] < n/10 || stats["map/delivery"] < n/10 {
		t.Fatalf("generator too tame: %v", stats)
	}
}

func js(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type refResult struct {
	err                                   string
	items, fee, tax, total, platform, pay int64
	distance                              uint32
}

// roundHalfUp rounds a non-negative rational to the nearest integer, halves up.
func roundHalfUp(r *big.Rat) int64 {
	x := new(big.Rat).Add(r, big.NewRat(1, 2))
	return new(big.Int).Quo(x.Num(), x.Denom()).Int64()
}

func ratio(n, d int64) *big.Rat { return big.NewRat(n, d) }

// reference prices a world directly from the text of SPEC.md §16, with
// exact rationals and nothing shared with the implementation but the
// distance formula's integer table.
func reference(w *world) refResult {
	var r refResult
	// lines
	gross := map[string]int64{}
	for _, it := range w.cart.Items {
		var prod crdt.Product
		for _, s := range w.menu.Sections {
			for _, p := range s.Products {
				if p.ID == it.Product {
					prod = p
				}
			}
		}
		unit := prod.PriceCents
		for _, o := range prod.Options {
			for _, v := range o.Values {
				for _, c := range it.Options {
					if c == v.ID {
						unit += v.PriceCents
					}
				}
			}
		}
		r.items += unit * int64(it.Quantity)
		gross[prod.TaxCategory] += unit * int64(it.Quantity)
	}
	delivery := w.cart.Fulfilment == crdt.FulfilDelivery
	inRect := func(z crdt.Zone, p crdt.Position) bool {
		lo, hi := z.Rings[0][0], z.Rings[0][2]
		return p.LatE6 >= lo.LatE6 && p.LatE6 <= hi.LatE6 && p.LonE6 >= lo.LonE6 && p.LonE6 <= hi.LonE6
	}
	zoneNamed := func(name string) crdt.Zone {
		for _, z := range w.set.Zones {
			if z.Name == name {
				return z
			}
		}
		panic("zone " + name)
	}
	if delivery {
		if w.set.ServiceZone != "" && !inRect(zoneNamed(w.set.ServiceZone), w.cart.Dropoff) {
			return refResult{err: "outside_zone"}
		}
		d := int64(refDistance(restoPos, w.cart.Dropoff))
		r.distance = uint32(d + roundHalfUp(ratio(d*int64(w.set.DetourBps), 10_000)))
		local := w.now.In(paris)
		weekday := (int(local.Weekday()) + 6) % 7
		minute := local.Hour()*60 + local.Minute()
		var fees []int64
		for _, rule := range w.set.Rules {
			ok := rule.Target != crdt.TargetParcel
			ok = ok && int64(r.distance) >= int64(rule.MinDistanceM) && (rule.MaxDistanceM == 0 || r.distance < rule.MaxDistanceM)
			ok = ok && (rule.InZone == "" || inRect(zoneNamed(rule.InZone), w.cart.Dropoff))
			ok = ok && (rule.OutZone == "" || !inRect(zoneNamed(rule.OutZone), w.cart.Dropoff))
			ok = ok && (rule.PickupZone == "" || inRect(zoneNamed(rule.PickupZone), restoPos))
			ok = ok && (rule.Days == 0 || rule.Days>>weekday&1 == 1)
			if f, t := int(rule.FromMin), int(rule.ToMin); f < t {
				ok = ok && minute >= f && minute < t
			} else if f > t {
				ok = ok && (minute >= f || minute < t)
			}
			ok = ok && r.items >= rule.MinItemsCents && (rule.MaxItemsCents == 0 || r.items < rule.MaxItemsCents)
			if !ok {
				continue
			}
			price := rule.FixedCents
			for _, s := range rule.Steps {
				v := map[uint8]int64{crdt.StepDistance: int64(r.distance), crdt.StepDropoffs: 1}[s.Of]
				every := int64(s.Every)
				if every == 0 {
					every = 1
				}
				for x := int64(s.After); x < v; x += every { // one price per started step
					price += s.Cents
				}
			}
			price += roundHalfUp(ratio(r.items*int64(rule.ItemsBps), 10_000))
			fees = append(fees, price)
		}
		if len(fees) == 0 {
			return refResult{err: "no_rule_matched"}
		}
		if w.set.Strategy == crdt.StrategyFind {
			fees = fees[:1]
		}
		for _, f := range fees {
			r.fee += f
		}
		r.fee = max(r.fee, 0)
		if w.set.DeliveryTax != "" && r.fee != 0 {
			gross[w.set.DeliveryTax] += r.fee
		}
	}
	cats := make([]string, 0, len(gross))
	for c := range gross {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	for _, c := range cats {
		rate := int64(0)
		for _, t := range w.set.Taxes {
			if t.Category == c {
				rate = int64(t.RateBps)
			}
		}
		r.tax += roundHalfUp(ratio(gross[c]*rate, 10_000+rate))
	}
	r.total = r.items + r.fee + w.cart.TipCents
	bps := w.set.Fees.DeliveryBps
	if !delivery {
		bps = w.set.Fees.CollectionBps
	}
	r.platform = roundHalfUp(ratio(r.items*int64(bps), 10_000)) + w.set.Fees.FlatCents
	if delivery {
		p := w.set.Pay
		r.pay = p.BaseCents + roundHalfUp(ratio(p.PerKmCents*int64(r.distance), 1000)) +
			roundHalfUp(ratio(r.fee*int64(p.FeeBps), 10_000))
		r.pay = max(r.pay, p.MinCents) + w.cart.TipCents // the whole tip, on top (SPEC.md §20.5)
	}
	return r
}
