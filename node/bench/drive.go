package bench

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
	"github.com/coopnode/coopnode/protocol"
)

// The measured phase: orders arrive at the configured rate and run their
// whole lifecycle on the nodes of their customer, restaurant and couriers;
// meanwhile phones drop off and come back (churn), restaurants update
// menus, and one courier is away long enough to need a real catch-up.
// Pauses simulate people (cooking, riding) and pace arrivals; every wait
// for the network polls a condition with a deadline.

var errNoPeer = errors.New("bench: no online neighbour to sync with")

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// drive runs the measured phase, then drains until every needed event has
// arrived or cfg.Drain has passed.
func (r *coopRun) drive() error {
	r.syncBytes0 = r.syncBytes()
	if !r.cfg.DrawnGraph {
		r.g = r.fab.snapshot() // what the nodes built
	}
	// the orders topic's mesh: its followers only (SPEC.md §10.1)
	var trs []*byteTracer
	idx := map[peer.ID]int{}
	for _, m := range r.ms {
		if m.role == node.RoleRelay || m.role == node.RoleCourier {
			idx[m.n.ID()] = len(trs)
			trs = append(trs, m.tr)
		}
	}
	p50, worst, conn := meshGraph(trs, idx, protocol.TopicOrders(r.coop)).floors()
	r.mesh = [3]int{p50, worst, b2i(conn)}
	cpu := startCPU()
	r.mu.Lock()
	r.t0 = r.now()
	r.mu.Unlock()
	r.on.Store(true)
	r.logf("measuring: %.0f orders/min for %v, churn %.0f%% of phones", r.cfg.OrdersPerMin, r.cfg.Duration, 100*r.cfg.Churn)
	// links serialises link changes, so that two nodes coming back at the
	// same moment do not both skip the link between them
	var links sync.Mutex
	seeds := [3]int64{r.rng.Int63(), r.rng.Int63(), r.rng.Int63()}
	r.wg.Add(3)
	go func() { defer r.wg.Done(); r.fail(r.churn(rand.New(rand.NewSource(seeds[0])), &links)) }()
	go func() { defer r.wg.Done(); r.fail(r.catchUp(&links)) }()
	go func() { defer r.wg.Done(); r.fail(r.menuUpdates(rand.New(rand.NewSource(seeds[1])))) }()

	next, no := r.t0, 0
	for r.err() == nil {
		next = next.Add(expInterval(r.rng, r.cfg.OrdersPerMin))
		if next.Sub(r.t0) >= r.cfg.Duration || r.sleepUntil(next) != nil {
			break
		}
		no++
		seed := r.rng.Int63()
		r.wg.Add(1)
		go func(no int) { // its own copy: the loop goes on counting
			defer r.wg.Done()
			r.fail(r.runOrder(no, rand.New(rand.NewSource(seed))))
		}(no)
	}
	r.wg.Wait()
	if err := r.err(); err != nil {
		return err
	}
	r.logf("%d orders placed, %d delivered; draining", r.placed, r.delivered)
	// The last events were authored a moment ago: their authors' changes
	// may not have reached the collectors yet, so the drain lasts at least
	// a second and ends only when two polls in a row find nothing
	// missing. observe is not free: poll a few times a second, so the
	// harness does not steal the CPU the repair path needs.
	drainFrom, clean := r.now(), 0
	_ = r.pollEvery(r.cfg.Drain, 250*time.Millisecond, "every needed event", func() bool {
		r.mu.Lock()
		r.end = r.now()
		r.mu.Unlock()
		if r.observe().missing() == 0 {
			clean++
		} else {
			clean = 0
		}
		return clean >= 2 && r.now().Sub(drainFrom) >= time.Second
	})
	if err := r.err(); err != nil {
		return err
	}
	r.mu.Lock()
	r.end = r.now()
	r.cpu, r.cpuOther = cpu.shares()
	r.mu.Unlock()
	r.on.Store(false)
	return nil
}

// expInterval draws the gap to the next arrival of a Poisson process.
func expInterval(rng *rand.Rand, perMin float64) time.Duration {
	return time.Duration(rng.ExpFloat64() / perMin * float64(time.Minute))
}

func (r *coopRun) sleepUntil(t time.Time) error { return r.sleep(t.Sub(r.now())) }

// sleep paces people and arrivals (never a wait for the network).
func (r *coopRun) sleep(d time.Duration) error {
	if d <= 0 {
		return r.err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-r.ctx.Done():
		return r.err()
	}
}

func span(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(rng.Int63n(int64(hi-lo)+1))
}

