package mobile

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multiaddr"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
)

// Callbacks is implemented by the app (a Kotlin/Java class or a Swift
// object). Every notification is one JSON document (API.md,
// "Callbacks"). The node calls them one at a time from one goroutine of
// its own, never from the thread that called into the node; a callback
// must return quickly (post to the UI thread and return), and may call
// back into the node.
type Callbacks interface {
	// OnJobNearby: a delivery a courier on shift could take appeared
	// within the job radius, or ("available": false) one announced
	// before was taken.
	OnJobNearby(job []byte)
	// OnClaimResult: one of this courier's claims is decided: won, lost
	// (with the winner) or released.
	OnClaimResult(result []byte)
	// OnOrderUpdate: an order this device is a party to changed.
	OnOrderUpdate(update []byte)
	// OnConnectionState: peers, network, power mode or unsent count changed.
	OnConnectionState(state []byte)
}

// Node is a running coopnode node inside the app. Its methods are safe to
// call from any thread. Each takes and returns JSON strings (API.md).
type Node struct {
	cfg     config
	dir     string
	n       *node.Node
	h       host.Host
	gate    *gater
	traffic *traffic
	cb      Callbacks
	log     *slog.Logger
	self    crdt.PubKey

	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	stopOnce sync.Once
	stopErr  error

	sub *node.Subscription
	bus event.Subscription

	signal  chan struct{}      // to the scheduler: flags in st changed
	connSig chan struct{}      // to the watcher: the connection state may have changed
	recheck chan crdt.ID       // to the watcher: evaluate an order again
	barrier chan chan struct{} // to the watcher: process everything queued, then answer
	newPeer chan peer.ID       // to the scheduler: a peer connected

	applyMu    sync.Mutex   // serialises apply
	lastFollow *node.Follow // guarded by applyMu

	mu sync.Mutex
	st state

	web webServer // the web app for a WebView (web.go)
}

// state is the app-driven state, guarded by Node.mu.
type state struct {
	appState string
	lowPower bool
	conn     connectivity
	onShift  bool
	pos      *position
	radiusM  int
	notified map[crdt.ID]bool    // jobs announced as available this shift
	claims   map[crdt.ID]crdt.ID // order -> claim waiting for a final outcome
	unsent   []unsentAction
	lastSync int64 // wall ms of the last sync session this node started that succeeded

	// scheduler requests
	reconnect, wake, reapply bool

	// watcher and view caches
	lastConn  string
	lastOrder map[crdt.ID][32]byte
	vc        *viewCtx // nil when stale
}

func (s *state) saving() bool { return s.appState == appBackground || s.lowPower }

// unsentAction is an action taken while no peer could hear it. The event
// itself is in the store; this list only tells the app that it has not
// been handed to a peer yet. The first sync session this node starts that
// succeeds hands every stored event of ours to that peer, and clears it.
type unsentAction struct {
	Order  string `json:"order"`
	Action string `json:"action"`
	AtMs   int64  `json:"at_ms"`
}

