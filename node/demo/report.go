package demo

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
	"github.com/coopnode/coopnode/node/sim"
)

// ---- the end ----

// converge polls every node's scope hashes until they are identical, for
// at most convergeTimeout.
func (r *run) converge() (bool, int, time.Duration) {
	ctx := r.ctx
	var scopes int
	// every node holds the relay's hash for every scope it needs: the coop
	// log and catalogues everywhere; every order on the couriers and the
	// relay (they follow the orders topic); on a customer or restaurant,
	// its own orders only (party push, SPEC.md §10.4)
	same := func() bool {
		ref, err := r.relay.n.ScopeHashes(ctx)
		if err != nil {
			return false
		}
		for _, p := range r.all[1:] {
			hs, err := p.n.ScopeHashes(ctx)
			if err != nil {
				return false
			}
			if r.differ(ref, hs, p.n) != 0 {
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
	r.tl.say("coop", "converged: all %d nodes hold identical state hashes for the scopes they need, of %d (%s after the last delivery)",
		len(r.all), scopes, took.Round(time.Millisecond))
	return true, scopes, took
}

// differ counts the relay's scope hashes (ref) that n, holding hs, lacks
// although it needs the scope, or holds with another hash. A scope may
// have several hashes (a restaurant's profile and menu).
func (r *run) differ(ref, hs []crdt.ScopeHash, n *node.Node) int {
	type pair struct {
		ref  crdt.ScopeRef
		hash [32]byte
	}
	held, heldRef := map[pair]bool{}, map[crdt.ScopeRef]bool{}
	for _, h := range hs {
		held[pair{h.Ref, h.Hash}], heldRef[h.Ref] = true, true
	}
	diff := 0
	for _, h := range ref {
		if !held[pair{h.Ref, h.Hash}] && (heldRef[h.Ref] || r.needs(n, h.Ref)) {
			diff++
		}
	}
	return diff
}

// needs reports whether n is meant to hold scope ref (sim.Needs; an order
// the relay does not know counts as needed).
func (r *run) needs(n *node.Node, ref crdt.ScopeRef) bool {
	if ref.Class != crdt.ScopeOrder {
		return true
	}
	s, err := r.relay.n.Order(r.ctx, ref.ID)
	return sim.Needs(n.Role(), "order", err != nil || s.IsParty(n.Key()))
}

// divergence describes which nodes differ from the relay.
func (r *run) divergence() string {
	ref, err := r.relay.n.ScopeHashes(r.ctx)
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, p := range r.all[1:] {
		hs, err := p.n.ScopeHashes(r.ctx)
		if err != nil {
			out = append(out, p.name+": "+err.Error())
			continue
		}
		if diff := r.differ(ref, hs, p.n); diff != 0 {
			out = append(out, fmt.Sprintf("%s differs from the relay (%d scopes held, %d differ or missing)", p.name, len(hs), max(diff, 0)))
		}
	}
	if len(out) == 0 {
		return "the nodes disagree among themselves"
	}
	return strings.Join(out, "; ")
}

// collect fills the summary from the replicated state and the tracker.
func (r *run) collect(sum *Summary, wentAt, backAt time.Time) error {
	ctx := r.ctx
	orders, err := r.relay.n.Orders(ctx, node.OrderFilter{})
	if err != nil {
		return err
	}
	sum.OrdersPlaced = len(orders)
	byID := map[crdt.ID]*crdt.OrderState{}
	for _, s := range orders {
		byID[s.ID] = s
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
	for _, p := range r.all {
		sum.DroppedChanges += p.n.Stats(ctx).DroppedChanges
	}

	r.track.detachAll()
	ps := r.track.stats(func(id crdt.ID, k crdt.PubKey) bool { s := byID[id]; return s != nil && s.IsParty(k) })
	sum.Events, sum.EventsByKind = ps.Authored, ps.ByKind
	sum.PropagationSamples, sum.PropagationIncomplete = len(ps.Samples), ps.Incomplete
	sum.PropagationP50Ms, sum.PropagationP99Ms = sim.PercentileMs(ps.Samples, 50), sim.PercentileMs(ps.Samples, 99)
	sum.PropagationMaxMs = sim.PercentileMs(ps.Samples, 100)
	sum.OfflineMissedEvents = ps.AuthoredBetween(wentAt, backAt)
	sum.PropagationOrdersP50Ms, sum.PropagationOrdersP99Ms = sim.PercentileMs(ps.Orders, 50), sim.PercentileMs(ps.Orders, 99)
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
	sum.ClaimResolutionP50Ms, sum.ClaimResolutionMaxMs = sim.PercentileMs(waits, 50), sim.PercentileMs(waits, 100)
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
	_ = sim.Parallel(len(r.all), func(i int) error {
		if p := r.all[i]; p.n != nil {
			if err := p.n.Close(); err != nil {
				r.log.Warn("close node", "node", p.name, "err", err)
			}
		}
		return nil
	})
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
		{"propagation", fmt.Sprintf("p50 %.1f ms, p99 %.1f ms until every node that needs an event has it (%d events measured, %d never reached one)",
			s.PropagationP50Ms, s.PropagationP99Ms, s.PropagationSamples, s.PropagationIncomplete)},
		{"", fmt.Sprintf("order events alone: p50 %.1f ms, p99 %.1f ms", s.PropagationOrdersP50Ms, s.PropagationOrdersP99Ms)},
		{"", fmt.Sprintf("slowest: %s by %s, %.0f ms to reach %s (signed at +%.1f s%s)", s.PropagationSlowest.Kind, s.PropagationSlowest.By,
			s.PropagationSlowest.Ms, s.PropagationSlowest.Last, float64(s.PropagationSlowest.AtMs)/1000, r.coldNote(s.PropagationSlowest.AtMs))},
		{"offline courier", fmt.Sprintf("%s away %.1f s while %s were signed; catch-up session: %s in, %d out, %s, %s (%s of it events)",
			s.OfflineCourier, float64(s.OfflineMs)/1000, plural(s.OfflineMissedEvents, "event"), plural(s.OfflineCatchUp.EventsIn, "event"),
			s.OfflineCatchUp.EventsOut, plural(s.OfflineCatchUp.RoundTrips, "round trip"),
			humanBytes(s.OfflineCatchUp.BytesIn+s.OfflineCatchUp.BytesOut), humanBytes(s.OfflineCatchUp.EventBytes))},
		{"", fmt.Sprintf("held all it missed %d ms after restarting, %s received by sync until then", s.OfflineCaughtUpMs, plural(s.OfflineSyncEventsIn, "event"))},
		{"events", fmt.Sprintf("%d signed events, %d claims, %d deliveries", s.Events, s.EventsByKind[crdt.KindCourierClaim.String()], s.EventsByKind[crdt.KindTaskDeliver.String()])},
		{"took", fmt.Sprintf("%.1f s", float64(s.DurationMs)/1000)},
	}
	r.tl.raw(" %s\n", line)
	for _, row := range rows {
		r.tl.raw("  %s %s\n", padRunes(row[0], 16), row[1])
	}
	r.tl.raw(" %s\n", line)
}
