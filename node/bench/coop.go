package bench

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"math/rand"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
	"github.com/coopnode/coopnode/node/sim"
	"github.com/coopnode/coopnode/protocol"
)

// member is one participant of the simulated coop and its node.
type member struct {
	i    int
	role node.Role
	key  ed25519.PrivateKey
	pub  crdt.PubKey
	pos  crdt.Position
	n    *node.Node
	h    host.Host // its mocknet host, made before the nodes start (nil on loopback)
	tr   *byteTracer
	sub  *node.Subscription
	done chan struct{} // closed when the collector has drained sub

	menu crdt.CatalogMenu // restaurants: as last published
}

// pubInfo is when and by whom an event was applied first (its author's
// Local change).
type pubInfo struct {
	at     time.Time
	author int
	kind   string
	scope  string
	id     crdt.ID // order ID, catalogue owner or coop ID
}

type orderInfo struct {
	checkout             time.Time // when the customer's node was asked to place it
	customer, restaurant int
	parties              map[int]bool // claimants and holder
}

// syncFigure is the measured courier's catch-up.
type syncFigure struct {
	rep      node.SyncReport
	err      error
	from, to time.Time // offline, and when the session started
	peer     int
	ran      bool
}

// coopRun is one simulation of the coop on real nodes.
type coopRun struct {
	cfg Config
	rng *rand.Rand // the driver goroutine's only
	// drawn is what the harness connects (the random or the role graph;
	// nothing with the nodes' own topology); g is the connection graph
	// the measured phase began on (drawn, or what the nodes built)
	drawn graph
	g     graph
	fab   *fabric
	on    atomic.Bool // byte counting
	raw   *rawLog

	ms          []*member
	relay       *member
	restaurants []*member
	couriers    []*member
	customers   []*member
	syncCourier *member
	coop        crdt.ID

	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup // order, churn and scenario goroutines

	mu         sync.Mutex
	pubs       map[crdt.ID]pubInfo
	arr        []map[crdt.ID]time.Time
	offline    []bool
	churned    []bool
	busy       []bool
	outages    [][]interval
	orders     map[crdt.ID]*orderInfo
	claimWaits []time.Duration
	// claimOutcomes: from asking a courier's node to claim until it knew
	// the outcome
	claimOutcomes []time.Duration
	// the same, for couriers connected to the restaurant when they
	// claimed, and for the others
	claimDirect, claimRelayed []time.Duration
	placed                    int
	delivered                 int
	sync                      syncFigure
	t0, end                   time.Time
	syncBytes0                int
	cpu                       float64 // busy share of the CPUs during the measured phase
	cpuOther                  float64 // the same for other processes on the machine (-1: unknown)
	mesh                      [3]int  // mesh hops p50, max, connected (1) at the start of the phase

	city *cityPlace // in a city of coops (coops.go): which one

	// with Config.ProcExe: the relay and one more courier as processes
	procRelay, procCourier *procNode
}

const (
	stepTimeout = 30 * time.Second // one network wait inside an order
	pollEvery   = 20 * time.Millisecond
	setupWait   = 90 * time.Second
)

func newCoopRun(ctx context.Context, cfg Config) *coopRun {
	r := &coopRun{cfg: cfg, rng: rand.New(rand.NewSource(cfg.Seed)), raw: newRawLog(),
		pubs: map[crdt.ID]pubInfo{}, orders: map[crdt.ID]*orderInfo{}}
	r.ctx, r.cancel = context.WithCancelCause(ctx)
	return r
}

func (r *coopRun) now() time.Time { return r.cfg.Now() }

// fail stops the run with the first error; err is why it stopped (nil
// while it runs).
func (r *coopRun) fail(err error) {
	if err != nil {
		r.cancel(err)
	}
}

func (r *coopRun) err() error { return context.Cause(r.ctx) }

func (r *coopRun) logf(format string, a ...any) {
	fmt.Fprintf(r.cfg.Log, "bench: "+format+"\n", a...)
}

