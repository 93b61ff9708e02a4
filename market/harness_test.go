package market

import (
	"crypto/ed25519"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// coop is a real cooperative in a crdt replica, with signed events: what a
// node holds when it quotes, re-prices or exports.
type coop struct {
	t    testing.TB
	r    *crdt.Replica
	id   crdt.ID
	keys map[string]ed25519.PrivateKey
}

func (c *coop) key(name string) ed25519.PrivateKey {
	k, ok := c.keys[name]
	if !ok {
		seed := sha256.Sum256([]byte("market harness " + name))
		k = ed25519.NewKeyFromSeed(seed[:])
		c.keys[name] = k
	}
	return k
}

func (c *coop) pub(name string) crdt.PubKey { return protocol.PubKeyOf(c.key(name)) }

// emit signs an event on the replica's heads and applies it; the fold must
// not leave it out.
func (c *coop) emit(who string, scope crdt.ID, body crdt.Payload, wall time.Time) *crdt.Event {
	c.t.Helper()
	d := protocol.Draft{Coop: c.id, Scope: scope, Kind: body.Kind(), Lamport: 1, Wall: wall.UnixMilli(), Body: body}
	switch {
	case body.Kind() == crdt.KindCoopGenesis:
		d.Coop = crdt.ID{}
	case body.Kind().IsRoot():
	case body.Kind().Class() == crdt.ScopeCoop:
		d.Parents = c.r.Heads(crdt.ScopeCoop, c.id)
		d.Lamport = c.r.NextLamport(d.Parents)
	case body.Kind().Class() == crdt.ScopeOrder:
		d.Parents = c.r.Heads(crdt.ScopeOrder, scope)
		d.Lamport = c.r.NextLamport(d.Parents)
	}
	e, _, err := protocol.Seal(c.key(who), d)
	if err != nil {
		c.t.Fatal(err)
	}
	if out := c.r.Apply(e); out.Status != crdt.Stored {
		c.t.Fatalf("%s by %s: %s %s", e.Kind, who, out.Status, out.Reason)
	}
	if e.Kind.Class() == crdt.ScopeOrder {
		s, _ := c.r.Order(e.ScopeID())
		if n := len(s.Rejected); n > 0 && s.Rejected[n-1].Event == e.ID {
			c.t.Fatalf("%s by %s left out: %s", e.Kind, who, s.Rejected[n-1].Reason)
		}
	}
	return e
}

func newCoop(t testing.TB) *coop {
	c := &coop{t: t, r: crdt.NewReplica(crdt.Limits{}), keys: map[string]ed25519.PrivateKey{}}
	start := tuesdayNoon.Add(-24 * time.Hour)
	g := c.emit("admin", crdt.ID{}, &crdt.CoopGenesis{Name: "Vélo Coop", City: "Nantes", Currency: "EUR", Timezone: "Europe/Paris",
		Admins: []crdt.PubKey{c.pub("admin")}}, start)
	c.id = g.ID
	for _, m := range []struct {
		name  string
		roles crdt.Roles
	}{{"resto", crdt.RoleRestaurant}, {"shop", crdt.RoleShop}, {"zoe", crdt.RoleCourier}, {"max", crdt.RoleCourier}} {
		c.emit("admin", c.id, &crdt.MemberAdmit{Member: c.pub(m.name), Roles: m.roles, Name: m.name}, start.Add(time.Minute))
	}
	c.emit("admin", c.id, testRulesSet(), start.Add(2*time.Minute))
	return c
}

func (c *coop) state() *crdt.CoopState {
	s, _ := c.r.Coop(c.id)
	return s
}

func (c *coop) order(id crdt.ID) *crdt.OrderState {
	s, ok := c.r.Order(id)
	if !ok {
		c.t.Fatalf("no order %s", id.Short())
	}
	return s
}
