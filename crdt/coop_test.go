package crdt

import "testing"

func TestCoopAuthority(t *testing.T) {
	w := newWorld(t)
	r := w.fresh()
	cs, _ := r.Coop(w.coop)
	if cs.Name != "Velo Coop" || len(cs.Members) != 8 {
		t.Fatalf("coop %q with %d members", cs.Name, len(cs.Members))
	}
	if m, r := cs.Resolve(w.k("c1phone"), w.baseWall+1e9); r != ReasonOK || m.Key != w.k("c1") {
		t.Fatalf("linked device resolves to %v %s", m, r)
	}
	parents := r.Heads(ScopeCoop, w.coop)
	for _, tc := range []struct {
		who  string
		body Payload
		want Reason
	}{
		{"c1", &MemberAdmit{Member: key("x"), Roles: RoleCourier}, ReasonNotAdmin},
		{"stranger", &MemberAdmit{Member: key("x"), Roles: RoleCourier}, ReasonNotAdmin},
		{"disp", &MemberRevoke{Member: key("c2")}, ReasonNotAdmin},
		{"resto", &MemberRevoke{Member: key("c2")}, ReasonNotAdmin},
		{"c2", &DeviceLink{Member: key("c1"), Device: key("evil")}, ReasonNotAdmin},
		{"stranger", &DeviceRevoke{Member: key("c1"), Device: key("c1phone")}, ReasonNotAdmin},
	} {
		e := w.mk(w.k(tc.who), tc.body.Kind(), w.coop, w.coop, parents, r.NextLamport(parents), tc.body)
		if out := r.Apply(e); out.Status != Rejected || out.Reason != tc.want {
			t.Errorf("%s by %s: %s %q, want %q", tc.body.Kind(), tc.who, out.Status, out.Reason, tc.want)
		}
	}
	// the fold itself rejects bad fields and foreign device management
	for _, tc := range []struct {
		who  string
		body Payload
		want Reason
	}{
		{"admin", &MemberAdmit{Member: key("y")}, ReasonBadField},
		{"admin", &MemberAdmit{Member: key("y"), Roles: 1 << 9}, ReasonBadField},
		{"c2", &DeviceLink{Member: key("c2"), Device: key("c1phone")}, ReasonDeviceTaken},
		{"admin", &MemberRevoke{Member: key("nobody")}, ReasonUnknownMember},
		{"c2", &DeviceRevoke{Member: key("c2"), Device: key("nothing")}, ReasonUnknownDevice},
	} {
		e := w.coopEvent(r, tc.who, tc.body)
		cs, _ := r.Coop(w.coop)
		if got := cs.Rejected[len(cs.Rejected)-1]; got.Event != e.ID || got.Reason != tc.want {
			t.Errorf("%s by %s: rejection %+v, want %q", tc.body.Kind(), tc.who, got, tc.want)
		}
	}
}

func TestGenesisAuthorMustBeAdmin(t *testing.T) {
	w := newWorld(t)
	r := NewReplica(Limits{})
	g := w.mk(w.k("stranger"), KindCoopGenesis, ID{}, ID{}, nil, 1, &CoopGenesis{Name: "x", Admins: []PubKey{w.k("admin")}})
	r.Apply(g)
	cs, _ := r.Coop(g.ID)
	if cs.Name != "" || len(cs.Rejected) != 1 || cs.Rejected[0].Reason != ReasonGenesisAuthor {
		t.Fatalf("coop %+v", cs)
	}
}

