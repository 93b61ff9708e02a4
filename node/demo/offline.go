package demo

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// ---- the offline courier ----

// chooseOffline picks the courier who will go offline from the seed alone:
// who wins the claim races depends on the network's timing, so choosing
// among the winners sent a different courier offline on every run of one
// seed. Run calls it right after the cast, before any node starts.
func (r *run) chooseOffline() *participant {
	return r.couriers[r.rng.Intn(len(r.couriers))]
}

// goOffline stops p's node; it returns when, and the closed instance.
func (r *run) goOffline(p *participant) (time.Time, *instance, error) {
	st := p.n.Stats(r.ctx)
	r.tl.say(p.name, "goes offline (phone dead in the Saint-Félix tunnel); node stopped, %d events stay in its store", st.EventsStored)
	at := time.Now()
	err := p.n.Close()
	old := p.inst
	r.track.detach(old, true)
	p.n, p.inst = nil, nil
	if err != nil {
		return at, old, fmt.Errorf("demo: close %s: %w", p.name, err)
	}
	return at, old, nil
}

// comeback is what the returning courier's catch-up measured.
type comeback struct {
	at           time.Time       // its node restarted
	session      node.SyncReport // its own catch-up session with the relay
	took         time.Duration   // from restart until it held all it missed
	syncEventsIn int             // events received by sync meanwhile
}

// awaitCatchUp waits until the returning node holds every event signed
// while it was away (between from and to) that its old instance had not
// applied, and returns how long after to that was and the events its node
// had received by sync by then (syncIn reads that counter).
func (r *run) awaitCatchUp(old, cur *instance, from, to time.Time, syncIn func() int) (time.Duration, int, error) {
	err := poll(r.ctx, stepTimeout, "the returning courier to hold what it missed", func() bool {
		return r.track.caughtUp(old, cur, from, to, nil) == 0
	})
	return time.Since(to), syncIn(), err
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
// catch-up (its session with the relay, and until it holds all it missed),
// and relinks it.
func (r *run) comeBack(p *participant, old *instance, wentAt time.Time, online []*participant) (comeback, error) {
	ctx := r.ctx
	var back comeback
	if err := r.start(p, node.WithCoop(r.coop)); err != nil {
		return back, err
	}
	backAt := time.Now()
	back.at = backAt
	// Stats.EventsStored is only set on ingest, so count what the store
	// gave back through the state it folded.
	known, err := p.n.Orders(ctx, node.OrderFilter{})
	if err != nil {
		return back, err
	}
	// Sync dials the relay itself, so the session's snapshot is taken
	// before any peer can push to the returning node.
	p.n.Host().Peerstore().AddAddrs(r.relay.n.ID(), r.relay.n.Host().Addrs(), time.Hour)
	rep, err := p.n.Sync(ctx, r.relay.n.ID())
	if err != nil {
		return back, fmt.Errorf("demo: %s's catch-up: %w", p.name, err)
	}
	back.session = rep
	back.took, back.syncEventsIn, err = r.awaitCatchUp(old, p.inst, wentAt, backAt, func() int { return p.n.Stats(ctx).SyncEventsIn })
	if err != nil {
		return back, err
	}
	r.tl.say(p.name, "back online after %.1f s: its store still holds its %s; caught up %s in %s, %s, from the relay; held all it missed %d ms after restarting (%s by sync)",
		backAt.Sub(wentAt).Seconds(), plural(len(known), "order"), plural(rep.EventsIn, "event"), plural(rep.RoundTrips, "round trip"), humanBytes(rep.BytesIn+rep.BytesOut),
		back.took.Milliseconds(), plural(back.syncEventsIn, "event"))
	// Relink to a couple of peers directly, as before.
	peers := append(slices.Clone(online), r.restaurants...)
	for _, i := range r.rng.Perm(len(peers))[:min(2, len(peers))] {
		q := peers[i]
		if err := p.n.Connect(ctx, peer.AddrInfo{ID: q.n.ID(), Addrs: q.n.Host().Addrs()}); err != nil {
			return back, fmt.Errorf("demo: relink %s to %s: %w", p.name, q.name, err)
		}
	}
	jobs, err := p.n.Jobs(ctx, p.pos, 0)
	if err != nil {
		return back, err
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
	return back, nil
}

func (r *run) restaurantName(k crdt.PubKey) string {
	for _, p := range r.restaurants {
		if crdt.PubKey(p.pubKey()) == k {
			return p.name
		}
	}
	return k.Short()
}
