package node

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/ping"
	"github.com/multiformats/go-multiaddr"
)

// Seeing the network (issue 13 item 7): who this node is connected to,
// what they are in the coop, and how the link goes.

// Link kinds of PeerInfo.Link.
const (
	LinkDirect  = "direct"
	LinkRelayed = "relayed" // through a circuit relay (a /p2p-circuit address)
)

// peerPingTimeout bounds the ping Peers sends to a peer whose round-trip
// time the peerstore does not know yet.
const peerPingTimeout = 2 * time.Second

// PeerInfo describes one connected peer.
type PeerInfo struct {
	PeerID string `json:"peer_id"`
	// Key is the peer's device key (zero if not Ed25519).
	Key crdt.PubKey `json:"key"`
	// Member reports whether the peer's key is an active member's key or
	// linked device in the coop log; a peer that is not (a customer, a
	// node of another coop, one admitted after this node last synced) is
	// "not a member" to people.
	Member bool `json:"member"`
	// Name is that member's name in the coop log, if it has one.
	Name string `json:"name,omitempty"`
	// Role is that member's roles, comma-separated ("courier,dispatcher");
	// "" when the peer is not a member or holds no role.
	Role string `json:"role"`
	// Link is LinkDirect or LinkRelayed.
	Link string `json:"link"`
	// Transport is "tcp", "quic", "webtransport", "websocket" or the
	// multiaddr's transport protocol (the link to the relay, if relayed).
	Transport string `json:"transport"`
	// Addr is the remote multiaddr of the connection.
	Addr string `json:"addr"`
	// RTTMs is the round-trip time in milliseconds: libp2p's moving
	// average, or one ping; 0 if neither answered.
	RTTMs float64 `json:"rtt_ms"`
}

// Peers lists the connected peers, sorted by peer ID. A direct
// connection is preferred over a relayed one to describe a peer.
func (n *Node) Peers(ctx context.Context) ([]PeerInfo, error) {
	var out []PeerInfo
	for _, p := range n.host.Network().Peers() {
		conns := n.host.Network().ConnsToPeer(p)
		if len(conns) == 0 {
			continue
		}
		c := conns[0]
		for _, cc := range conns {
			if !isRelayed(cc.RemoteMultiaddr()) {
				c = cc
				break
			}
		}
		pi := PeerInfo{PeerID: p.String(), Addr: c.RemoteMultiaddr().String(),
			Link: LinkDirect, Transport: transportOf(c.RemoteMultiaddr())}
		if isRelayed(c.RemoteMultiaddr()) {
			pi.Link = LinkRelayed
		}
		pi.Key, _ = pubKeyFromPeer(p)
		out = append(out, pi)
	}
	slices.SortFunc(out, func(a, b PeerInfo) int { return strings.Compare(a.PeerID, b.PeerID) })
	err := n.do(ctx, func() error {
		c, ok := n.replica.Coop(n.cfg.coop)
		if !ok {
			return nil
		}
		now := n.nowMs()
		for i := range out {
			if m, r := c.Resolve(out[i].Key, now); r == crdt.ReasonOK {
				out[i].Member, out[i].Name = true, m.Name
				out[i].Role = strings.Join(m.RolesAt(now).RoleNames(), ",")
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	n.peerRTTs(ctx, out)
	return out, nil
}

// peerRTTs fills RTTMs from the peerstore's moving average, pinging (at
// once, within peerPingTimeout) the peers it has no figure for.
func (n *Node) peerRTTs(ctx context.Context, peers []PeerInfo) {
	ctx, cancel := context.WithTimeout(ctx, peerPingTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for i := range peers {
		id, err := peer.Decode(peers[i].PeerID)
		if err != nil {
			continue
		}
		if d := n.host.Peerstore().LatencyEWMA(id); d > 0 {
			peers[i].RTTMs = float64(d.Microseconds()) / 1000
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			pctx, stop := context.WithCancel(network.WithAllowLimitedConn(ctx, "peers"))
			defer stop()
			// ping.Ping records the round trip in the peerstore
			if res, ok := <-ping.Ping(pctx, n.host, id); ok && res.Error == nil {
				peers[i].RTTMs = float64(res.RTT.Microseconds()) / 1000
			}
		}()
	}
	wg.Wait()
}

// isRelayed reports whether a goes through a circuit relay.
func isRelayed(a multiaddr.Multiaddr) bool {
	for _, c := range a {
		if c.Code() == multiaddr.P_CIRCUIT {
			return true
		}
	}
	return false
}

// transportOf names the transport of a remote multiaddr (of the hop to the
// relay, for a relayed one).
func transportOf(a multiaddr.Multiaddr) string {
	name := ""
	for _, c := range a {
		switch c.Code() {
		case multiaddr.P_CIRCUIT:
			return name
		case multiaddr.P_TCP:
			name = "tcp"
		case multiaddr.P_UDP:
			if name == "" {
				name = "udp"
			}
		case multiaddr.P_QUIC, multiaddr.P_QUIC_V1:
			name = "quic"
		case multiaddr.P_WEBTRANSPORT:
			name = "webtransport"
		case multiaddr.P_WEBRTC_DIRECT, multiaddr.P_WEBRTC:
			name = "webrtc"
		case multiaddr.P_WS, multiaddr.P_WSS:
			name = "websocket"
		}
	}
	if name == "" {
		return "unknown"
	}
	return name
}