// pick waits for and returns one random member of ms satisfying ok (under
// r.mu), marking it with mark if set.
func (r *coopRun) pick(rng *rand.Rand, ms []*member, k int, ok func(*member) bool, mark []bool) ([]*member, error) {
	var got []*member
	err := r.poll(stepTimeout, "an available participant", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		var c []*member
		for _, m := range ms {
			if ok(m) {
				c = append(c, m)
			}
		}
		if len(c) == 0 {
			return false
		}
		for _, i := range rng.Perm(len(c))[:min(k, len(c))] {
			got = append(got, c[i])
			if mark != nil {
				mark[c[i].i] = true
			}
		}
		return true
	})
	return got, err
}

func (r *coopRun) release(ms ...*member) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range ms {
		r.busy[m.i] = false
	}
}

func waitOrder(ctx context.Context, n *node.Node, id crdt.ID, cond func(*crdt.OrderState) bool) error {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	_, err := n.WaitOrder(ctx, id, cond)
	return err
}

func isJob(s *crdt.OrderState) bool {
	return s.Status == crdt.StatusAccepted || s.Status == crdt.StatusPreparing || s.Status == crdt.StatusReady
}

// runOrder plays one order from the cart to the doorstep.
func (r *coopRun) runOrder(no int, rng *rand.Rand) (err error) {
	ctx := r.ctx
	defer func() {
		if err != nil && r.err() == nil {
			err = fmt.Errorf("bench: order %d: %w", no, err)
		}
	}()
	cs, err := r.pick(rng, r.customers, 1, func(m *member) bool { return !r.offline[m.i] }, nil)
	if err != nil {
		return err
	}
	cust, resto := cs[0], r.restaurants[rng.Intn(len(r.restaurants))]
	pin := fmt.Sprintf("%04d", rng.Intn(10_000))
	r.mu.Lock()
	place := placeFor(rng, cust, resto, resto.menu, pin, no)
	r.mu.Unlock()
	if !r.cfg.NoPartyLinks {
		// the app quotes the cart while the customer fills it, which links
		// the node to the restaurant (SPEC.md §10.8); the customer then
		// takes a moment to check out
		_, _ = cust.n.Quote(ctx, cartOf(place))
		if err := r.sleep(span(rng, 500*time.Millisecond, 1500*time.Millisecond)); err != nil {
			return err
		}
	}
	checkout := r.now()
	id, err := cust.n.PlaceUnpriced(ctx, place)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.orders[id] = &orderInfo{checkout: checkout, customer: cust.i, restaurant: resto.i, parties: map[int]bool{}}
	r.placed++
	r.mu.Unlock()

	if err := waitOrder(ctx, resto.n, id, func(*crdt.OrderState) bool { return true }); err != nil {
		return fmt.Errorf("restaurant never saw it: %w", err)
	}
	if err := r.sleep(span(rng, 150*time.Millisecond, 400*time.Millisecond)); err != nil {
		return err
	}
	if err := resto.n.Accept(ctx, id, 10); err != nil {
		return err
	}
	kitchen := make(chan error, 1)
	kpace := [2]time.Duration{span(rng, 100*time.Millisecond, 300*time.Millisecond), span(rng, 400*time.Millisecond, 1200*time.Millisecond)}
	go func() {
		if err := r.sleep(kpace[0]); err != nil {
			kitchen <- err
			return
		}
		if err := resto.n.StartPreparing(ctx, id); err != nil {
			kitchen <- err
			return
		}
		if err := r.sleep(kpace[1]); err != nil {
			kitchen <- err
			return
		}
		kitchen <- resto.n.Ready(ctx, id)
	}()
	defer func() {
		if kerr := <-kitchen; err == nil && kerr != nil {
			err = fmt.Errorf("kitchen: %w", kerr)
		}
	}()

	// 1 (40 %), 2 (40 %) or 3 (20 %) couriers race for it
	k := []int{1, 1, 1, 1, 2, 2, 2, 2, 3, 3}[rng.Intn(10)]
	claimants, err := r.pick(rng, r.couriers, k, func(m *member) bool {
		return m != r.syncCourier && !r.offline[m.i] && !r.busy[m.i]
	}, r.busy)
	if err != nil {
		return err
	}
	r.mu.Lock()
	for _, c := range claimants {
		r.orders[id].parties[c.i] = true
	}
	r.mu.Unlock()
	winner, err := r.claimRace(id, resto, claimants)
	for _, c := range claimants {
		if c != winner {
			r.release(c)
		}
	}
	if err != nil {
		return err
	}
	defer r.release(winner)

	w := winner.n
	if err := w.StartTask(ctx, id, crdt.TaskPickupN); err != nil {
		return err
	}
	if err := waitOrder(ctx, w, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusReady }); err != nil {
		return fmt.Errorf("courier never saw it ready: %w", err)
	}
	if err := r.sleep(span(rng, 100*time.Millisecond, 300*time.Millisecond)); err != nil {
		return err
	}
	if err := w.Pickup(ctx, id); err != nil {
		return err
	}
	if err := w.StartTask(ctx, id, crdt.TaskDropoffN); err != nil {
		return err
	}
	if err := r.sleep(span(rng, 300*time.Millisecond, 800*time.Millisecond)); err != nil {
		return err
	}
	photo := sha256.Sum256(fmt.Appendf(nil, "doorstep %d", no))
	if err := w.Deliver(ctx, id, crdt.Proof{Recipient: "customer", PhotoHash: photo[:], PIN: pin}); err != nil {
		return err
	}
	r.mu.Lock()
	r.delivered++
	r.mu.Unlock()
	return nil
}

