package node

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/client"
	pbv2 "github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/pb"
	"github.com/multiformats/go-multiaddr"
	mss "github.com/multiformats/go-multistream"
)

// Relay reservations (SPEC.md §10.6). A node behind NAT can be reached
// only through a relay that holds a reservation for it. Every bootstrap
// peer (from the invite, the saved join, -bootstrap) is a relay
// candidate: one keeper goroutine per candidate reserves a slot, renews
// it before it expires, and reserves again after the relay drops it.
//
// Why not libp2p's AutoRelay: it reserves only once AutoNAT has decided
// the node is private, which with a coop's one or two relays as the only
// AutoNAT servers takes 15 s at best and often never happens (a NATed
// node's dial-back request carries only private addresses, which the
// server refuses to dial); it waits 3 minutes for more candidates when a
// static relay is not one; and it says nothing when a relay refuses. A
// reservation costs the relay a few hundred bytes and the node a stream
// an hour on a connection it keeps anyway (the relay is a bootstrap
// peer), so the keeper simply reserves, and logs what goes wrong once
// per change: unreachable relay, refused reservation (with the relay's
// status), or back to held.

// Reservation keeper timing.
const (
	reserveTimeout    = 20 * time.Second
	reserveMinBackoff = 2 * time.Second
	reserveMaxBackoff = 5 * time.Minute
	// reserveRenewBefore: renew this long before the reservation expires.
	reserveRenewBefore = 2 * time.Minute
)

// relayState is what a keeper last saw of its relay.
type relayState string

const (
	relayHeld        relayState = "held"
	relayUnreachable relayState = "unreachable"
	relayRefused     relayState = "refused"
	relayNotRelay    relayState = "not a relay"
)

// reservations holds the keepers' shared state.
type reservations struct {
	mu    sync.Mutex
	on    bool                              // startReservations ran
	held  map[peer.ID][]multiaddr.Multiaddr // relay -> its addresses (no /p2p/) while a reservation is held
	state map[peer.ID]relayState
	// wake[p] nudges p's keeper when the node loses its connection to p
	wake map[peer.ID]chan struct{}
	// punch[p]: hole punch retries made for p; negative while one is scheduled
	punch map[peer.ID]int
}

// startReservations starts a keeper for every bootstrap peer (see above)
// and the watcher that wakes a keeper when its relay's connection drops.
// It runs only with WithNAT on a node that is not a relay.
func (n *Node) startReservations() error {
	r := &n.rsv
	r.mu.Lock()
	r.on = true
	r.held, r.state, r.wake = map[peer.ID][]multiaddr.Multiaddr{}, map[peer.ID]relayState{}, map[peer.ID]chan struct{}{}
	r.mu.Unlock()
	sub, err := n.host.EventBus().Subscribe(new(event.EvtPeerConnectednessChanged))
	if err != nil {
		return fmt.Errorf("node: reservations: %w", err)
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		defer sub.Close()
		for {
			select {
			case <-n.ctx.Done():
				return
			case e, ok := <-sub.Out():
				if !ok {
					return
				}
				ev := e.(event.EvtPeerConnectednessChanged)
				if ev.Connectedness != network.NotConnected {
					continue
				}
				r.mu.Lock()
				if c := r.wake[ev.Peer]; c != nil {
					select {
					case c <- struct{}{}:
					default:
					}
				}
				r.mu.Unlock()
			}
		}
	}()
	n.addRelayCandidates(n.cfg.bootstrap)
	return nil
}

// addRelayCandidates starts a keeper for each peer of addrs that has none
// yet (a no-op without WithNAT or on a relay).
func (n *Node) addRelayCandidates(addrs []multiaddr.Multiaddr) {
	var cands []peer.AddrInfo
	for _, m := range addrs {
		ai, err := peer.AddrInfoFromP2pAddr(m)
		if err != nil || ai.ID == n.host.ID() || isRelayed(m) {
			continue
		}
		cands = mergeAddrInfos(append(cands, *ai), n.host.ID())
	}
	r := &n.rsv
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.on || n.ctx.Err() != nil {
		return
	}
	for _, ai := range cands {
		if r.wake[ai.ID] != nil {
			continue
		}
		wake := make(chan struct{}, 1)
		r.wake[ai.ID] = wake
		n.wg.Add(1) // the node's other goroutines hold the count above zero until Close
		go n.keepReservation(ai, wake)
	}
}

