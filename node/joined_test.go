package node

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// TestInviteSurvivesRestart (issue 12.1): a node that joined with an
// invite and restarts on the same data directory without it still follows
// the coop, redials the invite's bootstrap peer and catches up with what it
// missed while down.
func TestInviteSurvivesRestart(t *testing.T) {
	c := newCluster(t, map[string]Role{})
	ctx := c.ctx
	for i, how := range []string{"WithInvite", "JoinInvite"} {
		dir := t.TempDir()
		start := func(opts ...Option) (*Node, error) {
			base := []Option{WithKey(nodeKey("joiner " + how)), WithRole(RoleCourier), WithListen("/ip4/127.0.0.1/tcp/0"),
				WithDataDir(dir), WithSyncInterval(-1)}
			return New(ctx, append(base, opts...)...)
		}
		var a *Node
		var err error
		if how == "WithInvite" {
			a, err = start(WithInvite(c.admin.Invite()))
			must(t, err)
		} else {
			a, err = start()
			must(t, err)
			must(t, a.JoinInvite(ctx, c.admin.Invite()))
		}
		eventually(t, 10*time.Second, how+": the joiner to learn the coop", func() bool { return members(a) == 1+i })
		must(t, a.Close())

		// missed while down
		must(t, c.admin.Admit(ctx, protocol.PubKeyOf(nodeKey("late "+how)), crdt.RoleCourier, "late"))

		a, err = start()
		must(t, err)
		t.Cleanup(func() { _ = a.Close() })
		if got := a.Coop(); got != c.coop {
			t.Fatalf("%s: restarted without the invite, the node follows coop %s, want %s", how, got.Short(), c.coop.Short())
		}
		eventually(t, 10*time.Second, how+": the restarted joiner to catch up from the saved bootstrap peer", func() bool {
			return members(a) == 2+i
		})
		if _, err := a.Claim(ctx, crdt.ID{1}, crdt.Position{}); errors.Is(err, ErrNoCoop) {
			t.Fatalf("%s: a write after restart: %v", how, err)
		}
		must(t, a.Close())

		// the store belongs to this coop: another coop's invite is refused
		other := c.admin.Invite()
		other.Coop = crdt.ID{7}
		if n, err := start(WithInvite(other)); !errors.Is(err, ErrBadArgument) {
			if n != nil {
				_ = n.Close()
			}
			t.Fatalf("%s: start on another coop's store: %v, want ErrBadArgument", how, err)
		}
	}
}

// members counts the members n knows (-1 before it knows the coop).
func members(n *Node) int {
	cs, err := n.CoopState(context.Background())
	if err != nil {
		return -1
	}
	return len(cs.Members)
}
