package node

import (
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
)

// TestStreamsOverRelayedLink: when a customer and a restaurant are linked
// only through their coop relay (hole punching failed, about 30% of NATed
// pairs), the customer's payment request still goes over that limited,
// relayed link (SPEC.md §20 over §10.6; nat.go sizes the relay's circuits
// for it): libp2p refuses new streams on a limited connection unless the
// opener allows it, so a relayed-only customer could not pay online.
// Party push does not use such a link (§10.6): the relay carries events.
func TestStreamsOverRelayedLink(t *testing.T) {
	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := &cluster{t: t, ctx: ctx, nodes: map[string]*Node{}}
	r := c.startNode("relay", RoleRelay, WithNAT(true))
	boot := WithBootstrap(p2pAddrs(t, r.Host())...)
	a := c.startNode("a-resto", RoleRestaurant, WithNAT(true), boot)
	b := c.startNode("b-customer", RoleCustomer, WithNAT(true), boot)
	for _, n := range []*Node{a, b} {
		waitFor(t, string(n.cfg.role)+"'s reservation", func() bool { return n.NATStats().ReservationsHeld == 1 })
	}
	waitFor(t, "b's circuit address", func() bool {
		for _, m := range b.Host().Addrs() {
			if isRelayed(m) {
				return true
			}
		}
		return false
	})
	must(t, a.ConnectPeer(ctx, b.ID()))
	if got := a.Host().Network().Connectedness(b.ID()); got != network.Limited {
		t.Skipf("a→b connectedness %v before the streams: hole punching was quicker than the test", got)
	}
	s, err := b.openPay(ctx, a.ID())
	if err != nil {
		t.Fatalf("payment request over a relayed link: %v", err)
	}
	_ = s.Reset()
}
