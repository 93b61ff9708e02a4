package node

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/multiformats/go-multiaddr"

	"github.com/coopnode/coopnode/crdt"
)

// What a node remembers of the cooperative it joined. A device joins once,
// with an invite (WithInvite, Join); every later start must find the same
// coop and the same way in without being told again, or a restarted node
// shows coop 00000000, refuses writes with no_coop and never catches up
// although its events are on disk. So the coop ID and the invite's
// bootstrap addresses are kept in the store's metadata and restored by New.
const (
	metaCoop      = "coop"
	metaBootstrap = "bootstrap" // newline-separated multiaddrs, oldest first
	// maxSavedBootstrap bounds the remembered bootstrap addresses; the
	// oldest are forgotten first.
	maxSavedBootstrap = 2 * maxInviteAddrs
)

// restoreJoin runs in New after replay: it takes the saved coop when the
// options name none, saves the coop the options name when none was saved,
// and adds the saved bootstrap addresses to cfg.bootstrap after saving the
// invite's new ones.
func (n *Node) restoreJoin(ctx context.Context) error {
	var saved crdt.ID
	b, err := n.store.GetMeta(ctx, metaCoop)
	switch {
	case err == nil && len(b) == len(saved):
		copy(saved[:], b)
	case err != nil && !errors.Is(err, ErrNotFound):
		return fmt.Errorf("node: read saved coop: %w", err)
	}
	switch {
	case n.cfg.coop.IsZero():
		n.cfg.coop = saved
	case saved.IsZero():
		if err := n.store.PutMeta(ctx, metaCoop, n.cfg.coop[:]); err != nil {
			return fmt.Errorf("node: save coop: %w", err)
		}
	case saved != n.cfg.coop:
		// one store holds one coop's events
		return fmt.Errorf("%w: the store belongs to coop %s, asked to follow %s", ErrBadArgument, saved.Short(), n.cfg.coop.Short())
	}
	boot, err := n.savedBootstrap(ctx)
	if err != nil {
		return err
	}
	if merged := mergeAddrs(boot, n.cfg.inviteBoot); len(merged) != len(boot) {
		if err := n.saveBootstrap(ctx, merged); err != nil {
			return err
		}
		boot = merged
	}
	n.cfg.bootstrap = mergeAddrs(n.cfg.bootstrap, boot)
	return nil
}

// savedBootstrap reads the saved bootstrap addresses, skipping any that no
// longer parse.
func (n *Node) savedBootstrap(ctx context.Context) ([]multiaddr.Multiaddr, error) {
	b, err := n.store.GetMeta(ctx, metaBootstrap)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("node: read saved bootstrap peers: %w", err)
	}
	var out []multiaddr.Multiaddr
	for _, s := range strings.Split(string(b), "\n") {
		if s == "" {
			continue
		}
		a, err := multiaddr.NewMultiaddr(s)
		if err != nil || checkBootstrapAddr(a) != nil {
			n.log.Warn("skipping a saved bootstrap address", "addr", s, "err", err)
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

// saveBootstrap durably replaces the saved bootstrap addresses, keeping the
// newest maxSavedBootstrap.
func (n *Node) saveBootstrap(ctx context.Context, addrs []multiaddr.Multiaddr) error {
	if len(addrs) > maxSavedBootstrap {
		addrs = addrs[len(addrs)-maxSavedBootstrap:]
	}
	var sb strings.Builder
	for _, a := range addrs {
		sb.WriteString(a.String())
		sb.WriteByte('\n')
	}
	if err := n.store.PutMeta(ctx, metaBootstrap, []byte(sb.String())); err != nil {
		return fmt.Errorf("node: save bootstrap peers: %w", err)
	}
	return nil
}

// mergeAddrs appends to a the addresses of b it lacks.
func mergeAddrs(a, b []multiaddr.Multiaddr) []multiaddr.Multiaddr {
	seen := make(map[string]bool, len(a)+len(b))
	out := make([]multiaddr.Multiaddr, 0, len(a)+len(b))
	for _, list := range [][]multiaddr.Multiaddr{a, b} {
		for _, m := range list {
			if k := string(m.Bytes()); !seen[k] {
				seen[k] = true
				out = append(out, m)
			}
		}
	}
	return out
}

// JoinInvite joins the invite's coop on a running node: it dials the
// invite's bootstrap peers, saves them for later starts (restoreJoin), and
// joins as Join does. A peer it cannot reach now is only logged: discovery
// keeps redialing saved peers from the next start on.
func (n *Node) JoinInvite(ctx context.Context, inv Invite) error {
	// an invite to another coop is refused before dialing its peers
	if c := n.Coop(); !c.IsZero() && c != inv.Coop {
		return errorf(ErrBadArgument, "the invite is to coop %s, and this node already belongs to coop %s: a node follows one coop (use another data folder)", inv.Coop.Short(), c.Short())
	}
	for _, a := range inv.Bootstrap {
		if err := n.ConnectAddr(ctx, a); err != nil {
			n.log.Warn("bootstrap peer from the invite unreachable", "addr", a, "err", err)
		}
	}
	if err := n.Join(ctx, inv.Coop); err != nil {
		return err
	}
	if err := n.do(ctx, func() error {
		boot, err := n.savedBootstrap(n.ctx)
		if err != nil {
			return err
		}
		return n.saveBootstrap(n.ctx, mergeAddrs(boot, inv.Bootstrap))
	}); err != nil {
		return err
	}
	n.addRelayCandidates(inv.Bootstrap) // its relays, for a reservation (reserve.go)
	return nil
}