// keepReservation is the keeper of one relay candidate.
func (n *Node) keepReservation(ai peer.AddrInfo, wake <-chan struct{}) {
	defer n.wg.Done()
	attempt := 0
	for n.ctx.Err() == nil {
		ctx, cancel := context.WithTimeout(n.ctx, reserveTimeout)
		rsv, err := client.Reserve(ctx, n.host, ai)
		cancel()
		var wait time.Duration
		if err == nil {
			attempt = 0
			n.setRelayState(ai, relayHeld, nil, rsv)
			wait = max(time.Until(rsv.Expiration)-reserveRenewBefore, reserveMinBackoff)
		} else {
			if n.ctx.Err() != nil {
				return
			}
			st := classifyReserveError(err)
			n.setRelayState(ai, st, err, nil)
			if st == relayNotRelay {
				return // a bootstrap peer that is not a relay: nothing to keep
			}
			wait = min(reserveMinBackoff<<min(attempt, 10), reserveMaxBackoff)
			attempt++
		}
		t := n.cfg.clock.NewTimer(wait)
		select {
		case <-n.ctx.Done():
			t.Stop()
			return
		case <-t.C():
		case <-wake:
			// the connection to the relay dropped, and the reservation with it
			t.Stop()
			if err == nil {
				n.setRelayState(ai, relayUnreachable, errors.New("connection to the relay lost"), nil)
			}
		}
	}
}

// classifyReserveError tells a relay that refused (its status code) from
// one that could not be reached and from a peer that is no relay.
func classifyReserveError(err error) relayState {
	var re client.ReservationError
	if errors.As(err, &re) && re.Status != pbv2.Status_CONNECTION_FAILED {
		return relayRefused
	}
	if errors.As(err, new(mss.ErrNotSupported[protocol.ID])) {
		return relayNotRelay
	}
	return relayUnreachable
}

// setRelayState records a keeper's outcome and logs it when it changed:
// one line per change, so an unreachable or refusing relay is said once,
// not at every retry.
func (n *Node) setRelayState(ai peer.AddrInfo, st relayState, err error, rsv *client.Reservation) {
	r := &n.rsv
	r.mu.Lock()
	prev := r.state[ai.ID]
	r.state[ai.ID] = st
	if st == relayHeld {
		addrs := slices.Clone(ai.Addrs)
		for _, a := range rsv.Addrs {
			a, _ = peer.SplitAddr(a)
			if a != nil && !slices.ContainsFunc(addrs, a.Equal) {
				addrs = append(addrs, a)
			}
		}
		r.held[ai.ID] = addrs
	} else {
		delete(r.held, ai.ID)
	}
	r.mu.Unlock()
	if prev == st {
		return
	}
	switch st {
	case relayHeld:
		n.log.Info("relay reservation held: peers behind other NATs can reach this node through the relay",
			"relay", ai.ID, "expires", rsv.Expiration.UTC().Format(time.RFC3339))
	case relayRefused:
		var re client.ReservationError
		errors.As(err, &re)
		n.log.Warn("relay refused a reservation: peers behind other NATs cannot reach this node through it; the node keeps its other links and retries",
			"relay", ai.ID, "status", re.Status.String())
	case relayUnreachable:
		n.log.Warn("relay unreachable: no reservation on it for now; the node keeps its other links and retries",
			"relay", ai.ID, "err", err)
	case relayNotRelay:
		n.log.Debug("bootstrap peer runs no circuit relay", "peer", ai.ID)
	}
}

// RelayAddrs returns the circuit addresses (ending in /p2p-circuit, no
// own peer ID) through which this node is reachable now: one per address
// of each relay that holds a reservation for it.
func (n *Node) RelayAddrs() []multiaddr.Multiaddr {
	r := &n.rsv
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []multiaddr.Multiaddr
	for id, addrs := range r.held {
		for _, a := range addrs {
			out = append(out, a.Encapsulate(multiaddr.StringCast("/p2p/"+id.String()+"/p2p-circuit")))
		}
	}
	slices.SortFunc(out, func(a, b multiaddr.Multiaddr) int { return a.Compare(b) })
	return out
}

