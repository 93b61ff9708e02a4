package node

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// Party links (SPEC.md §10.8, spec/peers.md).
//
// Why: party push (§10.4) sends an order's events straight to the order's
// parties, but only over connections that already exist, and the role
// graph (§10.7) rarely connects a customer to its restaurant or a courier
// to the restaurant it claims from. So an order's events reached the
// other parties through the mesh: customer → follower → … → follower →
// restaurant, three hops or more, plus the mesh's queueing; the claim
// path (courier → restaurant confirmation → courier) twice that. A node
// that is a party of an open order therefore keeps a connection to every
// device of the order's other parties:
//
//   - the customer's node to the restaurant from the quote of its cart
//     (the customer is about to order: the link is up before checkout)
//     and, once the order is placed, to the courier who holds it;
//   - the restaurant's node to the customer and the holder;
//   - a courier's node to the restaurants of the nearest jobs on its
//     board (Jobs), for a couple of minutes, and to the restaurant and
//     the customer from its own claim (its fold makes it the provisional
//     holder at once) until it loses or the order ends.
//
// Over these links the events go one hop: a party that does not follow
// the orders topic gets them by push, one that does (a courier) by the
// sender's flood publishing, which sends one's own messages to every
// connected subscriber. Nothing new is sent and nothing is ingested
// differently: a pushed event goes through §10.4's checks, a flooded one
// through the gossip validator, and the second copy of an event is a
// duplicate. One thing is added: when a party link comes up, the node
// pushes to it the order's events of the last partyFresh (§10.8), which
// would otherwise have gone only through the mesh because the link was
// not up yet when they were stored — the customer's order.place, a
// courier's claim.
//
// Links are protected in libp2p's connection manager under one tag per
// order (partyTagPrefix + order ID), unprotected when the order ends or
// the node stops being a party, so the manager may trim them again.
// Addresses come from the peerstore (identify of an earlier connection)
// or from peer exchange (§10.7): a request naming the party's peer IDs,
// answered by connected peers with the addresses they know — the coop's
// relay, connected to most nodes, first.
//
// Who runs what: the loop notes which orders want links to whom
// (noteParties, after every batch that changed orders, and Quote for a
// cart); the keepParties goroutine owns the links, dials in the
// background (one goroutine per round of dials) and asks the loop for the
// fresh pushes.

// Connection-manager tags of party links.
const (
	partyTagPrefix = "coopnode-order/"
	partyCartTag   = "coopnode-cart"
	partyJobPrefix = "coopnode-job/"
)

// partyTag is an order's connection-manager tag.
func partyTag(order crdt.ID) string { return partyTagPrefix + order.String() }

// partyWant is what one tag asks for: links to peers, until a time (a
// cart) or until dropped (an order).
type partyWant struct {
	order crdt.ID // zero for the cart
	peers []peer.ID
	until time.Time
}

// partyState is shared between the loop (which sets wants) and the keeper.
type partyState struct {
	mu   sync.Mutex
	want map[string]partyWant
	kept map[string][]peer.ID // the keeper's last protected links, for PartyLinks
	wake chan struct{}
}

func newPartyState() *partyState {
	return &partyState{want: map[string]partyWant{}, kept: map[string][]peer.ID{}, wake: make(chan struct{}, 1)}
}

func (s *partyState) wakeUp() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// set records w under tag and reports whether it changed.
func (s *partyState) set(tag string, w partyWant) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.want[tag]
	if ok && slices.Equal(old.peers, w.peers) && old.until.Equal(w.until) {
		return false
	}
	s.want[tag] = w
	return true
}

// drop forgets tag and reports whether it was there.
func (s *partyState) drop(tag string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.want[tag]
	delete(s.want, tag)
	return ok
}

// snapshot copies the wants, forgetting those expired at now.
func (s *partyState) snapshot(now time.Time) map[string]partyWant {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]partyWant, len(s.want))
	for tag, w := range s.want {
		if !w.until.IsZero() && !now.Before(w.until) {
			delete(s.want, tag)
			continue
		}
		out[tag] = w
	}
	return out
}

