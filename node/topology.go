package node

import (
	"context"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multiaddr"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// Role links (SPEC.md §10.7): the node builds the connection graph its
// role needs by itself, from its bootstrap peers and peer exchange.
//
// Why: audience routing depends on the graph. Customers and restaurants do
// not follow the coop's orders topic; their orders reach them by party
// push (§10.4) from the followers (couriers, relays) they are connected
// to, and their own events reach the network through those followers. A
// leaf with no follower among its peers neither hears of its orders nor
// gets its events out. The followers in turn carry every order through
// the orders topic's mesh, which needs enough links among them. So:
//
//   - a node that follows the orders topic keeps coreLinks (8) connections
//     to other followers;
//   - a node that follows the coop but not the orders topic keeps
//     leafLinks (3) connections to followers;
//   - a node that follows nothing (a phone saving power) keeps no role
//     links and dials nobody for them.
//
// Follower status is what gossipsub says: a connected peer that sent us
// its subscription to the orders topic. Candidates come from peer
// exchange (/coopnode/peers/1, protocol/peers.go): a connected peer lists
// the followers it is connected to, with their addresses. Links the node
// keeps are protected in libp2p's connection manager (tag linkProtect),
// and every follower is tagged (linkTag) so that the manager trims other
// peers first.
//
// One goroutine (keepLinks) owns the keeper's state; the stream handler
// (handlePeers) reads only the host and gossip.

// Connection-manager tags of role links.
const (
	linkProtect  = "coopnode-role"
	linkTag      = "coopnode-follower"
	linkTagValue = 20
)

// linkPeer is what the keeper knows of a peer it may dial.
type linkPeer struct {
	addrs    []multiaddr.Multiaddr
	follower bool
	fails    int
	retryAt  time.Time
	learned  time.Time
}

// linkKeeper is keepLinks' state.
type linkKeeper struct {
	n      *Node
	known  map[peer.ID]*linkPeer
	asked  map[peer.ID]time.Time
	kept   map[peer.ID]bool
	dialed map[peer.ID]time.Time // connected by us, subscription not seen yet
}

// linkCounts is the keeper's last count, for RoleLinks, and its wake-up
// (made by New, so wakeLinks never blocks).
type linkCounts struct {
	kept, want atomic.Int64
	wake       chan struct{}
}

// wakeLinks has the keeper check at once (the topics the node follows
// changed). It never blocks.
func (n *Node) wakeLinks() {
	select {
	case n.links.wake <- struct{}{}:
	default:
	}
}

// RoleLinks returns how many role links the node keeps and how many its
// role asks for (SPEC.md §10.7), as of the keeper's last check.
func (n *Node) RoleLinks() (kept, want int) {
	return int(n.links.kept.Load()), int(n.links.want.Load())
}

// linkTarget returns how many role links the node wants now.
func (n *Node) linkTarget(coop crdt.ID) int {
	switch {
	case n.cfg.roleLinksOff:
		return 0
	case n.gossip.subscribed(protocol.TopicOrders(coop)):
		return n.cfg.coreLinks
	case n.gossip.subscribed(protocol.TopicCoop(coop)):
		return n.cfg.leafLinks
	}
	return 0
}

// keepLinks runs the keeper until the node closes: a check at start, then
// every linkCheckShort while links are missing and linkCheckIdle when
// not, and at once when a kept link goes.
func (n *Node) keepLinks() {
	defer n.wg.Done()
	k := &linkKeeper{n: n, known: map[peer.ID]*linkPeer{}, asked: map[peer.ID]time.Time{},
		kept: map[peer.ID]bool{}, dialed: map[peer.ID]time.Time{}}
	defer k.release()
	// A lost link wakes the keeper at once. The callback must never block:
	// libp2p calls it inside the swarm, and the keeper may itself be
	// waiting on a dial that needs the swarm.
	wake := n.links.wake
	nb := &network.NotifyBundle{DisconnectedF: func(network.Network, network.Conn) { n.wakeLinks() }}
	n.host.Network().Notify(nb)
	defer n.host.Network().StopNotify(nb)
	t := n.cfg.clock.NewTimer(linkCheckFirst)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-wake:
		case <-t.C():
		}
		next := linkCheckIdle
		if k.check() {
			next = linkCheckShort
		}
		t.Reset(next)
	}
}

// release unprotects every kept link.
func (k *linkKeeper) release() {
	for p := range k.kept {
		k.n.host.ConnManager().Unprotect(p, linkProtect)
	}
}