// claimRace has the claimants claim at the same moment, each on its own
// node once it sees the job, and each learn the outcome there. Each
// outcome is filed by whether the courier's node was connected to the
// restaurant's when it claimed (issue 18's two claim targets).
func (r *coopRun) claimRace(id crdt.ID, resto *member, claimants []*member) (*member, error) {
	ctx := r.ctx
	for _, c := range claimants {
		if err := waitOrder(ctx, c.n, id, isJob); err != nil {
			return nil, fmt.Errorf("courier %d never saw the job: %w", c.i, err)
		}
	}
	if !r.cfg.NoPartyLinks {
		// each looks at its job board (which links its node to the nearest
		// jobs' restaurants, SPEC.md §10.8) and takes a moment to tap
		for _, c := range claimants {
			if _, err := c.n.Jobs(ctx, c.pos, 0); err != nil {
				return nil, fmt.Errorf("courier %d job board: %w", c.i, err)
			}
		}
		if err := r.sleep(300*time.Millisecond + time.Duration(len(claimants))*100*time.Millisecond); err != nil {
			return nil, err
		}
	}
	type result struct {
		res           node.ClaimResult
		took, outcome time.Duration
		direct        bool
		err           error
	}
	results := make([]result, len(claimants))
	var wg sync.WaitGroup
	for i, c := range claimants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			direct := c.n.Host().Network().Connectedness(resto.n.ID()) == network.Connected
			asked := r.now()
			cid, err := c.n.Claim(ctx, id, c.pos)
			if err != nil {
				results[i].err = err
				return
			}
			at := r.now()
			actx, cancel := context.WithTimeout(ctx, stepTimeout)
			defer cancel()
			res, err := c.n.AwaitClaim(actx, id, cid)
			now := r.now()
			results[i] = result{res, now.Sub(at), now.Sub(asked), direct, err}
		}()
	}
	wg.Wait()
	var winner *member
	for i, c := range claimants {
		if results[i].err != nil {
			return nil, fmt.Errorf("claim by courier %d: %w", c.i, results[i].err)
		}
		if results[i].res.Won {
			if winner != nil {
				return nil, fmt.Errorf("couriers %d and %d both won", winner.i, c.i)
			}
			winner = c
		}
	}
	if winner == nil {
		return nil, errors.New("no claimant won")
	}
	r.mu.Lock()
	for _, res := range results {
		r.claimWaits = append(r.claimWaits, res.took)
		r.claimOutcomes = append(r.claimOutcomes, res.outcome)
		if res.direct {
			r.claimDirect = append(r.claimDirect, res.outcome)
		} else {
			r.claimRelayed = append(r.claimRelayed, res.outcome)
		}
	}
	r.mu.Unlock()
	return winner, nil
}

// cutAll takes every link of node i down: the drawn graph's, or, where
// the nodes pick their own links, every pair's (nothing can dial it, and
// it can dial nothing).
func (r *coopRun) cutAll(i int) {
	if r.cfg.DrawnGraph {
		for _, j := range r.g.adj[i] {
			r.fab.cut(i, j)
		}
		return
	}
	for j := range r.ms {
		if j != i {
			r.fab.cut(i, j)
		}
	}
}

// goOffline marks i offline and cuts its links.
func (r *coopRun) goOffline(i int) {
	r.mu.Lock()
	r.offline[i] = true
	r.outages[i] = append(r.outages[i], interval{from: r.now()})
	r.mu.Unlock()
	r.cutAll(i)
}

// comeBack restores i's links to its online neighbours (except skip, already
// linked) and marks it online from at. Where the nodes pick their own
// links, i may dial every online node again; it reconnects to its drawn
// random neighbours (as a phone redials the peers it knew), or to its
// bootstrap peer at once (node.Reconnect, what the app calls when the
// network comes back), and its keeper restores its role links.
func (r *coopRun) comeBack(i, skip int, at time.Time) error {
	online := func(j int) bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return !r.offline[j]
	}
	if !r.cfg.DrawnGraph {
		for j := range r.ms {
			if j != i && j != skip && online(j) {
				if err := r.fab.linkOnly(i, j); err != nil {
					return err
				}
			}
		}
	}
	for _, j := range r.drawn.adj[i] {
		if !online(j) || j == skip {
			continue
		}
		if err := r.fab.connect(r.ctx, i, j); err != nil {
			return err
		}
	}
	if !r.cfg.DrawnGraph && !r.cfg.RandomGraph {
		_, _ = r.ms[i].n.Reconnect(r.ctx) // a failure leaves it to discovery's backoff
	}
	r.mu.Lock()
	r.offline[i] = false
	r.outages[i][len(r.outages[i])-1].to = at
	r.mu.Unlock()
	return nil
}

