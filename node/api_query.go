package node

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/protocol"
)

// Order returns an order's state.
func (n *Node) Order(ctx context.Context, id crdt.ID) (*crdt.OrderState, error) {
	var s *crdt.OrderState
	err := n.do(ctx, func() error {
		var ok bool
		if s, ok = n.replica.Order(id); ok {
			return nil
		}
		if s, ok = n.coldOrder(ctx, id); ok { // archived, within retention (SPEC.md §4.5)
			return nil
		}
		if n.replica.Archived(id) { // archived, and not kept here or past retention
			return fmt.Errorf("%w: order %s: %w", ErrUnknown, id.Short(), ErrArchived)
		}
		return fmt.Errorf("%w: order %s", ErrUnknown, id.Short())
	})
	return s, err
}

// OrderFilter selects orders; zero fields match everything.
type OrderFilter struct {
	Open     bool        // only orders not yet finished
	Customer crdt.PubKey // placed by this key
	Party    crdt.PubKey // customer, restaurant or holder is this key
	// Since keeps orders placed at or after this wall time (ms); 0 keeps
	// all. Archived orders are read from the cold store's indexes only as
	// far back as it reaches.
	Since int64
	// Status keeps orders with this status ("delivered", "refused", …,
	// as OrderState's JSON names it); "" keeps all.
	Status string
}

// Orders returns the coop's orders that match f, oldest first: the live
// set, and the archived orders this node keeps for the retention period
// (SPEC.md §4.5), read from the cold store through its index by party
// (f.Party) or by last activity, so a query costs what it returns.
func (n *Node) Orders(ctx context.Context, f OrderFilter) ([]*crdt.OrderState, error) {
	if f.Status != "" && !knownStatus(f.Status) {
		return nil, fmt.Errorf("%w: status %q (want placed, accepted, preparing, ready, picked_up, delivered, fulfilled, refused, cancelled, failed or invalid)", ErrBadArgument, f.Status)
	}
	var out []*crdt.OrderState
	err := n.do(ctx, func() error {
		query := n.replica.Orders
		if f.Open {
			query = n.replica.OpenOrders // an index: costs what it returns
		}
		keep := func(s *crdt.OrderState) bool {
			if s.PlacedAt < f.Since || (f.Status != "" && s.Status.String() != f.Status) {
				return false
			}
			if f.Open && !s.Status.Open() {
				return false
			}
			if !f.Customer.IsZero() && s.Customer != f.Customer {
				return false
			}
			if !f.Party.IsZero() && s.Customer != f.Party && s.Restaurant != f.Party && s.Holder != f.Party {
				return false
			}
			return true
		}
		out = query(n.cfg.coop, keep)
		if f.Open {
			return nil // archived orders are finished
		}
		party := f.Party
		if party.IsZero() {
			party = f.Customer
		}
		// an order's last activity is at or after its placing
		cold, err := n.coldOrders(ctx, party, f.Status, f.Since, keep)
		if err != nil {
			return err
		}
		out = append(out, cold...)
		crdt.SortOrders(out)
		return nil
	})
	return out, err
}

// CoopState returns the followed coop's membership state.
func (n *Node) CoopState(ctx context.Context) (*crdt.CoopState, error) {
	var c *crdt.CoopState
	err := n.do(ctx, func() error {
		var ok bool
		if c, ok = n.replica.Coop(n.cfg.coop); !ok {
			return ErrNoCoop
		}
		return nil
	})
	return c, err
}

// MemberKey returns the member key this node acts for, if it is a member.
func (n *Node) MemberKey(ctx context.Context) (crdt.PubKey, bool) {
	var k crdt.PubKey
	var ok bool
	_ = n.do(ctx, func() error {
		k, ok = n.replica.CoopView(n.cfg.coop).MemberKey(n.self, n.nowMs())
		return nil
	})
	return k, ok
}