// Start opens (or creates) the node's data folder, starts the node and
// returns it. configJSON is documented in API.md ("Start"); the first
// start needs an invite. callbacks may be null.
func Start(dataDir, configJSON string, callbacks Callbacks) (n *Node, err error) {
	defer recoverTo(&err)
	if dataDir == "" {
		return nil, errorf(node.ErrBadArgument, "dataDir is required")
	}
	var cfg config
	if err := decode(configJSON, &cfg); err != nil {
		return nil, err
	}
	if err := cfg.applyDefaults(); err != nil {
		return nil, err
	}
	var boot []multiaddr.Multiaddr
	for _, s := range cfg.Bootstrap {
		a, err := multiaddr.NewMultiaddr(s)
		if err != nil {
			return nil, errorf(node.ErrBadArgument, "bootstrap %q: %v", s, err)
		}
		if _, err := peer.AddrInfoFromP2pAddr(a); err != nil {
			return nil, errorf(node.ErrBadArgument, "bootstrap %q: needs /p2p/<peer id>", s)
		}
		boot = append(boot, a)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, errorf(errInternal, "data folder: %v", err)
	}
	key, err := loadOrCreateKey(dataDir)
	if err != nil {
		return nil, err
	}
	inv, err := resolveInvite(dataDir, cfg.Invite)
	if err != nil {
		return nil, err
	}
	unsent, err := loadUnsent(dataDir)
	if err != nil {
		return nil, err
	}
	ips, _ := cfg.Connectivity.check() // checked by applyDefaults
	m := &Node{
		cfg: cfg, dir: dataDir, cb: callbacks, log: cfg.logger(),
		gate:    &gater{},
		traffic: newTraffic(),
		signal:  make(chan struct{}, 1),
		connSig: make(chan struct{}, 1),
		recheck: make(chan crdt.ID, 64),
		barrier: make(chan chan struct{}),
		newPeer: make(chan peer.ID, 32),
		st: state{
			appState: cfg.AppState, lowPower: cfg.LowPower, conn: *cfg.Connectivity,
			radiusM: cfg.JobRadiusM, notified: map[crdt.ID]bool{}, claims: map[crdt.ID]crdt.ID{},
			unsent: unsent, lastOrder: map[crdt.ID][32]byte{},
		},
	}
	m.gate.setAddrs(ips)
	m.gate.set(m.st.conn.offline(), m.peerCap(&m.st))
	m.ctx, m.cancel = context.WithCancel(context.Background())
	h, err := newPhoneHost(key, &cfg, m.gate, m.traffic)
	if err != nil {
		m.cancel()
		return nil, err
	}
	m.h = h
	opts := []node.Option{
		node.WithKey(key), node.WithRole(nodeRole(cfg.Role)),
		node.WithDataDir(filepath.Join(dataDir, storeDir)), node.WithHost(h),
		// The façade runs sync itself, on a schedule that follows the
		// power mode (power.go).
		node.WithSyncInterval(-1), node.WithSyncOnConnect(false),
		node.WithLeaf(!cfg.MeshRouter), node.WithMDNS(cfg.MDNS), node.WithLogger(m.log),
		node.WithNAT(!cfg.NoNAT), // reservations on the coop's relays (the host runs the rest)
	}
	if inv != nil {
		opts = append(opts, node.WithInvite(*inv))
	}
	if len(boot) > 0 {
		opts = append(opts, node.WithBootstrap(boot...))
	}
	ctx, cancel := context.WithTimeout(m.ctx, cfg.callTimeout())
	defer cancel()
	m.n, err = node.New(ctx, opts...) // closes h on failure
	if err != nil {
		m.cancel()
		return nil, wrap(err)
	}
	m.self = m.n.Key()
	fail := func(err error) (*Node, error) {
		m.cancel()
		if m.bus != nil {
			_ = m.bus.Close()
		}
		_ = m.n.Close()
		return nil, err
	}
	if m.n.Coop().IsZero() {
		return fail(errorf(node.ErrNoCoop, "no cooperative: the first start needs an \"invite\" in the config"))
	}
	m.sub = m.n.Subscribe(1024)
	if m.bus, err = h.EventBus().Subscribe(new(event.EvtPeerConnectednessChanged)); err != nil {
		return fail(errorf(errInternal, "event bus: %v", err))
	}
	m.wg.Add(2)
	go m.watch()
	go m.schedule()
	if err := m.apply(ctx); err != nil {
		return nil, errors.Join(err, m.Stop())
	}
	m.requestReconnect() // dial at once and sync, whatever the backoff
	return m, nil
}

