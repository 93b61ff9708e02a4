package crdt

import (
	"math/rand"
	"strings"
	"testing"
)

// Tests of the marketplace additions (SPEC.md §16): rules.set in
// the coop fold, parcel deliveries and ratings in the order fold.

func validRules(version uint64) *RulesSet {
	sq := []Position{{LatE6: 47_200_000, LonE6: -1_580_000}, {LatE6: 47_200_000, LonE6: -1_520_000},
		{LatE6: 47_240_000, LonE6: -1_520_000}, {LatE6: 47_240_000, LonE6: -1_580_000}}
	return &RulesSet{Version: version, Strategy: StrategyFind,
		Zones:       []Zone{{Name: "centre", Rings: [][]Position{sq}}},
		ServiceZone: "centre",
		Rules:       []PriceRule{{Name: "base", FixedCents: 350, Steps: []PriceStep{{Of: StepDistance, Cents: 80, Every: 1000, After: 2000}}}},
		Fees:        PlatformFees{DeliveryBps: 1500, CollectionBps: 800},
		Pay:         PayRule{BaseCents: 300, PerKmCents: 50, TipBps: MaxBps},
		Taxes:       []TaxRate{{Category: "food_takeaway", RateBps: 1000}, {Category: "service", RateBps: 2000}},
		DeliveryTax: "service"}
}

func TestRulesSetProblems(t *testing.T) {
	if p := validRules(1).Problem(); p != "" {
		t.Fatalf("valid rules: %s", p)
	}
	cases := map[string]func(r *RulesSet){
		"version 0":          func(r *RulesSet) { r.Version = 0 },
		"strategy":           func(r *RulesSet) { r.Strategy = 3 },
		"unnamed zone":       func(r *RulesSet) { r.Zones[0].Name = "" },
		"zone twice":         func(r *RulesSet) { r.Zones = append(r.Zones, r.Zones[0]) },
		"no ring":            func(r *RulesSet) { r.Zones[0].Rings = nil },
		"two points":         func(r *RulesSet) { r.Zones[0].Rings[0] = r.Zones[0].Rings[0][:2] },
		"off globe":          func(r *RulesSet) { r.Zones[0].Rings[0][1].LatE6 = 91_000_000 },
		"antimeridian":       func(r *RulesSet) { r.Zones[0].Rings[0][1].LonE6 = 179_000_000 },
		"service zone":       func(r *RulesSet) { r.ServiceZone = "nowhere" },
		"rule zone":          func(r *RulesSet) { r.Rules[0].InZone = "nowhere" },
		"pickup zone":        func(r *RulesSet) { r.Rules[0].PickupZone = "nowhere" },
		"target":             func(r *RulesSet) { r.Rules[0].Target = 3 },
		"empty distance":     func(r *RulesSet) { r.Rules[0].MinDistanceM, r.Rules[0].MaxDistanceM = 5000, 5000 },
		"empty weight":       func(r *RulesSet) { r.Rules[0].MinWeightG, r.Rules[0].MaxWeightG = 10, 5 },
		"negative min items": func(r *RulesSet) { r.Rules[0].MinItemsCents = -1 },
		"days":               func(r *RulesSet) { r.Rules[0].Days = 1 << 7 },
		"minutes":            func(r *RulesSet) { r.Rules[0].ToMin = 1441 },
		"huge fixed":         func(r *RulesSet) { r.Rules[0].FixedCents = MaxRuleCents + 1 },
		"step of":            func(r *RulesSet) { r.Rules[0].Steps[0].Of = 5 },
		"step cents":         func(r *RulesSet) { r.Rules[0].Steps[0].Cents = -MaxRuleCents - 1 },
		"many steps":         func(r *RulesSet) { r.Rules[0].Steps = make([]PriceStep, MaxPriceSteps+1) },
		"items bps":          func(r *RulesSet) { r.Rules[0].ItemsBps = MaxBps + 1 },
		"fee bps":            func(r *RulesSet) { r.Fees.CollectionBps = MaxBps + 1 },
		"flat negative":      func(r *RulesSet) { r.Fees.FlatCents = -5 },
		"pay negative":       func(r *RulesSet) { r.Pay.PerKmCents = -5 },
		"pay bps":            func(r *RulesSet) { r.Pay.TipBps = MaxBps + 1 },
		"tax no category":    func(r *RulesSet) { r.Taxes[0].Category = "" },
		"tax twice":          func(r *RulesSet) { r.Taxes[1].Category = r.Taxes[0].Category },
		"tax rate":           func(r *RulesSet) { r.Taxes[0].RateBps = MaxBps + 1 },
		"delivery tax":       func(r *RulesSet) { r.DeliveryTax = "luxury" },
		"detour":             func(r *RulesSet) { r.DetourBps = MaxDetourBps + 1 },
		"many zones":         func(r *RulesSet) { r.Zones = make([]Zone, MaxZones+1) },
		"many rules":         func(r *RulesSet) { r.Rules = make([]PriceRule, MaxRules+1) },
	}
	for name, mut := range cases {
		r := validRules(1)
		mut(r)
		if r.Problem() == "" {
			t.Errorf("%s: no problem found", name)
		}
	}
	var nilRules *RulesSet
	if nilRules.Problem() == "" {
		t.Error("nil rules have no problem")
	}
}

