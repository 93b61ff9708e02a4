package node

import (
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	pbv2 "github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/pb"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/relay"
	"github.com/libp2p/go-libp2p/p2p/protocol/holepunch"
	"github.com/multiformats/go-multiaddr"
)

// NAT traversal (issue 13 item 2, SPEC.md §10.6). In a city every phone is
// behind carrier NAT and most restaurants behind a home router; only the
// coop's relays have public addresses. So:
//
//   - a relay (HostConfig.RelayService, role relay) runs a circuit relay v2
//     service with limits sized for a coop (coopRelayResources), serves
//     AutoNAT (v1 and v2) and believes it is public: an operator who runs
//     a relay gives it a public address;
//   - every other node (HostConfig.EnableRelay) runs the relay client, hole
//     punching (DCUtR) and an AutoNAT v2 client, and keeps a reservation on
//     each of its coop's relays (reserve.go), so that a peer behind another
//     NAT can reach it through the relay and the two can then punch a hole
//     to a direct connection (ConnectPeer).
//
// natStats counts what the relay service and hole punching did, for
// Node.NATStats and package metrics.

// Circuit relay limits of a coop relay. libp2p's defaults (1 h
// reservations, 128 of them, 8 per IP, 32 per ASN; 2 minutes and 128 KiB
// per relayed connection) are meant for signalling between strangers. A
// coop relay serves its own members' devices:
//
//   - up to ~100 restaurants and ~50 couriers plus the customers with an
//     open order: 1024 reservations;
//   - phones of one carrier share a carrier-grade NAT address, and a city
//     has few carriers: 64 reservations per IP, 1024 per ASN;
//   - a relayed connection carries DCUtR, identify and, when hole
//     punching fails (about 30% of NATed pairs), the customer's payment
//     request and catch-up sync (party push waits for a direct link,
//     SPEC.md §10.6): 30 minutes and 4 MiB each way before the relay
//     resets it (the peers then redial; an order's events are a few KiB,
//     a catch-up sync of a day's orders well under 4 MiB). Gossip does not
//     need circuits: the relay is a full node and forwards it itself.
const (
	relayReservationTTL   = time.Hour
	relayMaxReservations  = 1024
	relayMaxCircuits      = 32 // per peer
	relayReservationsIP   = 64
	relayReservationsASN  = 1024
	relayCircuitDuration  = 30 * time.Minute
	relayCircuitData      = 4 << 20
	relayBufferSize       = 4096
	relayLowWater         = 256 // connection manager watermarks of a relay
	relayHighWater        = 1200
	relayMemory           = 256 << 20
	relayFDs              = 4096
	holePunchDirectTimout = 10 * time.Second
)

// coopRelayResources returns the limits above as libp2p's relay resources.
func coopRelayResources() relay.Resources {
	r := relay.DefaultResources()
	r.Limit = &relay.RelayLimit{Duration: relayCircuitDuration, Data: relayCircuitData}
	r.ReservationTTL = relayReservationTTL
	r.MaxReservations = relayMaxReservations
	r.MaxCircuits = relayMaxCircuits
	r.BufferSize = relayBufferSize
	r.MaxReservationsPerIP = relayReservationsIP
	r.MaxReservationsPerASN = relayReservationsASN
	return r
}

// natOptions returns the libp2p options for cfg's NAT traversal role.
func natOptions(cfg HostConfig, st *natStats) []libp2p.Option {
	switch {
	case cfg.RelayService:
		return []libp2p.Option{
			libp2p.EnableRelay(),
			libp2p.EnableRelayService(relay.WithResources(coopRelayResources()), relay.WithMetricsTracer(st)),
			libp2p.ForceReachabilityPublic(), // starts the relay service now
			libp2p.EnableNATService(),
			libp2p.EnableAutoNATv2(),
		}
	case cfg.EnableRelay:
		return []libp2p.Option{
			libp2p.EnableRelay(),
			libp2p.EnableHolePunching(holepunch.WithTracer(st), holepunch.DirectDialTimeout(holePunchDirectTimout)),
			libp2p.EnableAutoNATv2(),
		}
	}
	return []libp2p.Option{libp2p.DisableRelay()}
}

// NATStats are the figures of a node's NAT traversal: as a relay, the
// reservations and circuits it serves; as a client, the reservations it
// holds on relays and its hole punches.
type NATStats struct {
	// Relay service (a relay node).
	RelayReservations        int   `json:"relay_reservations"`         // active reservations served
	RelayReservationsRefused int   `json:"relay_reservations_refused"` // reservation requests refused
	RelayCircuits            int   `json:"relay_circuits"`             // relayed connections open now
	RelayCircuitsTotal       int   `json:"relay_circuits_total"`       // relayed connections opened
	RelayCircuitsRefused     int   `json:"relay_circuits_refused"`     // connection requests refused
	RelayBytes               int64 `json:"relay_bytes"`                // bytes relayed, both ways
	// Relay client (every other node).
	ReservationsHeld  int `json:"reservations_held"` // relays holding a slot for this node
	HolePunchSuccess  int `json:"hole_punch_success"`
	HolePunchFailure  int `json:"hole_punch_failure"`
	DirectDialSuccess int `json:"direct_dial_success"` // direct connections made without punching
}