// Stop stops the node: every goroutine it started ends, the network
// closes and the store is closed. Calling it again does nothing. Other
// calls on a stopped node return a "stopped" error.
func (m *Node) Stop() error {
	m.stopOnce.Do(func() {
		m.web.close()
		m.cancel()
		// Closing the node first resets open streams, so that a sync
		// session in progress returns at once.
		m.stopErr = m.n.Close()
		m.wg.Wait()
		_ = m.bus.Close()
	})
	if m.stopErr != nil {
		return wrap(m.stopErr)
	}
	return nil
}

// call runs one API call with the node's call timeout, turns errors into
// coded errors and panics into "internal" errors (a Go panic would take
// the whole app down), and encodes the result.
func (m *Node) call(f func(ctx context.Context) (any, error)) (out string, err error) {
	defer recoverTo(&err)
	if m == nil || m.ctx == nil {
		return "", errorf(node.ErrClosed, "no node")
	}
	if m.ctx.Err() != nil {
		return "", errorf(node.ErrClosed, "the node was stopped")
	}
	ctx, cancel := context.WithTimeout(m.ctx, m.cfg.callTimeout())
	defer cancel()
	v, err := f(ctx)
	if err != nil {
		return "", wrap(err)
	}
	return encode(v)
}

func recoverTo(err *error) {
	if r := recover(); r != nil {
		*err = errorf(errInternal, "panic: %v\n%s", r, debug.Stack())
	}
}

// statusView is Status's answer.
type statusView struct {
	PeerID     string      `json:"peer_id"`
	Key        string      `json:"key"` // the device key: give it to an admin to be admitted
	MemberKey  string      `json:"member_key,omitempty"`
	Member     bool        `json:"member"`
	Name       string      `json:"name,omitempty"`
	Role       string      `json:"role"`
	Coop       string      `json:"coop"`
	CoopName   string      `json:"coop_name,omitempty"`
	Currency   string      `json:"currency,omitempty"`
	Addrs      []string    `json:"addrs"`
	Following  node.Follow `json:"following"`
	OnShift    bool        `json:"on_shift"`
	Position   *position   `json:"position,omitempty"`
	Connection connView    `json:"connection"`
	Traffic    trafficView `json:"traffic"`
}

// Status describes the node: identity, membership, connection and
// traffic (API.md, "Status").
func (m *Node) Status() (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		v := statusView{PeerID: m.n.ID().String(), Key: m.self.String(), Role: m.cfg.Role,
			Coop: m.n.Coop().String(), Addrs: []string{}, Traffic: m.traffic.view()}
		for _, a := range m.n.Addrs() {
			v.Addrs = append(v.Addrs, a.String())
		}
		if mk, ok := m.n.MemberKey(ctx); ok {
			v.MemberKey, v.Member = mk.String(), true
		}
		if cs, err := m.n.CoopState(ctx); err == nil {
			v.CoopName, v.Currency = cs.Name, cs.Currency
			if mk, err := crdt.ParsePubKey(v.MemberKey); err == nil {
				if mem := cs.Members[mk]; mem != nil {
					v.Name = mem.Name
				}
			}
		}
		f, err := m.n.Following(ctx)
		if err != nil {
			return nil, err
		}
		v.Following = f
		m.mu.Lock()
		v.OnShift, v.Position = m.st.onShift, m.st.pos
		m.mu.Unlock()
		v.Connection = m.connState()
		return v, nil
	})
}

// connState computes the connection state from the host and st.
func (m *Node) connState() connView {
	peers := len(m.h.Network().Peers())
	m.mu.Lock()
	defer m.mu.Unlock()
	v := connView{Type: "connection_state", Peers: peers, Network: m.st.conn.Network, Metered: m.st.conn.metered(),
		AppState: m.st.appState, LowPower: m.st.lowPower, Saving: m.st.saving(),
		Unsent: len(m.st.unsent), LastSyncMs: m.st.lastSync}
	switch {
	case m.st.conn.offline():
		v.State = "offline"
	case peers > 0:
		v.State = "online"
	default:
		v.State = "connecting"
	}
	return v
}

