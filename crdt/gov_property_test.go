package crdt

import (
	"math/rand"
	"testing"
)

// genGovernance builds a random governance history on the test coop:
// proposals with every rule, quorum and electorate, votes, changed votes,
// delegations and withdrawals, a revocation, admin changes and enactments,
// each written on a random recent prefix of the history (what its author
// had seen), so votes and enactments race (SPEC.md §19).
func genGovernance(w *world, rng *rand.Rand) []*Event {
	t0 := w.baseWall + 60*minute
	revokeAt := t0 + 15*minute
	var all []*Event
	var props []*Event
	view := func() *Replica {
		k := len(all) - rng.Intn(min(len(all), 5)+1)
		if k < 0 {
			k = 0
		}
		r := w.fresh()
		for _, e := range all[:k] {
			r.Apply(e)
		}
		return r
	}
	add := func(r *Replica, who string, wall int64, body Payload) {
		parents := r.Heads(ScopeCoop, w.coop)
		e := w.mk(key(who), body.Kind(), w.coop, w.coop, parents, r.NextLamport(parents), body)
		e.Wall = wall
		all = append(all, e)
	}
	pick := func(xs ...string) string { return xs[rng.Intn(len(xs))] }
	if rng.Intn(2) == 0 {
		add(w.fresh(), "admin", t0-minute, &ConstitutionAmend{Constitution: payVote})
	}
	n := 10 + rng.Intn(30)
	revoked := false
	for i := 0; i < n; i++ {
		r := view()
		switch c := rng.Intn(20); {
		case c < 3 && len(props) < 3 || len(props) == 0:
			p := &ProposalOpen{Title: "p", Rule: uint8(1 + rng.Intn(3)), QuorumBps: []uint32{0, 0, 2500, 5000}[rng.Intn(4)],
				Blocks: uint32(rng.Intn(3)), Role: []Roles{0, RoleCourier}[rng.Intn(2)]}
			switch rng.Intn(4) {
			case 1:
				p.Decision = Decision{Kind: KindRulesSet, Rules: *payRise(uint64(2 + rng.Intn(3)))}
			case 2:
				p.Decision = Decision{Kind: KindMemberAdmit, Admit: MemberAdmit{Member: key("x"), Roles: RoleCourier}}
			case 3:
				p.Decision = Decision{Kind: KindMemberRevoke, Revoke: MemberRevoke{Member: key("c3")}}
			}
			wall := t0 + int64(rng.Intn(5))*minute
			p.Closes = wall + 20*minute
			add(r, pick("c1", "c2", "disp", "admin", "resto", "stranger"), wall, p)
			props = append(props, all[len(all)-1])
		case c < 13:
			p := props[rng.Intn(len(props))]
			po := p.Body.(*ProposalOpen)
			who := pick("c1", "c2", "c3", "c4", "disp", "admin", "resto", "c1phone", "stranger")
			wall := p.Wall + int64(rng.Intn(26))*minute - int64(rng.Intn(2))*minute
			if who == "c4" && wall >= revokeAt {
				wall = revokeAt - 1 - int64(rng.Intn(3))*minute
			}
			if rng.Intn(4) == 0 {
				to := PubKey{}
				if rng.Intn(4) != 0 {
					to = key(pick("c1", "c2", "c3", "c4", "disp", "resto"))
				}
				add(r, who, wall, &VoteDelegate{Proposal: p.ID, To: to})
			} else {
				add(r, who, wall, &VoteCast{Proposal: p.ID, Choice: uint8(rng.Intn(5) + rng.Intn(2)), Reason: pick("", "why not")})
			}
			_ = po
		case c < 14 && !revoked:
			revoked = true
			add(r, "admin", revokeAt, &MemberRevoke{Member: key("c4")})
		case c < 15:
			add(r, "admin", t0+int64(rng.Intn(60))*minute, payRise(uint64(2+rng.Intn(3))))
		default:
			p := props[rng.Intn(len(props))]
			po := p.Body.(*ProposalOpen)
			if po.Decision.Kind == 0 {
				continue
			}
			var body Payload
			switch po.Decision.Kind {
			case KindRulesSet:
				x := po.Decision.Rules
				x.Proposal = p.ID
				body = &x
			case KindMemberAdmit:
				x := po.Decision.Admit
				x.Proposal = p.ID
				body = &x
			case KindMemberRevoke:
				x := po.Decision.Revoke
				x.Proposal = p.ID
				body = &x
			}
			wall := po.Closes + TallyGrace + int64(rng.Intn(7)-3)*minute
			add(r, pick("c1", "c2", "disp", "resto", "c1phone"), wall, body)
		}
	}
	return all
}

