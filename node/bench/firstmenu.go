package bench

import (
	"context"
	"fmt"
	"math/rand"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
	coopproto "github.com/coopnode/coopnode/protocol"
)

// First menus (issue 18): after the measured phase, a new customer opens
// the app with an invite (the relay's, SPEC.md §10.7) on a fresh node. The
// figure is the time from starting its node until every restaurant of the
// coop is displayable on it (profile and the latest menu, as Restaurants
// returns them), and what the node received meanwhile, against the size of
// what it displays: the signed events of every restaurant's current
// profile and menu.

// firstMenuFigure is the new customer's first menus.
type firstMenuFigure struct {
	ms        float64
	bytes     int64 // stream bytes received; -1 unmeasured
	sync      int   // what its sync sessions read, counted when the first ended (the node's own count)
	catalogue int   // signed profile + menu events displayed
	menus     int   // of which the menus
}

// countHost wraps a host so that every byte read from the streams it
// opens or accepts (gossip, sync, party push: everything but libp2p's own
// identify and the transport's framing) is counted.
type countHost struct {
	host.Host
	rx atomic.Int64
}

type countStream struct {
	network.Stream
	rx *atomic.Int64
}

func (s *countStream) Read(p []byte) (int, error) {
	n, err := s.Stream.Read(p)
	s.rx.Add(int64(n))
	return n, err
}

func (h *countHost) wrap(s network.Stream) network.Stream { return &countStream{Stream: s, rx: &h.rx} }

func (h *countHost) NewStream(ctx context.Context, p peer.ID, pids ...protocol.ID) (network.Stream, error) {
	s, err := h.Host.NewStream(ctx, p, pids...)
	if err != nil {
		return nil, err
	}
	return h.wrap(s), nil
}

func (h *countHost) SetStreamHandler(pid protocol.ID, handler network.StreamHandler) {
	h.Host.SetStreamHandler(pid, func(s network.Stream) { handler(h.wrap(s)) })
}

func (h *countHost) SetStreamHandlerMatch(pid protocol.ID, m func(protocol.ID) bool, handler network.StreamHandler) {
	h.Host.SetStreamHandlerMatch(pid, m, func(s network.Stream) { handler(h.wrap(s)) })
}

// firstMenuEvery is how often the new customer's catalogue is looked at:
// the figure's resolution.
const firstMenuEvery = 5 * time.Millisecond

// firstMenu starts a new customer with the relay's invite and measures
// its first menus. Run it once the measured phase is over (it is not part
// of the coop's figures); it stops the node it started.
func (r *coopRun) firstMenu() (firstMenuFigure, error) {
	fig := firstMenuFigure{bytes: -1}
	i := len(r.ms) // an identity none of the cast has
	k := nodeKey(r.cfg.Seed, i)
	var h host.Host
	var err error
	if r.fab.mn != nil {
		h, err = r.fab.mockHost(i, k)
		if err == nil {
			err = r.fab.linkNew(h)
		}
	} else {
		h, err = loopbackHost(k)
	}
	if err != nil {
		return fig, fmt.Errorf("bench: first menus: %w", err)
	}
	ch := &countHost{Host: h}
	want := map[crdt.PubKey]crdt.CatalogMenu{}
	r.mu.Lock()
	for _, m := range r.restaurants {
		want[m.pub] = m.menu
	}
	r.mu.Unlock()
	fig.catalogue, fig.menus = r.catalogueBytes()

	opts := append([]node.Option{
		node.WithKey(k), node.WithRole(node.RoleCustomer), node.WithHost(ch),
		node.WithInvite(r.invite()),
		node.WithRand(rand.New(rand.NewSource(r.cfg.Seed*7919 + int64(i)))),
		node.WithLogger(r.cfg.Logger.With("node", i, "role", "new customer")),
	}, r.knobs()...)
	start := r.now()
	n, err := node.New(r.ctx, opts...)
	if err != nil {
		_ = h.Close()
		return fig, fmt.Errorf("bench: first menus: start the new customer: %w", err)
	}
	defer n.Close() // and its host
	shown := func() bool {
		rs, err := n.Restaurants(r.ctx)
		if err != nil || len(rs) != len(want) {
			return false
		}
		for _, x := range rs {
			m, ok := want[x.Key]
			if !ok || x.Profile == nil || x.Menu == nil || !reflect.DeepEqual(*x.Menu, m) {
				return false
			}
		}
		return true
	}
	if err := r.pollEvery(stepTimeout, firstMenuEvery, "every menu on a new customer's node", shown); err != nil {
		return fig, err
	}
	fig.ms = float64(r.now().Sub(start).Microseconds()) / 1000
	fig.bytes = ch.rx.Load()
	// a session's bytes are counted when it ends: wait for the first
	if err := r.poll(stepTimeout, "the new customer's first sync session", func() bool { return n.Stats(r.ctx).SyncSessions > 0 }); err != nil {
		return fig, err
	}
	fig.sync = n.Stats(r.ctx).SyncBytesIn
	return fig, nil
}

// catalogueBytes sums the signed events of every restaurant's current
// profile and menu (the latest of each its node published), and of the
// menus alone.
func (r *coopRun) catalogueBytes() (all, menus int) {
	_, data := r.raw.all()
	size := map[crdt.ID]int{}
	for _, d := range data {
		if id, err := coopproto.ID(d); err == nil {
			size[id] = len(d)
		}
	}
	type doc struct {
		owner crdt.ID
		kind  string
	}
	latest := map[doc]crdt.ID{}
	at := map[doc]time.Time{}
	r.mu.Lock()
	for ev, p := range r.pubs {
		if p.scope != "catalog" {
			continue
		}
		d := doc{p.id, p.kind}
		if t, ok := at[d]; !ok || p.at.After(t) {
			at[d], latest[d] = p.at, ev
		}
	}
	r.mu.Unlock()
	for d, ev := range latest {
		all += size[ev]
		if d.kind == crdt.KindCatalogMenu.String() {
			menus += size[ev]
		}
	}
	return all, menus
}

// setFirstMenu copies the first-menus figure into the result.
func (res *Result) setFirstMenu(fm firstMenuFigure, err error) {
	if err != nil {
		res.FirstMenuError, res.FirstMenuBytes = err.Error(), -1
		return
	}
	res.FirstMenuMs, res.FirstMenuBytes, res.FirstMenuSyncBytes = fm.ms, fm.bytes, fm.sync
	res.FirstMenuCatalogueBytes, res.FirstMenuMenuBytes = fm.catalogue, fm.menus
	if fm.bytes >= 0 && fm.catalogue > 0 {
		res.FirstMenuBytesRatio = float64(fm.bytes) / float64(fm.catalogue)
	}
}
