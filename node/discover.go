package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	"github.com/multiformats/go-multiaddr"
)

// ErrBadBootstrap is returned by newDiscovery for a bootstrap address
// without a /p2p/<peer ID> component: without the ID the dialer could not
// authenticate the peer it reaches.
var ErrBadBootstrap = errors.New("node: bad bootstrap address")

// discoveryConfig configures newDiscovery.
type discoveryConfig struct {
	// Coop names the mDNS service ("coopnode-<first 8 hex of the ID>"), so
	// only devices of the same coop answer each other on a LAN.
	Coop crdt.ID
	// Bootstrap addresses must end in /p2p/<peer ID>; several addresses of
	// one peer are dialed together.
	Bootstrap []multiaddr.Multiaddr
	// MDNS enables LAN discovery. Off in tests: mDNS multicasts on every
	// interface.
	MDNS   bool
	Logger *slog.Logger
	// Clock and Rand drive backoff timing and jitter; nil means the wall
	// clock and a fixed 0.5. Rand may be a method of a *math/rand.Rand: calls are
	// serialised here.
	Clock Clock
	Rand  func() float64
	// MinBackoff, MaxBackoff and DialTimeout override the defaults.
	MinBackoff, MaxBackoff, DialTimeout time.Duration

	// newMDNS replaces the mDNS service constructor in tests.
	newMDNS func(h host.Host, serviceName string, n mdns.Notifee) mdns.Service
}

// discovery keeps the node connected: one keeper goroutine per bootstrap
// peer redials it with exponential backoff and jitter whenever it is not
// connected; optional mDNS finds coop devices on the LAN; and every newly
// connected peer, whoever dialed, is reported on connected() so the node
// can sync with it.
type discovery struct {
	h    host.Host
	log  *slog.Logger
	cfg  discoveryConfig
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup

	randMu    sync.Mutex
	closeOnce sync.Once

	sub   event.Subscription
	peers chan peer.ID // see connected

	// wake[p] nudges the keeper of bootstrap peer p when p disconnects.
	wake map[peer.ID]chan struct{}

	// reach follows which bootstrap peers the keepers last reached, so
	// that losing all of them is said once, loudly (see reached).
	reachMu sync.Mutex
	reach   map[peer.ID]bool // peer -> last dial or link state
	tried   map[peer.ID]bool // keepers that finished a first attempt
	warned  bool

	mdns  mdns.Service
	found chan peer.AddrInfo
}

// newDiscovery starts discovery on h; it runs until close or until ctx is
// cancelled.
func newDiscovery(ctx context.Context, h host.Host, cfg discoveryConfig) (*discovery, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	if cfg.Rand == nil {
		cfg.Rand = func() float64 { return 0.5 }
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = defaultMinBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = defaultMaxBackoff
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.MinBackoff)
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = defaultDialTimeout
	}
	if cfg.newMDNS == nil {
		cfg.newMDNS = func(h host.Host, name string, n mdns.Notifee) mdns.Service {
			return mdns.NewMdnsService(h, name, n)
		}
	}

	var boot []peer.AddrInfo
	for _, m := range cfg.Bootstrap {
		ai, err := peer.AddrInfoFromP2pAddr(m)
		if err != nil {
			return nil, fmt.Errorf("%w: %s", ErrBadBootstrap, m)
		}
		boot = append(boot, *ai)
	}
	boot = mergeAddrInfos(boot, h.ID())

	// Subscribe before the first dial so no connection goes unreported.
	sub, err := h.EventBus().Subscribe(new(event.EvtPeerConnectednessChanged))
	if err != nil {
		return nil, fmt.Errorf("node: discovery: subscribe to connectedness: %w", err)
	}
	dctx, stop := context.WithCancel(ctx)
	d := &discovery{
		h:     h,
		log:   cfg.Logger,
		cfg:   cfg,
		ctx:   dctx,
		stop:  stop,
		sub:   sub,
		peers: make(chan peer.ID),
		wake:  make(map[peer.ID]chan struct{}, len(boot)),
		reach: make(map[peer.ID]bool, len(boot)),
		tried: make(map[peer.ID]bool, len(boot)),
	}
	for _, ai := range boot {
		d.wake[ai.ID] = make(chan struct{}, 1)
	}
	d.wg.Add(1)
	go d.watch()
	for _, ai := range boot {
		// The connection manager must not trim the links that keep us in
		// the network.
		h.ConnManager().Protect(ai.ID, "coopnode-bootstrap")
		d.wg.Add(1)
		go d.keep(ai, d.wake[ai.ID])
	}
	if cfg.MDNS {
		d.found = make(chan peer.AddrInfo, mdnsQueue)
		d.mdns = cfg.newMDNS(h, mdnsServiceName(cfg.Coop), mdnsNotifee{d})
		d.wg.Add(1)
		go d.dialFound()
		if err := d.mdns.Start(); err != nil {
			// A phone without Wi-Fi has no multicast interface; the node
			// still works through bootstrap peers.
			d.log.Warn("mdns unavailable", "err", err)
		}
	}
	return d, nil
}