func TestRulesSetFold(t *testing.T) {
	w := newWorld(t)
	r := w.fresh()
	before, _ := r.Coop(w.coop)
	v1 := w.coopEvent(r, "admin", validRules(1))
	cs, _ := r.Coop(w.coop)
	if got, ok := cs.RulesAt(1); !ok || got.Version != 1 || len(cs.Rules) != 1 || cs.Rules[0].Event != v1.ID {
		t.Fatalf("rules %+v", cs.Rules)
	}
	if cs.Hash() == before.Hash() {
		t.Fatal("rules do not change the coop hash")
	}
	// not an admin: rejected at the gate
	parents := r.Heads(ScopeCoop, w.coop)
	e := w.mk(w.k("disp"), KindRulesSet, w.coop, w.coop, parents, r.NextLamport(parents), validRules(2))
	if out := r.Apply(e); out.Status != Rejected || out.Reason != ReasonNotAdmin {
		t.Fatalf("dispatcher's rules: %s %s", out.Status, out.Reason)
	}
	// fold rejections
	bad := validRules(2)
	bad.Strategy = 0
	for _, tc := range []struct {
		body *RulesSet
		want Reason
	}{{bad, ReasonBadField}, {validRules(1), ReasonStaleVersion}} {
		e := w.coopEvent(r, "admin", tc.body)
		cs, _ := r.Coop(w.coop)
		if rej := cs.Rejected[len(cs.Rejected)-1]; rej.Event != e.ID || rej.Reason != tc.want {
			t.Errorf("rejection %+v, want %s", rej, tc.want)
		}
	}
	w.coopEvent(r, "admin", validRules(5))
	cs, _ = r.Coop(w.coop)
	if latest, _ := cs.LatestRules(); latest.Version != 5 || len(cs.Rules) != 2 {
		t.Fatalf("latest %d, %d versions", latest.Version, len(cs.Rules))
	}
	if _, ok := cs.RulesAt(2); ok {
		t.Fatal("version 2 was left out but is found")
	}
	if clone := cs.Clone(); len(clone.Rules) != 2 || clone.Hash() != cs.Hash() {
		t.Fatal("clone lost the rules")
	}
}

// TestConcurrentRuleVersions: two admins publish the same version from the
// same view; every arrival order keeps the same one (the first in fold
// order) and gives one coop hash.
func TestConcurrentRuleVersions(t *testing.T) {
	w := newWorld(t)
	r := w.fresh()
	w.coopEvent(r, "admin", &MemberAdmit{Member: key("admin2"), Roles: RoleAdmin, Name: "admin2"})
	w.names["admin2"] = key("admin2")
	base := append([]*Event(nil), r.ScopeEvents(ScopeCoop, w.coop, w.coop)...)
	parents := r.Heads(ScopeCoop, w.coop)
	a, b := validRules(2), validRules(2)
	b.Fees.DeliveryBps = 2000
	ea := w.mk(w.k("admin"), KindRulesSet, w.coop, w.coop, parents, r.NextLamport(parents), a)
	eb := w.mk(w.k("admin2"), KindRulesSet, w.coop, w.coop, parents, r.NextLamport(parents), b)
	winner := ea
	if eb.Before(ea) {
		winner = eb
	}
	rng := rand.New(rand.NewSource(5))
	var want [32]byte
	for i := 0; i < 20; i++ {
		x := NewReplica(Limits{})
		for _, e := range shuffled(rng, append(append([]*Event(nil), base...), ea, eb), 0.3) {
			x.Apply(e)
		}
		cs, _ := x.Coop(w.coop)
		if len(cs.Rules) != 1 || cs.Rules[0].Event != winner.ID {
			t.Fatalf("rules %+v, want event %s", cs.Rules, winner.ID.Short())
		}
		if i == 0 {
			want = cs.Hash()
		} else if cs.Hash() != want {
			t.Fatal("coop hash depends on arrival order")
		}
	}
}