// cast creates the participants: index 0 is the relay, then restaurants,
// couriers and customers. The last courier is the measured catch-up
// courier; it claims nothing and does not churn.
func (r *coopRun) cast() {
	cfg := r.cfg
	n := cfg.Nodes
	grng := rand.New(rand.NewSource(cfg.Seed*31 + 7))
	switch {
	case cfg.RandomGraph:
		r.drawn = buildGraph(n, cfg.Degree, grng)
	case cfg.DrawnGraph:
		// index 0 is the relay, then restaurants, couriers and customers
		follower := make([]bool, n)
		follower[0] = true
		for i := 1 + cfg.Restaurants; i < 1+cfg.Restaurants+cfg.Couriers; i++ {
			follower[i] = true
		}
		r.drawn = buildRoleGraph(follower, cfg.Degree, cfg.LeafLinks, grng)
	default:
		r.drawn = graph{adj: make([][]int, n)}
	}
	r.g = r.drawn
	if r.fab == nil {
		r.fab = newFabric(cfg, n)
	}
	r.arr = make([]map[crdt.ID]time.Time, n)
	r.offline, r.churned, r.busy = make([]bool, n), make([]bool, n), make([]bool, n)
	r.outages = make([][]interval, n)
	mk := func(role node.Role) *member {
		i := len(r.ms)
		k := nodeKey(cfg.Seed, i)
		m := &member{i: i, role: role, key: k, pub: protocol.PubKeyOf(k), pos: around(r.rng, city, 3000), done: make(chan struct{})}
		m.tr = newByteTracer(coopMsgID, &r.on, r.raw, cfg.Now)
		m.tr.owner = i
		r.arr[i] = map[crdt.ID]time.Time{}
		r.ms = append(r.ms, m)
		return m
	}
	if cfg.ProcExe != "" {
		// the relay runs as its own process (proc.go); the coop's founder
		// is its admin's desktop node
		r.relay = mk(node.RoleAdmin)
	} else {
		r.relay = mk(node.RoleRelay)
	}
	for j := range cfg.Restaurants {
		m := mk(node.RoleRestaurant)
		m.menu = menuFor(j)
		r.restaurants = append(r.restaurants, m)
	}
	for range cfg.Couriers {
		r.couriers = append(r.couriers, mk(node.RoleCourier))
	}
	for range cfg.Customers {
		r.customers = append(r.customers, mk(node.RoleCustomer))
	}
	r.syncCourier = r.couriers[len(r.couriers)-1]
}

// start runs m's node with the run's knobs.
func (r *coopRun) start(m *member) error {
	cfg := r.cfg
	opts := []node.Option{
		node.WithKey(m.key), node.WithRole(m.role), node.WithGossipTracer(m.tr),
		node.WithPushCounters(nil, func(_ peer.ID, raw []byte) { m.tr.recvPush(raw) }),
		node.WithRand(rand.New(rand.NewSource(cfg.Seed*7919 + int64(m.i)))),
		node.WithLogger(cfg.Logger.With("node", m.i, "role", string(m.role))),
	}
	if m.h != nil {
		opts = append(opts, node.WithHost(m.h))
	} else {
		opts = append(opts, node.WithListen("/ip4/127.0.0.1/tcp/0"))
	}
	if !r.coop.IsZero() {
		opts = append(opts, node.WithCoop(r.coop))
	}
	switch {
	case cfg.DrawnGraph:
		opts = append(opts, node.WithRoleLinks(-1, -1))
	case !cfg.RandomGraph && m != r.relay:
		// what an invite gives: the relay's addresses
		opts = append(opts, node.WithBootstrap(r.bootstrap()...))
	}
	opts = append(opts, r.knobs()...)
	if r.city != nil {
		// the customer app lists the city's coops; a customer hears the
		// cards from its peers, couriers most of all, so they follow too
		opts = append(opts, node.WithCity(cityName))
	}
	if m == r.syncCourier {
		opts = append(opts, node.WithSyncOnConnect(false)) // its catch-up is measured by hand
	}
	n, err := node.New(r.ctx, opts...)
	if err != nil {
		return fmt.Errorf("bench: start node %d (%s): %w", m.i, m.role, err)
	}
	m.n = n
	r.fab.register(m.i, n.Host())
	m.sub = n.Subscribe(1 << 14)
	go r.collect(m)
	return nil
}

