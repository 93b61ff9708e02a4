package node

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// Power and connectivity controls for nodes that run on a battery and a
// metered link: a courier's or a customer's phone (package mobile).
//
// A phone must not relay the whole city's gossip. Gossipsub's router
// parameters are fixed when the router starts, so the node offers two
// levers instead of a runtime "leaf switch":
//
//   - WithLeaf, at start: the router keeps no mesh (D=0), so the node
//     forwards next to nothing for others while still receiving what its
//     peers flood-publish or offer by IHAVE gossip;
//   - SetFollow, at any time: subscribe to or leave each of the coop's
//     three topics. A node that follows no topic receives and relays no
//     gossip at all; its own events still go out (fanout publish to the
//     peers it is connected to), and it catches up by sync sessions
//     (Sync), which pull only the events in its interest (SPEC.md §8.6.2).
//
// TrimConnections and Reconnect complete the picture: a node in low-power
// mode keeps its bootstrap peers and a few others, and a node that comes
// back online redials its bootstrap peers at once instead of waiting out
// discovery's backoff (up to five minutes).

// Follow selects which of the coop's gossip topics a node subscribes to
// (SPEC.md §10.1). The zero value follows none.
type Follow struct {
	Coop    bool `json:"coop"`    // membership log: tiny, rare
	Catalog bool `json:"catalog"` // menus and profiles: large, rare
	Orders  bool `json:"orders"`  // every order event of the coop: the busy one
	// Tracking carries couriers' positions, sealed to the orders' parties
	// (SPEC.md §16.11): a customer follows it while it has an open
	// delivery; a courier only publishes on it.
	Tracking bool `json:"tracking"`
}

// FollowAll follows every topic: what couriers, admins and relays do by
// default (defaultFollow).
func FollowAll() Follow { return Follow{Coop: true, Catalog: true, Orders: true, Tracking: true} }

// defaultFollow is what New, Found and Join subscribe to for a role
// (SPEC.md §10.1): everyone follows the membership log, the menus and
// tracking; only the roles that need every open order — couriers (the job
// board), admins (dispatch) and relays (they keep everything) — follow the
// orders topic. Customers and restaurants get their own orders' events by
// party push (SPEC.md §10.4), so they never carry the city's order traffic.
func defaultFollow(r Role) Follow {
	f := FollowAll()
	if r == RoleCustomer || r == RoleRestaurant {
		f.Orders = false
	}
	return f
}

// followedTopic is one of a coop's topics and whether a Follow selects it.
type followedTopic struct {
	topic string
	on    bool
}

// each lists every topic of coop with whether f follows it.
func (f Follow) each(coop crdt.ID) []followedTopic {
	return []followedTopic{
		{protocol.TopicCoop(coop), f.Coop},
		{protocol.TopicCatalog(coop), f.Catalog},
		{protocol.TopicOrders(coop), f.Orders},
		{protocol.TopicTracking(coop), f.Tracking},
	}
}

// topics lists the topics f follows in coop.
func (f Follow) topics(coop crdt.ID) []string {
	var ts []string
	for _, t := range f.each(coop) {
		if t.on {
			ts = append(ts, t.topic)
		}
	}
	return ts
}

// WithFollow overrides which topics the node subscribes to when it joins a
// coop (default: defaultFollow of its role). A restaurant's always-on
// desktop may follow the orders topic to serve as a relay, for example.
func WithFollow(f Follow) Option {
	return func(c *config) error { c.follow = &f; return nil }
}

// WithLeaf starts gossip as a non-relaying leaf (see gossipConfig.Leaf):
// meant for phones. It cannot be changed while the node runs; use
// SetFollow to stop gossip altogether.
func WithLeaf(on bool) Option {
	return func(c *config) error { c.gossip.Leaf = on; return nil }
}