// Restaurant is a restaurant's or shop's public documents.
type Restaurant struct {
	Key     crdt.PubKey          `json:"key"`
	Profile *crdt.CatalogProfile `json:"profile,omitempty"`
	Menu    *crdt.CatalogMenu    `json:"menu,omitempty"`
	Version uint64               `json:"version"`
	// Open is whether it takes orders now: its profile is enabled and
	// now is within its hours and in no closing (market.Schedule, in its
	// time zone, else the coop's). NextOpen, when closed, is when it opens
	// next in ms (0: not within a year, or disabled).
	Open     bool  `json:"open"`
	NextOpen int64 `json:"next_open,omitempty"`
}

// openState sets r's Open and NextOpen at now; a profile whose hours or
// zone do not parse reads as closed.
func (r *Restaurant) openState(coopTZ string, now time.Time) {
	if r.Profile == nil || !r.Profile.Enabled {
		return
	}
	s, err := market.NewSchedule(r.Profile, coopTZ)
	if err != nil {
		return
	}
	if r.Open = s.IsOpen(now); !r.Open {
		if next, ok := s.NextOpen(now); ok {
			r.NextOpen = next.UnixMilli()
		}
	}
}

// Restaurants returns every restaurant with a published profile or menu.
func (n *Node) Restaurants(ctx context.Context) ([]Restaurant, error) {
	var out []Restaurant
	err := n.do(ctx, func() error {
		by := map[crdt.PubKey]*Restaurant{}
		for _, k := range []crdt.Kind{crdt.KindCatalogProfile, crdt.KindCatalogMenu} {
			for _, e := range n.replica.Docs(n.cfg.coop, k) {
				owner := crdt.PubKey(e.Scope)
				r := by[owner]
				if r == nil {
					r = &Restaurant{Key: owner}
					by[owner] = r
				}
				if e.Lamport > r.Version {
					r.Version = e.Lamport
				}
				switch b := e.Body.(type) {
				case *crdt.CatalogProfile:
					c := *b
					r.Profile = &c
				case *crdt.CatalogMenu:
					c := *b
					r.Menu = &c
				}
			}
		}
		tz := ""
		if c := n.replica.CoopView(n.cfg.coop); c != nil {
			tz = c.Timezone
		}
		now := n.cfg.clock.Now()
		for _, r := range by {
			r.openState(tz, now)
			out = append(out, *r)
		}
		sort.Slice(out, func(i, j int) bool { return crdt.ID(out[i].Key).Compare(crdt.ID(out[j].Key)) < 0 })
		return nil
	})
	return out, err
}

// Job is an order a courier could take.
type Job struct {
	Order     *crdt.OrderState `json:"order"`
	DistanceM int              `json:"distance_m"` // from the courier to the pickup
}

// MaxJobRadiusM bounds the radius of a job search: 100 km is past any
// city a cooperative rides in.
const MaxJobRadiusM = 100_000

// Jobs returns delivery orders near pos that no courier holds for sure,
// nearest first. radiusM 0 means any distance; a negative radius, one over
// MaxJobRadiusM or a position off the globe is ErrBadArgument.
func (n *Node) Jobs(ctx context.Context, pos crdt.Position, radiusM int) ([]Job, error) {
	if radiusM < 0 || radiusM > MaxJobRadiusM {
		return nil, fmt.Errorf("%w: radius_m %d is not in [0, %d] (0: any distance)", ErrBadArgument, radiusM, MaxJobRadiusM)
	}
	if !pos.Valid() {
		return nil, fmt.Errorf("%w: position %d,%d is off the globe", ErrBadArgument, pos.LatE6, pos.LonE6)
	}
	orders, err := n.Orders(ctx, OrderFilter{Open: true})
	if err != nil {
		return nil, err
	}
	var out []Job
	for _, s := range orders {
		switch s.Status {
		case crdt.StatusAccepted, crdt.StatusPreparing, crdt.StatusReady:
		default:
			continue
		}
		if s.Place.Fulfilment != crdt.FulfilDelivery || s.HolderConfirmed {
			continue
		}
		d := int(market.DistanceM(pos, s.Place.Pickup)) // SPEC.md §16.4.1, as pricing measures
		if radiusM > 0 && d > radiusM {
			continue
		}
		out = append(out, Job{Order: s, DistanceM: d})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].DistanceM < out[j].DistanceM })
	_ = n.do(ctx, func() error { n.noteJobs(out); return nil }) // a claim may follow (SPEC.md §10.8)
	return out, nil
}

