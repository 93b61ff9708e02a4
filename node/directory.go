package node

import (
	"context"
	"fmt"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// The city directory (SPEC.md §22): a node may follow one city's topic and
// fold the coop cards published there; a coop's founder or genesis admin
// publishes its coop's card. Cards are not events: they are never stored
// and change no coop state, so following a city costs one topic and a
// small map. The directory lives on the loop like the replica.

// CardInfo is what an admin says about its coop in the city directory.
// Empty City and Name default to the coop's genesis; empty Addrs to this
// node's own addresses.
type CardInfo struct {
	City    string   `json:"city,omitempty"`
	Name    string   `json:"name,omitempty"`
	Zones   []string `json:"zones,omitempty"`
	Contact string   `json:"contact,omitempty"`
	Addrs   []string `json:"addrs,omitempty"`
}

// WithCity makes the node follow a city's directory from the start
// (SPEC.md §22.1).
func WithCity(city string) Option {
	return func(c *config) error {
		if crdt.NormalizeCity(city) == "" {
			return fmt.Errorf("%w: empty city name", ErrBadArgument)
		}
		c.city = city
		return nil
	}
}

// followCity joins the city's topic with the card validator. It runs on
// the loop (or in New before the loop starts).
func (n *Node) followCity(city string) error {
	norm := crdt.NormalizeCity(city)
	if norm == "" {
		return errorf(ErrBadArgument, "empty city name")
	}
	if n.dir != nil {
		if n.dir.City() != norm {
			return errorf(ErrBadArgument, "this node follows the directory of %q, not %q", n.dir.City(), norm)
		}
		return nil
	}
	n.dir = crdt.NewDirectory(norm)
	n.cityTopic = protocol.TopicCity(norm)
	n.gossip.setTopicValidator(n.cityTopic, n.validateCard)
	if err := n.gossip.join(n.cityTopic); err != nil {
		return fmt.Errorf("node: join %s: %w", n.cityTopic, err)
	}
	return n.watchCity(n.cityTopic) // cards published before we came (cards.go)
}

// FollowCity starts following a city's directory (SPEC.md §22.1). A node
// follows at most one city.
func (n *Node) FollowCity(ctx context.Context, city string) error {
	return n.do(ctx, func() error { return n.followCity(city) })
}

// Directory returns the cards of the followed city, by coop name; a node
// that follows no city answers "" and no cards.
func (n *Node) Directory(ctx context.Context) (city string, cards []crdt.DirectoryEntry, err error) {
	err = n.do(ctx, func() error {
		if n.dir != nil {
			city, cards = n.dir.City(), n.dir.Entries()
		}
		return nil
	})
	return city, cards, err
}

// PublishCard signs this node's coop card and publishes it on the city's
// topic (SPEC.md §22.2), following that city if it did not yet. Only the
// coop's founder or a genesis admin can sign it.
func (n *Node) PublishCard(ctx context.Context, info CardInfo) (crdt.CoopCard, error) {
	var card crdt.CoopCard
	err := n.do(ctx, func() error {
		if n.cfg.coop.IsZero() {
			return ErrNoCoop
		}
		genesis, err := n.store.GetEvent(n.ctx, n.cfg.coop)
		if err != nil {
			return fmt.Errorf("node: the coop's genesis: %w", err)
		}
		ge, err := protocol.Decode(genesis)
		if err != nil {
			return fmt.Errorf("node: the coop's genesis: %w", err)
		}
		g, _ := ge.Body.(*crdt.CoopGenesis)
		if info.City == "" && g != nil {
			info.City = g.City
		}
		if info.Name == "" && g != nil {
			info.Name = g.Name
		}
		if len(info.Addrs) == 0 {
			for _, a := range n.Addrs() {
				info.Addrs = append(info.Addrs, a.String())
				if len(info.Addrs) == crdt.MaxCardAddrs {
					break
				}
			}
		}
		if err := n.followCity(info.City); err != nil {
			return err
		}
		now := n.nowMs()
		if old, ok := n.dir.Card(n.cfg.coop); ok && old.Card.Wall >= now {
			now = old.Card.Wall + 1 // a later card always wins (SPEC.md §22.3)
		}
		card = crdt.CoopCard{Coop: n.cfg.coop, City: crdt.NormalizeCity(info.City), Wall: now, Name: info.Name,
			Zones: info.Zones, Contact: info.Contact, Addrs: info.Addrs}
		raw, err := protocol.SealCard(n.key, card, genesis)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrRefused, err)
		}
		c, h, err := protocol.OpenCard(raw)
		if err != nil {
			return err
		}
		if r := n.dir.Apply(c, h); r != "" {
			return errorf(ErrRefused, "%s", r)
		}
		n.keepCard(c.Coop, raw)
		card = c
		select {
		case n.outbox <- outMsg{topic: n.cityTopic, raw: raw, ephemeral: true}:
		default:
			return errorf(ErrTimeout, "the publish queue is full")
		}
		return nil
	})
	return card, err
}

// validateCard is the city topic's validator (SPEC.md §22.3). An accepted
// card is folded here, on the loop: cards need nothing else.
func (n *Node) validateCard(ctx context.Context, from peer.ID, data []byte) pubsub.ValidationResult {
	if from == n.host.ID() {
		return pubsub.ValidationAccept // already folded by PublishCard
	}
	c, h, err := protocol.OpenCard(data)
	if err != nil || c.Wall > n.nowMs()+protocol.MaxClockSkew {
		return pubsub.ValidationReject
	}
	verdict := pubsub.ValidationReject
	_ = n.do(ctx, func() error {
		if n.dir == nil {
			verdict = pubsub.ValidationIgnore
			return nil
		}
		switch r := n.dir.Apply(c, h); r {
		case "":
			n.keepCard(c.Coop, data)
			verdict = pubsub.ValidationAccept
		case crdt.ReasonCardStale:
			verdict = pubsub.ValidationIgnore
		default:
			n.log.Debug("card refused", "coop", c.Coop.Short(), "reason", r)
		}
		return nil
	})
	return verdict
}
