// Package demo runs a whole bike-courier cooperative on this machine: a
// relay, restaurants, couriers and customers, each a real coopnode node with
// its own key, its own pebble store and its own libp2p host on loopback TCP
// and QUIC. It is the engine behind `coopnode demo`.
//
// The story: the relay founds the coop and admits the restaurants and
// couriers; everybody joins through the relay's invite and a few peers also
// link directly, so the network is a mesh, not a star. Restaurants publish
// profiles and menus; customers browse them on their own nodes and order.
// Restaurants accept and cook; couriers race to claim orders concurrently
// and learn, each on their own node, who won. A courier who delivered
// something goes offline, the city carries on, and the courier comes back
// from its store and catches up in one sync session. At the end every node
// must hold identical state hashes for every scope it needs (customers and
// restaurants: their own orders only, SPEC.md §10.4).
//
// Run prints that story as a timeline and returns a Summary with the
// numbers: deliveries, claim conflicts, convergence, propagation latency
// (per event, until the last node that needs it has it) and the cost of the
// offline catch-up.
package demo

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
	"github.com/coopnode/coopnode/node/sim"
)

// Config sizes the demo. Zero values take the defaults.
type Config struct {
	Restaurants, Couriers, Customers, Orders int // defaults 2, 3, 3, 6
	// Dir is the parent folder of the nodes' stores (<Dir>/<node>); ""
	// means a new temporary folder, removed at the end. The node folders
	// must not exist yet or be empty.
	Dir    string
	Out    io.Writer    // the human timeline; nil = io.Discard
	Logger *slog.Logger // the nodes' logs; nil = discard
	Seed   int64        // who orders what, which couriers compete; 0 = 1
}

// Limits of Config (the same as the command line's).
const (
	MaxRestaurants = 20
	MaxCouriers    = 30
	MaxCustomers   = 50
	MaxOrders      = 200
)

// Summary is what the run achieved. Its JSON field names are a contract.
type Summary struct {
	Coop              string          `json:"coop"`
	OrdersPlaced      int             `json:"orders_placed"`
	OrdersDelivered   int             `json:"orders_delivered"`
	ClaimConflicts    int             `json:"claim_conflicts"`    // orders on which ≥2 couriers claimed
	ReplicasConverged bool            `json:"replicas_converged"` // every node holds the relay's state hash for every scope it needs (SPEC.md §10.4)
	PropagationP50Ms  float64         `json:"propagation_p50_ms"`
	PropagationP99Ms  float64         `json:"propagation_p99_ms"`
	Nodes             int             `json:"nodes"`
	Events            int             `json:"events"` // events signed during the run
	DurationMs        int64           `json:"duration_ms"`
	OfflineCatchUp    node.SyncReport `json:"offline_catch_up"` // the returning courier's sync session

	// Propagation details: the worst event, how many events were measured,
	// and how many some running node that needs them never applied (the
	// nodes that need an event: sim.Needs).
	PropagationMaxMs      float64 `json:"propagation_max_ms"`
	PropagationSamples    int     `json:"propagation_samples"`
	PropagationIncomplete int     `json:"propagation_incomplete"`
	// The same over order events only (order.*, courier.*, task.*): the
	// network once warm. The catalogue is published right after the nodes
	// start, while gossipsub meshes are still forming.
	PropagationOrdersP50Ms float64   `json:"propagation_orders_p50_ms"`
	PropagationOrdersP99Ms float64   `json:"propagation_orders_p99_ms"`
	PropagationSlowest     SlowEvent `json:"propagation_slowest"`
	// Claims: every claim made, and how long a courier waited, on its own
	// node, between claiming and knowing whether it won.
	Claims               int     `json:"claims"`
	ClaimResolutionP50Ms float64 `json:"claim_resolution_p50_ms"`
	ClaimResolutionMaxMs float64 `json:"claim_resolution_max_ms"`
	// Convergence: scopes compared and time from the last delivery until
	// every node held identical hashes.
	Scopes        int   `json:"scopes"`
	ConvergenceMs int64 `json:"convergence_ms"`
	// The offline courier: who (the seed's choice), for how long, how many
	// events were signed meanwhile, the events its restarted node received
	// by sync until it held everything it missed (its own session plus the
	// sessions peers opened to it; later anti-entropy is not counted), and
	// how long after restarting it held everything it missed.
	OfflineCourier      string `json:"offline_courier"`
	OfflineMs           int64  `json:"offline_ms"`
	OfflineMissedEvents int    `json:"offline_missed_events"`
	OfflineSyncEventsIn int    `json:"offline_sync_events_in"`
	OfflineCaughtUpMs   int64  `json:"offline_caught_up_ms"`

	EventsByKind   map[string]int `json:"events_by_kind"`
	DroppedChanges int            `json:"dropped_changes"` // subscriber buffers overflowed (all nodes)
}

