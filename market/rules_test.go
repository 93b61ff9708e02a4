package market

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

func TestDivHalfUp(t *testing.T) {
	for _, c := range []struct{ n, d, want int64 }{
		{0, 7, 0}, {4, 10, 0}, {5, 10, 1}, {15, 10, 2}, {14, 10, 1}, {1, 3, 0}, {2, 3, 1}, {3, 2, 2},
		{-5, 10, -1}, {-4, 10, 0}, {-15, 10, -2}, {27750, 10000, 3}, {math.MaxInt64, 1, math.MaxInt64},
		{math.MaxInt64, 2, math.MaxInt64/2 + 1},
	} {
		if got := divHalfUp(c.n, c.d); got != c.want {
			t.Errorf("divHalfUp(%d, %d) = %d, want %d", c.n, c.d, got, c.want)
		}
	}
	if _, ok := mul(math.MaxInt64/2+1, 2); ok {
		t.Error("mul overflow not caught")
	}
	if _, ok := add(math.MaxInt64, 1); ok {
		t.Error("add overflow not caught")
	}
	if _, ok := add(math.MinInt64, -1); ok {
		t.Error("add underflow not caught")
	}
	if v, ok := add(-5, 3); !ok || v != -2 {
		t.Error("add")
	}
	for c, want := range map[int64]string{0: "0.00", 5: "0.05", 1250: "12.50", -105: "-1.05", math.MinInt64: "-92233720368547758.08"} {
		if Cents(c) != want {
			t.Errorf("Cents(%d) = %q", c, Cents(c))
		}
	}
}

func TestCompile(t *testing.T) {
	bad := testRulesSet()
	bad.Rules[0].InZone = "moon"
	if _, err := Compile(bad, "Europe/Paris"); !errors.Is(err, ErrBadRules) || !strings.Contains(err.Error(), `"moon"`) {
		t.Fatalf("bad rules: %v", err)
	}
	if _, err := Compile(testRulesSet(), "Atlantis/Capital"); !errors.Is(err, ErrBadTimezone) {
		t.Fatalf("bad zone: %v", err)
	}
	if _, err := RulesFor(&crdt.CoopState{}, 0); !errors.Is(err, ErrNoRules) {
		t.Fatalf("no rules: %v", err)
	}
	coop := &crdt.CoopState{Timezone: "Europe/Paris", Rules: []crdt.RulesVersion{{Version: 3, Set: testRulesSet()}}}
	if r, err := RulesFor(coop, 0); err != nil || r.Version() != 3 || r.Loc.String() != "Europe/Paris" {
		t.Fatalf("latest: %v", err)
	}
	if _, err := RulesFor(coop, 2); !errors.Is(err, ErrUnknownRulesVersion) {
		t.Fatalf("unknown version: %v", err)
	}
}

func job(distance uint32, at time.Time, dropoffZones ...[]string) Job {
	if len(dropoffZones) == 0 {
		dropoffZones = [][]string{{"centre", "city"}}
	}
	return Job{Target: crdt.TargetFood, DistanceM: distance, DropoffZones: dropoffZones, ItemsCents: 2500, At: at}
}