// parcelWorld is the test world plus a shop with a linked desk device.
func parcelWorld(t *testing.T) *world {
	w := newWorld(t)
	r := w.fresh()
	w.names["shop"], w.names["shopdesk"] = key("shop"), key("shopdesk")
	w.coopLog = append(w.coopLog, w.coopEvent(r, "admin", &MemberAdmit{Member: w.k("shop"), Roles: RoleShop, Name: "shop"}))
	w.coopLog = append(w.coopLog, w.coopEvent(r, "shop", &DeviceLink{Member: w.k("shop"), Device: w.k("shopdesk"), Label: "desk"}))
	return w
}

func (w *world) parcel(who string, n int, mut func(*OrderPlace)) *Event {
	p := &OrderPlace{Restaurant: w.k("shop"), Fulfilment: FulfilDelivery, Parcel: true,
		Pickup: Position{LatE6: 47_218_000, LonE6: -1_553_000}, Slot: TimeSlot{Start: w.baseWall, End: w.baseWall + 3_600_000},
		Totals: Totals{DeliveryCents: 900, TotalCents: 900}}
	for i := 0; i < n; i++ {
		p.Dropoffs = append(p.Dropoffs, Dropoff{Area: Position{LatE6: 47_210_000 + int32(i)*5000, LonE6: -1_560_000},
			Packages: 1, WeightG: 2500, Ref: "parcel-" + string(rune('a'+i))})
	}
	if mut != nil {
		mut(p)
	}
	return w.mk(w.k(who), KindOrderPlace, w.coop, ID{}, nil, 1, p)
}

func TestParcelPlace(t *testing.T) {
	w := parcelWorld(t)
	r := w.fresh()
	p := w.parcel("shopdesk", 3, nil)
	w.mustStore(r, p)
	s := w.order(r, p.ID)
	if s.Status != StatusAccepted || !s.WasAccepted || s.AcceptedAt != p.Wall || len(s.Stops) != 3 ||
		s.Pickup.Status != TaskTodo || s.Dropoff.Status != TaskTodo || s.Stops[2].Status != TaskTodo {
		t.Fatalf("parcel state %+v", s)
	}
	if s.Clone().Hash() != s.Hash() {
		t.Fatal("clone hash differs")
	}
	for name, tc := range map[string]struct {
		e    *Event
		want Reason
	}{
		"customer requests":   {w.parcel("cust", 1, nil), ReasonNotRestaurant},
		"other restaurant":    {w.parcel("resto", 1, nil), ReasonNotRestaurant},
		"no dropoff":          {w.parcel("shop", 0, nil), ReasonBadField},
		"too many dropoffs":   {w.parcel("shop", MaxDropoffs+1, nil), ReasonBadField},
		"collection parcel":   {w.parcel("shop", 1, func(p *OrderPlace) { p.Fulfilment = FulfilCollection }), ReasonBadField},
		"order-level pin":     {w.parcel("shop", 1, func(p *OrderPlace) { p.PINHash = make([]byte, 32) }), ReasonBadField},
		"dropoff off globe":   {w.parcel("shop", 2, func(p *OrderPlace) { p.Dropoffs[1].Area.LonE6 = 200_000_000 }), ReasonBadField},
		"dropoff pin short":   {w.parcel("shop", 2, func(p *OrderPlace) { p.Dropoffs[0].PINHash = []byte{1, 2} }), ReasonBadField},
		"food with dropoffs":  {w.parcel("shop", 2, func(p *OrderPlace) { p.Parcel = false }), ReasonBadField},
		"shop not a member":   {w.parcel("stranger", 1, func(p *OrderPlace) { p.Restaurant = key("stranger") }), ReasonRestaurantUnknown},
		"courier as the shop": {w.parcel("c1", 1, func(p *OrderPlace) { p.Restaurant = key("c1") }), ReasonRestaurantUnknown},
	} {
		if out := r.Apply(tc.e); out.Status != Rejected || out.Reason != tc.want {
			t.Errorf("%s: %s %q, want rejected %q", name, out.Status, out.Reason, tc.want)
		}
	}
}

