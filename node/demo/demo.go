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
// must hold identical state hashes.
//
// Run prints that story as a timeline and returns a Summary with the
// numbers: deliveries, claim conflicts, convergence, propagation latency
// (to the last node, per event) and the cost of the offline catch-up.
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
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
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
	ReplicasConverged bool            `json:"replicas_converged"` // every node holds identical state hashes for every scope
	PropagationP50Ms  float64         `json:"propagation_p50_ms"`
	PropagationP99Ms  float64         `json:"propagation_p99_ms"`
	Nodes             int             `json:"nodes"`
	Events            int             `json:"events"` // events signed during the run
	DurationMs        int64           `json:"duration_ms"`
	OfflineCatchUp    node.SyncReport `json:"offline_catch_up"` // the returning courier's sync session

	// Propagation details: the worst event, how many events were measured,
	// and how many some running node never announced (see Run).
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
	// The offline courier: who, for how long, how many events were signed
	// meanwhile, and every event its restarted node received by sync
	// (its own session plus the relay's push of finished orders).
	OfflineCourier      string `json:"offline_courier"`
	OfflineMs           int64  `json:"offline_ms"`
	OfflineMissedEvents int    `json:"offline_missed_events"`
	OfflineSyncEventsIn int    `json:"offline_sync_events_in"`

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
	custBase    int         // customers take turns from here
	upAt        []time.Time // when nodes (re)started

	mu         sync.Mutex
	claimWaits []time.Duration
	claims     int
	wins       map[*participant]int // orders won, per courier
	contested  map[*participant]int // contested orders won, per courier
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
		track: newTracker(), t0: time.Now(), wins: map[*participant]int{}, contested: map[*participant]int{}}
	r.cast(base)
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

// fail records the first error of a goroutine and stops the run.
func (r *run) fail(err error) {
	if err != nil {
		r.cancel(err)
	}
}

func (r *run) err() error {
	if c := context.Cause(r.ctx); c != nil {
		return c
	}
	return nil
}

// pause simulates a person's time (cooking, riding), not a network wait.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// poll waits until cond holds, checking every pollEvery, for at most d.
func poll(ctx context.Context, d time.Duration, what string, cond func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		if cond() {
			return nil
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			if c := context.Cause(ctx); c != nil && !errors.Is(c, context.DeadlineExceeded) {
				return c
			}
			return fmt.Errorf("demo: timed out after %s waiting for %s", d, what)
		}
	}
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

	var first []*orderPlan
	for range p1 {
		first = append(first, next(r.couriers, nil, false))
	}
	if err := r.launchAndWait(first); err != nil {
		return sum, err
	}

	// A courier who delivered goes offline; the city carries on.
	away := r.chooseOffline()
	sum.OfflineCourier = away.name
	wentAt, err := r.goOffline(away)
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
	rep, backAt, err := r.comeBack(away, wentAt, online)
	if err != nil {
		return sum, r.stop(err)
	}
	sum.OfflineCatchUp = rep
	sum.OfflineMs = backAt.Sub(wentAt).Milliseconds()
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
	return sum, r.collect(&sum, away, wentAt, backAt)
}

// stop cancels the run with err and waits for the order goroutines.
func (r *run) stop(err error) error {
	r.fail(err)
	r.wg.Wait()
	return r.err()
}

// ---- setup ----

