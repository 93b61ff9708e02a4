// Package node is coopnode's only I/O: a libp2p host, gossipsub, catch-up
// sync streams, the on-disk store, discovery, and the event loop that owns a
// replica of the replicated state.
//
// Why one goroutine owns the state: the replica (package crdt) is a plain
// data structure, and every change to it must be persisted before it is
// published or acknowledged (SPEC.md §12). Funnelling every read and write
// through one loop goroutine makes that ordering obvious and removes locks
// from the core. Network work (gossip pumps, sync sessions, publishing) runs
// on goroutines the Node owns and stops on Close; they talk to the loop over
// channels.
package node

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multiaddr"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node/wakeup"
	"github.com/coopnode/coopnode/protocol"
)

// Role says what a node follows and automates. Authority comes from the
// cooperative log, not from the role: a role only picks defaults.
type Role string

// Roles a node can run as.
const (
	RoleCustomer   Role = "customer"
	RoleRestaurant Role = "restaurant"
	RoleCourier    Role = "courier"
	RoleAdmin      Role = "admin"
	RoleRelay      Role = "relay" // an always-on cooperative node that follows everything
)

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleCustomer, RoleRestaurant, RoleCourier, RoleAdmin, RoleRelay:
		return r, nil
	}
	return "", errorf(ErrBadRole, "unknown role %q: want one of customer, restaurant, courier, admin, relay", s)
}

type config struct {
	key          ed25519.PrivateKey
	memberKey    ed25519.PrivateKey // WithMemberKey (member_link.go)
	role         Role
	coop         crdt.ID
	dataDir      string
	store        *Store
	listen       []string
	announce     []multiaddr.Multiaddr // announce.go
	bootstrap    []multiaddr.Multiaddr
	inviteBoot   []multiaddr.Multiaddr // saved in the store (joined.go)
	mdns         bool
	logger       *slog.Logger
	clock        Clock
	rng          *rand.Rand
	host         host.Host
	gossip       gossipConfig
	syncInterval time.Duration
	archiveEvery time.Duration // archival steps (archive.go); negative: on start only
	autoConfirm  bool
	payProvider  PaymentProvider // WithPaymentProvider (pay.go)
	payHTTP      *http.Client    // WithPaymentHTTPClient
	autoSet      bool
	lowPower     bool
	noConnSync   bool
	follow       *Follow // nil: defaultFollow(role)
	// role links (topology.go): how many the node keeps by role
	coreLinks, leafLinks int
	roleLinksOff         bool
	partyLinksOff        bool // SPEC.md §10.8 (partylinks.go); WithPartyLinks
	partyLinksSet        bool
	// benchmark hooks (bench_options.go): bytes written to and frames read
	// from push streams
	pushSent func(peer.ID, int)
	pushRecv func(peer.ID, []byte)
	// wake-ups for sleeping phones (wakeups.go)
	wakeReg *wakeup.Registry
	waker   Waker
	nat     bool   // WithNAT
	city    string // WithCity (directory.go)
	portMap bool   // WithPortMap
}

// Option configures New.
type Option func(*config) error

// WithKey sets the node's Ed25519 identity (its libp2p peer ID and event
// author key).
func WithKey(k ed25519.PrivateKey) Option {
	return func(c *config) error {
		if len(k) != ed25519.PrivateKeySize {
			return fmt.Errorf("%w: key has %d bytes", ErrBadArgument, len(k))
		}
		c.key = k
		return nil
	}
}

// WithRole sets the role (default customer).
func WithRole(r Role) Option { return func(c *config) error { c.role = r; return nil } }

// WithCoop sets the cooperative the node follows.
func WithCoop(id crdt.ID) Option { return func(c *config) error { c.coop = id; return nil } }

// WithDataDir stores events in a go-ds-pebble database in dir.
func WithDataDir(dir string) Option { return func(c *config) error { c.dataDir = dir; return nil } }

// WithStore uses an already opened store (for example OpenMemory()). The node
// closes it on Close.
func WithStore(s *Store) Option { return func(c *config) error { c.store = s; return nil } }