// PartyLinks lists the peers the node keeps party links to for order
// (SPEC.md §10.8): connected and protected, as of the keeper's last check.
func (n *Node) PartyLinks(order crdt.ID) []peer.ID {
	n.party.mu.Lock()
	defer n.party.mu.Unlock()
	return slices.Clone(n.party.kept[partyTag(order)])
}

// partyDevices returns the device keys of member: the key itself and every
// unrevoked device linked to it (SPEC.md §10.4).
func partyDevices(coop *crdt.CoopState, member crdt.PubKey) []crdt.PubKey {
	out := []crdt.PubKey{member}
	if coop == nil {
		return out
	}
	if m, ok := coop.Members[member]; ok {
		for k, d := range m.Devices {
			if d.RevokedAt == 0 {
				out = append(out, k)
			}
		}
	}
	return out
}

// partyPeers resolves members to the peer IDs of their devices, without
// this node, sorted and at most partyMaxPeers.
func (n *Node) partyPeers(members ...crdt.PubKey) []peer.ID {
	coop := n.replica.CoopView(n.cfg.coop)
	self := n.host.ID()
	var out []peer.ID
	for _, m := range members {
		for _, k := range partyDevices(coop, m) {
			if p, err := peerFromPubKey(k); err == nil && p != self && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return out[:min(len(out), partyMaxPeers)]
}

// noteParties records, for each of orders, the party links the node wants
// (SPEC.md §10.8): to the other parties' devices while the order is open
// and the node's member is a party (to the restaurant while it is a
// claimant the restaurant has not settled), none otherwise. It runs on
// the loop.
func (n *Node) noteParties(orders []crdt.ID) {
	if n.cfg.partyLinksOff || n.cfg.coop.IsZero() || len(orders) == 0 {
		return
	}
	me := n.memberKeyOrSelf()
	changed := false
	for _, id := range orders {
		tag := partyTag(id)
		s, ok := n.replica.OrderView(id)
		var others []crdt.PubKey
		switch {
		case !ok || !s.Status.Open():
		case s.IsParty(me):
			for _, m := range s.Parties() {
				if m != me && !m.IsZero() {
					others = append(others, m)
				}
			}
		case !s.HolderConfirmed && slices.ContainsFunc(s.Claims, func(c crdt.Claim) bool { return c.Courier == me }):
			// a claimant that is not the holder by its own fold yet: the
			// restaurant's confirmation decides, so it links to it
			others = append(others, s.Restaurant)
		}
		if len(others) == 0 {
			changed = n.party.drop(tag) || changed
			continue
		}
		changed = n.party.set(tag, partyWant{order: id, peers: n.partyPeers(others...)}) || changed
	}
	if changed {
		n.party.wakeUp()
	}
}

// noteCart asks for a link to restaurant's devices for partyCartTTL: the
// customer quoting a cart is about to order from it. It runs on the loop.
func (n *Node) noteCart(restaurant crdt.PubKey) {
	if n.cfg.partyLinksOff || restaurant.IsZero() || restaurant == n.memberKeyOrSelf() {
		return
	}
	if n.party.set(partyCartTag, partyWant{peers: n.partyPeers(restaurant), until: n.cfg.clock.Now().Add(partyCartTTL)}) {
		n.party.wakeUp()
	}
}

// noteJobs asks for links to the restaurants of the partyJobLinks nearest
// of jobs, for partyJobTTL each: the courier looking at its job board may
// claim one of them in a moment, and its claim and the restaurant's
// confirmation then go one hop each way. It runs on the loop.
func (n *Node) noteJobs(jobs []Job) {
	if n.cfg.partyLinksOff {
		return
	}
	me, until := n.memberKeyOrSelf(), n.cfg.clock.Now().Add(partyJobTTL)
	changed := false
	for _, j := range jobs[:min(len(jobs), partyJobLinks)] {
		if r := j.Order.Restaurant; r != me && !r.IsZero() {
			changed = n.party.set(partyJobPrefix+j.Order.ID.String(), partyWant{peers: n.partyPeers(r), until: until}) || changed
		}
	}
	if changed {
		n.party.wakeUp()
	}
}

// claimPushes: the restaurant's node sends a losing claimant what settles
// its claim, over the party link, although the claimant follows the
// orders topic (SPEC.md §10.8). The confirmation (courier.assign) reaches
// it by flood publishing, but its fold can settle the claim as lost only
// with the winning claim too, which would otherwise come through the
// mesh after the confirmation. So:
//
//   - when this node confirms a holder (its own courier.assign naming a
//     claim), the winning claim goes to the other claimants;
//   - when a claim reaches it for an order whose holder it confirmed
//     already, the winning claim and the confirmation go to that
//     claimant.
//
// It runs on the loop and changes nothing.
func (n *Node) claimPushes(e *crdt.Event, own bool) []pushJob {
	if n.cfg.partyLinksOff || n.pushJobs == nil {
		return nil
	}
	s, ok := n.replica.OrderView(e.ScopeID())
	if !ok || !s.Status.Open() {
		return nil
	}
	coop := n.replica.CoopView(n.cfg.coop)
	job := func(id crdt.ID, targets []crdt.PubKey) (pushJob, bool) {
		ev, ok := n.replica.Event(id)
		if !ok || len(targets) == 0 {
			return pushJob{}, false
		}
		return pushJob{id: id, orders: protocol.TopicOrders(n.cfg.coop), targets: targets, author: ev.Author, followers: true}, true
	}
	var out []pushJob
	switch b := e.Body.(type) {
	case *crdt.CourierAssign:
		if !own || b.Claim.IsZero() {
			return nil
		}
		var targets []crdt.PubKey
		for _, c := range s.Claims {
			if c.Courier != b.Courier && !slices.Contains(targets, c.Courier) {
				targets = append(targets, partyDevices(coop, c.Courier)...)
			}
		}
		if j, ok := job(b.Claim, targets); ok {
			out = append(out, j)
		}
	case *crdt.CourierClaim:
		if own || !s.HolderConfirmed || s.Restaurant != n.memberKeyOrSelf() {
			return nil
		}
		var claimant crdt.PubKey
		var won, assign crdt.ID
		for _, c := range s.Claims {
			if c.Event == e.ID {
				claimant = c.Courier
			}
			if c.Courier == s.Holder && c.Outcome == crdt.ClaimWon {
				won = c.Event
			}
		}
		if claimant.IsZero() || claimant == s.Holder {
			return nil
		}
		for _, st := range s.Steps {
			if st.Kind == crdt.KindCourierAssign {
				assign = st.Event
			}
		}
		targets := partyDevices(coop, claimant)
		for _, id := range []crdt.ID{won, assign} {
			if j, ok := job(id, targets); !id.IsZero() && ok {
				out = append(out, j)
			}
		}
	}
	return out
}

// pushFresh pushes to p the events of order stored in the last partyFresh
// that party push would have sent p had the link been up (SPEC.md §10.8):
// the pusher applies §10.4's rules (p not a follower, not the author). It
// runs on the loop.
func (n *Node) pushFresh(order crdt.ID, p peer.ID) {
	s, ok := n.replica.OrderView(order)
	if !ok || n.pushJobs == nil {
		return
	}
	pk, err := pubKeyFromPeer(p)
	if err != nil {
		return
	}
	cutoff := n.nowMs() - partyFresh.Milliseconds()
	var ids []crdt.ID
	if s.PlacedAt >= cutoff {
		ids = append(ids, s.ID)
	}
	for _, st := range s.Steps {
		if st.Wall >= cutoff && !slices.Contains(ids, st.Event) {
			ids = append(ids, st.Event)
		}
	}
	for _, c := range s.Claims {
		if c.Wall >= cutoff && !slices.Contains(ids, c.Event) {
			ids = append(ids, c.Event)
		}
	}
	for _, id := range ids {
		e, ok := n.replica.Event(id)
		if !ok {
			continue
		}
		raw, err := n.store.GetEvent(n.ctx, id)
		if err != nil {
			continue
		}
		j := pushJob{id: id, raw: raw, orders: protocol.TopicOrders(n.cfg.coop), targets: []crdt.PubKey{pk}, author: e.Author}
		select {
		case n.pushJobs <- j:
			n.stats.PushFresh++
		default:
			n.stats.PushDropped++
		}
	}
}

// partyKeeper is keepParties' state.
type partyKeeper struct {
	n     *Node
	kept  map[string]map[peer.ID]bool // tag → protected, connected peers
	fails map[peer.ID]int
	retry map[peer.ID]time.Time
	busy  map[peer.ID]bool // being looked up or dialed
	done  chan partyRound  // a round of dials ended
}

// partyRound is one round of dials: whom it tried, who failed.
type partyRound struct{ tried, failed []peer.ID }

// keepParties runs the party-link keeper until the node closes.
func (n *Node) keepParties() {
	defer n.wg.Done()
	k := &partyKeeper{n: n, kept: map[string]map[peer.ID]bool{}, fails: map[peer.ID]int{},
		retry: map[peer.ID]time.Time{}, busy: map[peer.ID]bool{}, done: make(chan partyRound, 16)}
	var rounds sync.WaitGroup
	defer rounds.Wait()
	defer k.release()
	nb := &network.NotifyBundle{
		ConnectedF:    func(network.Network, network.Conn) { n.party.wakeUp() },
		DisconnectedF: func(network.Network, network.Conn) { n.party.wakeUp() },
	}
	n.host.Network().Notify(nb)
	defer n.host.Network().StopNotify(nb)
	t := n.cfg.clock.NewTimer(partyCheckIdle)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-n.party.wake:
		case r := <-k.done:
			k.ended(r)
		case <-t.C():
		}
		next := partyCheckIdle
		if k.check(&rounds) {
			next = partyCheckShort
		}
		t.Reset(next)
	}
}