func TestDeliveryFeeConditions(t *testing.T) {
	set := &crdt.RulesSet{Version: 1, Strategy: crdt.StrategyMap,
		Zones: testRulesSet().Zones,
		Rules: []crdt.PriceRule{
			{Name: "base", FixedCents: 300},
			{Name: "far", MinDistanceM: 3000, Steps: []crdt.PriceStep{{Of: crdt.StepDistance, Cents: 100, Every: 1000, After: 3000}}},
			{Name: "outer", OutZone: "centre", FixedCents: 150},
			{Name: "weekend night", Days: 1<<5 | 1<<6, FromMin: 22 * 60, ToMin: 2 * 60, FixedCents: 200},
			{Name: "big basket discount", MinItemsCents: 5000, FixedCents: -200},
			{Name: "share", ItemsBps: 250},
			{Name: "centre pickup", PickupZone: "centre", FixedCents: 1},
		}}
	r, err := Compile(set, "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	// Tuesday noon, 4.2 km, dropoff in the centre, items 25.00:
	// base 3.00 + far 1.00 × ceil(1200/1000)=2.00 + share 2.5% of 25.00 = 0.625 → 0.63
	e, err := r.DeliveryFee(job(4200, tuesdayNoon))
	if err != nil {
		t.Fatal(err)
	}
	if e.FeeCents != 300+200+63 || len(e.Matched) != 3 {
		t.Fatalf("fee %d matched %v\n%s", e.FeeCents, e.Matched, e)
	}
	wantFail := map[int]string{3: `dropoff is in zone "centre" (the rule wants it outside)`, 4: "Tuesday is not one of Sa,Su",
		5: "items 25.00 is not at least 50.00", 7: `pickup is not in zone "centre"`}
	for i, want := range wantFail {
		if got := strings.Join(e.Rules[i-1].Failed, "; "); !strings.Contains(got, want) {
			t.Errorf("rule %d failed %q, want %q", i, got, want)
		}
	}
	if !strings.Contains(e.Rules[3].Failed[1], "12:00 is not in 22:00-02:00") {
		t.Errorf("time failure: %v", e.Rules[3].Failed)
	}
	if !strings.Contains(e.Rules[1].Parts[1], "1.00 × ceil((4200 − 3000) / 1000 m) = 1.00 × 2 = 2.00") {
		t.Errorf("step part: %v", e.Rules[1].Parts)
	}
	if !strings.Contains(e.String(), "sum of rules 1, 2, 6: fee 5.63") {
		t.Errorf("summary:\n%s", e)
	}
	// Saturday 23:30, 2 km, outside the centre, big basket
	j := job(2000, at(2026, 3, 14, 23, 30), []string{"city"})
	j.ItemsCents = 6000
	j.PickupZones = []string{"centre"}
	e, _ = r.DeliveryFee(j)
	if e.FeeCents != 300+150+200-200+150+1 {
		t.Fatalf("saturday night fee %d\n%s", e.FeeCents, e)
	}
	// Sunday 01:00 is in the wrapped range; Monday 01:00 is not a weekend day
	if e, _ := r.DeliveryFee(job(0, at(2026, 3, 15, 1, 0))); e.FeeCents != 300+200+63 {
		t.Fatalf("sunday 01:00: %d", e.FeeCents)
	}
	if e, _ := r.DeliveryFee(job(0, at(2026, 3, 16, 1, 0))); e.FeeCents != 300+63 {
		t.Fatalf("monday 01:00: %d", e.FeeCents)
	}
	// a negative sum is clamped to 0
	set.Rules = []crdt.PriceRule{{FixedCents: -500}}
	if e, err := r.DeliveryFee(job(0, tuesdayNoon)); err != nil || e.FeeCents != 0 || !strings.Contains(e.Summary, "below zero") {
		t.Fatalf("negative: %v %+v", err, e)
	}
}

func TestDeliveryFeeFindAndNoMatch(t *testing.T) {
	r := testRules(t)
	j := job(1500, tuesdayNoon)
	e, err := r.DeliveryFee(j)
	if err != nil || e.FeeCents != 250 || e.Strategy != "find" || e.Rules[1].Tried || e.Rules[3].Tried {
		t.Fatalf("find: %v\n%s", err, e)
	}
	if !strings.Contains(e.String(), "rule 2 \"evening\": not tried") {
		t.Errorf("explanation:\n%s", e)
	}
	// a parcel heavier than every parcel rule allows: nothing matches
	j = Job{Target: crdt.TargetParcel, DistanceM: 2000, DropoffZones: [][]string{{"city"}}, WeightG: 40_000, Packages: 2, At: tuesdayNoon}
	e, err = r.DeliveryFee(j)
	var ref *Refusal
	if !errors.Is(err, ErrNoRuleMatched) || !errors.As(err, &ref) || ref.Explanation != e || e.Summary != "no rule matched" {
		t.Fatalf("no match: %v", err)
	}
	for i, want := range []string{"for food deliveries only", "for food deliveries only", "for food deliveries only", "weight 40000 g is not in [0, 30000) g"} {
		if !e.Rules[i].Tried || !strings.Contains(strings.Join(e.Rules[i].Failed, ";"), want) {
			t.Errorf("rule %d: %v, want %q", i+1, e.Rules[i].Failed, want)
		}
	}
	if !strings.Contains(err.Error(), "rule 4: weight 40000 g") {
		t.Errorf("error text: %v", err)
	}
	empty := testRulesSet()
	empty.Rules = nil
	re, _ := Compile(empty, "")
	if _, err := re.DeliveryFee(j); !errors.Is(err, ErrNoRuleMatched) || !strings.Contains(err.Error(), "has no rules") {
		t.Fatalf("empty rule set: %v", err)
	}
}

func TestOverflowIsAnError(t *testing.T) {
	set := &crdt.RulesSet{Version: 1, Strategy: crdt.StrategyMap}
	for i := 0; i < 20; i++ {
		set.Rules = append(set.Rules, crdt.PriceRule{Steps: []crdt.PriceStep{{Of: crdt.StepDistance, Cents: crdt.MaxRuleCents}}})
	}
	r, err := Compile(set, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.DeliveryFee(job(math.MaxUint32, tuesdayNoon)); !errors.Is(err, ErrAmountRange) {
		t.Fatalf("overflow: %v", err)
	}
}

func TestFeesPayTaxes(t *testing.T) {
	r := testRules(t)
	for _, c := range []struct {
		f     crdt.Fulfilment
		items int64
		want  int64
	}{{crdt.FulfilDelivery, 1850, 278}, {crdt.FulfilDelivery, 1, 0}, {crdt.FulfilDelivery, 10, 2}, {crdt.FulfilCollection, 1850, 148}, {crdt.FulfilCollection, 0, 0}} {
		if got, _ := r.PlatformFee(c.f, false, c.items); got != c.want {
			t.Errorf("platform fee %d of %d = %d, want %d", c.f, c.items, got, c.want)
		}
	}
	if got, _ := r.PlatformFee(crdt.FulfilDelivery, true, 5000); got != 0 {
		t.Error("parcels pay a platform fee")
	}
	// 300 + 60 × 2.5 km = 150 + 2 dropoffs after the first × 100 + tip 100 %
	p, _ := r.CourierPay(2500, 3, 600, 250)
	if p.BaseCents != 300 || p.DistanceCents != 150 || p.DropoffsCents != 200 || p.TipCents != 250 || p.TotalCents != 900 {
		t.Fatalf("pay %+v", p)
	}
	// 60 × 0.0083 km = 0.498 → 0; the minimum tops up
	if p, _ := r.CourierPay(8, 1, 0, 0); p.DistanceCents != 0 || p.TopUpCents != 100 || p.TotalCents != 400 {
		t.Fatalf("short pay %+v", p)
	}
	if p, _ := r.CourierPay(9, 1, 0, 0); p.DistanceCents != 1 {
		t.Fatalf("60 × 9 / 1000 = 0.54 → 1: %+v", p)
	}
	lines, total, _ := r.Taxes(map[string]int64{"service": 600, "food_takeaway": 1100, "drink": 100, "custom": 500})
	want := []TaxLine{{Category: "custom", GrossCents: 500, Unknown: true}, {Category: "drink", RateBps: 550, GrossCents: 100, TaxCents: 5},
		{Category: "food_takeaway", RateBps: 1000, GrossCents: 1100, TaxCents: 100}, {Category: "service", RateBps: 2000, GrossCents: 600, TaxCents: 100}}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("tax line %d = %+v, want %+v", i, lines[i], want[i])
		}
	}
	if total != 205 {
		t.Errorf("tax total %d", total)
	}
	var none *Rules
	if l, tot, err := none.Taxes(map[string]int64{"food": 100}); err != nil || tot != 0 || !l[0].Unknown {
		t.Error("taxes without rules")
	}
}
