package node

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
)

// TestPartyLinks (SPEC.md §10.8): on real nodes that know only a relay's
// address, an order's parties link to each other while it is open — the
// customer and the restaurant from the checkout, the courier once it
// looks at its job board and claims — protected under the order's tag in the connection manager;
// the customer pushes its order.place again over the new link; and when
// the order is delivered every party link is released.
func TestPartyLinks(t *testing.T) {
	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	start := func(name string, role Role, opts ...Option) *Node {
		t.Helper()
		n, err := New(ctx, append([]Option{WithKey(nodeKey(name)), WithRole(role), WithListen("/ip4/127.0.0.1/tcp/0"),
			WithSyncInterval(-1), WithRoleLinks(3, 2)}, opts...)...)
		must(t, err)
		t.Cleanup(func() { _ = n.Close() })
		return n
	}
	relay := start("relay", RoleRelay)
	coop, err := relay.Found(ctx, crdt.CoopGenesis{Name: "Party Coop", City: "Nantes", Currency: "EUR"})
	must(t, err)
	boot := WithBootstrap(relay.Addrs()...)
	var couriers []*Node
	for _, name := range []string{"c1", "c2", "c3"} {
		couriers = append(couriers, start(name, RoleCourier, WithCoop(coop), boot))
	}
	resto := start("resto", RoleRestaurant, WithCoop(coop), boot)
	cust := start("cust", RoleCustomer, WithCoop(coop), boot)
	for _, c := range couriers {
		must(t, relay.Admit(ctx, c.Key(), crdt.RoleCourier, "courier"))
	}
	must(t, relay.Admit(ctx, resto.Key(), crdt.RoleRestaurant, "resto"))
	all := append(append([]*Node{relay}, couriers...), resto, cust)
	eventually(t, 30*time.Second, "every member everywhere", func() bool {
		for _, n := range all {
			if members(n) != 5 {
				return false
			}
		}
		return true
	})
	courier := couriers[0]
	if slices.Contains(cust.host.Network().Peers(), resto.ID()) {
		t.Log("the customer and the restaurant were connected before the order (role links); the test shows protection only")
	}

	// linked reports whether n keeps a party link for order to each of ps,
	// protected under the order's tag
	linked := func(n *Node, order crdt.ID, ps ...peer.ID) bool {
		got := n.PartyLinks(order)
		for _, p := range ps {
			if !slices.Contains(got, p) || !n.host.ConnManager().IsProtected(p, partyTag(order)) {
				return false
			}
		}
		return true
	}
	id, err := cust.PlaceUnpriced(ctx, samplePlace(resto.Key()))
	must(t, err)
	eventually(t, 20*time.Second, "the customer and the restaurant linked for the order", func() bool {
		return linked(cust, id, resto.ID()) && linked(resto, id, cust.ID())
	})
	eventually(t, 10*time.Second, "the customer pushed its order again over the new link", func() bool {
		return cust.Stats(ctx).PushFresh >= 1
	})
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	if _, err := resto.WaitOrder(wctx, id, func(*crdt.OrderState) bool { return true }); err != nil {
		t.Fatalf("the restaurant never saw the order: %v", err)
	}
	must(t, resto.Accept(ctx, id, 10))
	if _, err := courier.WaitOrder(wctx, id, isAccepted); err != nil {
		t.Fatalf("the courier never saw the job: %v", err)
	}
	// the courier's job board links it to the job's restaurant before it claims
	jobs, err := courier.Jobs(ctx, crdt.Position{LatE6: 47_215_000, LonE6: -1_555_000}, 0)
	must(t, err)
	if len(jobs) != 1 || jobs[0].Order.ID != id {
		t.Fatalf("jobs: %+v", jobs)
	}
	eventually(t, 20*time.Second, "the courier linked to the job's restaurant", func() bool {
		return courier.host.ConnManager().IsProtected(resto.ID(), partyJobPrefix+id.String())
	})
	claim, err := courier.Claim(ctx, id, crdt.Position{})
	must(t, err)
	res, err := courier.AwaitClaim(wctx, id, claim)
	must(t, err)
	if !res.Won || !res.Confirmed {
		t.Fatalf("claim result %+v", res)
	}
	eventually(t, 20*time.Second, "all three parties linked to each other", func() bool {
		return linked(courier, id, resto.ID(), cust.ID()) && linked(resto, id, cust.ID(), courier.ID()) &&
			linked(cust, id, resto.ID(), courier.ID())
	})
	for _, n := range couriers[1:] {
		if got := n.PartyLinks(id); len(got) != 0 {
			t.Errorf("courier %s, no party, keeps party links %v", n.ID(), got)
		}
	}

	must(t, resto.Ready(ctx, id))
	if _, err := courier.WaitOrder(wctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusReady }); err != nil {
		t.Fatalf("the courier never saw it ready: %v", err)
	}
	must(t, courier.Pickup(ctx, id))
	must(t, courier.Deliver(ctx, id, crdt.Proof{Recipient: "Jo", PhotoHash: make([]byte, 32)}))
	parties := []*Node{cust, resto, courier}
	eventually(t, 20*time.Second, "every party link released once delivered", func() bool {
		for _, n := range parties {
			s, err := n.Order(ctx, id)
			if err != nil || s.Status != crdt.StatusDelivered || len(n.PartyLinks(id)) != 0 {
				return false
			}
			for _, p := range n.host.Network().Peers() {
				if n.host.ConnManager().IsProtected(p, partyTag(id)) {
					return false
				}
			}
		}
		return true
	})
}

func isAccepted(s *crdt.OrderState) bool { return s.Status == crdt.StatusAccepted }