// WithListen sets the listen multiaddrs (default TCP and QUIC on all
// interfaces, random ports).
func WithListen(addrs ...string) Option {
	return func(c *config) error { c.listen = append([]string(nil), addrs...); return nil }
}

// WithBootstrap adds peers to connect to and keep connected.
func WithBootstrap(addrs ...multiaddr.Multiaddr) Option {
	return func(c *config) error { c.bootstrap = append(c.bootstrap, addrs...); return nil }
}

// WithInvite joins the invite's coop and bootstraps from its addresses.
// Both are saved in the store: later starts on the same store need no
// invite (joined.go).
func WithInvite(inv Invite) Option {
	return func(c *config) error {
		c.coop = inv.Coop
		c.inviteBoot = append(c.inviteBoot, inv.Bootstrap...)
		return nil
	}
}

// WithMDNS enables LAN discovery.
func WithMDNS(on bool) Option { return func(c *config) error { c.mdns = on; return nil } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(c *config) error { c.logger = l; return nil } }

// WithClock injects time: the clock stamps events and drives every timer
// of the node (see Clock).
func WithClock(cl Clock) Option { return func(c *config) error { c.clock = cl; return nil } }

// WithRand injects randomness (peer choice for anti-entropy, jitter).
func WithRand(r *rand.Rand) Option { return func(c *config) error { c.rng = r; return nil } }

// WithHost runs the node on an existing libp2p host, such as a mocknet peer.
// The node closes it on Close.
func WithHost(h host.Host) Option { return func(c *config) error { c.host = h; return nil } }

// WithSyncInterval sets the anti-entropy period (default
// defaultSyncInterval, 30 s; 0 keeps the
// default, negative disables periodic sync).
func WithSyncInterval(d time.Duration) Option {
	return func(c *config) error { c.syncInterval = d; return nil }
}

// WithArchiveInterval sets how often the node archives the orders past
// the horizon and deletes what is past retention (default
// defaultArchiveEvery, an hour; 0 keeps the default, negative archives on
// start only; tests call ArchiveNow). SPEC.md §4.5.
func WithArchiveInterval(d time.Duration) Option {
	return func(c *config) error { c.archiveEvery = d; return nil }
}

// WithSyncOnConnect turns the catch-up session started on every new
// connection on or off (default on). Tests that measure one session turn it
// off and call Sync themselves.
func WithSyncOnConnect(on bool) Option {
	return func(c *config) error { c.noConnSync = !on; return nil }
}

// WithAutoConfirm makes a restaurant node confirm the first valid claim it
// sees on its orders (default true for restaurants: SPEC.md §7.2).
func WithAutoConfirm(on bool) Option {
	return func(c *config) error { c.autoConfirm, c.autoSet = on, true; return nil }
}

// WithGossipDegree overrides gossipsub's mesh degree (benchmarks).
func WithGossipDegree(d, lo, hi int) Option {
	return func(c *config) error { c.gossip.D, c.gossip.Dlo, c.gossip.Dhi = d, lo, hi; return nil }
}

// WithRoleLinks sets how many role links the node keeps (SPEC.md §10.7):
// core links to other followers of the orders topic when it follows that
// topic, leaf links to followers when it does not. Zero keeps the
// default (defaultCoreLinks, defaultLeafLinks); a negative value keeps
// none of that kind. WithRoleLinks(-1, -1) turns the keeper off, for
// tests that draw their own graph.
func WithRoleLinks(core, leaf int) Option {
	return func(c *config) error {
		c.coreLinks, c.leafLinks = core, leaf
		c.roleLinksOff = core < 0 && leaf < 0
		return nil
	}
}

// WithPartyLinks turns party links (SPEC.md §10.8) on or off: while an
// order is open, its parties' nodes keep connections to each other, so
// that its events go one hop. They are on by default, and off with
// WithRoleLinks(-1, -1) unless turned on here.
func WithPartyLinks(on bool) Option {
	return func(c *config) error { c.partyLinksOff, c.partyLinksSet = !on, true; return nil }
}