// knobs are the run's gossip options, the same for every node it starts.
func (r *coopRun) knobs() []node.Option {
	cfg := r.cfg
	var opts []node.Option
	if cfg.SyncInterval != 0 {
		opts = append(opts, node.WithSyncInterval(cfg.SyncInterval))
	}
	if cfg.D != 0 {
		opts = append(opts, node.WithGossipDegree(cfg.D, cfg.Dlo, cfg.Dhi))
	}
	if cfg.Heartbeat > 0 {
		opts = append(opts, node.WithGossipHeartbeat(cfg.Heartbeat))
	}
	if cfg.Dlazy > 0 || cfg.HistoryGossip > 0 || cfg.GossipFactor > 0 {
		opts = append(opts, node.WithGossipLazy(cfg.Dlazy, cfg.HistoryGossip, cfg.GossipFactor))
	}
	if cfg.IDontWant > 0 {
		opts = append(opts, node.WithIDontWantThreshold(cfg.IDontWant))
	}
	if cfg.NoPartyLinks {
		opts = append(opts, node.WithPartyLinks(false))
	}
	if cfg.NoFloodPublish {
		opts = append(opts, node.WithFloodPublish(false))
	}
	return opts
}

// collect records when m applied each event, and who authored what.
func (r *coopRun) collect(m *member) {
	defer close(m.done)
	for ch := range m.sub.C {
		now := r.now()
		r.mu.Lock()
		if ch.Local {
			if _, ok := r.pubs[ch.Event]; !ok {
				r.pubs[ch.Event] = pubInfo{at: now, author: m.i, kind: ch.Kind, scope: ch.Scope, id: ch.ID}
			}
		}
		seen := r.arr[m.i]
		if _, ok := seen[ch.Event]; !ok {
			seen[ch.Event] = now
		}
		if ch.Order != nil {
			// events let in from the pending set are named by the steps
			for _, s := range ch.Order.Steps {
				if _, ok := seen[s.Event]; !ok {
					seen[s.Event] = now
				}
			}
		}
		r.mu.Unlock()
	}
}

// poll waits until cond holds, for at most d.
func (r *coopRun) poll(d time.Duration, what string, cond func() bool) error {
	return r.pollEvery(d, pollEvery, what, cond)
}

// pollEvery is poll with a given period. When the run fails meanwhile, it
// returns why.
func (r *coopRun) pollEvery(d, every time.Duration, what string, cond func() bool) error {
	return sim.Poll(r.ctx, d, every, what, cond)
}

