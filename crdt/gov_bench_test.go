package crdt

import (
	"fmt"
	"testing"
)

// govBench is a coop of n couriers with one proposal on the pay rule,
// which every courier votes on (a tenth by delegation), passed and
// enacted: the worst case for a late vote, which refolds the coop log.
func govBench(b *testing.B, n int) (g *govWorld, p *Event, late *Event) {
	g = &govWorld{world: newWorld(b), t0: 0}
	g.r = g.fresh()
	g.t0 = g.baseWall + 600*minute
	for i := 0; i < n; i++ {
		g.must("admin", g.t0-minute, &MemberAdmit{Member: key(fmt.Sprint("m", i)), Roles: RoleCourier})
	}
	g.must("admin", g.t0-minute, &ConstitutionAmend{Constitution: payVote})
	p = g.must("c1", g.t0, &ProposalOpen{Title: "pay", Closes: g.t0 + 30*minute, Rule: RuleMajority, Role: RoleCourier,
		Decision: Decision{Kind: KindRulesSet, Rules: *payRise(1)}})
	for i := 0; i < n; i++ {
		who := fmt.Sprint("m", i)
		if i%10 == 0 {
			g.must(who, g.t0+minute, &VoteDelegate{Proposal: p.ID, To: key("m1")})
			continue
		}
		g.must(who, g.t0+minute, &VoteCast{Proposal: p.ID, Choice: ChoiceAgree})
	}
	x := *payRise(1)
	x.Proposal = p.ID
	g.must("c2", g.t0+30*minute+TallyGrace, &x)
	parents := g.r.Heads(ScopeCoop, g.coop)
	late = g.mk(key("c3"), KindVoteCast, g.coop, g.coop, parents, g.r.NextLamport(parents), &VoteCast{Proposal: p.ID, Choice: ChoiceDisagree})
	late.Wall = g.t0 + 2*minute
	return g, p, late
}

// BenchmarkTally: one tally of a proposal voted on by every member.
func BenchmarkTally(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprint(n, "members"), func(b *testing.B) {
			g, p, _ := govBench(b, n)
			cs := g.state()
			for b.Loop() {
				if t, _ := cs.Tally(p.ID, 0); t.Turnout < n {
					b.Fatalf("turnout %d", t.Turnout)
				}
			}
		})
	}
}

// BenchmarkLateVoteRefold: applying a vote on an enacted proposal, which
// refolds the whole coop log (SPEC.md §19.4).
func BenchmarkLateVoteRefold(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprint(n, "members"), func(b *testing.B) {
			g, _, late := govBench(b, n)
			for b.Loop() {
				b.StopTimer()
				r := NewReplica(Limits{})
				for _, e := range g.r.ScopeEvents(ScopeCoop, g.coop, g.coop) {
					r.Apply(e)
				}
				b.StartTimer()
				if out := r.Apply(late); out.Status != Stored {
					b.Fatal(out.Status)
				}
			}
			b.ReportMetric(float64(len(g.r.ScopeEvents(ScopeCoop, g.coop, g.coop))), "coop-events")
		})
	}
}
