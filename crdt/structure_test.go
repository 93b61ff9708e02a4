package crdt

import "testing"

func TestStructuralRejections(t *testing.T) {
	w := newWorld(t)
	r := w.fresh()
	a := w.place("cust", FulfilDelivery)
	b := w.place("cust2", FulfilDelivery)
	w.mustStore(r, a)
	w.mustStore(r, b)
	acc := w.on(r, "resto", a.ID, &OrderAccept{})
	w.mustStore(r, acc)

	badLamport := w.mk(w.k("resto"), KindOrderReady, w.coop, a.ID, []ID{acc.ID}, acc.Lamport+5, &OrderReady{})
	foreign := w.mk(w.k("resto"), KindOrderReady, w.coop, a.ID, []ID{b.ID}, 2, &OrderReady{})
	unsorted := w.mk(w.k("resto"), KindOrderReady, w.coop, a.ID, nil, 3, &OrderReady{})
	lo, hi := a.ID, acc.ID
	if hi.Compare(lo) < 0 {
		lo, hi = hi, lo
	}
	unsorted.Parents = []ID{hi, lo}
	rootWithParents := w.mk(w.k("cust"), KindOrderPlace, w.coop, ID{}, []ID{a.ID}, 1, a.Body)
	noParents := w.mk(w.k("resto"), KindOrderReady, w.coop, a.ID, nil, 2, &OrderReady{})
	wrongBody := w.mk(w.k("resto"), KindOrderReady, w.coop, a.ID, []ID{acc.ID}, 3, &OrderAccept{})
	noCoop := w.mk(w.k("resto"), KindOrderReady, ID{}, a.ID, []ID{acc.ID}, 3, &OrderReady{})
	zeroLamportDoc := w.mk(w.k("resto"), KindCatalogMenu, w.coop, ID(w.k("resto")), nil, 0, &CatalogMenu{})
	for name, tc := range map[string]struct {
		e    *Event
		want Reason
	}{
		"bad lamport":       {badLamport, ReasonBadLamport},
		"foreign parent":    {foreign, ReasonParentOutside},
		"unsorted parents":  {unsorted, ReasonBadField},
		"root with parents": {rootWithParents, ReasonWrongScope},
		"no parents":        {noParents, ReasonWrongScope},
		"wrong body":        {wrongBody, ReasonWrongBody},
		"no coop":           {noCoop, ReasonWrongScope},
		"zero lamport":      {zeroLamportDoc, ReasonBadLamport},
	} {
		if out := r.Apply(tc.e); out.Status != Rejected || out.Reason != tc.want {
			t.Errorf("%s: %s %q, want rejected %q", name, out.Status, out.Reason, tc.want)
		}
	}
	if r.Has(badLamport.ID) {
		t.Error("rejected event stored")
	}
}

func TestPendingUntilParentsArrive(t *testing.T) {
	w := newWorld(t)
	src := w.fresh()
	p := w.place("cust", FulfilDelivery)
	w.mustStore(src, p)
	acc, _ := w.act(src, "resto", p.ID, &OrderAccept{})
	cl, _ := w.act(src, "c2", p.ID, &CourierClaim{})
	pk, _ := w.act(src, "c2", p.ID, &TaskPickup{})

	r := w.fresh()
	for _, e := range []*Event{pk, cl, acc} {
		if out := r.Apply(e); out.Status != Pending {
			t.Fatalf("%s: %s, want pending", e.Kind, out.Status)
		}
	}
	if r.Apply(pk).Status != Duplicate {
		t.Fatal("pending duplicate not detected")
	}
	out := r.Apply(p)
	if out.Status != Stored || len(out.Released) != 3 {
		t.Fatalf("place: %s, released %d", out.Status, len(out.Released))
	}
	if s := w.order(r, p.ID); s.Status != StatusPickedUp || r.PendingLen() != 0 {
		t.Fatalf("status %s pending %d", s.Status, r.PendingLen())
	}
	if h1, _ := r.OrderHash(p.ID); h1 != w.order(src, p.ID).Hash() {
		t.Fatal("hash differs from in-order replica")
	}
}