// mdnsServiceName is the coop's mDNS service tag.
func mdnsServiceName(coop crdt.ID) string { return "coopnode-" + coop.Short() }

// mergeAddrInfos groups addresses by peer, dropping ourselves.
func mergeAddrInfos(in []peer.AddrInfo, self peer.ID) []peer.AddrInfo {
	idx := make(map[peer.ID]int, len(in))
	var out []peer.AddrInfo
	for _, ai := range in {
		if ai.ID == self {
			continue
		}
		if i, ok := idx[ai.ID]; ok {
			out[i].Addrs = append(out[i].Addrs, ai.Addrs...)
			continue
		}
		idx[ai.ID] = len(out)
		out = append(out, peer.AddrInfo{ID: ai.ID, Addrs: append([]multiaddr.Multiaddr(nil), ai.Addrs...)})
	}
	return out
}

// connected reports peers as they become connected, each at most once per
// connection. The channel is unbuffered and never closed; discovery queues
// reports (one per peer at most) while the reader is busy, so a slow
// reader delays reports but loses none and never blocks libp2p's event bus.
func (d *discovery) connected() <-chan peer.ID { return d.peers }

// watch follows connectedness events: it queues newly connected peers for
// connected() and wakes the keeper of a bootstrap peer that disconnected.
func (d *discovery) watch() {
	defer d.wg.Done()
	var queue []peer.ID
	queued := make(map[peer.ID]bool)
	for {
		var out chan peer.ID
		var next peer.ID
		if len(queue) > 0 {
			out, next = d.peers, queue[0]
		}
		select {
		case <-d.ctx.Done():
			return
		case out <- next:
			queue = queue[1:]
			delete(queued, next)
		case e, ok := <-d.sub.Out():
			if !ok {
				return
			}
			ev, ok := e.(event.EvtPeerConnectednessChanged)
			if !ok {
				continue
			}
			switch ev.Connectedness {
			case network.Connected:
				if !queued[ev.Peer] {
					queued[ev.Peer] = true
					queue = append(queue, ev.Peer)
				}
			case network.NotConnected:
				if w, ok := d.wake[ev.Peer]; ok {
					select {
					case w <- struct{}{}:
					default:
					}
				}
			}
		}
	}
}

// keep holds the connection to one bootstrap peer: while connected it
// waits for a disconnect; otherwise it dials, and after a failure waits
// backoff(attempt) before the next dial.
func (d *discovery) keep(ai peer.AddrInfo, wake <-chan struct{}) {
	defer d.wg.Done()
	attempt := 0
	for {
		if d.h.Network().Connectedness(ai.ID) == network.Connected {
			attempt = 0
			select {
			case <-wake:
				continue
			case <-d.ctx.Done():
				return
			}
		}
		// Our own backoff replaces the swarm's per-address dial backoff,
		// which would otherwise refuse redials for 5 s and more after the
		// peer went away.
		clearDialBackoff(d.h, ai.ID)
		ctx, cancel := context.WithTimeout(d.ctx, d.cfg.DialTimeout)
		err := d.h.Connect(ctx, ai)
		cancel()
		if d.ctx.Err() != nil {
			return
		}
		d.reached(ai, err)
		if err == nil {
			d.log.Debug("bootstrap connected", "peer", ai.ID)
			continue
		}
		wait := d.backoff(attempt)
		attempt++
		d.log.Debug("bootstrap dial failed", "peer", ai.ID, "attempt", attempt, "retry_in", wait, "err", err)
		t := d.cfg.Clock.NewTimer(wait)
		select {
		case <-t.C():
		case <-d.ctx.Done():
			t.Stop()
			return
		}
	}
}

