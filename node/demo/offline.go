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
