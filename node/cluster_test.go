package node

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
)

// nodeKey derives a stable identity from a name.
func nodeKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("coopnode node test " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

type cluster struct {
	t     *testing.T
	ctx   context.Context
	nodes map[string]*Node
	admin *Node
	coop  crdt.ID
}

// startNode starts a real node on loopback TCP with an in-memory store.
func (c *cluster) startNode(name string, role Role, opts ...Option) *Node {
	c.t.Helper()
	base := []Option{WithKey(nodeKey(name)), WithRole(role), WithListen("/ip4/127.0.0.1/tcp/0"),
		WithSyncInterval(-1)} // no periodic anti-entropy: gossip and connect-time sync must carry everything
	if !c.coop.IsZero() {
		base = append(base, WithCoop(c.coop))
	}
	n, err := New(c.ctx, append(base, opts...)...)
	if err != nil {
		c.t.Fatalf("start %s: %v", name, err)
	}
	c.t.Cleanup(func() { _ = n.Close() })
	c.nodes[name] = n
	return n
}

func (c *cluster) connect(a, b *Node) {
	c.t.Helper()
	if err := a.Connect(c.ctx, peer.AddrInfo{ID: b.ID(), Addrs: b.Host().Addrs()}); err != nil {
		c.t.Fatal(err)
	}
}

// newCluster founds a coop on an admin node and starts the named members.
// Every node connects to the admin and to the node started before it.
func newCluster(t *testing.T, members map[string]Role) *cluster {
	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	c := &cluster{t: t, ctx: ctx, nodes: map[string]*Node{}}
	c.admin = c.startNode("admin", RoleAdmin)
	id, err := c.admin.Found(ctx, crdt.CoopGenesis{Name: "Test Coop", City: "Nantes", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	c.coop = id
	var prev *Node = c.admin
	for _, name := range sortedNames(members) {
		role := members[name]
		n := c.startNode(name, role)
		c.connect(n, c.admin)
		if prev != c.admin {
			c.connect(n, prev)
		}
		prev = n
		var roles crdt.Roles
		switch role {
		case RoleCourier:
			roles = crdt.RoleCourier
		case RoleRestaurant:
			roles = crdt.RoleRestaurant
		}
		if roles != 0 {
			if err := c.admin.Admit(ctx, n.Key(), roles, name); err != nil {
				t.Fatal(err)
			}
		}
	}
	// every node learns the whole membership
	c.eventually("membership everywhere", func(n *Node) bool {
		cs, err := n.CoopState(ctx)
		return err == nil && len(cs.Members) == 1+countMembers(members)
	})
	return c
}

func countMembers(m map[string]Role) int {
	k := 0
	for _, r := range m {
		if r == RoleCourier || r == RoleRestaurant {
			k++
		}
	}
	return k
}

func sortedNames(m map[string]Role) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// eventually waits until cond holds on every node, polling with a deadline.
func (c *cluster) eventually(what string, cond func(*Node) bool) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var missing []string
		for name, n := range c.nodes {
			if !cond(n) {
				missing = append(missing, name)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: not reached on %v", what, missing)
		}
		time.Sleep(20 * time.Millisecond) // polling interval of a condition wait, not a wait for an event
	}
}

func (c *cluster) orderIs(id crdt.ID, st crdt.OrderStatus) func(*Node) bool {
	return func(n *Node) bool {
		if !c.needs(n, id) {
			return true
		}
		s, err := n.Order(c.ctx, id)
		return err == nil && s.Status == st
	}
}

// has is the condition "n holds order id", for the nodes that need it.
func (c *cluster) has(id crdt.ID) func(*Node) bool {
	return func(n *Node) bool {
		_, err := n.Order(c.ctx, id)
		return err == nil || !c.needs(n, id)
	}
}

// needs reports whether n is meant to hold order id (SPEC.md §10.4): it
// follows the orders topic (couriers, admins, relays) or is one of the
// order's parties. Other customers and restaurants never see the order.
func (c *cluster) needs(n *Node, id crdt.ID) bool {
	if defaultFollow(n.Role()).Orders {
		return true
	}
	for _, f := range c.nodes { // a follower that knows the order names its parties
		if !defaultFollow(f.Role()).Orders {
			continue
		}
		if s, err := f.Order(c.ctx, id); err == nil {
			return s.IsParty(n.Key())
		}
	}
	return true // not known yet: everyone waits
}

// converged checks that every node holds the order with one state hash.
func (c *cluster) converged(id crdt.ID) [32]byte {
	c.t.Helper()
	var want [32]byte
	first := true
	c.eventually("order converged", func(n *Node) bool {
		if !c.needs(n, id) {
			return true
		}
		s, err := n.Order(c.ctx, id)
		if err != nil {
			return false
		}
		if first {
			want, first = s.Hash(), false
		}
		return s.Hash() == want
	})
	for name, n := range c.nodes {
		if !c.needs(n, id) {
			continue
		}
		s, _ := n.Order(c.ctx, id)
		if s.Hash() != want {
			c.t.Fatalf("%s: order hash differs", name)
		}
	}
	return want
}

func samplePlace(resto crdt.PubKey) crdt.OrderPlace {
	return crdt.OrderPlace{
		Restaurant: resto, Fulfilment: crdt.FulfilDelivery,
		Items:  []crdt.LineItem{{Product: "soup", Name: "Soup", Quantity: 1, UnitCents: 900, TotalCents: 900}},
		Totals: crdt.Totals{ItemsCents: 900, DeliveryCents: 400, TipCents: 150, TotalCents: 1450},
		Pickup: crdt.Position{LatE6: 47_218_000, LonE6: -1_553_000}, DropoffArea: crdt.Position{LatE6: 47_210_000, LonE6: -1_560_000},
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestLifecycleSixNodes: an order goes from placed to delivered across six
// real nodes on loopback TCP, and every node converges (issue 3).
func TestLifecycleSixNodes(t *testing.T) {
	c := newCluster(t, map[string]Role{"resto": RoleRestaurant, "c1": RoleCourier, "c2": RoleCourier, "cust": RoleCustomer, "relay": RoleRelay})
	ctx := c.ctx
	resto, c1, cust := c.nodes["resto"], c.nodes["c1"], c.nodes["cust"]
	must(t, resto.PublishProfile(ctx, crdt.CatalogProfile{Name: "Soupe Populaire", Enabled: true, Fulfilment: crdt.FulfilDelivery,
		Position: crdt.Position{LatE6: 47_218_000, LonE6: -1_553_000}}))
	c.eventually("catalogue everywhere", func(n *Node) bool {
		rs, err := n.Restaurants(ctx)
		return err == nil && len(rs) == 1 && rs[0].Profile != nil && rs[0].Profile.Name == "Soupe Populaire"
	})
	id, err := cust.PlaceUnpriced(ctx, samplePlace(resto.Key()))
	must(t, err)
	c.eventually("placed", c.has(id))
	must(t, resto.Accept(ctx, id, 10))
	c.eventually("accepted", c.orderIs(id, crdt.StatusAccepted))

	jobs, err := c1.Jobs(ctx, crdt.Position{LatE6: 47_215_000, LonE6: -1_555_000}, 5000)
	must(t, err)
	if len(jobs) != 1 || jobs[0].Order.ID != id {
		t.Fatalf("jobs: %+v", jobs)
	}
	claim, err := c1.Claim(ctx, id, crdt.Position{})
	must(t, err)
	res, err := c1.AwaitClaim(ctx, id, claim)
	must(t, err)
	if !res.Won || !res.Confirmed {
		t.Fatalf("claim result %+v", res)
	}
	must(t, resto.Ready(ctx, id))
	c.eventually("ready at the courier", func(n *Node) bool {
		s, err := c1.Order(ctx, id)
		return err == nil && s.Status == crdt.StatusReady
	})
	must(t, c1.Pickup(ctx, id))
	must(t, c1.Deliver(ctx, id, crdt.Proof{Recipient: "Jo", PhotoHash: make([]byte, 32)}))
	c.eventually("delivered", c.orderIs(id, crdt.StatusDelivered))
	c.converged(id)

	// rule-breaking actions are refused locally and publish nothing
	if err := cust.Cancel(ctx, id, crdt.ReasonCustomer); err == nil {
		t.Fatal("customer cancelled a delivered order")
	}
	if err := c.nodes["c2"].Pickup(ctx, id); err == nil {
		t.Fatal("a courier who does not hold the order picked it up")
	}
	fmt.Fprintln(testWriter{t}, "stats resto:", resto.Stats(ctx))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