func TestParcelLifecycle(t *testing.T) {
	w := parcelWorld(t)
	r := w.fresh()
	pin := PINHash(w.k("shopdesk"), "1234")
	p := w.parcel("shopdesk", 3, func(p *OrderPlace) { p.Dropoffs[0].PINHash = pin[:] })
	w.mustStore(r, p)
	id := p.ID
	rejected := 0
	expect := func(step string, reason Reason) *OrderState {
		t.Helper()
		s := w.order(r, id)
		got := ReasonOK
		if len(s.Rejected) > rejected {
			got = lastRejection(s)
		}
		rejected = len(s.Rejected)
		if got != reason {
			t.Fatalf("%s: rejection %q, want %q", step, got, reason)
		}
		return s
	}
	before := w.order(r, id).Hash()
	w.act(r, "shop", id, &OrderAccept{})
	expect("accept", ReasonBadTransition)
	if w.order(r, id).Hash() != before {
		t.Fatal("left-out accept changed the hash")
	}
	w.act(r, "c2", id, &CourierClaim{})
	w.act(r, "shop", id, &CourierAssign{Courier: key("c2")})
	w.act(r, "c2", id, &TaskStart{Task: TaskDropoffN, Stop: 1})
	expect("start stop before pickup", ReasonBadTransition)
	w.act(r, "c2", id, &TaskPickup{})
	s := expect("pickup", ReasonOK)
	if s.Status != StatusPickedUp || !s.HolderConfirmed {
		t.Fatalf("after pickup %s", s.Status)
	}
	w.act(r, "c2", id, &TaskStart{Task: TaskDropoffN})
	expect("start stop 0", ReasonBadField)
	w.act(r, "c2", id, &TaskStart{Task: TaskDropoffN, Stop: 4})
	expect("start stop 4", ReasonBadField)
	w.act(r, "c2", id, &TaskStart{Task: TaskDropoffN, Stop: 2})
	s = expect("start stop 2", ReasonOK)
	if s.Stops[1].Status != TaskDoing || s.Dropoff.Status != TaskDoing || s.Dropoff.StartedAt == 0 {
		t.Fatalf("stop 2 %s summary %s", s.Stops[1].Status, s.Dropoff.Status)
	}
	w.act(r, "c3", id, &TaskDeliver{Stop: 1})
	expect("deliver by non-holder", ReasonNotHolder)
	w.act(r, "c2", id, &TaskDeliver{Stop: 1, Proof: Proof{PIN: "9999"}})
	expect("wrong PIN", ReasonPINMismatch)
	w.act(r, "c2", id, &TaskDeliver{Stop: 1, Proof: Proof{PIN: "1234", Recipient: "Ana"}})
	s = expect("deliver stop 1", ReasonOK)
	if s.Stops[0].Status != TaskDone || s.Stops[0].Proof == nil || s.Stops[0].Proof.PIN != "" || s.Status != StatusPickedUp {
		t.Fatalf("stop 1 %+v status %s", s.Stops[0], s.Status)
	}
	w.act(r, "c2", id, &TaskDeliver{Stop: 1})
	expect("deliver stop 1 again", ReasonBadTransition)
	w.act(r, "disp", id, &TaskFail{Task: TaskDropoffN, Stop: 2, Reason: "no_answer"})
	s = expect("fail stop 2", ReasonOK)
	if s.Stops[1].Status != TaskFailed || s.Stops[1].FailReason != "no_answer" || s.Status != StatusPickedUp {
		t.Fatalf("stop 2 %+v status %s", s.Stops[1], s.Status)
	}
	w.act(r, "c2", id, &TaskDeliver{Stop: 3, Proof: Proof{Recipient: "Léa"}})
	s = expect("deliver stop 3", ReasonOK)
	if s.Status != StatusDelivered || s.Dropoff.Status != TaskDone || s.Dropoff.DoneAt == 0 || s.Reason != "" {
		t.Fatalf("settled %s summary %+v", s.Status, s.Dropoff)
	}
	// the shop (the order's customer key) rates the courier
	w.act(r, "shopdesk", id, &OrderRate{RestaurantStars: 4})
	expect("rate the shop itself", ReasonBadField)
	w.act(r, "shopdesk", id, &OrderRate{CourierStars: 5, Comment: "fast"})
	s = expect("rate", ReasonOK)
	w.act(r, "shopdesk", id, &OrderRate{CourierStars: 3})
	s2 := expect("rate again", ReasonOK)
	if s.Rating.CourierStars != 5 || s2.Rating.CourierStars != 3 || s2.Rating.Comment != "" || s.Hash() == s2.Hash() {
		t.Fatalf("ratings %+v then %+v", s.Rating, s2.Rating)
	}
	if _, out := w.act(r, "shop", id, &OrderRate{CourierStars: 1}); out.Status != Rejected || out.Reason != ReasonNotCustomer {
		t.Fatalf("rating by the shop's other key: %s %s", out.Status, out.Reason)
	}
}

