package node

import (
	"cmp"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/libp2p/go-libp2p"
	coreconnmgr "github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/metrics"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	"github.com/multiformats/go-multiaddr"
)

// HostConfig configures NewHost. The zero value of every field except Key
// picks a sensible default.
type HostConfig struct {
	// Key is the node's Ed25519 device key; its public half is the peer ID
	// and the crdt.PubKey other nodes see (see pubKeyFromPeer).
	Key crypto.PrivKey
	// ListenAddrs are multiaddr strings; nil means defaultListenAddrs. An
	// empty non-nil slice makes a dial-only node.
	ListenAddrs []string
	Logger      *slog.Logger
	// LowWater and HighWater are the connection manager's watermarks.
	LowWater, HighWater int
	// GracePeriod protects new connections from trimming; zero means 20 s.
	GracePeriod time.Duration
	// Memory and FDs are the resource manager's budget; zero means
	// rcmgrMemory and rcmgrFDs (a phone passes less).
	Memory int64
	FDs    int
	// EnableRelay enables NAT traversal for a node that is not a relay:
	// the circuit relay v2 client transport, hole punching (DCUtR) and an
	// AutoNAT v2 client (nat.go). The node keeps reservations on its
	// coop's relays itself (reserve.go). Off by default: tests on loopback
	// need none of it.
	EnableRelay bool
	// RelayService makes this node a coop relay (nat.go): a circuit relay
	// v2 service with coopRelayResources, AutoNAT v1 and v2 service, and
	// a connection budget for many peers unless LowWater, HighWater,
	// Memory or FDs say otherwise. Meant for a coop's always-on node with
	// a public address, never for phones. Implies EnableRelay.
	RelayService bool
	// NATPortMap asks the home router for a port mapping (UPnP/NAT-PMP).
	// Never set it in tests: it talks to the LAN gateway.
	NATPortMap bool
	// Gater, if set, vets every connection after the node's blocklist
	// (which every host NewHost builds carries; see blockGate).
	Gater coreconnmgr.ConnectionGater
	// AddrsFactory, if set, rewrites the addresses the host advertises.
	AddrsFactory func([]multiaddr.Multiaddr) []multiaddr.Multiaddr
	// Announce are external addresses (no /p2p/) the host advertises
	// besides its own; see WithAnnounce.
	Announce []multiaddr.Multiaddr
	// Reporter, if set, counts the host's stream bytes.
	Reporter metrics.Reporter
	// UserAgent is sent by identify; empty means "coopnode".
	UserAgent string
}

// ErrNotEd25519 is returned when a key or peer ID is not Ed25519: coopnode
// identities are raw Ed25519 keys (crdt.PubKey), so nothing else can map
// onto them.
var ErrNotEd25519 = errors.New("node: not an Ed25519 key")