// SlowEvent is the event that took longest to reach its last node.
type SlowEvent struct {
	Kind string  `json:"kind"`
	By   string  `json:"by"`   // its author
	Last string  `json:"last"` // the last node to apply it
	Ms   float64 `json:"ms"`
	AtMs int64   `json:"at_ms"` // when it was signed, since the start
}

// Pacing. The demo simulates kitchens and rides with short pauses so that
// several orders overlap; every wait for the network polls a condition
// with a deadline instead.
const (
	antiEntropyEvery = time.Second
	stepTimeout      = 30 * time.Second // one network wait (an order reaching a node, a claim settling)
	lateTimeout      = 2 * time.Minute  // an order parked until the offline courier returns
	convergeTimeout  = 10 * time.Second
	pollEvery        = 20 * time.Millisecond
)

type participant struct {
	name string // human
	slug string // folder name and key derivation
	role node.Role
	key  ed25519.PrivateKey
	dir  string
	pos  crdt.Position

	n    *node.Node // the running instance; swapped only by Run's goroutine between phases
	inst *instance

	// restaurants
	spec    restaurantSpec
	cuisine cuisine
	menu    crdt.CatalogMenu // as last published
}

// orderPlan is decided up front by Run's goroutine, which owns the seeded
// randomness; an order's goroutine only reads it.
type orderPlan struct {
	no         int
	customer   *participant
	restaurant *participant
	claimants  []*participant      // nil when the order waits for late
	late       chan []*participant // claimants sent when the offline courier is back
	parked     chan struct{}       // signalled when a late order waits for couriers
	rng        *rand.Rand          // the customer's choices
	tip        int64
	prepExtra  uint32
	note       string
	pace       [5]time.Duration // accept, start, ready, pickup, ride
	done       chan error
}

type run struct {
	cfg   Config
	seed  int64
	rng   *rand.Rand
	tl    *timeline
	log   *slog.Logger
	track *tracker
	t0    time.Time

	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup // order goroutines

	relay       *participant
	restaurants []*participant
	couriers    []*participant
	customers   []*participant
	all         []*participant
	coop        crdt.ID
	custBase    int          // customers take turns from here
	away        *participant // the courier who goes offline: the seed's choice
	upAt        []time.Time  // when nodes (re)started

	mu         sync.Mutex
	claimWaits []time.Duration
	claims     int
	lastDeliv  time.Time
}

// Run plays the demo and returns its summary. It returns an error for a
// bad Config, a node that cannot start, or a step of the story that fails
// (the partial summary comes with it); replicas that do not converge are
// reported in the summary, not as an error.
func Run(ctx context.Context, cfg Config) (Summary, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Summary{}, err
	}
	base, cleanup, err := dataDir(cfg.Dir)
	if err != nil {
		return Summary{}, err
	}
	defer cleanup()

	r := &run{cfg: cfg, seed: cfg.Seed, rng: rand.New(rand.NewSource(cfg.Seed)), log: cfg.Logger,
		track: newTracker(), t0: time.Now()}
	r.cast(base)
	r.away = r.chooseOffline()
	r.custBase = r.rng.Intn(len(r.customers))
	if err := checkDirs(r.all); err != nil {
		return Summary{}, err
	}
	width := 8
	for _, p := range r.all {
		width = max(width, utf8.RuneCountInString(p.name))
	}
	r.tl = newTimeline(cfg.Out, r.t0, min(width, 18))

	r.ctx, r.cancel = context.WithCancelCause(ctx)
	defer r.cancel(nil)
	sum, err := r.play()
	if err == nil && context.Cause(r.ctx) != nil {
		err = context.Cause(r.ctx)
	}
	r.shutdown()
	sum.DurationMs = time.Since(r.t0).Milliseconds()
	if err == nil {
		r.printSummary(&sum)
	}
	return sum, err
}

