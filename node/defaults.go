package node

import (
	"time"

	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
)

// Every default of package node, in one place: timings, queue lengths,
// rate limits, connection and resource budgets, gossip degrees. Protocol
// limits that peers must agree on are not defaults; they live in package
// protocol with their SPEC.md sections. Options of New override some of
// these (named next to each).

// Periodic work.
const (
	// defaultSyncInterval is the anti-entropy period: every interval the
	// node syncs with a random connected peer (WithSyncInterval).
	defaultSyncInterval = 30 * time.Second
	// graftSyncEvery limits the sync session started when a peer joins one
	// of our meshes to one per peer per interval, so that a leaf pruned and
	// re-grafted does not cost a session every time (SPEC.md §8.6.3).
	graftSyncEvery = time.Minute
	// gapWait is how long an event may wait for its parents before the node
	// asks the sender for them by sync (two gossip heartbeats).
	gapWait = 2 * time.Second
	// watchEvery is how often peer scores are reviewed.
	watchEvery = 2 * time.Second
)

// Sync sessions (SPEC.md §8.6; the wire limits are protocol/syncwire's).
const (
	// syncTimeout bounds one session, either side.
	syncTimeout = 30 * time.Second
	// sinceMarginMs is subtracted from the last sync's time for the Hello's
	// Since hint, so clock skew and late events are still covered.
	sinceMarginMs = 5 * 60_000
	// frameEventBytes flushes an Events frame past this many event bytes.
	frameEventBytes = 1 << 20
)

// Archival (archive.go, SPEC.md §4.5).
const (
	// defaultArchiveEvery is how often the loop archives orders past the
	// horizon and deletes what is past retention (WithArchiveInterval).
	defaultArchiveEvery = time.Hour
	// archiveGrace: an order is archived this long after it passes the
	// horizon, so a peer whose clock runs behind ours has stopped
	// offering it to sync (SPEC.md §4.5 rule 3) by then.
	archiveGrace = time.Hour
	// archiveBatchOps bounds the writes of one archival batch (each
	// order's writes stay in one batch).
	archiveBatchOps = 4096
	// coldCacheMax bounds the archived orders' states kept folded in
	// memory (a restaurant's month is about 900 orders).
	coldCacheMax = 2048
	// compactAfter: archival writes (about five per archived event)
	// after which the key ranges archival touches are compacted, so
	// replay no longer steps over the deleted keys.
	compactAfter = 40_000
)

// Replay and caches.
const (
	// replayChunk is how many stored events replay decodes and verifies at
	// once: signatures are checked in batches (protocol.DecodeBatch), which
	// costs about half as much per event as checking them one by one.
	replayChunk = 256
	// verifiedCacheMax bounds the events the gossip validator remembers as
	// verified for the loop (verified.go).
	verifiedCacheMax = 4096
)

// Party push (SPEC.md §10.4, push.go).
const (
	// pushQueueLen is how many frames may wait for one peer. Beyond that
	// frames are dropped and sync repairs (the peer is slow or gone).
	pushQueueLen = 256
	// pushJobQueueLen bounds the jobs waiting for the pusher goroutine.
	pushJobQueueLen = 1024
	// pushOpenTimeout bounds opening a push stream.
	pushOpenTimeout = 10 * time.Second
	// pushWriteTimeout bounds one write: a peer that stops reading loses
	// its stream rather than holding a goroutine.
	pushWriteTimeout = 10 * time.Second
	// pushIdle closes a push stream that carried nothing for this long.
	pushIdle = 5 * time.Minute
	// pushGapWait replaces gapWait for a pushed event that waits for its
	// parents: one sender pushes an order's events in order, so a gap
	// means a lost frame (a stream that broke with churn), not a parent
	// still on its way through the mesh (SPEC.md §10.4).
	pushGapWait = 300 * time.Millisecond
)

