package mobile

import (
	"crypto/ed25519"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/metrics"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"

	"github.com/coopnode/coopnode/node"
)

// The phone's libp2p host. package node builds every node's host
// (node.NewHost: transports, budgets, and the gater that refuses the peers
// the node blocks); a phone needs three more things, so the façade builds
// its host there with them and hands it to node.New (node.WithHost):
//
//   - a connection gater that the app's connectivity and power state
//     drive: offline it refuses every dial and every inbound connection
//     (no radio wake-ups for nothing), and in low-power mode it refuses
//     new connections beyond a small cap;
//   - an address factory fed by the app: Android 11+ forbids listing
//     network interfaces, so libp2p would advertise only loopback;
//   - a traffic counter (stream payload bytes, every transport), shown
//     in Status.

// Resource budget of a phone's host: a quarter of a server node's.
const (
	phoneMemory = 32 << 20
	phoneFDs    = 128
)

// gater is the host's connection gater (see above).
type gater struct {
	h atomic.Pointer[host.Host]

	mu       sync.Mutex
	offline  bool
	cap      int // peers allowed before new non-protected ones are refused
	injected []net.IP
}

var _ connmgr.ConnectionGater = (*gater)(nil)

func (g *gater) set(offline bool, cap int) {
	g.mu.Lock()
	g.offline, g.cap = offline, cap
	g.mu.Unlock()
}

func (g *gater) isOffline() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.offline
}

func (g *gater) setAddrs(ips []net.IP) {
	g.mu.Lock()
	g.injected = append([]net.IP(nil), ips...)
	g.mu.Unlock()
}

func (g *gater) addrs() []net.IP {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.injected
}

// full reports whether a new connection to p would exceed the cap.
// Protected (bootstrap) peers and peers already connected always pass.
func (g *gater) full(p peer.ID) bool {
	hp := g.h.Load()
	if hp == nil {
		return false
	}
	h := *hp
	g.mu.Lock()
	limit := g.cap
	g.mu.Unlock()
	if limit <= 0 || h.Network().Connectedness(p) == network.Connected || h.ConnManager().IsProtected(p, "") {
		return false
	}
	return len(h.Network().Peers()) >= limit
}

func (g *gater) InterceptPeerDial(p peer.ID) bool             { return !g.isOffline() && !g.full(p) }
func (g *gater) InterceptAddrDial(peer.ID, ma.Multiaddr) bool { return !g.isOffline() }
func (g *gater) InterceptAccept(network.ConnMultiaddrs) bool  { return !g.isOffline() }
func (g *gater) InterceptSecured(dir network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	if g.isOffline() {
		return false
	}
	return dir == network.DirOutbound || !g.full(p)
}
func (g *gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) {
	return !g.isOffline(), 0
}

// addrsFactory rewrites the host's advertised addresses with the ones the
// app injected (see advertised).
func (g *gater) addrsFactory(computed []ma.Multiaddr) []ma.Multiaddr {
	hp := g.h.Load()
	ips := g.addrs()
	if hp == nil || len(ips) == 0 {
		return computed
	}
	return advertised(computed, (*hp).Network().ListenAddresses(), ips)
}