// NewHost builds the libp2p host every coopnode node runs on, its own
// (New without WithHost) or one built for it (package mobile builds a
// phone's host here and passes it WithHost): TCP and QUIC transports, the
// default security (TLS and Noise) and muxer (yamux), a connection
// manager, a resource manager with explicit limits, and a connection gater
// that refuses the peers the node blocks (see blockGate). No metrics are
// registered, so many hosts can live in one process (tests, simulations).
func NewHost(cfg HostConfig) (host.Host, error) {
	if cfg.Key == nil {
		return nil, fmt.Errorf("node: host: missing key: %w", ErrNotEd25519)
	}
	if cfg.Key.Type() != crypto.Ed25519 {
		return nil, fmt.Errorf("node: host key type %v: %w", cfg.Key.Type(), ErrNotEd25519)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.RelayService {
		cfg.LowWater, cfg.HighWater = cmp.Or(cfg.LowWater, relayLowWater), cmp.Or(cfg.HighWater, relayHighWater)
		cfg.Memory, cfg.FDs = cmp.Or(cfg.Memory, relayMemory), cmp.Or(cfg.FDs, relayFDs)
	}
	low, high := cfg.LowWater, cfg.HighWater
	if low <= 0 {
		low = defaultLowWater
	}
	if high <= 0 {
		high = defaultHighWater
	}
	if high < low {
		high = low
	}
	grace := cfg.GracePeriod
	if grace <= 0 {
		grace = defaultGracePeriod
	}
	memory, fds := cfg.Memory, cfg.FDs
	if memory <= 0 {
		memory = rcmgrMemory
	}
	if fds <= 0 {
		fds = rcmgrFDs
	}
	listen := cfg.ListenAddrs
	if listen == nil {
		listen = defaultListenAddrs
	}
	agent := cfg.UserAgent
	if agent == "" {
		agent = "coopnode"
	}

	cm, err := connmgr.NewConnManager(low, high, connmgr.WithGracePeriod(grace))
	if err != nil {
		return nil, fmt.Errorf("node: connection manager: %w", err)
	}
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(resourceLimits(high, memory, fds)),
		rcmgr.WithLimitPerSubnet(ipv4SubnetLimits, ipv6SubnetLimits))
	if err != nil {
		_ = cm.Close()
		return nil, fmt.Errorf("node: resource manager: %w", err)
	}

	gate := &blockGate{next: cfg.Gater}
	opts := []libp2p.Option{
		libp2p.Identity(cfg.Key),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Transport(quic.NewTransport),
		libp2p.ConnectionManager(cm),
		libp2p.ResourceManager(rm),
		libp2p.ConnectionGater(gate),
		libp2p.UserAgent(agent),
		// Prometheus registration is process-global; the node exports its
		// own metrics if it ever wants any.
		libp2p.DisableMetrics(),
	}
	if len(listen) == 0 {
		opts = append(opts, libp2p.NoListenAddrs)
	} else {
		opts = append(opts, libp2p.ListenAddrStrings(listen...))
	}
	if f := announceFactory(cfg.Announce, cfg.AddrsFactory); f != nil {
		opts = append(opts, libp2p.AddrsFactory(f))
	}
	if cfg.Reporter != nil {
		opts = append(opts, libp2p.BandwidthReporter(cfg.Reporter))
	}
	nat := &natStats{log: log}
	opts = append(opts, natOptions(cfg, nat)...)
	if cfg.NATPortMap {
		opts = append(opts, libp2p.NATPortMap())
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		// libp2p closes rm and cm itself when it fails late; both Close
		// methods are idempotent, so closing again here covers early failures.
		_ = rm.Close()
		_ = cm.Close()
		return nil, fmt.Errorf("node: libp2p host: %w", err)
	}
	log.Info("libp2p host up", "peer", h.ID(), "addrs", h.Addrs())
	return &gatedHost{Host: h, gate: gate, nat: nat}, nil
}

// gatedHost is a host built by NewHost: New finds its blockGate there and
// hands it the node's blocklist, whether the node built the host itself
// or was given it WithHost.
type gatedHost struct {
	host.Host
	gate *blockGate
	nat  *natStats // relay service and hole punching counters (nat.go)
}

// blockGate is the connection gater of every host NewHost builds: it
// refuses peers on the node's blocklist (set once the node starts; until
// then it blocks nobody), then asks the builder's own gater, if any.
type blockGate struct {
	blocks atomic.Pointer[blocklist]
	next   coreconnmgr.ConnectionGater
}

var _ coreconnmgr.ConnectionGater = (*blockGate)(nil)

func (g *blockGate) blocked(p peer.ID) bool {
	b := g.blocks.Load()
	return b != nil && b.blocked(p)
}

func (g *blockGate) InterceptPeerDial(p peer.ID) bool {
	return !g.blocked(p) && (g.next == nil || g.next.InterceptPeerDial(p))
}

func (g *blockGate) InterceptAddrDial(p peer.ID, a multiaddr.Multiaddr) bool {
	return !g.blocked(p) && (g.next == nil || g.next.InterceptAddrDial(p, a))
}

func (g *blockGate) InterceptAccept(c network.ConnMultiaddrs) bool {
	return g.next == nil || g.next.InterceptAccept(c)
}

func (g *blockGate) InterceptSecured(d network.Direction, p peer.ID, c network.ConnMultiaddrs) bool {
	return !g.blocked(p) && (g.next == nil || g.next.InterceptSecured(d, p, c))
}