func TestLimits(t *testing.T) {
	w := newWorld(t)
	r := NewReplica(Limits{MaxOrderEvents: 3, MaxPending: 2})
	for _, e := range w.coopLog {
		w.mustStore(r, e)
	}
	p := w.place("cust", FulfilDelivery)
	w.mustStore(r, p)
	w.act(r, "resto", p.ID, &OrderAccept{})
	w.act(r, "resto", p.ID, &OrderDelay{Minutes: 1})
	if _, out := w.act(r, "resto", p.ID, &OrderDelay{Minutes: 1}); out.Status != Rejected || out.Reason != ReasonScopeFull {
		t.Fatalf("4th event: %s %q", out.Status, out.Reason)
	}
	orphan := func() *Event {
		return w.mk(w.k("resto"), KindOrderReady, w.coop, ID{9}, []ID{{byte(w.seq)}}, 2, &OrderReady{})
	}
	r.Apply(orphan())
	r.Apply(orphan())
	if out := r.Apply(orphan()); out.Status != Rejected {
		t.Fatalf("pending over limit: %s", out.Status)
	}
}

func TestCatalogLatestWins(t *testing.T) {
	w := newWorld(t)
	r := w.fresh()
	doc := func(who string, owner string, lamport uint64, name string) *Event {
		return w.mk(w.k(who), KindCatalogProfile, w.coop, ID(w.k(owner)), nil, lamport, &CatalogProfile{Name: name})
	}
	v1, v2, v3 := doc("resto", "resto", 1, "one"), doc("resto", "resto", 2, "two"), doc("resto", "resto", 3, "three")
	w.mustStore(r, v1)
	w.mustStore(r, v3)
	if out := r.Apply(v2); out.Status != Stale {
		t.Fatalf("older version: %s", out.Status)
	}
	cur, _ := r.Doc(DocKey{Coop: w.coop, Owner: w.k("resto"), Kind: KindCatalogProfile})
	if cur.Body.(*CatalogProfile).Name != "three" || r.Has(v1.ID) {
		t.Fatalf("current %q, v1 kept %v", cur.Body.(*CatalogProfile).Name, r.Has(v1.ID))
	}
	for name, tc := range map[string]struct {
		e    *Event
		want Reason
	}{
		"other restaurant's catalogue": {doc("resto2", "resto", 9, "evil"), ReasonNotOwner},
		"courier publishes catalogue":  {doc("c1", "c1", 1, "c"), ReasonNotRestaurant},
		"customer publishes catalogue": {doc("cust", "cust", 1, "c"), ReasonNotMember},
	} {
		if out := r.Apply(tc.e); out.Status != Rejected || out.Reason != tc.want {
			t.Errorf("%s: %s %q want %q", name, out.Status, out.Reason, tc.want)
		}
	}
	// any order of versions gives the same document
	for i := 0; i < 20; i++ {
		x := w.fresh()
		for _, e := range []*Event{v2, v1, v3, v2, v1}[i%5:] {
			x.Apply(e)
		}
		x.Apply(v3)
		if x.StateHash() != r.StateHash() {
			t.Fatal("catalogue state differs by arrival order")
		}
	}
}