// Party links (SPEC.md §10.8, partylinks.go).
const (
	// partyCheckShort and partyCheckIdle space the keeper's checks while
	// links are missing and when not; it also checks at once when the
	// wants or the connections change.
	partyCheckShort = time.Second
	partyCheckIdle  = 10 * time.Second
	// partyDialTimeout bounds a round of look-ups and dials.
	partyDialTimeout = 10 * time.Second
	// A party that could not be reached waits partyRetryMin·2^failures,
	// at most partyRetryMax: an order lasts half an hour, not a day.
	partyRetryMin = 2 * time.Second
	partyRetryMax = time.Minute
	// partyAskPeers bounds the peers asked for a party's addresses per round.
	partyAskPeers = 3
	// partyMaxPeers bounds the devices linked per order (members with many
	// linked devices: a restaurant's tablet and desktop, say).
	partyMaxPeers = 8
	// partyCartTTL is how long a quoted cart keeps its link to the
	// restaurant: a customer quotes, hesitates, then checks out.
	partyCartTTL = 10 * time.Minute
	// partyJobLinks and partyJobTTL: a courier's job board links to the
	// restaurants of its nearest jobs, for as long as a look at the board
	// lasts.
	partyJobLinks = 3
	partyJobTTL   = 2 * time.Minute
	// partyFresh is how old an order's events may be to be pushed again
	// when a party link comes up: the events stored while it was being
	// dialed, not the order's history (sync has that).
	partyFresh = 10 * time.Second
)

// Abuse limits (SPEC.md §15.2). A node with no server to call must defend
// itself: every author key and every forwarding peer gets a token bucket,
// and a peer whose gossip score falls below the graylist threshold is
// disconnected and refused for a while.
const (
	// KeyRate and KeyBurst bound the events one author key may have
	// accepted by gossip: a busy restaurant at lunch signs a few events a
	// second; a script flooding orders gets its first KeyBurst through.
	KeyRate  = 5.0
	KeyBurst = 60
	// PeerRate and PeerBurst bound what one forwarding peer may send: a
	// relay forwards everyone's events, so this is far above KeyRate.
	PeerRate  = 300.0
	PeerBurst = 3000
	// maxBuckets bounds the limiter's memory; the least recently used
	// bucket is forgotten first.
	maxBuckets = 20_000
	// BlockFor is how long a peer stays refused after falling below the
	// graylist score.
	BlockFor = 10 * time.Minute
)

// Discovery's redial backoff. Couriers ride through tunnels and dead zones
// all day; the first retries are quick so a blip heals in seconds, and the
// cap keeps a phone whose bootstrap is gone for good from waking the radio
// more than every few minutes.
const (
	defaultMinBackoff  = time.Second
	defaultMaxBackoff  = 5 * time.Minute
	defaultDialTimeout = 15 * time.Second
	// mdnsQueue bounds mDNS results waiting to be dialed; more are dropped
	// (the next mDNS round finds them again).
	mdnsQueue = 16
)

// Role links (SPEC.md §10.7, topology.go; WithRoleLinks). A follower of
// the orders topic (courier, relay, admin) keeps coreLinks links to other
// followers: with gossipsub's D = 4 that leaves the mesh room to choose and
// keeps its diameter near log₇ of the followers. A customer or restaurant
// keeps leafLinks links to followers: its orders reach it by push from
// any of them, so one is enough while it holds and three ride out a
// courier's phone dropping off without a gap.
const (
	defaultCoreLinks = 8
	defaultLeafLinks = 3
	// linkCheckFirst is the keeper's first check after start (bootstrap
	// dials are under way); then every linkCheckShort while links are
	// missing, every linkCheckIdle when not.
	linkCheckFirst = 300 * time.Millisecond // (not 0.5–1 s: TestWithClockDrivesTimers looks for discovery's backoff there)
	linkCheckShort = time.Second
	linkCheckIdle  = 10 * time.Second
	// linkPending is how long a peer the keeper dialed may take to send its
	// subscriptions before it stops counting as a follower to come.
	linkPending = 5 * time.Second
	// linkAskEvery spaces peer exchanges with one peer; linkAskTimeout and
	// linkDialTimeout bound an exchange and a dial.
	linkAskEvery    = 5 * time.Second
	linkAskTimeout  = 10 * time.Second
	linkDialTimeout = 10 * time.Second
	// A candidate whose dial failed waits linkRetryMin·2^failures, at most
	// linkRetryMax, before the next try.
	linkRetryMin = 5 * time.Second
	linkRetryMax = 5 * time.Minute
	// linkKnownMax bounds the peers the keeper remembers.
	linkKnownMax = 512
)