// release unprotects every party link.
func (k *partyKeeper) release() {
	cm := k.n.host.ConnManager()
	for tag, ps := range k.kept {
		for p := range ps {
			cm.Unprotect(p, tag)
		}
	}
	k.n.party.mu.Lock()
	k.n.party.kept = map[string][]peer.ID{}
	k.n.party.mu.Unlock()
}

// check protects the party links that are up, releases those no longer
// wanted or gone, starts dialing the missing ones, and reports whether
// some are still missing.
func (k *partyKeeper) check(rounds *sync.WaitGroup) (short bool) {
	n := k.n
	now := n.cfg.clock.Now()
	want := n.party.snapshot(now)
	if coop := n.Coop(); coop.IsZero() || !n.gossip.subscribed(protocol.TopicCoop(coop)) {
		want = nil // a node that follows nothing (a phone saving power) dials nobody (§10.7)
	}
	netw, cm := n.host.Network(), n.host.ConnManager()
	for tag, ps := range k.kept {
		for p := range ps {
			w, ok := want[tag]
			if !ok || !slices.Contains(w.peers, p) || netw.Connectedness(p) != network.Connected {
				cm.Unprotect(p, tag)
				delete(ps, p)
			}
		}
		if len(ps) == 0 {
			delete(k.kept, tag)
		}
	}
	linked := map[peer.ID]bool{} // kept under some tag already: events reached it by push when stored
	for _, ps := range k.kept {
		for p := range ps {
			linked[p] = true
		}
	}
	var missing []peer.ID
	type up struct {
		order crdt.ID
		p     peer.ID
	}
	var ups []up
	for tag, w := range want {
		for _, p := range w.peers {
			if netw.Connectedness(p) != network.Connected {
				if !slices.Contains(missing, p) {
					missing = append(missing, p)
				}
				continue
			}
			delete(k.fails, p)
			if k.kept[tag] == nil {
				k.kept[tag] = map[peer.ID]bool{}
			}
			if !k.kept[tag][p] {
				cm.Protect(p, tag)
				k.kept[tag][p] = true
				if !w.order.IsZero() && !linked[p] {
					ups = append(ups, up{w.order, p})
				}
			}
		}
	}
	kept := make(map[string][]peer.ID, len(k.kept))
	for tag, ps := range k.kept {
		for p := range ps {
			kept[tag] = append(kept[tag], p)
		}
		slices.Sort(kept[tag])
	}
	n.party.mu.Lock()
	n.party.kept = kept
	n.party.mu.Unlock()
	if len(ups) > 0 {
		_ = n.do(n.ctx, func() error {
			for _, u := range ups {
				n.pushFresh(u.order, u.p)
			}
			return nil
		})
	}
	var dial []peer.ID
	for _, p := range missing {
		if !k.busy[p] && !now.Before(k.retry[p]) && !n.blocks.blocked(p) {
			dial = append(dial, p)
		}
	}
	if len(dial) > 0 {
		for _, p := range dial {
			k.busy[p] = true
		}
		rounds.Add(1)
		go func() {
			defer rounds.Done()
			r := partyRound{tried: dial, failed: k.reach(dial)}
			select {
			case k.done <- r:
			case <-n.ctx.Done():
			}
		}()
	}
	return len(missing) > 0
}