func TestParcelEndings(t *testing.T) {
	w := parcelWorld(t)
	run := func(steps ...step) *OrderState {
		t.Helper()
		r := w.fresh()
		p := w.parcel("shop", 2, nil)
		w.mustStore(r, p)
		for _, st := range steps {
			w.act(r, st.who, p.ID, st.body)
			if rej := lastRejection(w.order(r, p.ID)); rej != ReasonOK {
				t.Fatalf("%s by %s: %s", st.body.Kind(), st.who, rej)
			}
		}
		return w.order(r, p.ID)
	}
	claimed := []step{{"c1", &CourierClaim{}}}
	picked := append(append([]step(nil), claimed...), step{"c1", &TaskPickup{}})
	s := run(append(picked, step{"c1", &TaskFail{Task: TaskDropoffN, Stop: 2, Reason: "closed"}},
		step{"c1", &TaskFail{Task: TaskDropoffN, Stop: 1, Reason: "refused"}})...)
	if s.Status != StatusFailed || s.Reason != "refused" || s.Dropoff.Status != TaskFailed {
		t.Fatalf("all stops failed: %s %q %s", s.Status, s.Reason, s.Dropoff.Status)
	}
	s = run(append(claimed, step{"c1", &TaskFail{Task: TaskPickupN, Reason: "shop closed"}})...)
	if s.Status != StatusFailed || s.Stops[0].Status != TaskCancelled || s.Stops[1].Status != TaskCancelled || s.Dropoff.Status != TaskCancelled {
		t.Fatalf("pickup failed: %s %+v", s.Status, s.Stops)
	}
	s = run(step{"shop", &OrderCancel{Reason: ReasonCustomer}})
	if s.Status != StatusCancelled || s.Stops[1].Status != TaskCancelled {
		t.Fatalf("cancelled: %s %+v", s.Status, s.Stops)
	}
	s = run(step{"shop", &OrderCancel{Reason: ReasonCustomer}}, step{"disp", &OrderRestore{}})
	if s.Status != StatusAccepted || s.Stops[0].Status != TaskTodo || s.Stops[1].Status != TaskTodo || s.Pickup.Status != TaskTodo {
		t.Fatalf("restored: %s %+v", s.Status, s.Stops)
	}
	s = run(step{"shop", &OrderReady{}}, step{"c4", &CourierClaim{}}, step{"c4", &TaskPickup{}},
		step{"c4", &TaskDeliver{Stop: 2}}, step{"c4", &TaskDeliver{Stop: 1}})
	if s.Status != StatusDelivered || s.ReadyAt == 0 {
		t.Fatalf("ready then delivered: %s", s.Status)
	}
}

// genParcelScenario is genScenario for parcel deliveries: events written on
// random recent prefixes, so stop events, claims and cancels race.
func genParcelScenario(w *world, rng *rand.Rand) (*Event, []*Event) {
	place := w.parcel([]string{"shop", "shopdesk"}[rng.Intn(2)], 1+rng.Intn(4), nil)
	all := []*Event{place}
	couriers := []string{"c1", "c2", "c3"}
	n := 4 + rng.Intn(14)
	for i := 0; i < n; i++ {
		k := len(all) - rng.Intn(min(len(all), 3))
		view := w.fresh()
		for _, e := range all[:k] {
			view.Apply(e)
		}
		who := couriers[rng.Intn(len(couriers))]
		if vs, ok := view.Order(place.ID); ok && vs.HasHolder() && rng.Intn(4) != 0 {
			for _, c := range couriers {
				if key(c) == vs.Holder {
					who = c
				}
			}
		}
		nStops := len(place.Body.(*OrderPlace).Dropoffs)
		stop := uint16(1 + rng.Intn(nStops))
		if rng.Intn(8) == 0 {
			stop = uint16(rng.Intn(nStops + 2)) // sometimes out of range
		}
		choice := rng.Intn(12)
		if vs, ok := view.Order(place.ID); ok && rng.Intn(5) != 0 {
			switch vs.Status {
			case StatusAccepted:
				choice = []int{0, 0, 2, 3, 3, 9}[rng.Intn(6)]
			case StatusPickedUp:
				choice = []int{4, 5, 5, 6, 7, 8}[rng.Intn(6)]
			case StatusDelivered:
				choice = 11
			case StatusCancelled:
				choice = 10
			}
		}
		var body Payload
		switch choice {
		case 0, 1:
			body = &CourierClaim{}
		case 2:
			who, body = "shop", &CourierAssign{Courier: key(couriers[rng.Intn(3)])}
		case 3:
			body = &TaskPickup{}
		case 4:
			body = &TaskStart{Task: TaskDropoffN, Stop: stop}
		case 5, 6, 7:
			body = &TaskDeliver{Stop: stop, Proof: Proof{Recipient: "r"}}
		case 8:
			body = &TaskFail{Task: uint8(1 + rng.Intn(2)), Stop: stop, Reason: "f"}
		case 9:
			who, body = []string{"shop", "disp"}[rng.Intn(2)], &OrderCancel{Reason: ReasonCustomer}
		case 10:
			who, body = "disp", &OrderRestore{}
		case 11:
			who = map[PubKey]string{key("shop"): "shop", key("shopdesk"): "shopdesk"}[place.Author]
			body = &OrderRate{CourierStars: uint8(rng.Intn(7))}
		}
		all = append(all, w.on(view, who, place.ID, body))
	}
	return place, all
}