func (c Config) withDefaults() (Config, error) {
	def := func(v *int, d, hi int, name string) error {
		switch {
		case *v == 0:
			*v = d
		case *v < 0 || *v > hi:
			return fmt.Errorf("demo: %s = %d, want 1..%d", name, *v, hi)
		}
		return nil
	}
	if err := errors.Join(def(&c.Restaurants, 2, MaxRestaurants, "Restaurants"), def(&c.Couriers, 3, MaxCouriers, "Couriers"),
		def(&c.Customers, 3, MaxCustomers, "Customers"), def(&c.Orders, 6, MaxOrders, "Orders")); err != nil {
		return c, err
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	return c, nil
}

func dataDir(dir string) (string, func(), error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", nil, fmt.Errorf("demo: %w", err)
		}
		return dir, func() {}, nil
	}
	d, err := os.MkdirTemp("", "coopnode-demo-*")
	if err != nil {
		return "", nil, fmt.Errorf("demo: %w", err)
	}
	return d, func() { _ = os.RemoveAll(d) }, nil
}

// checkDirs refuses to reuse stores: a second run with the same seed would
// replay the first run's coop and could not found it again.
func checkDirs(ps []*participant) error {
	for _, p := range ps {
		ents, err := os.ReadDir(p.dir)
		if err == nil && len(ents) > 0 {
			return fmt.Errorf("demo: %s already holds a store; use an empty Dir", p.dir)
		}
	}
	return nil
}

// cast creates the participants, their keys and places.
func (r *run) cast(base string) {
	mk := func(name, slug string, role node.Role) *participant {
		p := &participant{name: name, slug: slug, role: role, key: deriveKey(r.seed, slug), dir: filepath.Join(base, slug)}
		r.all = append(r.all, p)
		return p
	}
	r.relay = mk("relay", "relay", node.RoleRelay)
	r.relay.pos = nantes
	for i := range r.cfg.Restaurants {
		s := restaurantSpecFor(i)
		p := mk(s.Name, fmt.Sprintf("restaurant-%d", i+1), node.RoleRestaurant)
		p.spec, p.pos, p.cuisine = s, s.Pos, cuisines[s.Cuisine]
		p.menu = menuFor(p.cuisine)
		r.restaurants = append(r.restaurants, p)
	}
	for i := range r.cfg.Couriers {
		p := mk(pickName(courierNames, i), fmt.Sprintf("courier-%d", i+1), node.RoleCourier)
		p.pos = around(r.rng, nantes, 2000)
		r.couriers = append(r.couriers, p)
	}
	for i := range r.cfg.Customers {
		p := mk(pickName(customerNames, i), fmt.Sprintf("customer-%d", i+1), node.RoleCustomer)
		p.pos = around(r.rng, nantes, 2500)
		r.customers = append(r.customers, p)
	}
}

func (r *run) nodeOpts(p *participant) []node.Option {
	h := sha256.Sum256([]byte(p.slug))
	src := r.seed ^ int64(h[0])<<8 ^ int64(h[1])<<16 ^ int64(h[2])<<24
	return []node.Option{
		node.WithKey(p.key), node.WithRole(p.role), node.WithDataDir(p.dir),
		node.WithListen("/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"),
		node.WithLogger(r.log.With("node", p.name)),
		node.WithSyncInterval(antiEntropyEvery),
		node.WithRand(rand.New(rand.NewSource(src))),
	}
}

// start runs a node for p and tracks what it applies from now on.
func (r *run) start(p *participant, extra ...node.Option) error {
	n, err := node.New(r.ctx, append(r.nodeOpts(p), extra...)...)
	if err != nil {
		return fmt.Errorf("demo: start %s: %w", p.name, err)
	}
	p.n = n
	p.inst = r.track.attach(p.name, n)
	r.mu.Lock()
	r.upAt = append(r.upAt, time.Now())
	r.mu.Unlock()
	return nil
}

// fail records the first error of a goroutine and stops the run; err is
// why it stopped (nil while it runs).
func (r *run) fail(err error) {
	if err != nil {
		r.cancel(err)
	}
}

func (r *run) err() error { return context.Cause(r.ctx) }

// pause simulates a person's time (cooking, riding), not a network wait.
var pause = sim.Pause

// poll waits until cond holds, checking every pollEvery, for at most d.
func poll(ctx context.Context, d time.Duration, what string, cond func() bool) error {
	return timedOut(sim.Poll(ctx, d, pollEvery, what, cond))
}