func (g *blockGate) InterceptUpgraded(c network.Conn) (bool, control.DisconnectReason) {
	if g.blocked(c.RemotePeer()) {
		return false, 0
	}
	if g.next == nil {
		return true, 0
	}
	return g.next.InterceptUpgraded(c)
}

// resourceLimits returns the resource manager's limits: libp2p's base
// (minimal-node) limits plus its bundled-service limits, scaled for
// rcmgrMemory and rcmgrFDs, then with system-wide connection counts tied
// to the connection manager's high watermark. The resource manager must
// allow more connections than the connection manager's high watermark,
// otherwise the manager never gets to pick which connections to trim and
// new connections are refused instead; twice the high watermark leaves
// room for bursts (a restaurant opening, a shift change) while bounding
// memory.
//
// Resulting budget for high=64: system 128 connections (64 inbound),
// 64 MiB, 256 FDs; transient (not yet attached to a peer) 32 connections
// and 16 MiB; per peer libp2p's defaults (8 connections, 512 streams).
func resourceLimits(high int, memory int64, fds int) rcmgr.ConcreteLimitConfig {
	scaling := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&scaling)
	// Below 128 MiB Scale uses the base limits, which are the ones meant
	// for a minimal node.
	base := scaling.Scale(memory, fds)
	conns := 2 * high
	partial := rcmgr.PartialLimitConfig{
		System: rcmgr.ResourceLimits{
			Conns:         rcmgr.LimitVal(conns),
			ConnsInbound:  rcmgr.LimitVal(max(conns/2, 1)),
			ConnsOutbound: rcmgr.LimitVal(conns),
			Memory:        rcmgr.LimitVal64(memory),
			FD:            rcmgr.LimitVal(fds),
		},
		Transient: rcmgr.ResourceLimits{
			Conns:         rcmgr.LimitVal(max(conns/4, 4)),
			ConnsInbound:  rcmgr.LimitVal(max(conns/8, 2)),
			ConnsOutbound: rcmgr.LimitVal(max(conns/4, 4)),
			Memory:        rcmgr.LimitVal64(memory / 4),
			FD:            rcmgr.LimitVal(fds / 4),
		},
	}
	return partial.Build(base)
}

// libp2pKey converts a device's Ed25519 private key to a libp2p key. The
// peer ID derived from it embeds the public key, which is what lets
// pubKeyFromPeer recover a crdt.PubKey from any connected peer.
func libp2pKey(priv ed25519.PrivateKey) (crypto.PrivKey, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("node: private key is %d bytes: %w", len(priv), ErrNotEd25519)
	}
	k, err := crypto.UnmarshalEd25519PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("node: %w: %w", ErrNotEd25519, err)
	}
	return k, nil
}

// pubKeyFromPeer returns the Ed25519 public key embedded in an Ed25519 peer
// ID (libp2p inlines keys of up to 42 bytes with the identity multihash).
func pubKeyFromPeer(id peer.ID) (crdt.PubKey, error) {
	var pk crdt.PubKey
	k, err := id.ExtractPublicKey()
	if err != nil {
		return pk, fmt.Errorf("node: peer %s: %w: %w", id, ErrNotEd25519, err)
	}
	if k.Type() != crypto.Ed25519 {
		return pk, fmt.Errorf("node: peer %s key type %v: %w", id, k.Type(), ErrNotEd25519)
	}
	raw, err := k.Raw()
	if err != nil || len(raw) != len(pk) {
		return pk, fmt.Errorf("node: peer %s: %w", id, ErrNotEd25519)
	}
	copy(pk[:], raw)
	return pk, nil
}

// peerFromPubKey is the inverse of pubKeyFromPeer: the peer ID of the device
// whose key is pk, so the node can dial or score a device it knows only
// from events.
func peerFromPubKey(pk crdt.PubKey) (peer.ID, error) {
	k, err := crypto.UnmarshalEd25519PublicKey(pk[:])
	if err != nil {
		return "", fmt.Errorf("node: %w: %w", ErrNotEd25519, err)
	}
	id, err := peer.IDFromPublicKey(k)
	if err != nil {
		return "", fmt.Errorf("node: %w: %w", ErrNotEd25519, err)
	}
	return id, nil
}
