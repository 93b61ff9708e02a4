package node

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
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

// TestClaimRacePush (SPEC.md §10.8): two couriers look at their job
// board and claim the same job at once; the restaurant confirms one, and
// pushes the winning claim to the other over the party link although it
// follows the orders topic, so the loser learns it lost from the
// restaurant directly; both learn the outcome.
func TestClaimRacePush(t *testing.T) {
	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	type frame struct {
		from peer.ID
		id   crdt.ID
	}
	var mu sync.Mutex
	got := map[string][]frame{}
	start := func(name string, role Role, opts ...Option) *Node {
		t.Helper()
		recv := func(from peer.ID, raw []byte) {
			if e, err := protocol.Decode(raw); err == nil {
				mu.Lock()
				got[name] = append(got[name], frame{from, e.ID})
				mu.Unlock()
			}
		}
		n, err := New(ctx, append([]Option{WithKey(nodeKey(name)), WithRole(role), WithListen("/ip4/127.0.0.1/tcp/0"),
			WithSyncInterval(-1), WithRoleLinks(3, 2), WithPushCounters(nil, recv)}, opts...)...)
		must(t, err)
		t.Cleanup(func() { _ = n.Close() })
		return n
	}
	relay := start("relay", RoleRelay)
	coop, err := relay.Found(ctx, crdt.CoopGenesis{Name: "Race Coop", City: "Nantes", Currency: "EUR"})
	must(t, err)
	boot := WithBootstrap(relay.Addrs()...)
	c1, c2 := start("c1", RoleCourier, WithCoop(coop), boot), start("c2", RoleCourier, WithCoop(coop), boot)
	resto := start("resto", RoleRestaurant, WithCoop(coop), boot)
	cust := start("cust", RoleCustomer, WithCoop(coop), boot)
	for _, c := range []*Node{c1, c2} {
		must(t, relay.Admit(ctx, c.Key(), crdt.RoleCourier, "courier"))
	}
	must(t, relay.Admit(ctx, resto.Key(), crdt.RoleRestaurant, "resto"))
	all := []*Node{relay, c1, c2, resto, cust}
	eventually(t, 30*time.Second, "every member everywhere", func() bool {
		for _, n := range all {
			if members(n) != 4 {
				return false
			}
		}
		return true
	})
	id, err := cust.PlaceUnpriced(ctx, samplePlace(resto.Key()))
	must(t, err)
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	if _, err := resto.WaitOrder(wctx, id, func(*crdt.OrderState) bool { return true }); err != nil {
		t.Fatalf("the restaurant never saw the order: %v", err)
	}
	must(t, resto.Accept(ctx, id, 10))
	racers := []*Node{c1, c2}
	for _, c := range racers {
		if _, err := c.WaitOrder(wctx, id, isAccepted); err != nil {
			t.Fatalf("a courier never saw the job: %v", err)
		}
		_, err := c.Jobs(ctx, crdt.Position{LatE6: 47_215_000, LonE6: -1_555_000}, 0)
		must(t, err)
	}
	eventually(t, 20*time.Second, "both couriers linked to the restaurant", func() bool {
		return slices.Contains(c1.host.Network().Peers(), resto.ID()) && slices.Contains(c2.host.Network().Peers(), resto.ID())
	})
	claims := make([]crdt.ID, 2)
	results := make([]ClaimResult, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, c := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if claims[i], errs[i] = c.Claim(ctx, id, crdt.Position{}); errs[i] == nil {
				results[i], errs[i] = c.AwaitClaim(wctx, id, claims[i])
			}
		}()
	}
	wg.Wait()
	must(t, errors.Join(errs...))
	if results[0].Won == results[1].Won || !results[0].Confirmed || !results[1].Confirmed {
		t.Fatalf("claim results %+v", results)
	}
	win, lose := 0, 1
	if results[1].Won {
		win, lose = 1, 0
	}
	loser := []string{"c1", "c2"}[lose]
	eventually(t, 10*time.Second, "the winning claim pushed by the restaurant to the loser", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Contains(got[loser], frame{resto.ID(), claims[win]})
	})
}