// TestRevokedKeys: events signed by a revoked key after its revocation are
// rejected, before it they stand; learning the revocation late refolds
// (SPEC.md §6.3).
func TestRevokedKeys(t *testing.T) {
	w := newWorld(t)
	r := w.fresh()
	place := w.place("cust", FulfilDelivery)
	w.mustStore(r, place)
	w.act(r, "resto", place.ID, &OrderAccept{})

	early := w.on(r, "c1phone", place.ID, &CourierClaim{}) // signed before the revocation
	rev := w.coopEvent(w.fresh(), "c1", &DeviceRevoke{Member: key("c1"), Device: key("c1phone")})
	late := w.on(r, "c1phone", place.ID, &CourierClaim{}) // after it
	if rev.Wall <= early.Wall || late.Wall <= rev.Wall {
		t.Fatal("fixture clock order")
	}

	// learn the claim first, then the revocation: the early claim stands
	w.mustStore(r, early)
	w.mustStore(r, rev)
	s := w.order(r, place.ID)
	if s.Holder != key("c1") {
		t.Fatalf("early claim should stand, holder %s", s.Holder.Short())
	}
	if out := r.Apply(late); out.Status != Rejected || out.Reason != ReasonRevokedKey {
		t.Fatalf("late claim from revoked device: %s %q", out.Status, out.Reason)
	}
	// the member's identity key still works
	if _, out := w.act(r, "c1", place.ID, &TaskPickup{}); out.Status != Stored || lastRejection(w.order(r, place.ID)) != ReasonOK {
		t.Fatalf("member key after device revoke: %s %v", out.Status, w.order(r, place.ID).Rejected)
	}

	// revoking a whole member late: claims after the revocation time are
	// refolded out even if they were stored first
	r2 := w.fresh()
	w.mustStore(r2, place)
	acc, _ := w.act(r2, "resto", place.ID, &OrderAccept{})
	_ = acc
	revokeView := w.fresh()
	revoke := w.mk(w.k("admin"), KindMemberRevoke, w.coop, w.coop, revokeView.Heads(ScopeCoop, w.coop), revokeView.NextLamport(revokeView.Heads(ScopeCoop, w.coop)), &MemberRevoke{Member: key("c2")})
	claim := w.on(r2, "c2", place.ID, &CourierClaim{})
	w.mustStore(r2, claim)
	if s := w.order(r2, place.ID); s.Holder != key("c2") {
		t.Fatal("claim should hold before the revocation is known")
	}
	out := r2.Apply(revoke)
	if out.Status != Stored || len(out.Changed) < 2 {
		t.Fatalf("revoke: %s, changed %v", out.Status, out.Changed)
	}
	s = w.order(r2, place.ID)
	if s.HasHolder() || lastRejection(s) != ReasonRevokedKey {
		t.Fatalf("after late revocation: holder %s rejections %v", s.Holder.Short(), s.Rejected)
	}
}

// TestRoleChangesDoNotRewriteHistory: authority is judged with the roles in
// force at each event's time, so taking a role away later leaves finished
// orders as they were (found in review).
func TestRoleChangesDoNotRewriteHistory(t *testing.T) {
	w := newWorld(t)
	r := w.fresh()
	p := w.place("cust", FulfilDelivery)
	w.mustStore(r, p)
	w.act(r, "resto", p.ID, &OrderAccept{})
	w.act(r, "c2", p.ID, &CourierClaim{})
	w.act(r, "c2", p.ID, &TaskPickup{})
	w.act(r, "c2", p.ID, &TaskDeliver{})
	before := w.order(r, p.ID)
	if before.Status != StatusDelivered {
		t.Fatalf("status %s", before.Status)
	}
	// c2 becomes a dispatcher only; resto stops being a restaurant
	w.coopEvent(r, "admin", &MemberAdmit{Member: key("c2"), Roles: RoleDispatcher})
	w.coopEvent(r, "admin", &MemberRevoke{Member: key("resto")})
	after := w.order(r, p.ID)
	if after.Hash() != before.Hash() {
		t.Fatalf("past order rewritten: %s holder %s", after.Status, after.Holder.Short())
	}
	// but new claims by c2 are refused
	p2 := w.place("cust2", FulfilDelivery)
	p2.Body.(*OrderPlace).Restaurant = key("resto2")
	w.mustStore(r, p2)
	w.act(r, "resto2", p2.ID, &OrderAccept{})
	if _, out := w.act(r, "c2", p2.ID, &CourierClaim{}); out.Status != Rejected || out.Reason != ReasonNotCourier {
		t.Fatalf("claim after losing the courier role: %s %s", out.Status, out.Reason)
	}
}