// ClaimResult is how a claim ended.
type ClaimResult struct {
	Won       bool        `json:"won"`
	Confirmed bool        `json:"confirmed"` // by the restaurant, a dispatcher or a pickup
	Outcome   string      `json:"outcome"`
	Winner    crdt.PubKey `json:"winner"`
}

// AwaitClaim waits until a claim is confirmed won or lost, or ctx ends. On
// ctx's end it returns the provisional outcome with ctx's error.
func (n *Node) AwaitClaim(ctx context.Context, order, claim crdt.ID) (ClaimResult, error) {
	sub := n.Subscribe(64)
	defer sub.Close()
	check := func() (ClaimResult, bool, error) {
		s, err := n.Order(ctx, order)
		if err != nil {
			return ClaimResult{}, false, err
		}
		for _, c := range s.Claims {
			if c.Event != claim {
				continue
			}
			res := ClaimResult{Outcome: c.Outcome, Winner: s.Holder, Won: c.Outcome == crdt.ClaimWon || c.Outcome == crdt.ClaimProvisional}
			res.Confirmed = s.HolderConfirmed
			if c.Outcome == crdt.ClaimLost {
				res.Winner, res.Confirmed = c.Winner, s.HolderConfirmed
			}
			done := c.Outcome == crdt.ClaimWon || c.Outcome == crdt.ClaimReleased || (c.Outcome == crdt.ClaimLost && s.HolderConfirmed)
			return res, done, nil
		}
		return ClaimResult{}, false, fmt.Errorf("%w: claim %s", ErrUnknown, claim.Short())
	}
	for {
		res, done, err := check()
		if err != nil || done {
			return res, err
		}
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("%w: %w", ErrTimeout, ctx.Err())
		case _, ok := <-sub.C:
			if !ok {
				return res, ErrClosed
			}
		}
	}
}

// WaitOrder waits until cond holds for the order's state, re-checking on
// every change, or until ctx ends.
func (n *Node) WaitOrder(ctx context.Context, order crdt.ID, cond func(*crdt.OrderState) bool) (*crdt.OrderState, error) {
	sub := n.Subscribe(64)
	defer sub.Close()
	for {
		s, err := n.Order(ctx, order)
		if err == nil && cond(s) {
			return s, nil
		}
		select {
		case <-ctx.Done():
			return s, fmt.Errorf("%w: %w", ErrTimeout, ctx.Err())
		case _, ok := <-sub.C:
			if !ok {
				return s, ErrClosed
			}
		}
	}
}

// ScopeHashes returns the state hash of every scope the node holds.
func (n *Node) ScopeHashes(ctx context.Context) ([]crdt.ScopeHash, error) {
	var out []crdt.ScopeHash
	err := n.do(ctx, func() error { out = n.replica.ScopeHashes(); return nil })
	return out, err
}

// Stats returns the node's counters.
func (n *Node) Stats(ctx context.Context) Stats {
	var s Stats
	_ = n.do(ctx, func() error { s = n.stats; return nil })
	return s
}

// WaitMesh waits until this node has at least min gossip mesh peers on each
// of its coop's topics it follows (SPEC.md §10.1), or ctx ends. Gossipsub forms meshes on heartbeats
// (about 1 s): until then, events a node relays rather than authors spread
// by sync only, so demos and benchmarks wait for the mesh before measuring.
func (n *Node) WaitMesh(ctx context.Context, min int) error {
	coop := n.Coop()
	if coop.IsZero() {
		return ErrNoCoop
	}
	for _, t := range []string{protocol.TopicCoop(coop), protocol.TopicCatalog(coop), protocol.TopicOrders(coop)} {
		if !n.gossip.subscribed(t) {
			continue
		}
		if err := n.gossip.waitForMesh(ctx, t, min); err != nil {
			return err
		}
	}
	return nil
}

// knownStatus reports whether name is an order status's name.
func knownStatus(name string) bool {
	for st := crdt.StatusInvalid; st <= crdt.StatusFailed; st++ {
		if st.String() == name {
			return true
		}
	}
	return false
}