// timedOut names the demo in a wait's timeout; any other error (the run's
// cause) passes unchanged.
func timedOut(err error) error {
	if errors.Is(err, sim.ErrTimedOut) {
		return fmt.Errorf("demo: %w", err)
	}
	return err
}

// nodes lists every participant's running node.
func (r *run) nodes() []*node.Node {
	return sim.Nodes(r.all, func(p *participant) *node.Node { return p.n })
}

// waitOrder waits until the order's state on n satisfies cond.
func waitOrder(ctx context.Context, n *node.Node, id crdt.ID, d time.Duration, cond func(*crdt.OrderState) bool) (*crdt.OrderState, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return n.WaitOrder(ctx, id, cond)
}

func (r *run) span(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(r.rng.Int63n(int64(hi-lo)+1))
}

// play is the story. It runs on Run's goroutine.
func (r *run) play() (Summary, error) {
	var sum Summary
	sum.Nodes = len(r.all)
	if err := r.setup(); err != nil {
		return sum, err
	}
	sum.Coop = r.coop.String()
	if err := r.publishCatalogue(); err != nil {
		return sum, err
	}

	// Phases: before, during and after a courier's absence.
	p1 := max(1, r.cfg.Orders/3)
	p2 := (r.cfg.Orders - p1 + 1) / 2
	p3 := r.cfg.Orders - p1 - p2
	no := 0
	next := func(online []*participant, force *participant, late bool) *orderPlan {
		no++
		return r.plan(no, online, force, late)
	}

	// Who goes offline is the seed's choice alone, made before any claim
	// race; that courier races for the first order.
	away := r.away
	var first []*orderPlan
	for i := range p1 {
		force := away
		if i > 0 {
			force = nil
		}
		first = append(first, next(r.couriers, force, false))
	}
	if err := r.launchAndWait(first); err != nil {
		return sum, err
	}

	// The courier goes offline; the city carries on.
	sum.OfflineCourier = away.name
	wentAt, old, err := r.goOffline(away)
	if err != nil {
		return sum, err
	}
	online := slices.DeleteFunc(slices.Clone(r.couriers), func(p *participant) bool { return p == away })
	if err := r.soldOut(away); err != nil {
		return sum, err
	}
	var during, parked []*orderPlan
	for i := range p2 {
		late := len(online) == 0 || (p2 >= 2 && i == p2-1)
		pl := next(online, nil, late)
		during = append(during, pl)
		if late {
			parked = append(parked, pl)
		}
	}
	r.launch(during)
	for _, pl := range during {
		if pl.late != nil { // waited for after the courier's return
			select {
			case <-pl.parked:
			case err := <-pl.done:
				pl.done <- err // keep it for the final wait
				if err != nil {
					return sum, r.stop(err)
				}
			case <-r.ctx.Done():
				return sum, r.stop(r.err())
			}
			continue
		}
		if err := r.waitOne(pl); err != nil {
			return sum, r.stop(err)
		}
	}

	// The courier comes back and catches up.
	back, err := r.comeBack(away, old, wentAt, online)
	if err != nil {
		return sum, r.stop(err)
	}
	backAt := back.at
	sum.OfflineCatchUp, sum.OfflineSyncEventsIn = back.session, back.syncEventsIn
	sum.OfflineMs, sum.OfflineCaughtUpMs = backAt.Sub(wentAt).Milliseconds(), back.took.Milliseconds()
	for _, pl := range parked {
		cl := []*participant{away}
		if len(online) > 0 && r.rng.Intn(3) > 0 {
			cl = append(cl, online[r.rng.Intn(len(online))])
		}
		pl.late <- cl
	}
	var after []*orderPlan
	for i := range p3 {
		var force *participant
		if i == 0 && len(parked) == 0 {
			force = away
		}
		after = append(after, next(r.couriers, force, false))
	}
	r.launch(after)
	for _, pl := range append(parked, after...) {
		if err := r.waitOne(pl); err != nil {
			return sum, r.stop(err)
		}
	}
	r.wg.Wait()

	// Every node must now hold the same state.
	conv, scopes, took := r.converge()
	sum.ReplicasConverged, sum.Scopes, sum.ConvergenceMs = conv, scopes, took.Milliseconds()
	return sum, r.collect(&sum, wentAt, backAt)
}

// stop cancels the run with err and waits for the order goroutines.
func (r *run) stop(err error) error {
	r.fail(err)
	r.wg.Wait()
	return r.err()
}