// acted records an action this node took. When no peer can hear it, the
// action is listed as unsent (persisted) until a sync session hands it
// over. It returns whether a peer was connected to hear it.
func (m *Node) acted(order crdt.ID, action string) bool {
	heard := !m.gate.isOffline() && len(m.h.Network().Peers()) > 0
	if heard {
		return true
	}
	m.mu.Lock()
	m.st.unsent = append(m.st.unsent, unsentAction{Order: order.String(), Action: action, AtMs: time.Now().UnixMilli()})
	list := append([]unsentAction(nil), m.st.unsent...)
	m.mu.Unlock()
	if err := saveUnsent(m.dir, list); err != nil {
		m.log.Warn("save unsent list", "err", err)
	}
	m.connChanged()
	return false
}

// actionResult is the answer of actions on an order.
type actionResult struct {
	Order     orderView `json:"order"`
	Published bool      `json:"published"` // false: recorded here, goes out when back online
	Unsent    int       `json:"unsent"`
}

// afterAction reads the order back and builds the action's answer.
func (m *Node) afterAction(ctx context.Context, id crdt.ID, action string) (actionResult, error) {
	published := m.acted(id, action)
	s, err := m.n.Order(ctx, id)
	if err != nil {
		return actionResult{}, err
	}
	vc := m.viewCtx(ctx)
	m.mu.Lock()
	unsent := len(m.st.unsent)
	m.mu.Unlock()
	return actionResult{Order: vc.order(s), Published: published, Unsent: unsent}, nil
}

func loadUnsent(dir string) ([]unsentAction, error) {
	b, err := os.ReadFile(filepath.Join(dir, unsentFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, errorf(errInternal, "read unsent list: %v", err)
	}
	var out []unsentAction
	if err := json.Unmarshal(b, &out); err != nil {
		// A damaged list only loses the "unsent" hint, never events.
		return nil, nil
	}
	return out, nil
}

func saveUnsent(dir string, list []unsentAction) error {
	if list == nil {
		list = []unsentAction{}
	}
	b, err := json.Marshal(list)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, unsentFile), b)
}

// viewCtx returns the cached names and keys views need, rebuilding them
// when the coop or a catalogue changed.
func (m *Node) viewCtx(ctx context.Context) viewCtx {
	m.mu.Lock()
	if vc := m.st.vc; vc != nil {
		m.mu.Unlock()
		return *vc
	}
	m.mu.Unlock()
	vc := viewCtx{self: m.self, names: map[crdt.PubKey]string{}, bikeKmh: m.cfg.BikeSpeedKmh, rules: map[uint64]*market.Rules{}}
	if mk, ok := m.n.MemberKey(ctx); ok {
		vc.member = mk
	}
	if cs, err := m.n.CoopState(ctx); err == nil {
		vc.tz = cs.Timezone
		for k, mem := range cs.Members {
			if mem.Name != "" {
				vc.names[k] = mem.Name
			}
		}
		for _, rv := range cs.Rules {
			if r, err := market.RulesFor(cs, rv.Version); err == nil {
				vc.rules[r.Version()] = r
			}
		}
	}
	if rs, err := m.n.Restaurants(ctx); err == nil {
		for _, r := range rs {
			if r.Profile != nil && r.Profile.Name != "" {
				vc.names[r.Key] = r.Profile.Name
			}
		}
	}
	if ctx.Err() == nil {
		m.mu.Lock()
		m.st.vc = &vc
		m.mu.Unlock()
	}
	return vc
}

func (m *Node) staleViews() {
	m.mu.Lock()
	m.st.vc = nil
	m.mu.Unlock()
}

// requireRole fails unless the node runs as role.
func (m *Node) requireRole(role node.Role) error {
	if nodeRole(m.cfg.Role) != role {
		return errorf(node.ErrWrongRole, "this node runs as %s, not %s", m.cfg.Role, role)
	}
	return nil
}