// check brings the node's role links towards its target and reports
// whether some are still missing.
func (k *linkKeeper) check() (short bool) {
	n := k.n
	coop := n.Coop()
	if coop.IsZero() || n.ctx.Err() != nil {
		return false
	}
	want := n.linkTarget(coop)
	now := n.cfg.clock.Now()
	netw, cm := n.host.Network(), n.host.ConnManager()
	var followers []peer.ID
	for _, p := range n.gossip.topicPeers(protocol.TopicOrders(coop)) {
		if netw.Connectedness(p) == network.Connected {
			followers = append(followers, p)
		}
	}
	slices.Sort(followers)
	for _, p := range followers {
		cm.TagPeer(p, linkTag, linkTagValue)
		delete(k.dialed, p)
		lp := k.learn(p, now)
		lp.follower, lp.fails = true, 0
		if addrs := n.host.Peerstore().Addrs(p); len(addrs) > 0 {
			lp.addrs = addrs
		}
	}
	// drop kept links that went or stopped following, then any beyond want
	for p := range k.kept {
		if !slices.Contains(followers, p) {
			cm.Unprotect(p, linkProtect)
			delete(k.kept, p)
		}
	}
	for p := range k.kept {
		if len(k.kept) <= want {
			break
		}
		cm.Unprotect(p, linkProtect)
		delete(k.kept, p)
	}
	for _, p := range followers {
		if len(k.kept) >= want {
			break
		}
		if !k.kept[p] {
			cm.Protect(p, linkProtect)
			k.kept[p] = true
		}
	}
	for p, at := range k.dialed { // a dialed peer that never subscribed is no follower
		if now.Sub(at) > linkPending || netw.Connectedness(p) != network.Connected {
			delete(k.dialed, p)
		}
	}
	n.links.kept.Store(int64(len(k.kept)))
	n.links.want.Store(int64(want))
	need := want - len(k.kept) - len(k.dialed)
	if need <= 0 {
		return want > len(k.kept)
	}
	cands := k.candidates(now)
	if len(cands) < need {
		k.ask(now, followers)
		cands = k.candidates(now)
	}
	n.rngMu.Lock()
	n.cfg.rng.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	n.rngMu.Unlock()
	k.dial(now, cands[:min(need, len(cands))])
	return true
}

// learn returns the entry of p, creating it.
func (k *linkKeeper) learn(p peer.ID, now time.Time) *linkPeer {
	lp := k.known[p]
	if lp == nil {
		if len(k.known) >= linkKnownMax {
			k.forgetOldest()
		}
		lp = &linkPeer{learned: now}
		k.known[p] = lp
	}
	return lp
}

// forgetOldest drops the entry learned longest ago.
func (k *linkKeeper) forgetOldest() {
	var old peer.ID
	var at time.Time
	for p, lp := range k.known {
		if old == "" || lp.learned.Before(at) {
			old, at = p, lp.learned
		}
	}
	delete(k.known, old)
}

// candidates lists followers the node knows, is not connected to, and may
// dial now, sorted by peer ID.
func (k *linkKeeper) candidates(now time.Time) []peer.ID {
	n := k.n
	var out []peer.ID
	for p, lp := range k.known {
		if !lp.follower || p == n.host.ID() || now.Before(lp.retryAt) || n.blocks.blocked(p) ||
			n.host.Network().Connectedness(p) == network.Connected {
			continue
		}
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// ask runs peer exchange with one connected peer not asked for
// linkAskEvery: a follower if there is one (it knows other followers),
// else any peer (a bootstrap peer, at first).
func (k *linkKeeper) ask(now time.Time, followers []peer.ID) {
	n := k.n
	if len(k.asked) > linkKnownMax {
		for p, at := range k.asked {
			if now.Sub(at) >= linkAskEvery {
				delete(k.asked, p)
			}
		}
	}
	peers := append(slices.Clone(followers), n.host.Network().Peers()...)
	for _, p := range peers {
		if at, ok := k.asked[p]; ok && now.Sub(at) < linkAskEvery {
			continue
		}
		k.asked[p] = now
		recs, err := n.askPeers(p, nil)
		if err != nil {
			n.log.Debug("peer exchange", "peer", p, "err", err)
			continue
		}
		for _, r := range recs {
			if r.ID == n.host.ID() {
				continue
			}
			lp := k.learn(r.ID, now)
			if len(r.Addrs) > 0 {
				lp.addrs = r.Addrs
			}
			lp.follower = lp.follower || r.Follower
		}
		return
	}
}

// dial connects to ps at once, each within linkDialTimeout; a failure
// puts the peer aside for linkRetryMin·2^fails (at most linkRetryMax).
func (k *linkKeeper) dial(now time.Time, ps []peer.ID) {
	n := k.n
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		ai := peer.AddrInfo{ID: p, Addrs: k.known[p].addrs}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(n.ctx, linkDialTimeout)
			defer cancel()
			errs[i] = n.host.Connect(ctx, ai)
		}()
	}
	wg.Wait()
	for i, p := range ps {
		lp := k.known[p]
		if errs[i] == nil {
			k.dialed[p] = now
			continue
		}
		n.log.Debug("role link dial failed", "peer", p, "err", errs[i])
		lp.retryAt = now.Add(min(linkRetryMin<<min(lp.fails, 16), linkRetryMax))
		lp.fails++
	}
}