// knownRelays returns the relays holding a reservation for this node now,
// with their addresses.
func (n *Node) knownRelays() []peer.AddrInfo {
	r := &n.rsv
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []peer.AddrInfo
	for id, addrs := range r.held {
		out = append(out, peer.AddrInfo{ID: id, Addrs: slices.Clone(addrs)})
	}
	slices.SortFunc(out, func(a, b peer.AddrInfo) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// ErrUnreachablePeer is returned by ConnectPeer when neither the peer's
// known addresses nor any coop relay reached it.
var ErrUnreachablePeer = errors.New("node: peer unreachable")

// ConnectPeer connects to a peer known only by its ID, such as an order's
// party: through the addresses the peerstore knows, and through every
// coop relay this node holds a reservation on (a peer of the same coop
// behind NAT keeps one there too). A connection through a relay is
// limited (SPEC.md §10.6): hole punching then tries to replace it with a
// direct one, which ConnectPeer does not wait for.
func (n *Node) ConnectPeer(ctx context.Context, id peer.ID) error {
	if id == n.host.ID() {
		return fmt.Errorf("%w: %s is this node", ErrBadArgument, id)
	}
	if n.host.Network().Connectedness(id) == network.Connected {
		return nil
	}
	ai := peer.AddrInfo{ID: id, Addrs: n.host.Peerstore().Addrs(id)}
	for _, rl := range n.knownRelays() {
		if rl.ID == id {
			continue
		}
		for _, a := range rl.Addrs {
			ai.Addrs = append(ai.Addrs, a.Encapsulate(multiaddr.StringCast("/p2p/"+rl.ID.String()+"/p2p-circuit")))
		}
	}
	if len(ai.Addrs) == 0 {
		return fmt.Errorf("%w: %s: no known address and no relay reservation", ErrUnreachablePeer, id)
	}
	ctx = network.WithAllowLimitedConn(ctx, "connect a peer through a coop relay; hole punching follows")
	if err := n.host.Connect(ctx, ai); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrUnreachablePeer, id, err)
	}
	if !n.cfg.noConnSync && n.host.Network().Connectedness(id) == network.Connected {
		n.requestSync(id)
	}
	if n.dialedRelayed(id) {
		// The peer behind NAT starts hole punching when the relayed
		// connection arrives, but only once its host knows a public
		// address of its own: a connection that came earlier is never
		// punched, and no failure ever triggers a retry. A link still
		// relayed after punchNoStart counts as a failed punch.
		n.cfg.clock.AfterFunc(punchNoStart, func() {
			if n.ctx.Err() == nil && n.dialedRelayed(id) {
				n.punchFailed(id)
			}
		})
	}
	return nil
}

// Hole punch retries. DCUtR makes three attempts right after a relayed
// connection opens and then gives up, leaving the link relayed for good.
// A busy machine or a NAT mapping that was not ready yet can fail all
// three; a later attempt often succeeds. So the node that dialed the
// relayed connection (it knows the circuit) retries: after punchRetryMin,
// doubling up to punchRetryMax, it closes the relayed connection and
// dials through the relay again, which makes the peer behind NAT start a
// new hole punch. It stops once the link is direct or the peer is gone;
// behind a symmetric NAT it keeps retrying at punchRetryMax.
const (
	punchRetryMin = 2 * time.Second
	punchRetryMax = 10 * time.Minute
	punchNoStart  = 20 * time.Second // DCUtR makes 3 attempts, up to ~5 s each
)

// punchFailed is natStats' onPunchFail hook.
func (n *Node) punchFailed(p peer.ID) {
	if n.ctx.Err() != nil || !n.dialedRelayed(p) {
		return
	}
	r := &n.rsv
	r.mu.Lock()
	if r.punch == nil {
		r.punch = map[peer.ID]int{}
	}
	k := r.punch[p]
	if k < 0 { // a retry is already scheduled
		r.mu.Unlock()
		return
	}
	r.punch[p] = -(k + 1)
	r.mu.Unlock()
	wait := min(punchRetryMin<<min(k, 20), punchRetryMax)
	n.cfg.clock.AfterFunc(wait, func() { n.retryPunch(p, k+1) })
}

// dialedRelayed reports whether this node has only limited (relayed)
// connections to p and dialed one of them.
func (n *Node) dialedRelayed(p peer.ID) bool {
	out := false
	for _, c := range n.host.Network().ConnsToPeer(p) {
		if !c.Stat().Limited {
			return false
		}
		out = out || c.Stat().Direction == network.DirOutbound
	}
	return out
}

func (n *Node) retryPunch(p peer.ID, attempt int) {
	r := &n.rsv
	r.mu.Lock()
	r.punch[p] = attempt
	r.mu.Unlock()
	if n.ctx.Err() != nil || !n.dialedRelayed(p) {
		return
	}
	n.log.Info("hole punch: dialing the peer through the relay again", "peer", p, "retry", attempt)
	for _, c := range n.host.Network().ConnsToPeer(p) {
		_ = c.Close()
	}
	ctx, cancel := context.WithTimeout(n.ctx, reserveTimeout)
	defer cancel()
	if err := n.ConnectPeer(ctx, p); err != nil {
		n.log.Info("hole punch retry: the peer is no longer reachable through the relay", "peer", p, "err", err)
	}
}
