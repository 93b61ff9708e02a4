package node

import (
	"context"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// limiter is a set of token buckets keyed by strings.
type limiter struct {
	mu    sync.Mutex
	rate  float64
	burst float64
	clock Clock
	m     map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate, burst float64, clock Clock) *limiter {
	return &limiter{rate: rate, burst: burst, clock: clock, m: map[string]*bucket{}}
}

// allow takes one token from key's bucket, reporting whether there was one.
func (l *limiter) allow(key string) bool {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.m[key]
	if !ok {
		if len(l.m) >= maxBuckets {
			l.evictLocked()
		}
		b = &bucket{tokens: l.burst, last: now}
		l.m[key] = b
	}
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = min(l.burst, b.tokens+dt*l.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// evictLocked forgets the least recently used bucket (a full bucket is as
// good as a forgotten one).
func (l *limiter) evictLocked() {
	var oldest string
	var t time.Time
	first := true
	for k, b := range l.m {
		if first || b.last.Before(t) {
			oldest, t, first = k, b.last, false
		}
	}
	delete(l.m, oldest)
}

// blocklist refuses connections from peers that were graylisted. It is the
// host's connection gater.
type blocklist struct {
	mu    sync.Mutex
	until map[peer.ID]time.Time
	clock Clock
}

func newBlocklist(clock Clock) *blocklist {
	return &blocklist{until: map[peer.ID]time.Time{}, clock: clock}
}

func (b *blocklist) block(p peer.ID, d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.until[p] = b.clock.Now().Add(d)
}

func (b *blocklist) blocked(p peer.ID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.until[p]
	if !ok {
		return false
	}
	if b.clock.Now().After(t) {
		delete(b.until, p)
		return false
	}
	return true
}

// watchScores disconnects and blocks peers whose gossip score fell below
// the graylist threshold (SPEC.md §15.2). It runs until the node closes.
func (n *Node) watchScores() {
	defer n.wg.Done()
	t := n.cfg.clock.NewTicker(watchEvery)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C():
			n.reviewScores()
		}
	}
}

// reviewScores is one pass of watchScores.
func (n *Node) reviewScores() {
	for p, s := range n.gossip.peerScores() {
		if s >= graylistThreshold || n.blocks.blocked(p) {
			continue
		}
		n.blocks.block(p, BlockFor)
		_ = n.host.Network().ClosePeer(p)
		n.log.Warn("disconnected a peer below the graylist score", "peer", p, "score", s)
		_ = n.do(context.Background(), func() error { n.stats.PeersBlocked++; return nil })
	}
}

// guardHost makes the host refuse the peers on the node's blocklist and
// watches connections. A host built by NewHost (by New itself, or by
// package mobile and passed WithHost) carries a blockGate, which refuses
// blocked peers before any handshake; any other host (a mocknet peer, say)
// gets the same effect a moment later: a blocked peer's connection is
// closed as soon as it opens. A peer's last connection closing resets its
// graft-sync limit (see graftSync).
func (n *Node) guardHost() {
	if gh, ok := n.host.(*gatedHost); ok {
		gh.gate.blocks.Store(n.blocks)
	}
	n.connNotifee = &network.NotifyBundle{
		ConnectedF: func(_ network.Network, c network.Conn) {
			if n.blocks.blocked(c.RemotePeer()) {
				go c.Close() // not from inside the swarm's notification
			}
		},
		DisconnectedF: func(net network.Network, c network.Conn) {
			if p := c.RemotePeer(); net.Connectedness(p) != network.Connected {
				n.forgetGraft(p)
			}
		},
	}
	n.host.Network().Notify(n.connNotifee)
}
