package protocol

import (
	"crypto/ed25519"
	"testing"

	"github.com/coopnode/coopnode/crdt"
)

// world is a replica holding one coop with an admin, a restaurant and a
// courier, built from sealed events as a node would.
type world struct {
	r                          *crdt.Replica
	admin, restaurant, courier ed25519.PrivateKey
	genesis, last              *crdt.Event
}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{r: crdt.NewReplica(crdt.Limits{}), admin: testKey("admin"), restaurant: testKey("restaurant"), courier: testKey("courier")}
	w.genesis = w.apply(t, w.admin, Draft{Kind: crdt.KindCoopGenesis, Lamport: 1, Wall: testWall,
		Body: &crdt.CoopGenesis{Name: "Vélo Coop", City: "Lyon", Admins: []crdt.PubKey{PubKeyOf(w.admin)}, Currency: "EUR", Timezone: "Europe/Paris"}})
	w.last = w.genesis
	for _, m := range []struct {
		key   ed25519.PrivateKey
		roles crdt.Roles
		name  string
	}{{w.restaurant, crdt.RoleRestaurant, "Chez Paul"}, {w.courier, crdt.RoleCourier, "Ana"}} {
		w.last = w.apply(t, w.admin, Draft{Kind: crdt.KindMemberAdmit, Coop: w.genesis.ID, Scope: w.genesis.ID,
			Parents: []crdt.ID{w.last.ID}, Lamport: w.last.Lamport + 1, Wall: testWall,
			Body: &crdt.MemberAdmit{Member: PubKeyOf(m.key), Roles: m.roles, Name: m.name}})
	}
	return w
}

// apply seals, validates as a local event and applies.
func (w *world) apply(t testing.TB, priv ed25519.PrivateKey, d Draft) *crdt.Event {
	t.Helper()
	_, raw := mustSeal(t, priv, d)
	res := Validate(raw, testNow, ModeLocal, w.r)
	if res.Verdict != Accept {
		t.Fatalf("%s: %s", d.Kind, res)
	}
	if out := w.r.Apply(res.Event); out.Status != crdt.Stored {
		t.Fatalf("%s: %s %s", d.Kind, out.Status, out.Reason)
	}
	return res.Event
}

// place returns a sealed order.place by a customer numbered i.
func (w *world) place(t testing.TB, i int) []byte {
	t.Helper()
	cust := testKey("customer " + string(rune('A'+i%26)))
	_, raw := mustSeal(t, cust, Draft{Kind: crdt.KindOrderPlace, Coop: w.genesis.ID, Lamport: 1, Wall: testWall + int64(i), Body: samplePlace(PubKeyOf(w.restaurant), i)})
	return raw
}

func samplePlace(restaurant crdt.PubKey, i int) *crdt.OrderPlace {
	return &crdt.OrderPlace{
		Restaurant:  restaurant,
		Fulfilment:  crdt.FulfilDelivery,
		Items:       []crdt.LineItem{{Product: "margherita", Name: "Pizza Margherita", Quantity: 2, UnitCents: 1150, TotalCents: 2300}},
		Totals:      crdt.Totals{ItemsCents: 2300, DeliveryCents: 450, TipCents: int64(i % 300), TotalCents: 2750 + int64(i%300)},
		Pickup:      crdt.Position{LatE6: 45_764_043, LonE6: 4_835_659},
		DropoffArea: crdt.Position{LatE6: 45_750_000, LonE6: 4_850_000},
		DistanceM:   2100,
	}
}

// TestValidateWithReplica: a real *crdt.Replica as the View.
func TestValidateWithReplica(t *testing.T) {
	w := newWorld(t)
	raw := w.place(t, 1)
	res := Validate(raw, testNow, ModeGossip, w.r)
	if res.Verdict != Accept || res.Reason != ReasonOK {
		t.Fatalf("order.place: %s", res)
	}
	w.r.Apply(res.Event)
	if res := Validate(raw, testNow, ModeGossip, w.r); res.Reason != ReasonDuplicate {
		t.Fatalf("again: %s", res)
	}
	// an accept by someone who is not the restaurant: rejected by authority
	_, bad := mustSeal(t, w.courier, Draft{Kind: crdt.KindOrderAccept, Coop: w.genesis.ID, Scope: res.Event.ID,
		Parents: []crdt.ID{res.Event.ID}, Lamport: 2, Wall: testWall, Body: &crdt.OrderAccept{}})
	if res := Validate(bad, testNow, ModeGossip, w.r); res.Verdict != Reject || res.Reason != Reason(crdt.ReasonNotRestaurant) {
		t.Fatalf("accept by courier: %s", res)
	}
	// an event whose order we do not hold: pending
	_, later := mustSeal(t, w.restaurant, Draft{Kind: crdt.KindOrderAccept, Coop: w.genesis.ID, Scope: testID("unknown order"),
		Parents: []crdt.ID{testID("unknown order")}, Lamport: 2, Wall: testWall, Body: &crdt.OrderAccept{}})
	if res := Validate(later, testNow, ModeGossip, w.r); res.Verdict != Accept || res.Reason != ReasonPending {
		t.Fatalf("unknown order: %s", res)
	}
}

// TestValidateSurvivesHostileScopes: signed events that name a stored
// event of the wrong class as their coop or order. crdt's Precheck
// dereferences a nil scope for these (see the report on crdt/replica.go
// authorize); Validate must neither panic nor accept them, whatever crdt
// answers once that is fixed.
func TestValidateSurvivesHostileScopes(t *testing.T) {
	w := newWorld(t)
	place := w.apply(t, testKey("customer"), Draft{Kind: crdt.KindOrderPlace, Coop: w.genesis.ID, Lamport: 1, Wall: testWall, Body: samplePlace(PubKeyOf(w.restaurant), 0)})
	m := testKey("mallory")
	g := w.genesis.ID
	hostile := []Draft{
		{Kind: crdt.KindOrderAccept, Coop: g, Scope: g, Parents: []crdt.ID{g}, Lamport: 2, Body: &crdt.OrderAccept{}},
		{Kind: crdt.KindOrderPlace, Coop: w.last.ID, Lamport: 1, Body: samplePlace(PubKeyOf(w.restaurant), 0)},
		{Kind: crdt.KindMemberAdmit, Coop: place.ID, Scope: place.ID, Parents: []crdt.ID{place.ID}, Lamport: 2, Body: &crdt.MemberAdmit{Member: PubKeyOf(m), Roles: crdt.RoleAdmin}},
		{Kind: crdt.KindCatalogMenu, Coop: place.ID, Scope: crdt.ID(PubKeyOf(m)), Lamport: 1, Body: &crdt.CatalogMenu{}},
		{Kind: crdt.KindOrderAccept, Coop: w.last.ID, Scope: place.ID, Parents: []crdt.ID{place.ID}, Lamport: 2, Body: &crdt.OrderAccept{}},
	}
	for i, d := range hostile {
		d.Wall = testWall
		_, raw := mustSeal(t, m, d)
		res := Validate(raw, testNow, ModeGossip, w.r)
		if res.Verdict != Reject || res.Reason != Reason(crdt.ReasonWrongScope) {
			t.Errorf("hostile %d (%s): %s, want reject wrong_scope", i, d.Kind, res)
		}
		t.Logf("hostile %d: %s", i, res)
	}
}
