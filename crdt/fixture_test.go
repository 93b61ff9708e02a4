package crdt

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"
)

// key derives a stable fake public key from a name. crdt never verifies
// signatures, so tests need only distinct keys.
func key(name string) PubKey { return PubKey(sha256.Sum256([]byte("test key " + name))) }

// world is a small cooperative: an admin, two restaurants, three couriers,
// a dispatcher and customers, with its coop log built.
type world struct {
	t        testing.TB
	seq      uint64
	coop     ID
	coopLog  []*Event
	names    map[string]PubKey
	baseWall int64
}

func newWorld(t testing.TB) *world {
	w := &world{t: t, names: map[string]PubKey{}, baseWall: 1_790_000_000_000}
	for _, n := range []string{"admin", "resto", "resto2", "c1", "c2", "c3", "c4", "disp", "cust", "cust2", "stranger", "c1phone"} {
		w.names[n] = key(n)
	}
	r := NewReplica(Limits{})
	gen := w.mk(w.k("admin"), KindCoopGenesis, ID{}, ID{}, nil, 1, &CoopGenesis{Name: "Velo Coop", City: "Lyon", Admins: []PubKey{w.k("admin")}, Currency: "EUR"})
	w.coop = gen.ID
	w.mustStore(r, gen)
	w.coopLog = append(w.coopLog, gen)
	admit := func(name string, roles Roles) {
		e := w.coopEvent(r, "admin", &MemberAdmit{Member: w.k(name), Roles: roles, Name: name})
		w.coopLog = append(w.coopLog, e)
	}
	admit("resto", RoleRestaurant)
	admit("resto2", RoleRestaurant)
	admit("c1", RoleCourier)
	admit("c2", RoleCourier)
	admit("c3", RoleCourier)
	admit("c4", RoleCourier)
	admit("disp", RoleDispatcher|RoleCourier)
	w.coopLog = append(w.coopLog, w.coopEvent(r, "c1", &DeviceLink{Member: w.k("c1"), Device: w.k("c1phone"), Label: "phone"}))
	return w
}

func (w *world) k(name string) PubKey {
	k, ok := w.names[name]
	if !ok {
		w.t.Fatalf("no key %q", name)
	}
	return k
}

// mk builds an event with a fake but unique ID.
func (w *world) mk(author PubKey, kind Kind, coop, scope ID, parents []ID, lamport uint64, body Payload) *Event {
	w.seq++
	h := sha256.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], w.seq)
	h.Write(b[:])
	h.Write(author[:])
	var id ID
	h.Sum(id[:0])
	sortIDs(parents)
	return &Event{ID: id, Coop: coop, Scope: scope, Kind: kind, Author: author, Parents: parents,
		Lamport: lamport, Wall: w.baseWall + int64(w.seq)*1000, Body: body}
}

func sortIDs(ids []ID) {
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && ids[j].Compare(ids[j-1]) < 0; j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
}

// fresh returns a replica holding the coop log only.
func (w *world) fresh() *Replica {
	r := NewReplica(Limits{})
	for _, e := range w.coopLog {
		w.mustStore(r, e)
	}
	return r
}

func (w *world) mustStore(r *Replica, e *Event) {
	w.t.Helper()
	if out := r.Apply(e); out.Status != Stored {
		w.t.Fatalf("apply %s: %s %s", e.Kind, out.Status, out.Reason)
	}
}

func (w *world) coopEvent(r *Replica, who string, body Payload) *Event {
	parents := r.Heads(ScopeCoop, w.coop)
	e := w.mk(w.k(who), body.Kind(), w.coop, w.coop, parents, r.NextLamport(parents), body)
	w.mustStore(r, e)
	return e
}

// place builds an order.place by cust for resto.
func (w *world) place(who string, fulfil Fulfilment) *Event {
	return w.mk(w.k(who), KindOrderPlace, w.coop, ID{}, nil, 1, &OrderPlace{
		Restaurant: w.k("resto"), Fulfilment: fulfil,
		Items:  []LineItem{{Product: "p1", Name: "Falafel", Quantity: 2, UnitCents: 650, TotalCents: 1300}},
		Totals: Totals{ItemsCents: 1300, DeliveryCents: 450, TipCents: 200, TotalCents: 1950},
		Pickup: Position{LatE6: 45_760_000, LonE6: 4_840_000}, DropoffArea: Position{LatE6: 45_750_000, LonE6: 4_850_000},
	})
}

// on builds an event in an order scope on top of what replica r holds.
func (w *world) on(r *Replica, who string, order ID, body Payload) *Event {
	parents := r.Heads(ScopeOrder, order)
	return w.mk(w.k(who), body.Kind(), w.coop, order, parents, r.NextLamport(parents), body)
}

// act builds an event on r's view and applies it to r.
func (w *world) act(r *Replica, who string, order ID, body Payload) (*Event, Outcome) {
	e := w.on(r, who, order, body)
	return e, r.Apply(e)
}

func (w *world) order(r *Replica, id ID) *OrderState {
	w.t.Helper()
	s, ok := r.Order(id)
	if !ok {
		w.t.Fatalf("order %s missing", id.Short())
	}
	return s
}

func lastRejection(s *OrderState) Reason {
	if len(s.Rejected) == 0 {
		return ReasonOK
	}
	return s.Rejected[len(s.Rejected)-1].Reason
}