// Node is one coopnode peer.
type Node struct {
	cfg     config
	log     *slog.Logger
	host    host.Host
	gossip  *gossip
	store   *Store
	disc    *discovery
	key     ed25519.PrivateKey
	self    crdt.PubKey
	replica *crdt.Replica    // owned by the loop goroutine
	wakes   chan crdt.PubKey // keys to wake (wakeups.go); nil without WithWakeups

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	reqs     chan func()
	gapCheck chan gapReq
	outbox   chan outMsg
	pushJobs chan pushJob // stored order events for the pusher (push.go)
	syncReq  chan peer.ID
	// one session at a time as initiator (SPEC.md §8.6.3), Sync and the
	// syncer alike, so that a catch-up's sessions follow one another
	initiating sync.Mutex

	rngMu     sync.Mutex
	graftMu   sync.Mutex
	graftLast map[peer.ID]time.Time
	verified  verifiedCache
	links     linkCounts  // the role-link keeper's last count (topology.go)
	party     *partyState // party links wanted and kept (partylinks.go)
	keyLimit  *limiter
	peerLimit *limiter
	blocks    *blocklist
	// connNotifee closes blocked peers' connections and resets graft-sync
	// limits on disconnect (guardHost)
	connNotifee network.Notifiee
	subMu       sync.Mutex
	subs        map[*Subscription]struct{}

	closeOnce sync.Once
	closeErr  error
	trackMu   sync.Mutex
	closing   bool

	rsv reservations // relay reservations (reserve.go)

	// loop-owned
	stats      Stats
	lastSynced int64      // wall ms of the last successful sync session
	syncIdx    *syncIndex // the reconciliation index (sync_index.go); the loop's
	catchUp    catchUp    // sync progress (sync_progress.go); the loop's
	cold       coldCache  // archived orders folded lately (archive.go); the loop's
	// archival writes since their key ranges were last compacted (archive.go)
	archivalWrites int
	// live tracking (tracking.go)
	tracks    map[crdt.ID]Tracking
	trackSent map[crdt.ID]int64
	trackSeen map[string]int64
	// the city directory (directory.go): nil until the node follows a city
	dir       *crdt.Directory
	cityTopic string
	cardRaw   map[crdt.ID][]byte // wire forms of dir's cards (cards.go)
	trackSeq  uint64
	// events refused on our own lag, kept for a retry (lagging.go)
	lagged   lagQueue
	retrying bool
	// IDs refused for good, which sync no longer fetches (lagging.go); it
	// has its own lock
	rejected rejectMemory
	// payments (pay.go); has its own locks
	pay *payState
}

// Stats are counters for demos, benchmarks and health checks.
type Stats struct {
	EventsStored   int `json:"events_stored"`
	EventsPending  int `json:"events_pending"`
	Archived       int `json:"archived"` // orders this node archived since it started (SPEC.md §4.5)
	GossipAccepted int `json:"gossip_accepted"`
	GossipRejected int `json:"gossip_rejected"`
	GossipIgnored  int `json:"gossip_ignored"`
	SyncSessions   int `json:"sync_sessions"`
	SyncEventsIn   int `json:"sync_events_in"`
	SyncEventsOut  int `json:"sync_events_out"`
	SyncBytesIn    int `json:"sync_bytes_in"`
	SyncBytesOut   int `json:"sync_bytes_out"`
	SyncRoundTrips int `json:"sync_round_trips"`
	// catch-up progress (sync_progress.go, SPEC.md §8.6.4): whether the
	// last session as initiator ended within its bound, and the sessions
	// and events received of the current (or last) catch-up
	SyncCaughtUp        bool `json:"sync_caught_up"`
	SyncCatchUpSessions int  `json:"sync_catch_up_sessions"`
	SyncCatchUpEvents   int  `json:"sync_catch_up_events"`
	SyncCut             int  `json:"sync_cut"` // sessions stopped at their bound
	Published           int  `json:"published"`
	DroppedChanges      int  `json:"dropped_changes"`
	RateLimited         int  `json:"rate_limited"`  // gossip events over a key's or peer's rate
	PeersBlocked        int  `json:"peers_blocked"` // peers disconnected below the graylist score
	// party push (SPEC.md §10.4)
	PushAccepted  int `json:"push_accepted"`  // pushed events stored
	PushFresh     int `json:"push_fresh"`     // events pushed again when a party link came up (§10.8)
	PushRejected  int `json:"push_rejected"`  // pushed events refused
	PushDuplicate int `json:"push_duplicate"` // pushed events we already had
	PushDropped   int `json:"push_dropped"`   // frames not queued (full queue); sync repairs
	// wake-ups of sleeping phones (wakeups.go, WithWakeups)
	WakeupsSent   int `json:"wakeups_sent"`
	WakeupsFailed int `json:"wakeups_failed"` // refused by the push service or unreachable
}