// natStats implements relay.MetricsTracer and holepunch.EventTracer with
// counters; it logs the outcome of every hole punch.
type natStats struct {
	log *slog.Logger

	reservations, reservationsRefused    atomic.Int64
	circuits, circuitsTotal, circuitsRef atomic.Int64
	bytes                                atomic.Int64
	punchOK, punchFail, directOK         atomic.Int64
	// onPunchFail, if set, is told of every failed hole punch (the node
	// retries later: punchRetry)
	onPunchFail atomic.Pointer[func(peer.ID)]
}

var (
	_ relay.MetricsTracer   = (*natStats)(nil)
	_ holepunch.EventTracer = (*natStats)(nil)
)

func (s *natStats) RelayStatus(enabled bool) {
	s.log.Info("circuit relay service", "enabled", enabled)
}
func (s *natStats) ConnectionOpened()                { s.circuits.Add(1); s.circuitsTotal.Add(1) }
func (s *natStats) ConnectionClosed(d time.Duration) { s.circuits.Add(-1) }
func (s *natStats) ConnectionRequestHandled(st pbv2.Status) {
	if st != pbv2.Status_OK {
		s.circuitsRef.Add(1)
	}
}
func (s *natStats) ReservationAllowed(renewal bool) {
	if !renewal {
		s.reservations.Add(1)
	}
}
func (s *natStats) ReservationClosed(n int) { s.reservations.Add(-int64(n)) }
func (s *natStats) ReservationRequestHandled(st pbv2.Status) {
	if st != pbv2.Status_OK {
		s.reservationsRefused.Add(1)
	}
}
func (s *natStats) BytesTransferred(n int) { s.bytes.Add(int64(n)) }

// Trace implements holepunch.EventTracer: it counts and logs the end of
// every hole punch (and a direct dial that made one unnecessary).
func (s *natStats) Trace(e *holepunch.Event) {
	switch ev := e.Evt.(type) {
	case *holepunch.EndHolePunchEvt:
		if ev.Success {
			s.punchOK.Add(1)
			s.log.Info("hole punch succeeded: direct connection", "peer", e.Remote, "elapsed_ms", ev.EllapsedTime.Milliseconds())
		} else {
			s.punchFail.Add(1)
			s.log.Info("hole punch failed: the link stays relayed", "peer", e.Remote, "elapsed_ms", ev.EllapsedTime.Milliseconds(), "err", ev.Error)
			if f := s.onPunchFail.Load(); f != nil {
				(*f)(e.Remote)
			}
		}
	case *holepunch.DirectDialEvt:
		if ev.Success {
			s.directOK.Add(1)
			s.log.Info("direct dial succeeded: no hole punch needed", "peer", e.Remote, "elapsed_ms", ev.EllapsedTime.Milliseconds())
		}
	}
}

func (s *natStats) snapshot() NATStats {
	return NATStats{
		RelayReservations:        int(s.reservations.Load()),
		RelayReservationsRefused: int(s.reservationsRefused.Load()),
		RelayCircuits:            int(s.circuits.Load()),
		RelayCircuitsTotal:       int(s.circuitsTotal.Load()),
		RelayCircuitsRefused:     int(s.circuitsRef.Load()),
		RelayBytes:               s.bytes.Load(),
		HolePunchSuccess:         int(s.punchOK.Load()),
		HolePunchFailure:         int(s.punchFail.Load()),
		DirectDialSuccess:        int(s.directOK.Load()),
	}
}

// natStatsOf returns the counters of a host NewHost built, or nil.
func natStatsOf(h host.Host) *natStats {
	if g, ok := h.(*gatedHost); ok {
		return g.nat
	}
	return nil
}

// WithNAT turns NAT traversal on (default off; coopnode run and the
// mobile façade turn it on): a relay-role node runs the coop relay service,
// any other node the relay client, hole punching and AutoNAT v2, and keeps
// reservations on its bootstrap peers that are relays (reserve.go).
// Without WithHost only: a host passed WithHost brings its own services
// (build it with HostConfig.EnableRelay); the reservations are kept
// either way.
func WithNAT(on bool) Option { return func(c *config) error { c.nat = on; return nil } }

// WithPortMap asks the home router for a port mapping (UPnP IGD or
// NAT-PMP) so that peers can dial this node directly: worth it for a
// restaurant's desktop node behind a home router, useless on a phone or a
// relay with a public address (default off; coopnode run -portmap).
// Without WithHost only.
func WithPortMap(on bool) Option { return func(c *config) error { c.portMap = on; return nil } }

// withRelayAddrs is the host's address factory under WithNAT: it adds the
// circuit addresses of the relays holding a reservation for this node, so
// identify and invites tell peers how to reach it from behind another NAT.
func (n *Node) withRelayAddrs(addrs []multiaddr.Multiaddr) []multiaddr.Multiaddr {
	for _, a := range n.RelayAddrs() {
		if !slices.ContainsFunc(addrs, a.Equal) {
			addrs = append(addrs, a)
		}
	}
	return addrs
}

// NATStats returns the node's NAT traversal figures (zero for a host not
// built by NewHost).
func (n *Node) NATStats() NATStats {
	var s NATStats
	if st := natStatsOf(n.host); st != nil {
		s = st.snapshot()
	}
	n.rsv.mu.Lock()
	s.ReservationsHeld = len(n.rsv.held)
	n.rsv.mu.Unlock()
	return s
}
