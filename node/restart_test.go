package node

import (
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/coopnode/coopnode/crdt"
)

// TestRestartedRestaurantWholeByPush (issue 12.3): a restaurant that
// restarts while a courier stays up hears of the courier's next claim by
// push at once, and confirms it, not ~30 s later by the periodic catch-up
// sync (which this test turns off, so a lost push shows as a timeout).
//
// The courier pushed to the restaurant before the restart, so it holds a
// push stream on the connection the restart closed; the first event it
// pushes after the restaurant is back must not die with that stream.
func TestRestartedRestaurantWholeByPush(t *testing.T) {
	c := newCluster(t, map[string]Role{"courier": RoleCourier, "cust": RoleCustomer})
	ctx := c.ctx
	courier, cust := c.nodes["courier"], c.nodes["cust"]
	dir := t.TempDir()
	startResto := func() *Node {
		n, err := New(ctx, WithKey(nodeKey("resto")), WithRole(RoleRestaurant), WithListen("/ip4/127.0.0.1/tcp/0"),
			WithDataDir(dir), WithCoop(c.coop), WithSyncInterval(-1))
		must(t, err)
		t.Cleanup(func() { _ = n.Close() })
		return n
	}
	resto := startResto()
	c.nodes["resto"] = resto
	c.connect(resto, c.admin)
	c.connect(resto, courier)
	c.connect(cust, resto)
	must(t, c.admin.Admit(ctx, resto.Key(), crdt.RoleRestaurant, "resto"))
	c.eventually("resto admitted", func(n *Node) bool { return members(n) == 3 })

	// two orders, both accepted; the courier takes the first (pushing its
	// claim to the restaurant, which confirms it)
	var orders [2]crdt.ID
	for i := range orders {
		id, err := cust.PlaceUnpriced(ctx, samplePlace(resto.Key()))
		must(t, err)
		orders[i] = id
		c.eventually("placed", c.orderIs(id, crdt.StatusPlaced))
		must(t, resto.Accept(ctx, id, 5))
		c.eventually("accepted", c.orderIs(id, crdt.StatusAccepted))
	}
	claim, err := courier.Claim(ctx, orders[0], crdt.Position{})
	must(t, err)
	if r, err := courier.AwaitClaim(ctx, orders[0], claim); err != nil || !r.Confirmed {
		t.Fatalf("first claim: %+v %v", r, err)
	}

	// the restaurant restarts; it comes back connected to the courier only
	must(t, resto.Close())
	eventually(t, 10*time.Second, "the courier to see the restaurant go", func() bool {
		return courier.Host().Network().Connectedness(resto.ID()) != network.Connected
	})
	resto = startResto()
	c.connect(resto, courier)
	before := resto.Stats(ctx)

	claimed := time.Now()
	claim, err = courier.Claim(ctx, orders[1], crdt.Position{})
	must(t, err)
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	r, err := courier.AwaitClaim(wctx, orders[1], claim)
	if err != nil || !r.Confirmed {
		t.Fatalf("claim after the restaurant restarted: %+v %v; restaurant %+v", r, err, resto.Stats(ctx))
	}
	t.Logf("claim confirmed by the restarted restaurant %v after it was made", time.Since(claimed).Round(time.Millisecond))
	// it came by push (a connect-time sync may have brought it a moment
	// earlier: then the push counts as a duplicate)
	pushed := func(s Stats) int { return s.PushAccepted + s.PushDuplicate }
	if after := resto.Stats(ctx); pushed(after) <= pushed(before) {
		t.Fatalf("the courier's push never reached the restarted restaurant: before %+v, after %+v", before, after)
	}
}

// TestGraftLimitForgottenOnDisconnect (issue 12.3): the once-per-minute
// limit on syncing with a newly grafted peer lasts only while the peer
// stays connected, so a peer that restarts (same peer ID) and is grafted
// again is synced with at once.
func TestGraftLimitForgottenOnDisconnect(t *testing.T) {
	c := newCluster(t, map[string]Role{"courier": RoleCourier})
	a, b := c.admin, c.nodes["courier"]
	limited := func() bool {
		a.graftMu.Lock()
		defer a.graftMu.Unlock()
		_, ok := a.graftLast[b.ID()]
		return ok
	}
	a.graftSync(b.ID())
	if !limited() {
		t.Fatal("a graft sync set no limit")
	}
	must(t, b.Close())
	eventually(t, 10*time.Second, "the limit to be forgotten when the peer goes", func() bool { return !limited() })
}