// advertised is the address factory's pure core. With injected IPs, every
// listen address on an unspecified IP (0.0.0.0, ::) is advertised once per
// injected IP of the same family, with the bound port; loopback addresses
// libp2p found by itself are dropped (on Android 11+ they are all it finds)
// and other addresses it found are kept.
func advertised(computed, listen []ma.Multiaddr, injected []net.IP) []ma.Multiaddr {
	var out []ma.Multiaddr
	seen := map[string]bool{}
	add := func(a ma.Multiaddr) {
		if k := string(a.Bytes()); !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	for _, l := range listen {
		if !manet.IsIPUnspecified(l) {
			continue
		}
		first, rest := ma.SplitFirst(l)
		if first == nil {
			continue
		}
		v4 := first.Code() == ma.P_IP4
		for _, ip := range injected {
			if (ip.To4() != nil) != v4 || ip.IsLoopback() || ip.IsUnspecified() {
				continue
			}
			ipma, err := manet.FromIP(ip)
			if err != nil {
				continue
			}
			add(ipma.Encapsulate(rest))
		}
	}
	injectedAny := len(out) > 0
	for _, a := range computed {
		if manet.IsIPLoopback(a) && injectedAny {
			continue
		}
		add(a)
	}
	return out
}

// traffic counts the host's stream bytes exactly. It is a libp2p
// metrics.Reporter, hooked with libp2p.BandwidthReporter like libp2p's own
// metrics.BandwidthCounter; that counter's totals are sampled by a
// once-a-second sweeper (go-flow-metrics), so they lag and are useless for
// per-action figures, and its sweeper goroutine never stops. This one adds
// with atomics, keeps a per-protocol breakdown (the benchmark prints it),
// and starts no goroutine.
type traffic struct {
	in, out atomic.Int64
	mu      sync.Mutex
	byProto map[protocol.ID]*metrics.Stats
}

var _ metrics.Reporter = (*traffic)(nil)

func newTraffic() *traffic { return &traffic{byProto: map[protocol.ID]*metrics.Stats{}} }

func (t *traffic) LogSentMessage(n int64) { t.out.Add(n) }
func (t *traffic) LogRecvMessage(n int64) { t.in.Add(n) }
func (t *traffic) LogSentMessageStream(n int64, p protocol.ID, _ peer.ID) {
	t.mu.Lock()
	t.proto(p).TotalOut += n
	t.mu.Unlock()
}
func (t *traffic) LogRecvMessageStream(n int64, p protocol.ID, _ peer.ID) {
	t.mu.Lock()
	t.proto(p).TotalIn += n
	t.mu.Unlock()
}

func (t *traffic) proto(p protocol.ID) *metrics.Stats {
	s := t.byProto[p]
	if s == nil {
		s = &metrics.Stats{}
		t.byProto[p] = s
	}
	return s
}

func (t *traffic) GetBandwidthForPeer(peer.ID) metrics.Stats { return metrics.Stats{} }
func (t *traffic) GetBandwidthForProtocol(p protocol.ID) metrics.Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.byProto[p]; s != nil {
		return *s
	}
	return metrics.Stats{}
}
func (t *traffic) GetBandwidthTotals() metrics.Stats {
	return metrics.Stats{TotalIn: t.in.Load(), TotalOut: t.out.Load()}
}
func (t *traffic) GetBandwidthByPeer() map[peer.ID]metrics.Stats { return map[peer.ID]metrics.Stats{} }
func (t *traffic) GetBandwidthByProtocol() map[protocol.ID]metrics.Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[protocol.ID]metrics.Stats, len(t.byProto))
	for p, s := range t.byProto {
		out[p] = *s
	}
	return out
}
func (t *traffic) Reset()               {}
func (t *traffic) TrimIdle(_ time.Time) {}

// trafficView is the "traffic" object of Status: libp2p stream payload
// bytes over every transport since Start. Security handshakes, stream
// multiplexing and TCP/UDP headers come on top (the benchmark measures
// them too, see bench_test.go).
type trafficView struct {
	BytesIn  int64 `json:"bytes_in"`
	BytesOut int64 `json:"bytes_out"`
}

func (t *traffic) view() trafficView {
	return trafficView{BytesIn: t.in.Load(), BytesOut: t.out.Load()}
}

// newPhoneHost builds the host described at the top of this file with
// node.NewHost, the construction every node shares (so the phone's host
// refuses the peers its node blocks, like any node's), adding the phone's
// gater, address factory, traffic counter and smaller budget.
func newPhoneHost(key ed25519.PrivateKey, cfg *config, g *gater, t *traffic) (host.Host, error) {
	sk, err := crypto.UnmarshalEd25519PrivateKey(key)
	if err != nil {
		return nil, errorf(errInternal, "device key: %v", err)
	}
	h, err := node.NewHost(node.HostConfig{
		Key:          sk,
		ListenAddrs:  append([]string{}, cfg.Listen...), // none: dial only
		LowWater:     cfg.MaxPeers,
		HighWater:    cfg.MaxPeers + max(4, cfg.MaxPeers/2),
		Memory:       phoneMemory,
		FDs:          phoneFDs,
		Gater:        g,
		AddrsFactory: g.addrsFactory,
		Reporter:     t,
		UserAgent:    "coopnode-mobile",
		// a phone behind carrier NAT is reached through the coop's relay,
		// then directly once hole punching succeeds (SPEC.md §10.6)
		EnableRelay: !cfg.NoNAT,
	})
	if err != nil {
		return nil, errorf(errInternal, "%v", err)
	}
	g.h.Store(&h)
	// A dial that passed the gater just before the phone went offline
	// completes after closeAll: close such a connection as it arrives, so
	// an offline phone keeps no link (a party's node dials the holder
	// courier, SPEC.md §10.8).
	h.Network().Notify(&network.NotifyBundle{ConnectedF: func(_ network.Network, c network.Conn) {
		if g.isOffline() {
			go c.Close()
		}
	}})
	return h, nil
}