// setup starts every node, founds the coop, connects the graph, admits the
// members and publishes the catalogue, waiting at each step for the whole
// network.
func (r *coopRun) setup() error {
	ctx := r.ctx
	r.cast()
	if r.fab.mn != nil {
		for _, m := range r.ms {
			h, err := r.fab.mockHost(m.i, m.key)
			if err != nil {
				return err
			}
			m.h = h
			r.fab.register(m.i, h)
		}
		if !r.cfg.DrawnGraph {
			// the nodes pick their links: any may dial any other
			if err := r.fab.linkAll(); err != nil {
				return err
			}
		}
	}
	if err := r.start(r.relay); err != nil {
		return err
	}
	name := "Bench Coop"
	if r.city != nil {
		name = fmt.Sprintf("Bench Coop %d", r.city.k+1)
	}
	id, err := r.relay.n.Found(ctx, crdt.CoopGenesis{Name: name, City: "Nantes", Currency: "EUR", Timezone: "Europe/Paris"})
	if err != nil {
		return fmt.Errorf("bench: found: %w", err)
	}
	r.coop = id
	if err := r.startProcs(); err != nil {
		return err
	}
	if err := sim.Parallel(len(r.ms)-1, func(i int) error { return r.start(r.ms[1+i]) }); err != nil {
		return err
	}
	for _, e := range r.drawn.edges() {
		if err := r.fab.connect(ctx, e[0], e[1]); err != nil {
			return err
		}
	}
	if !r.cfg.DrawnGraph {
		r.waitLinks()
	}
	g := r.fab.snapshot()
	r.logf("%d nodes up, topology %s: %d links (mean degree %.1f), latency %v", len(r.ms), r.cfg.Topology(), len(g.edges()), g.meanDegree(), r.cfg.Latency)
	wctx, cancel := context.WithTimeout(ctx, setupWait)
	defer cancel()
	for _, m := range r.ms {
		if !r.cfg.DrawnGraph && (m.role == node.RoleCustomer || m.role == node.RoleRestaurant) {
			// A leaf dialed its links, so to the followers it is an
			// inbound peer, and gossipsub refuses an inbound GRAFT once
			// its mesh holds D_hi peers: a leaf may have no mesh. It
			// still hears its peers' IHAVE gossip and their own events
			// (flood publishing) and gets its orders by push; the
			// membership and catalogue waits below check that it does.
			continue
		}
		if err := m.n.WaitMesh(wctx, 1); err != nil {
			return fmt.Errorf("bench: node %d mesh: %w", m.i, err)
		}
	}
	for _, group := range []struct {
		ms    []*member
		roles crdt.Roles
	}{{r.restaurants, crdt.RoleRestaurant}, {r.couriers, crdt.RoleCourier}} {
		for _, m := range group.ms {
			if err := r.relay.n.Admit(ctx, m.pub, group.roles, fmt.Sprintf("%s %d", m.role, m.i)); err != nil {
				return fmt.Errorf("bench: admit %d: %w", m.i, err)
			}
		}
	}
	if p := r.procCourier; p != nil {
		if err := r.relay.n.Admit(ctx, p.pub, crdt.RoleCourier, "courier process"); err != nil {
			return fmt.Errorf("bench: admit the courier process: %w", err)
		}
	}
	members := 1 + len(r.restaurants) + len(r.couriers)
	if r.procCourier != nil {
		members++
	}
	if err := sim.WaitMembers(ctx, setupWait, pollEvery, r.nodes(), members); err != nil {
		return err
	}
	if err := sim.Parallel(len(r.restaurants), func(i int) error {
		m := r.restaurants[i]
		if err := m.n.PublishProfile(ctx, profileFor(m)); err != nil {
			return err
		}
		return m.n.PublishMenu(ctx, m.menu)
	}); err != nil {
		return fmt.Errorf("bench: catalogue: %w", err)
	}
	if err := sim.WaitCatalogue(ctx, setupWait, pollEvery, r.nodes(), len(r.restaurants)); err != nil {
		return err
	}
	r.logf("coop founded, %d members admitted, catalogue of %d restaurants everywhere", members, len(r.restaurants))
	return nil
}

// waitLinks waits until every node keeps the role links it wants (as
// many as the coop's followers allow), for at most setupWait; a node
// still short then is reported, and the run goes on.
func (r *coopRun) waitLinks() {
	followers := 1 + len(r.couriers)
	if r.procRelay != nil {
		followers += 2
	}
	short := func() []int {
		var out []int
		for _, m := range r.ms {
			kept, want := m.n.RoleLinks()
			avail := followers
			if m.role == node.RoleRelay || m.role == node.RoleCourier || m.role == node.RoleAdmin {
				avail--
			}
			if want == 0 || kept < min(want, avail) {
				out = append(out, m.i)
			}
		}
		return out
	}
	from := r.now()
	if err := r.poll(setupWait, "every node's role links", func() bool { return len(short()) == 0 }); err != nil {
		var desc []string
		for _, i := range short() {
			kept, want := r.ms[i].n.RoleLinks()
			desc = append(desc, fmt.Sprintf("%d (%s) %d/%d, %d peers", i, r.ms[i].role, kept, want, len(r.ms[i].n.Host().Network().Peers())))
		}
		r.logf("role links: %d nodes still short after %v: %v", len(desc), setupWait, desc)
		return
	}
	r.logf("role links: every node has its own after %v", r.now().Sub(from).Round(10*time.Millisecond))
}