// reached records the outcome of a dial to bootstrap peer ai. Once every
// keeper has tried and none reaches its peer, it warns: a node whose
// invite went stale (a founder restarted elsewhere) or whose network is
// down would otherwise sit at zero peers saying nothing. It warns again
// only after some bootstrap peer was reached in between.
func (d *discovery) reached(ai peer.AddrInfo, err error) {
	d.reachMu.Lock()
	defer d.reachMu.Unlock()
	d.reach[ai.ID], d.tried[ai.ID] = err == nil, true
	if err == nil {
		if d.warned {
			d.log.Info("bootstrap peer reachable again", "peer", ai.ID)
		}
		d.warned = false
		return
	}
	if d.warned || len(d.tried) < len(d.wake) {
		return
	}
	for _, ok := range d.reach {
		if ok {
			return
		}
	}
	d.warned = true
	addrs := make([]string, 0, len(d.cfg.Bootstrap))
	for _, a := range d.cfg.Bootstrap {
		addrs = append(addrs, a.String())
	}
	d.log.Warn("no bootstrap peer reachable: check the network, or ask for a fresh invite if these addresses changed",
		"bootstrap", addrs, "last_err", err)
}

// backoff returns the wait after the attempt-th consecutive failure
// (attempt 0 is the first): min·2^attempt capped at max, with "equal
// jitter": half of it fixed and half random, so a coop's phones coming out
// of the same tunnel don't redial in lockstep, yet never retry in a hot
// loop.
func (d *discovery) backoff(attempt int) time.Duration {
	base := float64(d.cfg.MinBackoff) * math.Pow(2, float64(min(attempt, 62)))
	base = min(base, float64(d.cfg.MaxBackoff))
	d.randMu.Lock()
	r := d.cfg.Rand()
	d.randMu.Unlock()
	if !(r >= 0 && r < 1) { // also catches NaN
		r = 0.5
	}
	return time.Duration(base/2 + r*base/2)
}

// mdnsNotifee receives mDNS results. The mDNS service calls it on
// goroutines it does not wait for, so it only queues, never blocks.
type mdnsNotifee struct{ d *discovery }

func (n mdnsNotifee) HandlePeerFound(ai peer.AddrInfo) {
	if ai.ID == n.d.h.ID() || n.d.ctx.Err() != nil {
		return
	}
	select {
	case n.d.found <- ai:
	default:
		n.d.log.Debug("mdns queue full, dropping", "peer", ai.ID)
	}
}

// dialFound dials peers found by mDNS, one at a time.
func (d *discovery) dialFound() {
	defer d.wg.Done()
	for {
		select {
		case <-d.ctx.Done():
			return
		case ai := <-d.found:
			if d.h.Network().Connectedness(ai.ID) == network.Connected {
				continue
			}
			ctx, cancel := context.WithTimeout(d.ctx, d.cfg.DialTimeout)
			err := d.h.Connect(ctx, ai)
			cancel()
			if err != nil {
				d.log.Debug("mdns peer dial failed", "peer", ai.ID, "err", err)
			} else {
				d.log.Info("mdns peer connected", "peer", ai.ID)
			}
		}
	}
}

// close stops mDNS and every goroutine discovery started. Idempotent.
func (d *discovery) close() {
	d.closeOnce.Do(func() {
		d.stop()
		if d.mdns != nil {
			_ = d.mdns.Close()
		}
		_ = d.sub.Close()
		d.wg.Wait()
		for p := range d.wake {
			d.h.ConnManager().Unprotect(p, "coopnode-bootstrap")
		}
	})
}

// clearDialBackoff forgets the swarm's dial backoff for p, so that a redial
// goes out now. It replaces network.WithForceDirectDial, which skips the
// backoff too but takes a path in libp2p's swarm (nonProxyAddr, v0.51 and
// v0.52) that dereferences a nil transport when the host closes during
// the dial: a node closed while redialing crashed its process.
func clearDialBackoff(h host.Host, p peer.ID) {
	if s, ok := h.Network().(interface{ Backoff() *swarm.DialBackoff }); ok {
		s.Backoff().Clear(p)
	}
}