// ended records a round of dials: a peer that failed waits
// partyRetryMin·2^failures, at most partyRetryMax, before the next try.
func (k *partyKeeper) ended(r partyRound) {
	now := k.n.cfg.clock.Now()
	for _, p := range r.tried {
		delete(k.busy, p)
	}
	for _, p := range r.failed {
		k.retry[p] = now.Add(min(partyRetryMin<<min(k.fails[p], 16), partyRetryMax))
		k.fails[p]++
	}
	if len(k.retry) > linkKnownMax { // forget the backoffs that are over
		for p, at := range k.retry {
			if !now.Before(at) {
				delete(k.retry, p)
				delete(k.fails, p)
			}
		}
	}
}

// reach looks up the addresses of ps it lacks and dials them all at once.
// It runs on its own goroutine and touches only the host and peer
// exchange; it returns the peers it could not connect to.
func (k *partyKeeper) reach(ps []peer.ID) (failed []peer.ID) {
	n := k.n
	ctx, cancel := context.WithTimeout(n.ctx, partyDialTimeout)
	defer cancel()
	pstore := n.host.Peerstore()
	var unknown []peer.ID
	for _, p := range ps {
		if len(pstore.Addrs(p)) == 0 {
			unknown = append(unknown, p)
		}
	}
	if len(unknown) > 0 {
		n.lookupPeers(unknown)
	}
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = n.host.Connect(ctx, peer.AddrInfo{ID: p})
		}()
	}
	wg.Wait()
	for i, p := range ps {
		if errs[i] != nil {
			n.log.Debug("party link dial failed", "peer", p, "err", errs[i])
			failed = append(failed, p)
		}
	}
	return failed
}