// New starts a node: it opens the store and replays it, starts the libp2p
// host and gossip, joins the coop's topics, and starts discovery, sync and
// the event loop.
func New(ctx context.Context, opts ...Option) (*Node, error) {
	cfg := config{role: RoleCustomer, clock: systemClock{}, syncInterval: defaultSyncInterval, archiveEvery: defaultArchiveEvery}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.key == nil {
		return nil, ErrNoKey
	}
	if cfg.coreLinks == 0 {
		cfg.coreLinks = defaultCoreLinks
	}
	if cfg.leafLinks == 0 {
		cfg.leafLinks = defaultLeafLinks
	}
	cfg.coreLinks, cfg.leafLinks = max(cfg.coreLinks, 0), max(cfg.leafLinks, 0)
	if !cfg.partyLinksSet {
		cfg.partyLinksOff = cfg.roleLinksOff
	}
	if !cfg.autoSet && cfg.role == RoleRestaurant {
		cfg.autoConfirm = true
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.rng == nil {
		cfg.rng = rand.New(rand.NewSource(cfg.clock.Now().UnixNano()))
	}
	n := &Node{
		cfg:       cfg,
		log:       cfg.logger,
		key:       cfg.key,
		self:      protocol.PubKeyOf(cfg.key),
		replica:   newReplica(),
		syncIdx:   newSyncIndex(),
		reqs:      make(chan func()),
		gapCheck:  make(chan gapReq, 256),
		outbox:    make(chan outMsg, 1024),
		pushJobs:  make(chan pushJob, pushJobQueueLen),
		wakes:     wakeQueue(cfg.waker),
		syncReq:   make(chan peer.ID, 64),
		subs:      map[*Subscription]struct{}{},
		tracks:    map[crdt.ID]Tracking{},
		trackSent: map[crdt.ID]int64{},
		trackSeen: map[string]int64{},
		keyLimit:  newLimiter(KeyRate, KeyBurst, cfg.clock),
		peerLimit: newLimiter(PeerRate, PeerBurst, cfg.clock),
		blocks:    newBlocklist(cfg.clock),
	}
	n.links.wake = make(chan struct{}, 1)
	n.party = newPartyState()
	n.replica.Observe(n.syncIdx.observe) // the index follows every stored event, replay included
	n.ctx, n.cancel = context.WithCancel(context.Background())
	if err := n.start(ctx); err != nil {
		_ = n.Close()
		return nil, err
	}
	return n, nil
}

func (n *Node) start(ctx context.Context) error {
	var err error
	switch {
	case n.cfg.store != nil:
		n.store = n.cfg.store
	case n.cfg.dataDir != "":
		if n.store, err = OpenPebble(n.cfg.dataDir); err != nil {
			return err
		}
	default:
		n.store = OpenMemory()
	}
	if err := n.replay(ctx); err != nil {
		return err
	}
	if err := n.restoreJoin(ctx); err != nil {
		return err
	}
	// orders that passed the horizon while the node was off leave the live
	// set before anything else runs (SPEC.md §4.5)
	if err := n.archiveNow(ctx); err != nil {
		// the orders stay live, and the next step tries again
		n.log.Warn("archive on start", "err", err)
	}
	if b, err := n.store.GetMeta(ctx, "last_synced"); err == nil && len(b) == 8 {
		n.lastSynced = int64(binary.BigEndian.Uint64(b))
	}
	if n.cfg.host != nil {
		n.host = n.cfg.host
	} else {
		lk, err := libp2pKey(n.key)
		if err != nil {
			return err
		}
		listen := n.cfg.listen
		if len(listen) == 0 {
			listen = defaultListenAddrs
		}
		hc := HostConfig{Key: lk, ListenAddrs: listen, Announce: n.cfg.announce, Logger: n.log, NATPortMap: n.cfg.portMap}
		if n.cfg.nat {
			hc.RelayService = n.cfg.role == RoleRelay
			hc.EnableRelay = !hc.RelayService
			hc.AddrsFactory = n.withRelayAddrs
		}
		if n.host, err = NewHost(hc); err != nil {
			return err
		}
	}
	n.guardHost()
	n.host.SetStreamHandler(protocol.SyncProtocolID, n.handleSync)
	n.host.SetStreamHandler(protocol.PushProtocolID, n.handlePush)
	n.host.SetStreamHandler(protocol.PayProtocolID, n.handlePay)
	n.host.SetStreamHandler(protocol.PeersProtocolID, n.handlePeers)
	n.host.SetStreamHandler(protocol.CardsProtocolID, n.handleCards)
	gcfg := n.cfg.gossip
	gcfg.OnGraft = n.graftSync // events relayed before a mesh formed reached nobody
	if n.gossip, err = newGossip(n.ctx, n.host, gcfg, n.validate); err != nil {
		return err
	}
	if !n.cfg.coop.IsZero() {
		if err := n.joinTopics(n.cfg.coop); err != nil {
			return err
		}
	}
	if n.cfg.city != "" {
		if err := n.followCity(n.cfg.city); err != nil {
			return err
		}
	}
	if err := n.startPayments(ctx); err != nil {
		return err
	}
	n.wg.Add(5)
	go n.loop()
	go n.publisher()
	go n.pusher()
	go n.syncer()
	go n.watchScores()
	if n.wakes != nil {
		n.wg.Add(1)
		go n.wakeSender()
	}
	n.watchMemberLink()
	n.disc, err = newDiscovery(n.ctx, n.host, discoveryConfig{
		Bootstrap: n.cfg.bootstrap, MDNS: n.cfg.mdns, Coop: n.cfg.coop, Logger: n.log,
		Clock: n.cfg.clock, Rand: func() float64 { n.rngMu.Lock(); defer n.rngMu.Unlock(); return n.cfg.rng.Float64() },
	})
	if err != nil {
		return err
	}
	n.wg.Add(3)
	go n.watchPeers()
	go n.keepLinks()
	go n.keepParties()
	if n.cfg.nat && n.cfg.role != RoleRelay {
		if st := natStatsOf(n.host); st != nil {
			f := n.punchFailed
			st.onPunchFail.Store(&f)
		}
		return n.startReservations()
	}
	return nil
}

// replay loads every stored event into the replica. Authority depends on
// the coop log, so events are applied coop log first, then catalogues, then
// orders, each by Lamport clock (SPEC.md §12.2); causal delivery inside the
// replica handles the rest.
//
// Tombstones come first (archive.go): an archived order's events left
// live by a cut archival are not applied, and are deleted.
func (n *Node) replay(ctx context.Context) error {
	if err := n.replayTombstones(ctx); err != nil {
		return fmt.Errorf("node: replay tombstones: %w", err)
	}
	evs, bad, err := loadStored(ctx, n.store)
	if err != nil {
		return fmt.Errorf("node: replay store: %w", err)
	}
	sortForApply(evs)
	for _, e := range evs {
		n.replica.Apply(e)
	}
	if n.replica.Tombstones() > 0 {
		if err := n.finishArchive(ctx, evs); err != nil {
			return fmt.Errorf("node: replay: %w", err)
		}
	}
	if bad > 0 {
		n.log.Warn("store held undecodable events", "count", bad)
	}
	n.stats.EventsStored, n.stats.EventsPending = n.replica.Len(), n.replica.PendingLen()
	n.log.Info("replayed store", "events", n.replica.Len(), "pending", n.replica.PendingLen())
	return nil
}

// loadStored reads every stored event, replayChunk at a time as the store
// is read. An event with a matching verified marker is decoded without
// checking its signature again (verified.go); the others are decoded and
// verified in batches, and marked once they pass. It returns the events
// that decode (and verify) under the ID they are stored at, and how many
// stored values did not (SPEC.md §12.2: skipped, and reported).
func loadStored(ctx context.Context, s *Store) (evs []*crdt.Event, bad int, err error) {
	ids := make([]crdt.ID, 0, replayChunk)
	raws := make([][]byte, 0, replayChunk)
	var marks []StoredEvent
	verify := func() error {
		events, errs := protocol.DecodeBatch(raws)
		for i, e := range events {
			if errs[i] != nil || e.ID != ids[i] {
				bad++
				continue
			}
			evs = append(evs, e)
			marks = append(marks, StoredEvent{ID: ids[i], Raw: raws[i]})
		}
		ids, raws = ids[:0], raws[:0]
		if len(marks) >= replayChunk {
			err := s.PutMarkers(ctx, marks)
			marks = marks[:0]
			return err
		}
		return nil
	}
	err = s.walkEvents(ctx, func(id crdt.ID, raw []byte, verified bool) error {
		if verified {
			e, err := protocol.DecodeTrusted(raw)
			if err != nil || e.ID != id {
				bad++
				return nil
			}
			evs = append(evs, e)
			return nil
		}
		ids, raws = append(ids, id), append(raws, raw)
		if len(raws) == replayChunk {
			return verify()
		}
		return nil
	})
	if err == nil {
		err = verify()
	}
	if err == nil {
		err = s.PutMarkers(ctx, marks)
	}
	if err != nil {
		return nil, 0, err
	}
	return evs, bad, nil
}

// sortForApply orders a batch so that what grants authority comes first:
// coop log, catalogues, orders; within a class by Lamport, then ID.
func sortForApply(evs []*crdt.Event) {
	sort.SliceStable(evs, func(i, j int) bool { return applyBefore(evs[i], evs[j]) })
}

// applyBefore is sortForApply's order.
func applyBefore(a, b *crdt.Event) bool {
	rank := func(e *crdt.Event) int {
		switch e.Kind.Class() {
		case crdt.ScopeCoop:
			return 0
		case crdt.ScopeCatalog:
			return 1
		}
		return 2
	}
	if ra, rb := rank(a), rank(b); ra != rb {
		return ra < rb
	}
	return a.Before(b)
}

func (n *Node) joinTopics(coop crdt.ID) error {
	n.gossip.setTopicValidator(protocol.TopicTracking(coop), n.validateTrack)
	f := defaultFollow(n.cfg.role)
	if n.cfg.follow != nil {
		f = *n.cfg.follow
	}
	for _, t := range f.topics(coop) {
		if err := n.gossip.join(t); err != nil {
			return fmt.Errorf("node: join %s: %w", t, err)
		}
	}
	return nil
}

// graftSync syncs with a peer grafted into one of our meshes, at most once
// per graftSyncEvery per peer while it stays connected: a leaf that prunes
// and is re-grafted must not cost a session every time (SPEC.md §8.6.3).
// A peer that disconnects and comes back (a restart, same peer ID) is
// synced with at its first graft again (forgetGraft).
func (n *Node) graftSync(p peer.ID) {
	now := n.cfg.clock.Now()
	n.graftMu.Lock()
	last, ok := n.graftLast[p]
	if ok && now.Sub(last) < graftSyncEvery {
		n.graftMu.Unlock()
		return
	}
	if n.graftLast == nil || len(n.graftLast) > 4096 {
		n.graftLast = map[peer.ID]time.Time{}
	}
	n.graftLast[p] = now
	n.graftMu.Unlock()
	n.requestSync(p)
}

// forgetGraft clears p's graft-sync limit once p has no connection left.
func (n *Node) forgetGraft(p peer.ID) {
	n.graftMu.Lock()
	delete(n.graftLast, p)
	n.graftMu.Unlock()
}

// randReader adapts the injected randomness for recon session salts.
func (n *Node) randReader() io.Reader { return rngReader{n.cfg.rng, &n.rngMu} }

type rngReader struct {
	r  *rand.Rand
	mu *sync.Mutex
}

func (r rngReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.r.Read(p)
}

// ID returns the libp2p peer ID.
func (n *Node) ID() peer.ID { return n.host.ID() }

// Key returns the node's public key (its event author key).
func (n *Node) Key() crdt.PubKey { return n.self }

// Host returns the libp2p host, for wiring tests and benchmarks.
func (n *Node) Host() host.Host { return n.host }

// Role returns the node's role.
func (n *Node) Role() Role { return n.cfg.role }

// Coop returns the cooperative the node follows (zero before joining).
func (n *Node) Coop() crdt.ID {
	// through a channel: if the node closes while the loop runs f, do
	// returns first and must not race f's write
	c := make(chan crdt.ID, 1)
	if err := n.do(context.Background(), func() error { c <- n.cfg.coop; return nil }); err != nil {
		return crdt.ID{}
	}
	return <-c
}

// Addrs returns the node's dialable multiaddrs with its /p2p/ component.
func (n *Node) Addrs() []multiaddr.Multiaddr {
	info := peer.AddrInfo{ID: n.host.ID(), Addrs: n.host.Addrs()}
	out, _ := peer.AddrInfoToP2pAddrs(&info)
	return out
}

// Invite returns an invite to this node's coop with this node as bootstrap
// (its announced and listen addresses, without loopback and link-local ones
// unless it has no others: see inviteAddrs) and the coop relays holding a
// reservation for it (SPEC.md §10.6), at most maxInviteAddrs addresses.
func (n *Node) Invite() Invite {
	return Invite{Coop: n.Coop(), Bootstrap: inviteWithRelays(inviteAddrs(n.Addrs()), n.knownRelays())}
}

// Connect dials a peer and, unless sync on connect is off, syncs with it.
func (n *Node) Connect(ctx context.Context, ai peer.AddrInfo) error {
	if err := n.host.Connect(ctx, ai); err != nil {
		return fmt.Errorf("node: connect %s: %w", ai.ID, err)
	}
	if !n.cfg.noConnSync {
		n.requestSync(ai.ID)
	}
	return nil
}

// Close stops every goroutine the node started, then closes the host and
// the store. It is safe to call more than once.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		n.trackMu.Lock()
		n.closing = true
		n.trackMu.Unlock()
		n.cancel()
		if n.disc != nil {
			n.disc.close()
		}
		if n.gossip != nil {
			n.gossip.close()
		}
		if n.host != nil {
			n.host.RemoveStreamHandler(protocol.SyncProtocolID)
			n.host.RemoveStreamHandler(protocol.PushProtocolID)
			n.host.RemoveStreamHandler(protocol.PeersProtocolID)
			n.host.RemoveStreamHandler(protocol.CardsProtocolID)
			if n.connNotifee != nil {
				n.host.Network().StopNotify(n.connNotifee)
			}
			if err := n.host.Close(); err != nil {
				n.closeErr = err
			}
		}
		n.wg.Wait()
		n.subMu.Lock()
		for s := range n.subs {
			s.closeLocked()
		}
		n.subs = map[*Subscription]struct{}{}
		n.subMu.Unlock()
		if n.store != nil {
			if err := n.store.Close(); err != nil && n.closeErr == nil {
				n.closeErr = err
			}
		}
	})
	return n.closeErr
}

// ConnectAddr dials a multiaddr that ends in /p2p/<peer ID>.
func (n *Node) ConnectAddr(ctx context.Context, a multiaddr.Multiaddr) error {
	ai, err := peer.AddrInfoFromP2pAddr(a)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrBadArgument, a, err)
	}
	return n.Connect(ctx, *ai)
}