// peerRecord is one decoded peer-exchange record.
type peerRecord struct {
	ID       peer.ID
	Addrs    []multiaddr.Multiaddr
	Follower bool
}

// askPeers runs one peer exchange with the connected peer p (SPEC.md
// §10.7): it asks for the addresses of want and returns the records p
// sent, dropping those that do not parse.
func (n *Node) askPeers(p peer.ID, want []peer.ID) ([]peerRecord, error) {
	ctx, cancel := context.WithTimeout(n.ctx, linkAskTimeout)
	defer cancel()
	s, err := n.host.NewStream(network.WithNoDial(ctx, "peer exchange"), p, protocol.PeersProtocolID)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	_ = s.SetDeadline(time.Now().Add(linkAskTimeout))
	ids := make([][]byte, 0, len(want))
	for _, w := range want {
		ids = append(ids, []byte(w))
	}
	req, err := protocol.AppendPeersRequest(nil, ids)
	if err != nil {
		return nil, err
	}
	if _, err := s.Write(req); err != nil {
		_ = s.Reset()
		return nil, err
	}
	if err := s.CloseWrite(); err != nil {
		_ = s.Reset()
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(s, protocol.MaxPeersMessage+1))
	if err != nil {
		_ = s.Reset()
		return nil, err
	}
	recs, err := protocol.DecodePeerRecords(b)
	if err != nil {
		return nil, err
	}
	out := make([]peerRecord, 0, len(recs))
	for _, r := range recs {
		id, err := peer.IDFromBytes(r.ID)
		if err != nil {
			continue
		}
		pr := peerRecord{ID: id, Follower: r.Follower}
		for _, a := range r.Addrs {
			if m, err := multiaddr.NewMultiaddrBytes(a); err == nil {
				pr.Addrs = append(pr.Addrs, m)
			}
		}
		out = append(out, pr)
	}
	return out, nil
}

// handlePeers answers one peer exchange (SPEC.md §10.7): the wanted peers
// it is connected to, then followers of the orders topic it is connected
// to, in random order, never the asker itself, up to MaxPeerRecords.
func (n *Node) handlePeers(s network.Stream) {
	defer s.Close()
	from := s.Conn().RemotePeer()
	_ = s.SetDeadline(time.Now().Add(linkAskTimeout))
	if !n.peerLimit.allow(string(from)) {
		_ = s.Reset()
		return
	}
	b, err := io.ReadAll(io.LimitReader(s, protocol.MaxPeersMessage+1))
	if err != nil {
		_ = s.Reset()
		return
	}
	want, err := protocol.DecodePeersRequest(b)
	if err != nil {
		n.log.Debug("peer exchange: bad request", "peer", from, "err", err)
		_ = s.Reset()
		return
	}
	netw := n.host.Network()
	seen := map[peer.ID]bool{from: true, n.host.ID(): true}
	var recs []protocol.PeerRecord
	add := func(p peer.ID, follower bool) {
		if seen[p] || len(recs) >= protocol.MaxPeerRecords || netw.Connectedness(p) != network.Connected {
			return
		}
		seen[p] = true
		r := protocol.PeerRecord{ID: []byte(p), Follower: follower}
		for _, a := range n.host.Peerstore().Addrs(p) {
			if len(r.Addrs) == protocol.MaxPeerAddrs {
				break
			}
			if ab := a.Bytes(); len(ab) > 0 && len(ab) <= protocol.MaxPeerAddrLen {
				r.Addrs = append(r.Addrs, ab)
			}
		}
		recs = append(recs, r)
	}
	coop := n.Coop()
	var followers []peer.ID
	if !coop.IsZero() {
		followers = n.gossip.topicPeers(protocol.TopicOrders(coop))
	}
	for _, w := range want {
		if id, err := peer.IDFromBytes(w); err == nil {
			add(id, slices.Contains(followers, id))
		}
	}
	n.rngMu.Lock()
	n.cfg.rng.Shuffle(len(followers), func(i, j int) { followers[i], followers[j] = followers[j], followers[i] })
	n.rngMu.Unlock()
	for _, p := range followers {
		add(p, true)
	}
	out, err := protocol.AppendPeerRecords(nil, recs)
	if err != nil {
		_ = s.Reset()
		return
	}
	if _, err := s.Write(out); err != nil {
		_ = s.Reset()
	}
}
