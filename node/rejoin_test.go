package node

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// TestOldInviteAfterRelayAndFounderRestart (issue 13.3, SPEC.md §10.3,
// §10.7): a coop's founder and its relay, each on its own data directory
// and port, give out an invite naming both; both stop, so
// that nothing of the coop runs, and start again; a new device then joins with the invite given out before. It
// reaches them, catches up on what happened before and after the
// restarts, keeps a role link, and an order it places reaches a
// restaurant that joined, with the same invite, after the restarts.
func TestOldInviteAfterRelayAndFounderRestart(t *testing.T) {
	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	type device struct {
		name string
		role Role
		dir  string
		port string
	}
	start := func(d device, opts ...Option) *Node {
		t.Helper()
		n, err := New(ctx, append([]Option{WithKey(nodeKey(d.name)), WithRole(d.role), WithDataDir(d.dir),
			WithListen("/ip4/127.0.0.1/tcp/" + d.port), WithSyncInterval(-1)}, opts...)...)
		must(t, err)
		t.Cleanup(func() { _ = n.Close() })
		return n
	}
	founderDev := device{"founder", RoleAdmin, t.TempDir(), strconv.Itoa(closedPort(t))}
	relayDev := device{"relay", RoleRelay, t.TempDir(), strconv.Itoa(closedPort(t))}

	founder := start(founderDev)
	coop, err := founder.Found(ctx, crdt.CoopGenesis{Name: "Restart Coop", City: "Nantes", Currency: "EUR"})
	must(t, err)
	relay := start(relayDev, WithInvite(founder.Invite()))
	eventually(t, 20*time.Second, "the relay to join", func() bool { return members(relay) == 1 })
	// the invite handed out: the relay and the founder
	inv := Invite{Coop: coop, Bootstrap: append(inviteAddrs(relay.Addrs()), inviteAddrs(founder.Addrs())...)}
	must(t, inv.Validate())
	for _, name := range []string{"early courier", "early restaurant"} {
		role := crdt.RoleCourier
		if name == "early restaurant" {
			role = crdt.RoleRestaurant
		}
		must(t, founder.Admit(ctx, protocol.PubKeyOf(nodeKey(name)), role, name))
	}
	eventually(t, 20*time.Second, "the relay to hold every admission", func() bool { return members(relay) == 3 })

	// both down at once, then back: the founder first, the relay after
	must(t, relay.Close())
	must(t, founder.Close())
	founder = start(founderDev)
	relay = start(relayDev)
	if founder.Coop() != coop || relay.Coop() != coop {
		t.Fatalf("after restart: founder follows %s, relay %s, want %s", founder.Coop().Short(), relay.Coop().Short(), coop.Short())
	}
	// the restarted founder and relay find each other again through the
	// relay's saved bootstrap peer (the founder)
	resto := start(device{"late restaurant", RoleRestaurant, t.TempDir(), "0"}, WithInvite(inv))
	must(t, founder.Admit(ctx, resto.Key(), crdt.RoleRestaurant, "late restaurant"))
	eventually(t, 20*time.Second, "the relay to hold the admission made after the restarts", func() bool { return members(relay) == 4 })

	joiner := start(device{"joiner", RoleCustomer, t.TempDir(), "0"}, WithInvite(inv))
	eventually(t, 30*time.Second, "the joiner to catch up on every member", func() bool { return members(joiner) == 4 })
	eventually(t, 20*time.Second, "the joiner's role link", func() bool {
		k, w := joiner.RoleLinks()
		return w > 0 && k >= 1
	})
	id, err := joiner.PlaceUnpriced(ctx, samplePlace(resto.Key()))
	must(t, err)
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	if _, err := resto.WaitOrder(wctx, id, func(*crdt.OrderState) bool { return true }); err != nil {
		t.Fatalf("the restaurant never saw the new device's order: %v", err)
	}
}
