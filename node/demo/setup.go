package demo

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
	"github.com/coopnode/coopnode/node/sim"
)

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
	if err := sim.Parallel(len(others), func(i int) error { return r.start(others[i], node.WithInvite(inv)) }); err != nil {
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
	if err := sim.WaitMembers(ctx, stepTimeout, pollEvery, r.nodes(), members); err != nil {
		return timedOut(err)
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
	err := sim.Parallel(len(r.restaurants), func(i int) error {
		p := r.restaurants[i]
		prof := crdt.CatalogProfile{
			Name: p.name, Description: p.cuisine.Descr, Address: p.spec.Address, Position: p.pos, Phone: p.spec.Phone,
			Tags: []string{p.cuisine.Tag}, Timezone: "Europe/Paris", Fulfilment: crdt.FulfilDelivery | crdt.FulfilCollection,
			Hours: []string{"Mo-Su 11:00-23:00"}, MinOrderCents: 800, PrepMinutes: p.cuisine.Prep, Enabled: true,
		}
		if err := p.n.PublishProfile(ctx, prof); err != nil {
			return fmt.Errorf("demo: %s profile: %w", p.name, err)
		}
		r.tl.say(p.name, "published profile: %s, %s, open Mo-Su 11:00-23:00", p.cuisine.Tag, p.spec.Address)
		if err := p.n.PublishMenu(ctx, p.menu); err != nil {
			return fmt.Errorf("demo: %s menu: %w", p.name, err)
		}
		secs, prods := menuCounts(&p.menu)
		r.tl.say(p.name, "published menu: %d sections, %d products, prices in cents, allergens, options", secs, prods)
		return nil
	})
	if err != nil {
		return err
	}
	start := time.Now()
	if err := sim.WaitCatalogue(ctx, stepTimeout, pollEvery, r.nodes(), len(r.restaurants)); err != nil {
		return timedOut(err)
	}
	took := time.Since(start)
	note := ""
	if took > 500*time.Millisecond {
		note = " — gossip meshes were still forming, anti-entropy sync filled the gaps"
	}
	r.tl.say("coop", "all %d nodes hold the catalogue of %s, %s after publishing%s", len(r.all), plural(len(r.restaurants), "restaurant"), took.Round(time.Millisecond), note)
	return nil
}
