package node

import (
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Options for benchmarks and experiments (package node/bench). They tune
// or observe the gossip layer without changing what a node does with
// events; production nodes leave them alone.

// WithGossipTracer installs an extra gossipsub RawTracer, for example one
// that sums the size of every RPC the node receives (pubsub-level bytes,
// control traffic included). The tracer's methods run on pubsub's event
// loop and must not block.
func WithGossipTracer(t pubsub.RawTracer) Option {
	return func(c *config) error { c.gossip.Tracer = t; return nil }
}

// WithGossipHeartbeat overrides gossipsub's heartbeat interval (default
// 1 s); zero or negative keeps the default.
func WithGossipHeartbeat(d time.Duration) Option {
	return func(c *config) error { c.gossip.Heartbeat = d; return nil }
}

// WithFloodPublish turns flood publishing of the node's own events on
// (the default, SPEC.md §10.1) or off, to measure what it costs.
func WithFloodPublish(on bool) Option {
	return func(c *config) error { c.gossip.NoFloodPublish = !on; return nil }
}

// WithIDontWantThreshold sets the message size from which gossipsub sends
// IDONTWANT to mesh peers (default 1 KiB; coopnode's events are smaller).
func WithIDontWantThreshold(bytes int) Option {
	return func(c *config) error { c.gossip.IDontWantThreshold = bytes; return nil }
}

// WithPushCounters installs hooks on party push streams (SPEC.md §10.4):
// sent is called with the bytes of each write to a peer, received with
// each event frame read from a peer. Both run on the node's push
// goroutines and must not block.
func WithPushCounters(sent func(to peer.ID, bytes int), received func(from peer.ID, raw []byte)) Option {
	return func(c *config) error { c.pushSent, c.pushRecv = sent, received; return nil }
}

// WithGossipLazy sets gossipsub's D_lazy (non-mesh peers sent IHAVE each
// heartbeat, at least), history_gossip (heartbeats a message is announced
// for) and the gossip factor (share of non-mesh peers sent IHAVE); zero
// keeps coopnode's default (3, 1 and 1.0; SPEC.md §10.1).
func WithGossipLazy(dlazy, historyGossip int, factor float64) Option {
	return func(c *config) error {
		c.gossip.Dlazy, c.gossip.HistoryGossip, c.gossip.GossipFactor = dlazy, historyGossip, factor
		return nil
	}
}
