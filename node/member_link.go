package node

import (
	"crypto/ed25519"
	"fmt"

	"github.com/coopnode/coopnode/crdt"
)

// A member's node in a further coop (SPEC.md §22.4) runs a key of its own
// (CoopKey), since a key is a peer ID. For it to act as the member there
// (claim as its courier, be paid in its books), that coop must link its
// key to the member as a device. A member may link its own devices with
// its member key (§6, device.link), so a node given the member key
// (WithMemberKey) signs that link itself as soon as its coop's state shows
// the member admitted and its key not yet linked: the coop's admins only
// admit the member key, as they would for a member of one coop. The
// member key signs nothing else and is kept in memory only.

// WithMemberKey gives the node the key of the member it runs for, when it
// is not the node's own key: the node links its key to the member as a
// device once the member is admitted (member_link.go).
func WithMemberKey(k ed25519.PrivateKey) Option {
	return func(c *config) error {
		if len(k) != ed25519.PrivateKeySize {
			return fmt.Errorf("%w: member key has %d bytes", ErrBadArgument, len(k))
		}
		c.memberKey = k
		return nil
	}
}

// watchMemberLink starts linking this node's key to its member whenever
// the coop changes, when the node has a member key of another key.
func (n *Node) watchMemberLink() {
	if n.cfg.memberKey == nil || crdt.PubKey(n.cfg.memberKey.Public().(ed25519.PublicKey)) == n.self {
		return
	}
	sub := n.Subscribe(16)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		defer sub.Close()
		n.linkToMember() // the state replayed at start
		for {
			select {
			case <-n.ctx.Done():
				return
			case ch, ok := <-sub.C:
				if !ok {
					return
				}
				if ch.Scope == "coop" {
					n.linkToMember()
				}
			}
		}
	}()
}

// linkToMember signs, with the member key, the link of this node's key to
// the member, when the member is admitted and the key not linked yet.
func (n *Node) linkToMember() {
	member := crdt.PubKey(n.cfg.memberKey.Public().(ed25519.PublicKey))
	err := n.do(n.ctx, func() error {
		if n.cfg.coop.IsZero() {
			return nil
		}
		cs := n.replica.CoopView(n.cfg.coop)
		now := n.nowMs()
		if k, ok := cs.MemberKey(n.self, now); ok && k == member {
			return nil // linked
		}
		if _, ok := cs.MemberKey(member, now); !ok {
			return nil // not (or no longer) a member
		}
		_, err := n.author(draft{kind: crdt.KindDeviceLink, scope: n.cfg.coop, signer: n.cfg.memberKey, duty: "link to member",
			body: &crdt.DeviceLink{Member: member, Device: n.self, Label: "coopnode, " + n.cfg.coop.Short()}})
		return err
	})
	if err != nil && n.ctx.Err() == nil {
		n.log.Warn("link this node's key to its member", "member", member.Short(), "err", err)
	}
}
