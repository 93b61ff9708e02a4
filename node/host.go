package node

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/libp2p/go-libp2p"
	coreconnmgr "github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
)

// hostConfig configures newHost. The zero value of every field except Key
// picks a sensible default.
type hostConfig struct {
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
	// EnableRelay enables the circuit-relay v2 client transport and hole
	// punching, so a node behind NAT can be reached through a relay. Off by
	// default: without a configured relay it only costs goroutines.
	EnableRelay bool
	// RelayService makes this node a circuit-relay v2 relay for others
	// (meant for a coop's always-on node, never for phones). Implies
	// EnableRelay.
	RelayService bool
	// NATPortMap asks the home router for a port mapping (UPnP/NAT-PMP).
	// Never set it in tests: it talks to the LAN gateway.
	NATPortMap bool
	// Gater, if set, vets every connection (the node's blocklist of peers
	// that fell below the graylist score).
	Gater coreconnmgr.ConnectionGater
}

// ErrNotEd25519 is returned when a key or peer ID is not Ed25519: coopnode
// identities are raw Ed25519 keys (crdt.PubKey), so nothing else can map
// onto them.
var ErrNotEd25519 = errors.New("node: not an Ed25519 key")

// newHost builds the libp2p host: TCP and QUIC transports, the default
// security (TLS and Noise) and muxer (yamux), a connection manager, and a
// resource manager with explicit limits. No metrics are registered, so many
// hosts can live in one process (tests, simulations).
func newHost(cfg hostConfig) (host.Host, error) {
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
	listen := cfg.ListenAddrs
	if listen == nil {
		listen = defaultListenAddrs
	}

	cm, err := connmgr.NewConnManager(low, high, connmgr.WithGracePeriod(grace))
	if err != nil {
		return nil, fmt.Errorf("node: connection manager: %w", err)
	}
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(resourceLimits(high)),
		rcmgr.WithLimitPerSubnet(ipv4SubnetLimits, ipv6SubnetLimits))
	if err != nil {
		_ = cm.Close()
		return nil, fmt.Errorf("node: resource manager: %w", err)
	}

	opts := []libp2p.Option{
		libp2p.Identity(cfg.Key),
		libp2p.ListenAddrStrings(listen...),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Transport(quic.NewTransport),
		libp2p.ConnectionManager(cm),
		libp2p.ResourceManager(rm),
		libp2p.UserAgent("coopnode"),
		// Prometheus registration is process-global; the node exports its
		// own metrics if it ever wants any.
		libp2p.DisableMetrics(),
	}
	if cfg.Gater != nil {
		opts = append(opts, libp2p.ConnectionGater(cfg.Gater))
	}
	if cfg.EnableRelay || cfg.RelayService {
		opts = append(opts, libp2p.EnableRelay(), libp2p.EnableHolePunching())
		if cfg.RelayService {
			opts = append(opts, libp2p.EnableRelayService())
		}
	} else {
		opts = append(opts, libp2p.DisableRelay())
	}
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
	return h, nil
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
func resourceLimits(high int) rcmgr.ConcreteLimitConfig {
	scaling := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&scaling)
	// Below 128 MiB Scale uses the base limits, which are the ones meant
	// for a minimal node.
	base := scaling.Scale(rcmgrMemory, rcmgrFDs)
	conns := 2 * high
	partial := rcmgr.PartialLimitConfig{
		System: rcmgr.ResourceLimits{
			Conns:         rcmgr.LimitVal(conns),
			ConnsInbound:  rcmgr.LimitVal(max(conns/2, 1)),
			ConnsOutbound: rcmgr.LimitVal(conns),
			Memory:        rcmgr.LimitVal64(rcmgrMemory),
			FD:            rcmgr.LimitVal(rcmgrFDs),
		},
		Transient: rcmgr.ResourceLimits{
			Conns:         rcmgr.LimitVal(max(conns/4, 4)),
			ConnsInbound:  rcmgr.LimitVal(max(conns/8, 2)),
			ConnsOutbound: rcmgr.LimitVal(max(conns/4, 4)),
			Memory:        rcmgr.LimitVal64(rcmgrMemory / 4),
			FD:            rcmgr.LimitVal(rcmgrFDs / 4),
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
