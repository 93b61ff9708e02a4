package node

import (
	"context"
	"crypto/ed25519"
	"slices"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
)

// TestCourierOfTwoCoops (issue 17.2, SPEC.md §22.4): one courier, one
// member key, admitted to two coops of the city. In the first coop its
// node runs that key; in the second, a device key derived from it
// (CoopKey), since a key runs on one peer only, which that node links to
// the member itself (WithMemberKey) once the coop admits the member. It
// sees each coop's job, claims in each, and each coop's books pay the
// member key for that coop's order only.
func TestCourierOfTwoCoops(t *testing.T) {
	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	a := cityCoop(t, ctx, "ca-", "Vélo Nantes", 350)
	b := cityCoop(t, ctx, "cb-", "Roue Libre", 500)
	member := nodeKey("two-coop courier")
	memberKey := crdt.PubKey(member.Public().(ed25519.PublicKey))
	inA := a.startNode("ca-both", RoleCourier, WithKey(member))
	a.connect(inA, a.admin)
	inB := b.startNode("cb-both", RoleCourier, WithKey(CoopKey(member, b.coop)), WithMemberKey(member))
	b.connect(inB, b.admin)
	if inB.Key() == memberKey || inA.ID() == inB.ID() {
		t.Fatal("the second coop's node runs the member key: two peers with one peer ID")
	}
	must(t, a.admin.Admit(ctx, memberKey, crdt.RoleCourier, "Sam"))
	must(t, b.admin.Admit(ctx, memberKey, crdt.RoleCourier, "Sam"))
	// each coop's admin only admits the member key; the second coop's
	// node links its own key to it, signed with the member key
	for _, c := range []*cluster{a, b} {
		c.eventually("the courier is a member, its node linked", func(n *Node) bool {
			cs, err := n.CoopState(ctx)
			if err != nil || cs.Members[memberKey] == nil {
				return false
			}
			return c == a || cs.Members[memberKey].Devices[inB.Key()].Key == inB.Key()
		})
	}
	for _, n := range []*Node{inA, inB} {
		if k, ok := n.MemberKey(ctx); !ok || k != memberKey {
			t.Fatalf("node %s acts for %s (%v), want the member key", n.Key().Short(), k.Short(), ok)
		}
	}

	place := func(c *cluster, prefix string) crdt.ID {
		resto := c.nodes[prefix+"resto"]
		cart := market.Cart{Restaurant: resto.Key(), Fulfilment: crdt.FulfilDelivery,
			Dropoff: crdt.Position{LatE6: 47_210_123, LonE6: -1_560_456},
			Items:   []market.CartItem{{Product: "wrap", Quantity: 1, Options: []string{"tahini"}}}}
		id, _, err := c.nodes[prefix+"cust"].Checkout(ctx, cart, PersonalData{Name: "Léa"}, "")
		must(t, err)
		c.eventually("placed", c.has(id))
		must(t, resto.Accept(ctx, id, 0))
		c.eventually("accepted", c.orderIs(id, crdt.StatusAccepted))
		return id
	}
	// the second coop pays its couriers at least 6.00 a delivery
	rules := testRules()
	rules.Version, rules.Rules[0].FixedCents, rules.Pay.MinCents = 2, 500, 600
	must(t, b.admin.SetRules(ctx, rules))
	b.eventually("the new rules", func(n *Node) bool {
		cs, err := n.CoopState(ctx)
		return err == nil && cs.Rules[len(cs.Rules)-1].Set.Pay.MinCents == 600
	})
	idA, idB := place(a, "ca-"), place(b, "cb-")
	// the courier sees each coop's job on that coop's node only
	sees := func(n *Node, id crdt.ID) bool {
		jobs, err := n.Jobs(ctx, restoAt, 0)
		must(t, err)
		return slices.ContainsFunc(jobs, func(j Job) bool { return j.Order.ID == id })
	}
	if !sees(inA, idA) || !sees(inB, idB) || sees(inA, idB) || sees(inB, idA) {
		t.Fatalf("jobs: A sees A %v, B sees B %v, A sees B %v, B sees A %v", sees(inA, idA), sees(inB, idB), sees(inA, idB), sees(inB, idA))
	}
	deliver := func(c *cluster, n *Node, id crdt.ID) {
		claim, err := n.Claim(ctx, id, restoAt)
		must(t, err)
		if r, err := n.AwaitClaim(ctx, id, claim); err != nil || !r.Won {
			t.Fatalf("claim %+v %v", r, err)
		}
		must(t, n.Pickup(ctx, id))
		must(t, n.Deliver(ctx, id, crdt.Proof{Recipient: "door"}))
		c.eventually("delivered", c.orderIs(id, crdt.StatusDelivered))
	}
	deliver(a, inA, idA)
	deliver(b, inB, idB)

	// each coop's books pay the member for its own order only
	for _, x := range []struct {
		c       *cluster
		id, not crdt.ID
		pay     int64
	}{{a, idA, idB, 400}, {b, idB, idA, 600}} {
		bk, err := x.c.admin.Books(ctx, market.Period{})
		must(t, err)
		if len(bk.Orders.Rows) != 1 || bk.Orders.Rows[0][1] != x.id.String() || bk.Orders.Rows[0][5] != memberKey.String() {
			t.Fatalf("coop %s's books: %v, want one line for order %s by courier %s", x.c.coop.Short(), bk.Orders.Rows, x.id, memberKey)
		}
		var pay *market.Total
		for i := range bk.Couriers {
			if bk.Couriers[i].Key == memberKey.String() {
				pay = &bk.Couriers[i]
			}
		}
		if pay == nil || pay.Orders != 1 || pay.CourierPayCents != x.pay || len(bk.Couriers) != 1 {
			t.Fatalf("coop %s pays couriers %+v, want the member %d for one order, under its rules", x.c.coop.Short(), bk.Couriers, x.pay)
		}
	}
}