func (r *run) setup() error {
	relay := r.relay
	if err := r.start(relay); err != nil {
		return err
	}
	ctx := r.ctx
	g := crdt.CoopGenesis{Name: "Vélo Coop Nantes", City: "Nantes", Currency: "EUR", Timezone: "Europe/Paris"}
	id, err := relay.n.Found(ctx, g)
	if err != nil {
		return fmt.Errorf("demo: found the coop: %w", err)
	}
	r.coop = id
	r.tl.say(relay.name, "founded %q (coop %s) — the relay is an always-on node; it owns no orders", g.Name, id.Short())
	for _, group := range []struct {
		ps    []*participant
		roles crdt.Roles
		what  string
	}{{r.restaurants, crdt.RoleRestaurant, "restaurant"}, {r.couriers, crdt.RoleCourier, "courier"}} {
		var names []string
		for _, p := range group.ps {
			if err := relay.n.Admit(ctx, crdt.PubKey(p.pubKey()), group.roles, p.name); err != nil {
				return fmt.Errorf("demo: admit %s: %w", p.name, err)
			}
			names = append(names, p.name)
		}
		r.tl.say(relay.name, "admitted %s: %s", plural(len(names), group.what), joinNames(names))
	}
	inv := relay.n.Invite()
	s := inv.String()
	var transports []string
	for _, a := range inv.Bootstrap {
		switch as := a.String(); {
		case strings.Contains(as, "/quic-v1"):
			transports = append(transports, "QUIC")
		case strings.Contains(as, "/tcp/"):
			transports = append(transports, "TCP")
		default:
			transports = append(transports, "other")
		}
	}
	slices.Sort(transports)
	r.tl.say(relay.name, "shares its invite %s…%s (%d chars; %s: %s)", s[:16], s[len(s)-6:], len(s),
		plural(len(inv.Bootstrap), "address"), joinNames(slices.Compact(transports)))

	// Everybody else starts at once, each a real node joining by the invite.
	others := r.all[1:]
	errs := make([]error, len(others))
	var wg sync.WaitGroup
	for i, p := range others {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.start(p, node.WithInvite(inv))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, p := range others {
		id := p.n.ID().String()
		r.tl.say(p.name, "node up: %s, peer …%s, own store in %s/", p.role, id[len(id)-8:], p.slug)
	}

	// Direct links besides the relay: a ring in random order plus a few
	// chords, so gossip does not depend on the relay alone.
	links := 0
	order := r.rng.Perm(len(others))
	connect := func(a, b *participant) error {
		if err := a.n.Connect(ctx, peer.AddrInfo{ID: b.n.ID(), Addrs: b.n.Host().Addrs()}); err != nil {
			return fmt.Errorf("demo: link %s to %s: %w", a.name, b.name, err)
		}
		links++
		return nil
	}
	if len(others) >= 2 {
		ringLen := len(others)
		if ringLen == 2 {
			ringLen = 1
		}
		for i := range ringLen {
			if err := connect(others[order[i]], others[order[(i+1)%len(others)]]); err != nil {
				return err
			}
		}
		for range len(others) / 3 {
			a, b := others[r.rng.Intn(len(others))], others[r.rng.Intn(len(others))]
			if a == b || a.n.Host().Network().Connectedness(b.n.ID()) == network.Connected {
				continue
			}
			if err := connect(a, b); err != nil {
				return err
			}
		}
	}
	members := 1 + len(r.restaurants) + len(r.couriers)
	err = poll(ctx, stepTimeout, "every node to know every member", func() bool {
		for _, p := range r.all {
			cs, err := p.n.CoopState(ctx)
			if err != nil || len(cs.Members) != members {
				return false
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	// gossipsub grafts meshes on heartbeats: wait for every node to have a
	// mesh peer on every topic, so events spread by gossip from the start
	for _, p := range r.all {
		if err := p.n.WaitMesh(ctx, 1); err != nil {
			return err
		}
	}
	r.tl.say("coop", "%d nodes meshed: all linked to the relay, plus %d direct links; everyone knows the %d members", len(r.all), links, members)
	return nil
}

func (p *participant) pubKey() [32]byte {
	var k [32]byte
	copy(k[:], p.key[32:]) // an ed25519 private key ends with its public key
	return k
}

func (r *run) publishCatalogue() error {
	ctx := r.ctx
	errs := make([]error, len(r.restaurants))
	var wg sync.WaitGroup
	for i, p := range r.restaurants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prof := crdt.CatalogProfile{
				Name: p.name, Description: p.cuisine.Descr, Address: p.spec.Address, Position: p.pos, Phone: p.spec.Phone,
				Tags: []string{p.cuisine.Tag}, Timezone: "Europe/Paris", Fulfilment: crdt.FulfilDelivery | crdt.FulfilCollection,
				Hours: []string{"Mo-Su 11:00-23:00"}, MinOrderCents: 800, PrepMinutes: p.cuisine.Prep, Enabled: true,
			}
			if err := p.n.PublishProfile(ctx, prof); err != nil {
				errs[i] = fmt.Errorf("demo: %s profile: %w", p.name, err)
				return
			}
			r.tl.say(p.name, "published profile: %s, %s, open Mo-Su 11:00-23:00", p.cuisine.Tag, p.spec.Address)
			if err := p.n.PublishMenu(ctx, p.menu); err != nil {
				errs[i] = fmt.Errorf("demo: %s menu: %w", p.name, err)
				return
			}
			secs, prods := menuCounts(&p.menu)
			r.tl.say(p.name, "published menu: %d sections, %d products, prices in cents, allergens, options", secs, prods)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	start := time.Now()
	err := poll(ctx, stepTimeout, "the catalogue on every node", func() bool {
		for _, p := range r.all {
			rs, err := p.n.Restaurants(ctx)
			if err != nil || len(rs) != len(r.restaurants) {
				return false
			}
			for _, x := range rs {
				if x.Profile == nil || x.Menu == nil {
					return false
				}
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	took := time.Since(start)
	note := ""
	if took > 500*time.Millisecond {
		note = " — gossip meshes were still forming, anti-entropy sync filled the gaps"
	}
	r.tl.say("coop", "all %d nodes hold the catalogue of %s, %s after publishing%s", len(r.all), plural(len(r.restaurants), "restaurant"), took.Round(time.Millisecond), note)
	return nil
}

// ---- orders ----

// plan decides an order: who orders where, the tip, which couriers race
// for it (force is always one of them), and the pace of the people.
func (r *run) plan(no int, online []*participant, force *participant, late bool) *orderPlan {
	pl := &orderPlan{
		no:         no,
		customer:   r.customers[(r.custBase+no)%len(r.customers)],
		restaurant: r.restaurants[r.rng.Intn(len(r.restaurants))],
		rng:        rand.New(rand.NewSource(r.seed*7919 + int64(no))),
		tip:        tipChoices[r.rng.Intn(len(tipChoices))],
		prepExtra:  uint32(r.rng.Intn(6)),
		note:       fmt.Sprintf("%s (order #%d)", deliveryNotes[r.rng.Intn(len(deliveryNotes))], no),
		done:       make(chan error, 1),
		pace: [5]time.Duration{r.span(100*time.Millisecond, 250*time.Millisecond),
			r.span(60*time.Millisecond, 150*time.Millisecond), r.span(400*time.Millisecond, 800*time.Millisecond),
			r.span(80*time.Millisecond, 200*time.Millisecond), r.span(300*time.Millisecond, 700*time.Millisecond)},
	}
	if late {
		pl.late, pl.parked = make(chan []*participant, 1), make(chan struct{}, 1)
		return pl
	}
	// How many couriers race: 1 (40 %), 2 (40 %) or 3 (20 %); at least two
	// on the very first order, so the demo always shows a conflict.
	k := 1
	switch x := r.rng.Intn(10); {
	case x >= 8:
		k = 3
	case x >= 4:
		k = 2
	}
	if no == 1 {
		k = max(k, 2)
	}
	k = min(k, len(online))
	for _, i := range r.rng.Perm(len(online))[:k] {
		pl.claimants = append(pl.claimants, online[i])
	}
	if force != nil && !slices.Contains(pl.claimants, force) {
		if len(pl.claimants) > 0 {
			pl.claimants[0] = force
		} else {
			pl.claimants = []*participant{force}
		}
	}
	return pl
}

// launch starts the orders' goroutines, a few hundred milliseconds apart so
// that they overlap like a lunch rush without drowning the timeline.
func (r *run) launch(plans []*orderPlan) {
	for i, pl := range plans {
		if i > 0 {
			if pause(r.ctx, r.span(250*time.Millisecond, 450*time.Millisecond)) != nil {
				pl.done <- r.err()
				continue
			}
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			err := r.runOrder(pl)
			r.fail(err)
			pl.done <- err
		}()
	}
}

func (r *run) waitOne(pl *orderPlan) error {
	select {
	case err := <-pl.done:
		return err
	case <-r.ctx.Done():
		return r.err()
	}
}

func (r *run) launchAndWait(plans []*orderPlan) error {
	r.launch(plans)
	for _, pl := range plans {
		if err := r.waitOne(pl); err != nil {
			return r.stop(err)
		}
	}
	return nil
}

// runOrder plays one order from the customer's browse to the doorstep.
func (r *run) runOrder(pl *orderPlan) (err error) {
	ctx := r.ctx
	cust, resto := pl.customer, pl.restaurant
	defer func() {
		if err != nil && !errors.Is(err, context.Canceled) {
			err = fmt.Errorf("demo: order #%d: %w", pl.no, err)
		}
	}()

	// The customer browses the catalogue on their own node.
	rs, err := cust.n.Restaurants(ctx)
	if err != nil {
		return err
	}
	var prof *crdt.CatalogProfile
	var menu *crdt.CatalogMenu
	for _, x := range rs {
		if x.Key == crdt.PubKey(resto.pubKey()) {
			prof, menu = x.Profile, x.Menu
		}
	}
	if prof == nil || menu == nil {
		return fmt.Errorf("%s does not see %s's menu", cust.name, resto.name)
	}
	c := fillCart(pl.rng, menu, prof.MinOrderCents)
	if len(c.Items) == 0 {
		return fmt.Errorf("%s's menu has nothing available", resto.name)
	}
	dist := node.DistanceM(prof.Position, cust.pos)
	var items int64
	for _, li := range c.Items {
		items += li.TotalCents
	}
	fee := deliveryFeeCents(dist)
	totals := crdt.Totals{ItemsCents: items, DeliveryCents: fee, TipCents: pl.tip,
		TaxCents: c.Tax + includedTax(fee, taxService), TotalCents: items + fee + pl.tip}
	pin := fmt.Sprintf("%04d", pl.rng.Intn(10_000))
	pinHash := crdt.PINHash(cust.n.Key(), pin)
	place := crdt.OrderPlace{Restaurant: crdt.PubKey(resto.pubKey()), Fulfilment: crdt.FulfilDelivery, Items: c.Items, Totals: totals,
		Pickup: prof.Position, DropoffArea: coarse(cust.pos), DistanceM: uint32(dist), PINHash: pinHash[:], Note: pl.note}
	id, err := cust.n.PlaceOrder(ctx, place)
	if err != nil {
		return err
	}
	placedAt := time.Now()
	tip := ""
	if pl.tip > 0 {
		tip = " incl. " + euros(pl.tip) + " tip"
	}
	r.tl.say(cust.name, "ordered %s at %s — %s%s  [order %s]", c.Text, resto.name, euros(totals.TotalCents), tip, id.Short())

	// The restaurant sees it on its node and accepts.
	if _, err := waitOrder(ctx, resto.n, id, stepTimeout, func(*crdt.OrderState) bool { return true }); err != nil {
		return fmt.Errorf("%s never saw order %s: %w", resto.name, id.Short(), err)
	}
	if err := pause(ctx, pl.pace[0]); err != nil {
		return err
	}
	prep := resto.cuisine.Prep + pl.prepExtra
	if err := resto.n.Accept(ctx, id, prep); err != nil {
		return err
	}
	r.tl.say(resto.name, "accepted order %s (ready in %d min)", id.Short(), prep)
	kitchen := make(chan error, 1)
	go func() { kitchen <- r.kitchen(pl, id) }()
	defer func() {
		if kerr := <-kitchen; err == nil {
			err = kerr
		}
	}()

	claimants := pl.claimants
	if pl.late != nil {
		pl.parked <- struct{}{}
		select {
		case claimants = <-pl.late:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	winner, err := r.claimRace(pl, id, claimants)
	if err != nil {
		return err
	}

	// The winner rides to the restaurant, waits for the food, delivers.
	w := winner.n
	if err := w.StartTask(ctx, id, crdt.TaskPickupN); err != nil {
		return err
	}
	if _, err := waitOrder(ctx, w, id, lateTimeout, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusReady }); err != nil {
		return fmt.Errorf("%s never saw order %s ready: %w", winner.name, id.Short(), err)
	}
	if err := pause(ctx, pl.pace[3]); err != nil {
		return err
	}
	if err := w.Pickup(ctx, id); err != nil {
		return err
	}
	r.tl.say(winner.name, "picked up order %s at %s, riding %s to %s", id.Short(), resto.name, humanDistance(dist), cust.name)
	if err := w.StartTask(ctx, id, crdt.TaskDropoffN); err != nil {
		return err
	}
	if err := pause(ctx, pl.pace[4]); err != nil {
		return err
	}
	photo := sha256.Sum256([]byte(fmt.Sprintf("doorstep photo: order %s handed to %s", id, cust.name)))
	if err := w.Deliver(ctx, id, crdt.Proof{Recipient: cust.name, PhotoHash: photo[:], PIN: pin}); err != nil {
		return err
	}
	r.tl.say(winner.name, "delivered order %s to %s (PIN ✓, photo %x…)", id.Short(), cust.name, photo[:4])
	r.mu.Lock()
	r.lastDeliv = time.Now()
	r.mu.Unlock()

	// The customer's own node shows it delivered.
	if _, err := waitOrder(ctx, cust.n, id, stepTimeout, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusDelivered }); err != nil {
		return fmt.Errorf("%s never saw order %s delivered: %w", cust.name, id.Short(), err)
	}
	r.tl.say(cust.name, "got order %s: %.1f s from ordering to the doorstep", id.Short(), time.Since(placedAt).Seconds())
	return nil
}

// kitchen starts cooking and marks the order ready, on the restaurant's node.
func (r *run) kitchen(pl *orderPlan, id crdt.ID) error {
	ctx, resto := r.ctx, pl.restaurant
	if err := pause(ctx, pl.pace[1]); err != nil {
		return err
	}
	if err := resto.n.StartPreparing(ctx, id); err != nil {
		return fmt.Errorf("demo: order #%d: start preparing: %w", pl.no, err)
	}
	if err := pause(ctx, pl.pace[2]); err != nil {
		return err
	}
	if err := resto.n.MarkReady(ctx, id); err != nil {
		return fmt.Errorf("demo: order #%d: mark ready: %w", pl.no, err)
	}
	r.tl.say(resto.name, "order %s is ready for pickup", id.Short())
	return nil
}

type claimResult struct {
	claim crdt.ID
	res   node.ClaimResult
	err   error
	took  time.Duration
}

// claimRace has the claimants claim the order at the same moment, each on
// its own node, and each learn the outcome there with AwaitClaim.
func (r *run) claimRace(pl *orderPlan, id crdt.ID, claimants []*participant) (*participant, error) {
	ctx := r.ctx
	for _, c := range claimants {
		if _, err := waitOrder(ctx, c.n, id, stepTimeout, func(s *crdt.OrderState) bool {
			return s.Status == crdt.StatusAccepted || s.Status == crdt.StatusPreparing || s.Status == crdt.StatusReady
		}); err != nil {
			return nil, fmt.Errorf("%s never saw order %s as a job: %w", c.name, id.Short(), err)
		}
	}
	results := make([]claimResult, len(claimants))
	start := make(chan struct{})
	var claimed, settled sync.WaitGroup
	claimed.Add(len(claimants))
	settled.Add(len(claimants))
	for i, c := range claimants {
		go func() {
			defer settled.Done()
			<-start
			cid, err := c.n.Claim(ctx, id, c.pos)
			at := time.Now()
			results[i].claim, results[i].err = cid, err
			claimed.Done()
			if err != nil {
				return
			}
			actx, cancel := context.WithTimeout(ctx, stepTimeout)
			defer cancel()
			res, err := c.n.AwaitClaim(actx, id, cid)
			results[i].res, results[i].err, results[i].took = res, err, time.Since(at)
		}()
	}
	close(start)
	claimed.Wait()
	names := make([]string, len(claimants))
	for i, c := range claimants {
		names[i] = c.name
	}
	switch len(claimants) {
	case 1:
		c := claimants[0]
		r.tl.say(c.name, "claimed order %s (%s from %s)", id.Short(), humanDistance(node.DistanceM(c.pos, pl.restaurant.pos)), pl.restaurant.name)
	case 2:
		r.tl.say("couriers", "%s both claimed order %s at the same moment", joinNames(names), id.Short())
	default:
		r.tl.say("couriers", "%s all claimed order %s at the same moment", joinNames(names), id.Short())
	}
	settled.Wait()

	var winner *participant
	var lost []string
	for i, c := range claimants {
		res := results[i]
		if res.err != nil {
			return nil, fmt.Errorf("%s's claim on %s: %w", c.name, id.Short(), res.err)
		}
		if res.res.Won {
			if winner != nil {
				return nil, fmt.Errorf("order %s: both %s and %s think they won", id.Short(), winner.name, c.name)
			}
			winner = c
		} else {
			lost = append(lost, c.name)
		}
	}
	if winner == nil {
		return nil, fmt.Errorf("order %s: no claimant won", id.Short())
	}
	for i, c := range claimants {
		if c != winner && results[i].res.Winner != crdt.PubKey(winner.pubKey()) {
			return nil, fmt.Errorf("order %s: %s lost to someone other than %s", id.Short(), c.name, winner.name)
		}
	}
	by := "confirmed"
	if s, err := winner.n.Order(ctx, id); err == nil {
		for _, st := range s.Steps {
			if st.Kind == crdt.KindCourierAssign && st.Author == crdt.PubKey(pl.restaurant.pubKey()) {
				by = "confirmed by " + pl.restaurant.name
			}
		}
	}
	msg := fmt.Sprintf("won order %s (%s)", id.Short(), by)
	if len(lost) > 0 {
		msg += fmt.Sprintf("; %s lost to %s", joinNames(lost), winner.name)
	}
	r.tl.say(winner.name, "%s", msg)
	r.mu.Lock()
	r.claims += len(claimants)
	for _, res := range results {
		r.claimWaits = append(r.claimWaits, res.took)
	}
	r.wins[winner]++
	if len(claimants) > 1 {
		r.contested[winner]++
	}
	r.mu.Unlock()
	return winner, nil
}

// ---- the offline courier ----

// chooseOffline picks a courier who delivered something, preferably one
// who won a contested order.
func (r *run) chooseOffline() *participant {
	r.mu.Lock()
	defer r.mu.Unlock()
	var best []*participant
	for _, pool := range []map[*participant]int{r.contested, r.wins} {
		for _, c := range r.couriers {
			if pool[c] > 0 {
				best = append(best, c)
			}
		}
		if len(best) > 0 {
			break
		}
	}
	if len(best) == 0 {
		best = r.couriers
	}
	return best[r.rng.Intn(len(best))]
}

func (r *run) goOffline(p *participant) (time.Time, error) {
	st := p.n.Stats(r.ctx)
	r.tl.say(p.name, "goes offline (phone dead in the Saint-Félix tunnel); node stopped, %d events stay in its store", st.EventsStored)
	at := time.Now()
	err := p.n.Close()
	r.track.detach(p.inst, true)
	p.n, p.inst = nil, nil
	if err != nil {
		return at, fmt.Errorf("demo: close %s: %w", p.name, err)
	}
	return at, nil
}

// soldOut has a restaurant change its menu while the courier is away, so
// that there is always something new in the courier's catch-up.
func (r *run) soldOut(away *participant) error {
	p := r.restaurants[r.rng.Intn(len(r.restaurants))]
	m, name, ok := markSoldOut(p.menu, p.cuisine.SoldOutPID)
	if !ok {
		return nil
	}
	if err := p.n.PublishMenu(r.ctx, m); err != nil {
		return fmt.Errorf("demo: %s menu update: %w", p.name, err)
	}
	p.menu = m
	r.tl.say(p.name, "marked %s sold out (menu v2, while %s is offline)", name, away.name)
	return nil
}

// comeBack restarts the courier's node from its store, measures its
// catch-up session with the relay, and relinks it.
func (r *run) comeBack(p *participant, wentAt time.Time, online []*participant) (node.SyncReport, time.Time, error) {
	ctx := r.ctx
	var rep node.SyncReport
	if err := r.start(p, node.WithCoop(r.coop)); err != nil {
		return rep, time.Time{}, err
	}
	backAt := time.Now()
	// Stats.EventsStored is only set on ingest, so count what the store
	// gave back through the state it folded.
	known, err := p.n.Orders(ctx, node.OrderFilter{})
	if err != nil {
		return rep, backAt, err
	}
	// Sync dials the relay itself, so the session's snapshot is taken
	// before any peer can push to the returning node.
	p.n.Host().Peerstore().AddAddrs(r.relay.n.ID(), r.relay.n.Host().Addrs(), time.Hour)
	rep, err = p.n.Sync(ctx, r.relay.n.ID())
	if err != nil {
		return rep, backAt, fmt.Errorf("demo: %s's catch-up: %w", p.name, err)
	}
	r.tl.say(p.name, "back online after %.1f s: its store still holds its %s; caught up %s in %s, %s, from the relay",
		backAt.Sub(wentAt).Seconds(), plural(len(known), "order"), plural(rep.EventsIn, "event"), plural(rep.RoundTrips, "round trip"), humanBytes(rep.BytesIn+rep.BytesOut))
	// Relink to a couple of peers directly, as before.
	peers := append(slices.Clone(online), r.restaurants...)
	for _, i := range r.rng.Perm(len(peers))[:min(2, len(peers))] {
		q := peers[i]
		if err := p.n.Connect(ctx, peer.AddrInfo{ID: q.n.ID(), Addrs: q.n.Host().Addrs()}); err != nil {
			return rep, backAt, fmt.Errorf("demo: relink %s to %s: %w", p.name, q.name, err)
		}
	}
	jobs, err := p.n.Jobs(ctx, p.pos, 0)
	if err != nil {
		return rep, backAt, err
	}
	switch len(jobs) {
	case 0:
		r.tl.say(p.name, "job board is empty: nothing waiting for a courier")
	default:
		var js []string
		for _, j := range jobs {
			js = append(js, fmt.Sprintf("order %s at %s, %s away", j.Order.ID.Short(), r.restaurantName(j.Order.Restaurant), humanDistance(j.DistanceM)))
		}
		what := "1 open job"
		if len(jobs) > 1 {
			what = fmt.Sprintf("%d open jobs", len(jobs))
		}
		r.tl.say(p.name, "sees %s on its own node: %s", what, strings.Join(js, "; "))
	}
	return rep, backAt, nil
}

func (r *run) restaurantName(k crdt.PubKey) string {
	for _, p := range r.restaurants {
		if crdt.PubKey(p.pubKey()) == k {
			return p.name
		}
	}
	return k.Short()
}

// ---- the end ----

// converge polls every node's scope hashes until they are identical, for
// at most convergeTimeout.
func (r *run) converge() (bool, int, time.Duration) {
	ctx := r.ctx
	var scopes int
	same := func() bool {
		var ref []crdt.ScopeHash
		for i, p := range r.all {
			hs, err := p.n.ScopeHashes(ctx)
			if err != nil {
				return false
			}
			if i == 0 {
				ref = hs
				continue
			}
			if !slices.Equal(ref, hs) {
				return false
			}
		}
		scopes = len(ref)
		return true
	}
	err := poll(ctx, convergeTimeout, "convergence", same)
	r.mu.Lock()
	took := time.Since(r.lastDeliv)
	r.mu.Unlock()
	if err != nil {
		r.tl.say("coop", "replicas did NOT converge within %s: %s", convergeTimeout, r.divergence())
		return false, scopes, took
	}
	r.tl.say("coop", "converged: all %d nodes hold identical state hashes for all %d scopes (%s after the last delivery)",
		len(r.all), scopes, took.Round(time.Millisecond))
	return true, scopes, took
}

// divergence describes which nodes differ from the relay.
func (r *run) divergence() string {
	ref, err := r.relay.n.ScopeHashes(r.ctx)
	if err != nil {
		return err.Error()
	}
	want := map[crdt.ScopeRef][32]byte{}
	for _, h := range ref {
		want[h.Ref] = h.Hash
	}
	var out []string
	for _, p := range r.all[1:] {
		hs, err := p.n.ScopeHashes(r.ctx)
		if err != nil {
			out = append(out, p.name+": "+err.Error())
			continue
		}
		diff := len(want) - len(hs)
		for _, h := range hs {
			if w, ok := want[h.Ref]; !ok || w != h.Hash {
				diff++
			}
		}
		if diff != 0 {
			out = append(out, fmt.Sprintf("%s differs from the relay (%d scopes held, %d differ or missing)", p.name, len(hs), max(diff, 0)))
		}
	}
	if len(out) == 0 {
		return "the nodes disagree among themselves"
	}
	return strings.Join(out, "; ")
}

// collect fills the summary from the replicated state and the tracker.
func (r *run) collect(sum *Summary, away *participant, wentAt, backAt time.Time) error {
	ctx := r.ctx
	orders, err := r.relay.n.Orders(ctx, node.OrderFilter{})
	if err != nil {
		return err
	}
	sum.OrdersPlaced = len(orders)
	for _, s := range orders {
		if s.Status == crdt.StatusDelivered {
			sum.OrdersDelivered++
		}
		couriers := map[crdt.PubKey]bool{}
		for _, c := range s.Claims {
			couriers[c.Courier] = true
		}
		if len(couriers) >= 2 {
			sum.ClaimConflicts++
		}
	}
	sum.OfflineSyncEventsIn = away.n.Stats(ctx).SyncEventsIn
	for _, p := range r.all {
		sum.DroppedChanges += p.n.Stats(ctx).DroppedChanges
	}

	r.track.detachAll()
	ps := r.track.stats()
	sum.Events, sum.EventsByKind = ps.Authored, ps.ByKind
	sum.PropagationSamples, sum.PropagationIncomplete = len(ps.Samples), ps.Incomplete
	sum.PropagationP50Ms, sum.PropagationP99Ms = percentile(ps.Samples, 50), percentile(ps.Samples, 99)
	sum.PropagationMaxMs = percentile(ps.Samples, 100)
	sum.OfflineMissedEvents = ps.AuthoredBetween(wentAt, backAt)
	sum.PropagationOrdersP50Ms, sum.PropagationOrdersP99Ms = percentile(ps.Orders, 50), percentile(ps.Orders, 99)
	for i, e := range ps.Slowest {
		if i == 0 {
			sum.PropagationSlowest = SlowEvent{Kind: e.Kind, By: e.By, Last: e.Last,
				Ms: float64(e.Took.Microseconds()) / 1000, AtMs: e.At.Sub(r.t0).Milliseconds()}
		}
		r.log.Debug("slow event", "kind", e.Kind, "by", e.By, "last", e.Last, "took", e.Took, "at", e.At.Sub(r.t0))
	}

	r.mu.Lock()
	waits := slices.Clone(r.claimWaits)
	sum.Claims = r.claims
	r.mu.Unlock()
	slices.Sort(waits)
	sum.ClaimResolutionP50Ms, sum.ClaimResolutionMaxMs = percentile(waits, 50), percentile(waits, 100)
	return nil
}

// coldNote explains an event signed within a gossipsub heartbeat or two
// of a node starting: meshes form on heartbeats, so the event reached some
// nodes only by anti-entropy sync or gossip's IHAVE/IWANT.
func (r *run) coldNote(atMs int64) string {
	at := r.t0.Add(time.Duration(atMs) * time.Millisecond)
	for _, up := range r.upAt {
		if d := at.Sub(up); d >= 0 && d < 1500*time.Millisecond {
			return fmt.Sprintf(", %.1f s after a node started, before its gossip mesh had formed", d.Seconds())
		}
	}
	return ""
}

// shutdown stops the collectors and closes every node, in parallel.
func (r *run) shutdown() {
	r.wg.Wait()
	r.track.detachAll()
	var wg sync.WaitGroup
	for _, p := range r.all {
		if p.n == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.n.Close(); err != nil {
				r.log.Warn("close node", "node", p.name, "err", err)
			}
		}()
	}
	wg.Wait()
}

func (r *run) printSummary(s *Summary) {
	line := strings.Repeat("─", 78)
	conv := "NOT converged"
	if s.ReplicasConverged {
		conv = fmt.Sprintf("converged — %d nodes, identical hashes on %d scopes, %d ms after the last delivery", s.Nodes, s.Scopes, s.ConvergenceMs)
	}
	rows := [][2]string{
		{"cooperative", fmt.Sprintf("Vélo Coop Nantes (%s…): 1 relay, %s, %s, %s — %d real nodes",
			s.Coop[:8], plural(r.cfg.Restaurants, "restaurant"), plural(r.cfg.Couriers, "courier"), plural(r.cfg.Customers, "customer"), s.Nodes)},
		{"orders", fmt.Sprintf("%d placed, %d delivered", s.OrdersPlaced, s.OrdersDelivered)},
		{"claim conflicts", fmt.Sprintf("%s raced by 2+ couriers (%s); each courier knew the outcome in %.0f ms (p50), %.0f ms (max)",
			plural(s.ClaimConflicts, "order"), plural(s.Claims, "claim"), s.ClaimResolutionP50Ms, s.ClaimResolutionMaxMs)},
		{"replicas", conv},
		{"propagation", fmt.Sprintf("p50 %.1f ms, p99 %.1f ms until the last node applied an event (%d events measured, %d not)",
			s.PropagationP50Ms, s.PropagationP99Ms, s.PropagationSamples, s.PropagationIncomplete)},
		{"", fmt.Sprintf("order events alone: p50 %.1f ms, p99 %.1f ms", s.PropagationOrdersP50Ms, s.PropagationOrdersP99Ms)},
		{"", fmt.Sprintf("slowest: %s by %s, %.0f ms to reach %s (signed at +%.1f s%s)", s.PropagationSlowest.Kind, s.PropagationSlowest.By,
			s.PropagationSlowest.Ms, s.PropagationSlowest.Last, float64(s.PropagationSlowest.AtMs)/1000, r.coldNote(s.PropagationSlowest.AtMs))},
		{"offline courier", fmt.Sprintf("%s away %.1f s while %s were signed; catch-up session: %s in, %d out, %s, %s (%s of it events)",
			s.OfflineCourier, float64(s.OfflineMs)/1000, plural(s.OfflineMissedEvents, "event"), plural(s.OfflineCatchUp.EventsIn, "event"),
			s.OfflineCatchUp.EventsOut, plural(s.OfflineCatchUp.RoundTrips, "round trip"),
			humanBytes(s.OfflineCatchUp.BytesIn+s.OfflineCatchUp.BytesOut), humanBytes(s.OfflineCatchUp.EventBytes))},
		{"events", fmt.Sprintf("%d signed events, %d claims, %d deliveries", s.Events, s.EventsByKind[crdt.KindCourierClaim.String()], s.EventsByKind[crdt.KindTaskDeliver.String()])},
		{"took", fmt.Sprintf("%.1f s", float64(s.DurationMs)/1000)},
	}
	r.tl.raw(" %s\n", line)
	for _, row := range rows {
		r.tl.raw("  %s %s\n", padRunes(row[0], 16), row[1])
	}
	r.tl.raw(" %s\n", line)
}