// lookupPeers asks connected peers for the addresses of want by peer
// exchange (SPEC.md §10.7), bootstrap peers (the coop's relays) first,
// at most partyAskPeers of them, until every one is known; what they
// answer goes into the peerstore.
func (n *Node) lookupPeers(want []peer.ID) {
	cm, pstore := n.host.ConnManager(), n.host.Peerstore()
	peers := n.host.Network().Peers()
	slices.SortStableFunc(peers, func(a, b peer.ID) int {
		ba, bb := cm.IsProtected(a, "coopnode-bootstrap"), cm.IsProtected(b, "coopnode-bootstrap")
		switch {
		case ba && !bb:
			return -1
		case bb && !ba:
			return 1
		}
		return 0
	})
	asked := 0
	for _, p := range peers {
		if asked == partyAskPeers || len(want) == 0 || slices.Contains(want, p) {
			if asked == partyAskPeers || len(want) == 0 {
				return
			}
			continue
		}
		asked++
		recs, err := n.askPeers(p, want[:min(len(want), protocol.MaxPeerWants)])
		if err != nil {
			n.log.Debug("party link lookup", "peer", p, "err", err)
			continue
		}
		for _, r := range recs {
			if i := slices.Index(want, r.ID); i >= 0 && len(r.Addrs) > 0 {
				pstore.AddAddrs(r.ID, r.Addrs, peerstore.TempAddrTTL)
				want = slices.Delete(want, i, i+1)
			}
		}
	}
}