// Default listen addresses (WithListen). Production nodes listen on every
// interface so that couriers on the same Wi-Fi (and the coop's always-on
// nodes) can reach them; tests always pass 127.0.0.1 addresses explicitly.
// Port 0 picks a free port at every start: `coopnode init` picks one port
// once and keeps it, so invites stay valid across restarts.
var defaultListenAddrs = []string{
	"/ip4/0.0.0.0/tcp/0",
	"/ip4/0.0.0.0/udp/0/quic-v1",
}

// Connection-manager watermarks for a phone-sized node. A coop has tens to a
// few hundred devices and a gossipsub mesh keeps D = 4 peers per topic
// (defaultD), so 32 connections is plenty; above 64 the manager trims the
// least useful ones (bootstrap peers are protected by discovery).
const (
	defaultLowWater    = 32
	defaultHighWater   = 64
	defaultGracePeriod = 20 * time.Second
)

// Resource-manager budget. libp2p's stock limits assume a server (they scale
// with 1/8 of system RAM and half the file descriptors). A courier's phone
// runs coopnode next to a map and a camera, so we pin the budget explicitly
// instead of auto-scaling: 64 MiB of buffers and 256 file descriptors
// for the whole stack, with system-wide connection limits derived from the
// connection manager's high watermark (see resourceLimits).
const (
	rcmgrMemory = 64 << 20
	rcmgrFDs    = 256
)

// Per-subnet connection limits. libp2p allows 8 connections per IPv4
// address by default, which assumes one machine per address. A coop's
// always-on node sees many couriers' phones arrive from one carrier-grade
// NAT address, so we allow 32 per IPv4 address and per IPv6 /56 (a
// customer site), and 128 per IPv6 /48; the system-wide limits still bound
// the total. Loopback stays unlimited (libp2p's default prefix rule).
var (
	ipv4SubnetLimits = []rcmgr.ConnLimitPerSubnet{{PrefixLength: 32, ConnCount: 32}}
	ipv6SubnetLimits = []rcmgr.ConnLimitPerSubnet{
		{PrefixLength: 56, ConnCount: 32},
		{PrefixLength: 48, ConnCount: 128},
	}
)

// coopnode's gossipsub degrees (SPEC.md §10.1, measured in §10.5;
// WithGossipDegree). Only the nodes that need every open order follow the
// orders topic, so its mesh is small (couriers and relays); with
// gossipsub's stock D = 6 each of them received about five copies of every
// event. D = 4 halves the duplicate bytes without losing latency. IHAVE
// announces a message once (history_gossip 1 instead of 3) but to every
// non-mesh peer (gossip factor 1): a phone with two links that both pruned
// it from their catalogue mesh must still hear of every menu.
const (
	defaultD, defaultDlo, defaultDhi = 4, 3, 6
	defaultDlazy                     = 3
	defaultHistoryGossip             = 1
	defaultGossipFactor              = 1.0
	// defaultScoreInspect is how often peer scores are snapshotted.
	defaultScoreInspect = time.Second
	// defaultSubBuffer is each subscription's queue length. When the node
	// falls that far behind, pubsub drops messages for us (sync recovers
	// them) rather than stalling the mesh.
	defaultSubBuffer = 128
)