// nodes lists every member's node.
func (r *coopRun) nodes() []*node.Node {
	return sim.Nodes(r.ms, func(m *member) *node.Node { return m.n })
}

// shutdown closes every node in parallel, then the network.
func (r *coopRun) shutdown() {
	_ = sim.Parallel(len(r.ms), func(i int) error {
		if m := r.ms[i]; m.n != nil {
			_ = m.n.Close()
			<-m.done
		}
		return nil
	})
	if r.fab != nil {
		r.fab.close()
	}
	r.stopProcs()
}

// syncBytes sums what every node received by sync sessions so far.
func (r *coopRun) syncBytes() int {
	s := 0
	for _, m := range r.ms {
		s += m.n.Stats(r.ctx).SyncBytesIn
	}
	return s
}

// observe turns what the collectors saw into records for analyze: every
// event authored during the measurement window, with who needed it.
func (r *coopRun) observe() *observation {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.ms)
	o := &observation{n: n, end: r.end, offline: r.outages, label: func(i int) string {
		m := r.ms[i]
		switch {
		case m == r.syncCourier:
			return "catch-up courier"
		case r.churned[i]:
			return "churned " + string(m.role)
		}
		return string(m.role)
	}}
	for _, m := range r.ms {
		o.tracers = append(o.tracers, m.tr)
	}
	ids, data := r.raw.all()
	type wire struct {
		msgID string
		size  int
	}
	byEvent := map[crdt.ID]wire{}
	for i, d := range data {
		if id, err := protocol.ID(d); err == nil {
			byEvent[id] = wire{ids[i], len(d)}
		}
	}
	// an order ends with its terminal event; couriers need its events
	// while it is open
	closes := map[crdt.ID]time.Time{}
	for _, p := range r.pubs {
		if p.scope == "order" && isTerminal(p.kind) {
			if c, ok := closes[p.id]; !ok || p.at.Before(c) {
				closes[p.id] = p.at
			}
		}
	}
	var evs []crdt.ID
	for id, p := range r.pubs {
		if !p.at.Before(r.t0) {
			evs = append(evs, id)
		}
	}
	slices.SortFunc(evs, func(a, b crdt.ID) int { return r.pubs[a].at.Compare(r.pubs[b].at) })
	for _, id := range evs {
		p := r.pubs[id]
		w := byEvent[id]
		rec := record{pub: p.at, author: p.author, size: w.size, kind: p.kind, msgID: w.msgID, arr: make([]time.Time, n)}
		if p.scope == "catalog" {
			rec.doc = p.id.String() + "/" + p.kind
		}
		need := func(i int) {
			if i != p.author && !slices.Contains(rec.needs, i) {
				rec.needs = append(rec.needs, i)
			}
		}
		if oi := r.orders[p.id]; p.scope == "order" && oi != nil {
			need(r.relay.i)
			need(oi.customer)
			need(oi.restaurant)
			end, ok := closes[p.id]
			if !ok {
				end = r.end
			}
			for _, c := range r.couriers {
				// the job board: online at some moment while the order
				// was open, from boardGrace after the event (a phone that
				// dropped at once and came back after the order closed
				// never needed it: SPEC.md §8.6.2) or at its end
				from := p.at.Add(boardGrace)
				if from.After(end) {
					from = end
				}
				if oi.parties[c.i] || o.onlineSomewhere(c.i, from, end) {
					need(c.i)
				}
			}
		} else {
			for i := range n {
				need(i)
			}
		}
		slices.Sort(rec.needs)
		for i := range n {
			rec.arr[i] = r.arr[i][id]
		}
		o.recs = append(o.recs, rec)
	}
	return o
}

// boardGrace is how long after an order event a courier must still be
// online for the job board to need it: about two link latencies of gossip.
const boardGrace = 250 * time.Millisecond

func isTerminal(kind string) bool {
	switch kind {
	case crdt.KindTaskDeliver.String(), crdt.KindOrderCancel.String(), crdt.KindOrderRefuse.String(), crdt.KindOrderFulfil.String():
		return true
	}
	return false
}