func TestPlaceValidation(t *testing.T) {
	w := newWorld(t)
	r := w.fresh()
	base := func(mod func(*OrderPlace)) *Event {
		p := *w.place("cust", FulfilDelivery).Body.(*OrderPlace)
		mod(&p)
		return w.mk(w.k("cust"), KindOrderPlace, w.coop, ID{}, nil, 1, &p)
	}
	for name, tc := range map[string]struct {
		e    *Event
		want Reason
	}{
		"restaurant not member": {base(func(p *OrderPlace) { p.Restaurant = key("stranger") }), ReasonRestaurantUnknown},
		"courier as restaurant": {base(func(p *OrderPlace) { p.Restaurant = key("c1") }), ReasonRestaurantUnknown},
		"no fulfilment":         {base(func(p *OrderPlace) { p.Fulfilment = 0 }), ReasonBadField},
		"both fulfilments":      {base(func(p *OrderPlace) { p.Fulfilment = 3 }), ReasonBadField},
		"off the globe":         {base(func(p *OrderPlace) { p.Pickup.LatE6 = 91_000_000 }), ReasonBadField},
		"short pin hash":        {base(func(p *OrderPlace) { p.PINHash = []byte{1} }), ReasonBadField},
	} {
		if out := r.Apply(tc.e); out.Status != Rejected || out.Reason != tc.want {
			t.Errorf("%s: %s %q want %q", name, out.Status, out.Reason, tc.want)
		}
	}
}

func TestHandoverPIN(t *testing.T) {
	w := newWorld(t)
	r := w.fresh()
	h := PINHash(w.k("cust"), "4821")
	p := w.mk(w.k("cust"), KindOrderPlace, w.coop, ID{}, nil, 1, &OrderPlace{Restaurant: w.k("resto"), Fulfilment: FulfilDelivery, PINHash: h[:]})
	w.mustStore(r, p)
	w.act(r, "resto", p.ID, &OrderAccept{})
	w.act(r, "c3", p.ID, &CourierClaim{})
	w.act(r, "c3", p.ID, &TaskPickup{})
	w.act(r, "c3", p.ID, &TaskDeliver{Proof: Proof{PIN: "0000"}})
	if s := w.order(r, p.ID); s.Status != StatusPickedUp || lastRejection(s) != ReasonPINMismatch {
		t.Fatalf("wrong PIN: %s %v", s.Status, s.Rejected)
	}
	w.act(r, "c3", p.ID, &TaskDeliver{Proof: Proof{PIN: "4821", Recipient: "Ana"}})
	s := w.order(r, p.ID)
	if s.Status != StatusDelivered || s.Proof.PIN != "" {
		t.Fatalf("right PIN: %s, PIN kept %q", s.Status, s.Proof.PIN)
	}
}

// TestWrongClassScopes: events naming a stored event of the wrong class as
// their coop or order are rejected, including when they waited as pending
// for that event (found by review: this used to dereference nil).
func TestWrongClassScopes(t *testing.T) {
	w := newWorld(t)
	r := w.fresh()
	place := w.place("cust", FulfilDelivery)
	admit := w.coopLog[1]
	hostile := []*Event{
		w.mk(w.k("stranger"), KindOrderAccept, w.coop, w.coop, []ID{w.coop}, 2, &OrderAccept{}),
		w.mk(w.k("stranger"), KindOrderPlace, admit.ID, ID{}, nil, 1, place.Body),
		w.mk(w.k("stranger"), KindMemberAdmit, place.ID, place.ID, []ID{place.ID}, 2, &MemberAdmit{Member: key("m"), Roles: RoleAdmin}),
		w.mk(w.k("stranger"), KindCatalogMenu, place.ID, ID(key("m")), nil, 1, &CatalogMenu{}),
		w.mk(w.k("resto"), KindOrderAccept, admit.ID, place.ID, []ID{place.ID}, 2, &OrderAccept{}),
	}
	// first while the place is unknown: some wait as pending
	for _, e := range hostile {
		r.Apply(e)
	}
	out := r.Apply(place) // releases the pending ones: must not panic
	if out.Status != Stored {
		t.Fatalf("place: %s", out.Status)
	}
	for i, e := range hostile {
		if r.Has(e.ID) {
			t.Errorf("hostile %d (%s) stored", i, e.Kind)
		}
		if st, rs := r.Precheck(e); st != Rejected || rs != ReasonWrongScope {
			t.Errorf("hostile %d (%s): %s %s", i, e.Kind, st, rs)
		}
	}
}