// churn takes a share of the phones offline once each, at random moments
// of the run, for about ChurnOff.
func (r *coopRun) churn(rng *rand.Rand, links *sync.Mutex) error {
	phones := len(r.couriers) - 1 + len(r.customers)
	k := int(math.Round(r.cfg.Churn * float64(phones)))
	ats := make([]time.Duration, k)
	for i := range ats {
		ats[i] = time.Duration((0.05 + 0.6*rng.Float64()) * float64(r.cfg.Duration))
	}
	slices.Sort(ats)
	var back sync.WaitGroup
	defer back.Wait()
	for _, at := range ats {
		if err := r.sleepUntil(r.t0.Add(at)); err != nil {
			return nil
		}
		phonesNow := append(slices.Clone(r.couriers), r.customers...)
		r.mu.Lock()
		var c []int
		for _, m := range phonesNow {
			if m != r.syncCourier && !r.offline[m.i] && !r.busy[m.i] && !r.churned[m.i] {
				c = append(c, m.i)
			}
		}
		if len(c) == 0 {
			r.mu.Unlock()
			continue
		}
		i := c[rng.Intn(len(c))]
		r.churned[i] = true
		r.mu.Unlock()
		links.Lock()
		r.goOffline(i)
		links.Unlock()
		off := time.Duration((0.5 + rng.Float64()) * float64(r.cfg.ChurnOff))
		back.Add(1)
		go func() {
			defer back.Done()
			if r.sleep(off) != nil {
				return
			}
			links.Lock()
			defer links.Unlock()
			r.fail(r.comeBack(i, -1, r.now()))
		}()
	}
	return nil
}

// catchUp takes the measured courier offline for SyncOff, then brings it
// back through one neighbour and measures its catch-up session (node.Sync)
// before restoring its other links.
func (r *coopRun) catchUp(links *sync.Mutex) error {
	s := r.syncCourier
	if err := r.sleepUntil(r.t0.Add(r.cfg.Duration * 15 / 100)); err != nil {
		return nil
	}
	links.Lock()
	r.goOffline(s.i)
	from := r.now()
	links.Unlock()
	if err := r.sleep(r.cfg.SyncOff); err != nil {
		return nil
	}
	links.Lock()
	defer links.Unlock()
	peer := -1
	r.mu.Lock()
	for _, j := range r.g.adj[s.i] {
		if r.offline[j] {
			continue
		}
		if peer < 0 || r.ms[j].role == node.RoleRelay || r.ms[j].role == node.RoleRestaurant && r.ms[peer].role != node.RoleRelay {
			peer = j
		}
	}
	r.mu.Unlock()
	at := r.now()
	fig := syncFigure{from: from, to: at, peer: peer}
	if peer < 0 {
		fig.err = errNoPeer
	} else if err := r.fab.linkOnly(s.i, peer); err != nil {
		fig.err = err
	} else {
		fig.rep, fig.err = s.n.Sync(r.ctx, r.ms[peer].n.ID())
		fig.ran = true
	}
	r.mu.Lock()
	r.sync = fig
	r.mu.Unlock()
	if fig.err != nil {
		r.logf("catch-up courier: %v", fig.err)
	}
	return r.comeBack(s.i, peer, at)
}

// menuUpdates has random restaurants mark products sold out (or back) at
// MenuUpdatesPerMin.
func (r *coopRun) menuUpdates(rng *rand.Rand) error {
	if r.cfg.MenuUpdatesPerMin <= 0 {
		return nil
	}
	next := r.t0
	for {
		next = next.Add(expInterval(rng, r.cfg.MenuUpdatesPerMin))
		if next.Sub(r.t0) >= r.cfg.Duration || r.sleepUntil(next) != nil {
			return nil
		}
		m := r.restaurants[rng.Intn(len(r.restaurants))]
		r.mu.Lock()
		menu := toggleSoldOut(m.menu, rng)
		r.mu.Unlock()
		if err := m.n.PublishMenu(r.ctx, menu); err != nil {
			return fmt.Errorf("bench: menu update: %w", err)
		}
		r.mu.Lock()
		m.menu = menu
		r.mu.Unlock()
	}
}