// SetFollow subscribes to or leaves each of the coop's topics. Leaving a
// topic stops receiving and relaying its messages; the node can still
// publish its own events on it. Found and Join subscribe to the role's
// default (defaultFollow, or WithFollow), so call SetFollow again after
// them.
func (n *Node) SetFollow(ctx context.Context, f Follow) error {
	defer n.wakeLinks() // what it follows sets the role links it keeps (SPEC.md §10.7)
	return n.do(ctx, func() error {
		coop := n.cfg.coop
		if coop.IsZero() {
			return ErrNoCoop
		}
		for _, t := range f.each(coop) {
			var err error
			if t.on {
				err = n.gossip.join(t.topic)
			} else {
				err = n.gossip.leave(t.topic)
			}
			if err != nil {
				return fmt.Errorf("node: follow %s=%v: %w", t.topic, t.on, err)
			}
		}
		return nil
	})
}

// Following reports which of the coop's topics the node subscribes to.
func (n *Node) Following(ctx context.Context) (Follow, error) {
	var f Follow
	err := n.do(ctx, func() error {
		coop := n.cfg.coop
		if coop.IsZero() {
			return nil
		}
		f.Coop = n.gossip.subscribed(protocol.TopicCoop(coop))
		f.Catalog = n.gossip.subscribed(protocol.TopicCatalog(coop))
		f.Orders = n.gossip.subscribed(protocol.TopicOrders(coop))
		f.Tracking = n.gossip.subscribed(protocol.TopicTracking(coop))
		return nil
	})
	return f, err
}

// subscribed reports whether the node holds a subscription to topic (not
// merely a publishing handle).
func (g *gossip) subscribed(topic string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	gt, ok := g.topics[topic]
	return ok && gt.sub != nil
}

// TrimConnections closes connections until at most keep peers remain,
// never closing protected peers (bootstrap peers: discovery protects
// them), which are kept even beyond keep. Among the rest it keeps the
// peers with the best gossip scores. It returns how many peers it
// disconnected. Peers may connect again; a connection gater (package
// mobile has one) keeps them out while that matters.
func (n *Node) TrimConnections(keep int) int {
	if n.ctx.Err() != nil {
		return 0
	}
	keep = max(keep, 0)
	cm := n.host.ConnManager()
	peers := n.host.Network().Peers()
	type cand struct {
		id        peer.ID
		protected bool
		score     float64
	}
	cs := make([]cand, 0, len(peers))
	for _, p := range peers {
		cs = append(cs, cand{p, cm.IsProtected(p, ""), n.gossip.peerScore(p)})
	}
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].protected != cs[j].protected {
			return cs[i].protected
		}
		if cs[i].score != cs[j].score {
			return cs[i].score > cs[j].score
		}
		return cs[i].id < cs[j].id
	})
	closed := 0
	for i, c := range cs {
		if i < keep || c.protected {
			continue
		}
		if err := n.host.Network().ClosePeer(c.id); err == nil {
			closed++
		}
	}
	return closed
}

// BootstrapPeers lists the peers the node was told to keep connected
// (WithBootstrap, WithInvite), in the order given.
func (n *Node) BootstrapPeers() []peer.ID {
	var out []peer.ID
	for _, ai := range n.bootstrapInfos() {
		out = append(out, ai.ID)
	}
	return out
}

func (n *Node) bootstrapInfos() []peer.AddrInfo {
	var infos []peer.AddrInfo
	for _, m := range n.cfg.bootstrap { // set by New, never changed after
		if ai, err := peer.AddrInfoFromP2pAddr(m); err == nil {
			infos = append(infos, *ai)
		}
	}
	return mergeAddrInfos(infos, n.host.ID())
}

// Reconnect dials every bootstrap peer that is not connected, now,
// skipping discovery's backoff: call it when the device's connectivity
// comes back. It returns how many bootstrap peers are connected after the
// attempt, and the dial errors joined. Sync sessions follow as for any new
// connection (unless sync on connect is off).
func (n *Node) Reconnect(ctx context.Context) (int, error) {
	if n.ctx.Err() != nil {
		return 0, ErrClosed
	}
	connected := 0
	var errs []error
	for _, ai := range n.bootstrapInfos() {
		if n.host.Network().Connectedness(ai.ID) == network.Connected {
			connected++
			continue
		}
		clearDialBackoff(n.host, ai.ID)
		dctx, cancel := context.WithTimeout(ctx, defaultDialTimeout)
		err := n.host.Connect(dctx, ai)
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("node: reconnect %s: %w", ai.ID, err))
			continue
		}
		connected++
	}
	return connected, errors.Join(errs...)
}
