package node

import (
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// protectedLinks counts n's connected peers that its keeper protects.
func protectedLinks(n *Node) int {
	k := 0
	for _, p := range n.host.Network().Peers() {
		if n.host.ConnManager().IsProtected(p, linkProtect) {
			k++
		}
	}
	return k
}

// TestRoleLinksFromBootstrap (SPEC.md §10.7): nodes given only a relay's
// address build the role graph themselves: every courier keeps its core
// links to other followers of the orders topic, found by peer exchange,
// every customer and restaurant its leaf links to followers, all
// protected in the connection manager; leaves never link to each other;
// and an order placed by a customer reaches its restaurant, which no
// harness connected to anyone but the relay.
func TestRoleLinksFromBootstrap(t *testing.T) {
	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
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
	coop, err := relay.Found(ctx, crdt.CoopGenesis{Name: "Links Coop", City: "Nantes", Currency: "EUR"})
	must(t, err)
	boot := WithBootstrap(relay.Addrs()...)
	var couriers, leaves []*Node
	for _, name := range []string{"c1", "c2", "c3", "c4", "c5"} {
		couriers = append(couriers, start(name, RoleCourier, WithCoop(coop), boot))
	}
	resto := start("resto", RoleRestaurant, WithCoop(coop), boot)
	cust := start("cust", RoleCustomer, WithCoop(coop), boot)
	leaves = append(leaves, resto, cust)
	for _, c := range couriers {
		must(t, relay.Admit(ctx, c.Key(), crdt.RoleCourier, "courier"))
	}
	must(t, relay.Admit(ctx, resto.Key(), crdt.RoleRestaurant, "resto"))
	all := append(append([]*Node{relay}, couriers...), leaves...)
	eventually(t, 30*time.Second, "every member everywhere", func() bool {
		for _, n := range all {
			if members(n) != 7 {
				return false
			}
		}
		return true
	})

	eventually(t, 30*time.Second, "every node's role links", func() bool {
		for _, n := range couriers {
			if k, w := n.RoleLinks(); w != 3 || k < 3 || protectedLinks(n) < 3 {
				return false
			}
		}
		for _, n := range leaves {
			if k, w := n.RoleLinks(); w != 2 || k < 2 || protectedLinks(n) < 2 {
				return false
			}
		}
		return true
	})
	orders := protocol.TopicOrders(coop)
	for _, l := range leaves {
		for _, p := range l.host.Network().Peers() {
			if l.host.ConnManager().IsProtected(p, linkProtect) && !contains(l.gossip.topicPeers(orders), p) {
				t.Errorf("%s protects %s, which does not follow the orders topic", l.Role(), p)
			}
		}
	}
	// besides the relay, each courier found others by peer exchange
	for _, c := range couriers {
		others := 0
		for _, o := range couriers {
			if o != c && c.host.Network().Connectedness(o.ID()) == network.Connected {
				others++
			}
		}
		if others < 2 {
			t.Errorf("courier %s is linked to %d other couriers, want ≥ 2 (3 core links, one the relay)", c.ID(), others)
		}
	}
	if cust.host.Network().Connectedness(resto.ID()) == network.Connected {
		t.Error("the customer and the restaurant linked to each other: leaves link to followers only")
	}

	id, err := cust.PlaceUnpriced(ctx, samplePlace(resto.Key()))
	must(t, err)
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	if _, err := resto.WaitOrder(wctx, id, func(*crdt.OrderState) bool { return true }); err != nil {
		t.Fatalf("the restaurant never saw the order: %v (%+v)", err, resto.Stats(ctx))
	}
}

func contains(ps []peer.ID, p peer.ID) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// TestPeerExchange (SPEC.md §10.7): a peer answers with the followers of
// the orders topic it is connected to and the wanted peers, never the
// asker; a malformed request gets its stream reset and no answer.
func TestPeerExchange(t *testing.T) {
	c := newCluster(t, map[string]Role{"courier": RoleCourier, "cust": RoleCustomer})
	ctx := c.ctx
	courier, cust := c.nodes["courier"], c.nodes["cust"]
	orders := protocol.TopicOrders(c.coop)
	eventually(t, 10*time.Second, "the admin to see the courier follow the orders topic", func() bool {
		return contains(c.admin.gossip.topicPeers(orders), courier.ID())
	})
	recs, err := cust.askPeers(c.admin.ID(), []peer.ID{courier.ID(), cust.ID()})
	must(t, err)
	got := map[peer.ID]peerRecord{}
	for _, r := range recs {
		got[r.ID] = r
	}
	if r, ok := got[courier.ID()]; !ok || !r.Follower || len(r.Addrs) == 0 {
		t.Fatalf("no follower record with addresses for the courier: %+v", recs)
	}
	if _, ok := got[cust.ID()]; ok {
		t.Errorf("the asker was sent its own record: %+v", recs)
	}
	s, err := cust.host.NewStream(ctx, c.admin.ID(), protocol.PeersProtocolID)
	must(t, err)
	_, err = s.Write([]byte{protocol.MaxPeerWants + 1})
	must(t, err)
	must(t, s.CloseWrite())
	buf := make([]byte, 1)
	if n, err := s.Read(buf); n != 0 || err == nil {
		t.Fatalf("a malformed request was answered: %d bytes, %v", n, err)
	}
}

// TestRoleLinksFollowWhatTheNodeFollows (SPEC.md §10.7): a phone that
// stops following the coop's topics (saving power) keeps no role links
// and protects none, so TrimConnections may close them; following the
// orders topic again (a courier's shift starts) brings the core links
// back. The keeper reacts to SetFollow at once.
func TestRoleLinksFollowWhatTheNodeFollows(t *testing.T) {
	c := newCluster(t, map[string]Role{"c1": RoleCourier, "c2": RoleCourier, "phone": RoleCourier})
	ctx := c.ctx
	phone := c.nodes["phone"]
	eventually(t, 20*time.Second, "the courier's core links", func() bool {
		k, w := phone.RoleLinks()
		return w == defaultCoreLinks && k >= 3 && protectedLinks(phone) >= 3
	})
	must(t, phone.SetFollow(ctx, Follow{}))
	eventually(t, 10*time.Second, "no role link kept while saving power", func() bool {
		k, w := phone.RoleLinks()
		return w == 0 && k == 0 && protectedLinks(phone) == 0
	})
	must(t, phone.SetFollow(ctx, Follow{Coop: true}))
	eventually(t, 10*time.Second, "leaf links while following the coop only", func() bool {
		k, w := phone.RoleLinks()
		return w == defaultLeafLinks && k >= 3
	})
	must(t, phone.SetFollow(ctx, FollowAll()))
	eventually(t, 10*time.Second, "core links again on shift", func() bool {
		k, w := phone.RoleLinks()
		return w == defaultCoreLinks && k >= 3 && protectedLinks(phone) >= 3
	})
}