// tallies lists every proposal's tally at several times.
func tallies(c *CoopState) []Tally {
	var out []Tally
	for _, p := range c.SortedProposals() {
		for _, now := range []int64{p.Opened, p.Open.Closes, p.Open.Closes + TallyGrace} {
			t, _ := c.Tally(p.ID, now)
			out = append(out, t)
		}
	}
	return out
}

// TestGovernanceConvergence: random proposals, votes, vote changes,
// delegations, revocations and enactments delivered in any order, with
// duplicates and across a partition, give every replica the same coop
// state hash, the same tallies and the same enacted decisions as the
// reference fold (SPEC.md §6.5, §19.4).
func TestGovernanceConvergence(t *testing.T) {
	cases := 2000
	if testing.Short() {
		cases = 200
	}
	w := newWorld(t)
	rng := rand.New(rand.NewSource(16))
	stats := map[string]int{}
	for c := 0; c < cases; c++ {
		all := genGovernance(w, rng)
		ref := FoldCoop(append(append([]*Event(nil), w.coopLog...), all...))
		want, wantT := ref.Hash(), tallies(ref)
		for _, p := range ref.Proposals {
			tl := ref.count(p)
			stats["proposals"]++
			if tl.Passed {
				stats["passed"]++
			}
			if !p.EnactedBy.IsZero() {
				stats["enacted"]++
			}
			if tl.Delegated > 0 {
				stats["delegated"]++
			}
		}
		for _, rj := range ref.Rejected {
			stats[string(rj.Reason)]++
		}
		check := func(r *Replica, what string) {
			t.Helper()
			cs := r.CoopView(w.coop)
			if cs.Hash() != want {
				t.Fatalf("case %d %s: coop hash differs\nwant %+v\ngot  %+v", c, what, wantT, tallies(cs))
			}
			if got := tallies(cs); !equalValues(got, wantT) {
				t.Fatalf("case %d %s: tallies differ\nwant %+v\ngot  %+v", c, what, wantT, got)
			}
			for id, p := range ref.Proposals {
				if cs.Proposals[id].EnactedBy != p.EnactedBy {
					t.Fatalf("case %d %s: enactment of %s differs", c, what, id.Short())
				}
			}
		}
		// 1. permutations with duplicates
		for p := 0; p < 4; p++ {
			r := w.fresh()
			for _, e := range shuffled(rng, all, 0.3) {
				r.Apply(e)
			}
			check(r, "permutation")
		}
		// 2. partition, then heal
		a, b := partitionHeal(w, rng, all, nil)
		check(a, "partition side a")
		check(b, "partition side b")
		// 3. the coop log itself interleaved, then re-offered
		r := NewReplica(Limits{})
		every := append(append([]*Event(nil), w.coopLog...), all...)
		for _, e := range shuffled(rng, every, 0.1) {
			r.Apply(e)
		}
		for _, e := range shuffled(rng, every, 0) {
			r.Apply(e)
		}
		if r.PendingLen() != 0 {
			t.Fatalf("case %d: %d events pending with the full set", c, r.PendingLen())
		}
		check(r, "interleaved")
	}
	t.Logf("%d histories: %v", cases, stats)
	for _, k := range []string{"passed", "enacted", "delegated", string(ReasonNotPassed), string(ReasonVoteClosed), string(ReasonNotEligible), string(ReasonNotFinal)} {
		if stats[k] < cases/50 {
			t.Errorf("generator too tame: %q in only %d histories", k, stats[k])
		}
	}
}