// TestParcelConvergence: permutations and duplicates of parcel histories
// give one state hash, equal to the reference fold, with one holder, and
// the summary dropoff task always agrees with the stops.
func TestParcelConvergence(t *testing.T) {
	cases := 600
	if testing.Short() {
		cases = 100
	}
	w := parcelWorld(t)
	rng := rand.New(rand.NewSource(11))
	stats := map[string]int{}
	for c := 0; c < cases; c++ {
		place, all := genParcelScenario(w, rng)
		ref := FoldOrder(all, w.fresh().CoopView(w.coop))
		want := ref.Hash()
		checkOneHolder(t, ref)
		checkStops(t, ref)
		stats[ref.Status.String()]++
		if ref.Rating != nil {
			stats["rated"]++
		}
		for p := 0; p < 4; p++ {
			r := w.fresh()
			for _, e := range shuffled(rng, all, 0.3) {
				r.Apply(e)
			}
			if got, _ := r.OrderHash(place.ID); got != want {
				t.Fatalf("case %d perm %d: hash differs", c, p)
			}
		}
	}
	t.Logf("%d parcel scenarios: %v", cases, stats)
	if stats["delivered"] == 0 || stats["rated"] == 0 || stats["failed"]+stats["cancelled"] == 0 {
		t.Fatalf("generator too tame: %v", stats)
	}
}

func checkStops(t *testing.T, s *OrderState) {
	t.Helper()
	if len(s.Stops) != len(s.Place.Dropoffs) {
		t.Fatalf("%d stops for %d dropoffs", len(s.Stops), len(s.Place.Dropoffs))
	}
	done, failed := 0, 0
	for _, st := range s.Stops {
		switch st.Status {
		case TaskDone:
			done++
		case TaskFailed:
			failed++
		}
	}
	settled := done+failed == len(s.Stops)
	switch {
	case s.Status == StatusDelivered && !(settled && done > 0 && s.Dropoff.Status == TaskDone):
		t.Fatalf("delivered with stops %+v", s.Stops)
	case s.Status == StatusPickedUp && settled:
		t.Fatalf("picked up with every stop settled")
	case s.Status != StatusPickedUp && s.Status != StatusDelivered && s.Status != StatusFailed && done+failed > 0:
		t.Fatalf("status %s with settled stops", s.Status)
	}
	if s.Rating != nil && s.Status != StatusDelivered {
		t.Fatalf("rating on a %s order", s.Status)
	}
}

func TestNewKindsRegistered(t *testing.T) {
	for k, name := range map[Kind]string{KindRulesSet: "rules.set", KindOrderRate: "order.rate"} {
		if k.String() != name {
			t.Errorf("%d is %q", k, k.String())
		}
		if got, ok := KindByName(name); !ok || got != k {
			t.Errorf("KindByName(%q) = %d", name, got)
		}
	}
	if KindRulesSet.Class() != ScopeCoop || KindOrderRate.Class() != ScopeOrder {
		t.Error("wrong classes")
	}
	if !strings.Contains(string(ReasonStaleVersion), "stale") {
		t.Error("reason text")
	}
}
