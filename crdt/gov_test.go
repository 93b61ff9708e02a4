package crdt

import (
	"testing"
)

// govWorld is the test cooperative of fixture_test.go with a replica to
// act on and a clock of its own: walls are set per event, so tests say
// exactly when each vote was signed.
type govWorld struct {
	*world
	r *Replica
	// t0 is when proposals open: an hour after the coop log's events.
	t0 int64
}

const minute = 60 * 1000

func newGov(t *testing.T) *govWorld {
	w := newWorld(t)
	return &govWorld{world: w, r: w.fresh(), t0: w.baseWall + 60*minute}
}

// at builds an event by who at wall on the replica's heads and applies it.
func (g *govWorld) at(who string, wall int64, body Payload) (*Event, Outcome) {
	parents := g.r.Heads(ScopeCoop, g.coop)
	e := g.mk(key(who), body.Kind(), g.coop, g.coop, parents, g.r.NextLamport(parents), body)
	e.Wall = wall
	return e, g.r.Apply(e)
}

// must is at, failing unless the event is stored and applied.
func (g *govWorld) must(who string, wall int64, body Payload) *Event {
	g.t.Helper()
	e, out := g.at(who, wall, body)
	if r := g.refusal(e, out); r != ReasonOK {
		g.t.Fatalf("%s by %s: refused %q", body.Kind(), who, r)
	}
	return e
}

// refusal is why e was left out: at the gate, or by the fold.
func (g *govWorld) refusal(e *Event, out Outcome) Reason {
	if out.Status == Rejected {
		return out.Reason
	}
	for _, x := range g.state().Rejected {
		if x.Event == e.ID {
			return x.Reason
		}
	}
	return ReasonOK
}

func (g *govWorld) state() *CoopState { return g.r.CoopView(g.coop) }

// propose opens a proposal by c1 at t0 closing 30 minutes later.
func (g *govWorld) propose(p ProposalOpen) *Event {
	if p.Title == "" {
		p.Title = "pay rise"
	}
	if p.Closes == 0 {
		p.Closes = g.t0 + 30*minute
	}
	return g.must("c1", g.t0, &p)
}

func (g *govWorld) tally(p *Event) Tally {
	g.t.Helper()
	t, ok := g.state().Tally(p.ID, p.Body.(*ProposalOpen).Closes+TallyGrace)
	if !ok {
		g.t.Fatal("no tally")
	}
	return t
}

// ballot is one vote or delegation in a table case.
type ballot struct {
	who    string
	choice uint8  // a vote when set
	to     string // else a delegation to this member ("" withdraws)
	at     int64  // minutes after t0
}

// TestTallyRules: each decision rule and quorum on ties, abstentions,
// blocks, turnout, late votes, revoked voters, changed votes and
// delegations (SPEC.md §19.3). The couriers' electorate is c1, c2, c3, c4
// and disp; the whole coop has 8 members.
func TestTallyRules(t *testing.T) {
	A, Ab, D, B := ChoiceAgree, ChoiceAbstain, ChoiceDisagree, ChoiceBlock
	courier := RoleCourier
	for _, tc := range []struct {
		name    string
		p       ProposalOpen
		ballots []ballot
		revoke  string // revoked by the admin at t0 + 20 min, after its votes
		want    Tally  // compares the counts, QuorumMet and Passed
	}{
		{"majority passes", ProposalOpen{Rule: RuleMajority, Role: courier},
			[]ballot{{"c1", A, "", 1}, {"c2", A, "", 1}, {"c3", A, "", 1}, {"c4", D, "", 1}, {"disp", D, "", 1}},
			"", Tally{Electorate: 5, Agree: 3, Disagree: 2, Turnout: 5, QuorumMet: true, Passed: true}},
		{"majority tie fails", ProposalOpen{Rule: RuleMajority, Role: courier},
			[]ballot{{"c1", A, "", 1}, {"c2", A, "", 1}, {"c3", D, "", 1}, {"c4", D, "", 1}, {"disp", Ab, "", 1}},
			"", Tally{Electorate: 5, Agree: 2, Disagree: 2, Abstain: 1, Turnout: 5, QuorumMet: true}},
		{"majority: a block counts against", ProposalOpen{Rule: RuleMajority, Role: courier},
			[]ballot{{"c1", A, "", 1}, {"c2", A, "", 1}, {"c3", D, "", 1}, {"c4", B, "", 1}},
			"", Tally{Electorate: 5, Agree: 2, Disagree: 1, Block: 1, Turnout: 4, QuorumMet: true}},
		{"majority all abstain fails", ProposalOpen{Rule: RuleMajority},
			[]ballot{{"c1", Ab, "", 1}, {"c2", Ab, "", 1}, {"admin", Ab, "", 1}},
			"", Tally{Electorate: 8, Abstain: 3, Turnout: 3, QuorumMet: true}},
		{"majority no votes fails", ProposalOpen{Rule: RuleMajority}, nil,
			"", Tally{Electorate: 8, QuorumMet: true}},
		{"two-thirds exactly passes", ProposalOpen{Rule: RuleTwoThirds},
			[]ballot{{"c1", A, "", 1}, {"c2", A, "", 1}, {"c3", A, "", 1}, {"c4", A, "", 1}, {"disp", D, "", 1}, {"admin", D, "", 1}},
			"", Tally{Electorate: 8, Agree: 4, Disagree: 2, Turnout: 6, QuorumMet: true, Passed: true}},
		{"two-thirds short fails", ProposalOpen{Rule: RuleTwoThirds},
			[]ballot{{"c1", A, "", 1}, {"c2", A, "", 1}, {"c3", A, "", 1}, {"disp", D, "", 1}, {"admin", D, "", 1}},
			"", Tally{Electorate: 8, Agree: 3, Disagree: 2, Turnout: 5, QuorumMet: true}},
		{"two-thirds all abstain fails", ProposalOpen{Rule: RuleTwoThirds},
			[]ballot{{"c1", Ab, "", 1}, {"c2", Ab, "", 1}},
			"", Tally{Electorate: 8, Abstain: 2, Turnout: 2, QuorumMet: true}},
		{"consent passes in silence", ProposalOpen{Rule: RuleConsent}, nil,
			"", Tally{Electorate: 8, QuorumMet: true, Passed: true}},
		{"consent passes over disagreement", ProposalOpen{Rule: RuleConsent},
			[]ballot{{"c1", D, "", 1}, {"c2", D, "", 1}, {"c3", A, "", 1}},
			"", Tally{Electorate: 8, Agree: 1, Disagree: 2, Turnout: 3, QuorumMet: true, Passed: true}},
		{"consent: one block stops it", ProposalOpen{Rule: RuleConsent},
			[]ballot{{"c1", A, "", 1}, {"c2", A, "", 1}, {"c3", B, "", 1}},
			"", Tally{Electorate: 8, Agree: 2, Block: 1, Turnout: 3, QuorumMet: true}},
		{"consent with threshold 2: one block passes", ProposalOpen{Rule: RuleConsent, Blocks: 2},
			[]ballot{{"c3", B, "", 1}},
			"", Tally{Electorate: 8, Block: 1, Turnout: 1, QuorumMet: true, Passed: true}},
		{"consent with threshold 2: two blocks stop it", ProposalOpen{Rule: RuleConsent, Blocks: 2},
			[]ballot{{"c3", B, "", 1}, {"resto", B, "", 2}},
			"", Tally{Electorate: 8, Block: 2, Turnout: 2, QuorumMet: true}},
		{"no quorum", ProposalOpen{Rule: RuleMajority, QuorumBps: 5000},
			[]ballot{{"c1", A, "", 1}, {"c2", A, "", 1}, {"c3", A, "", 1}},
			"", Tally{Electorate: 8, Agree: 3, Turnout: 3}},
		{"quorum reached by an abstention", ProposalOpen{Rule: RuleMajority, QuorumBps: 5000},
			[]ballot{{"c1", A, "", 1}, {"c2", A, "", 1}, {"c3", A, "", 1}, {"c4", Ab, "", 1}},
			"", Tally{Electorate: 8, Agree: 3, Abstain: 1, Turnout: 4, QuorumMet: true, Passed: true}},
		{"a late vote does not count", ProposalOpen{Rule: RuleMajority, Role: courier},
			[]ballot{{"c1", A, "", 1}, {"c2", D, "", 1}, {"c3", D, "", 30}},
			"", Tally{Electorate: 5, Agree: 1, Disagree: 1, Turnout: 2, QuorumMet: true}},
		{"a changed vote counts once, the latest", ProposalOpen{Rule: RuleMajority, Role: courier},
			[]ballot{{"c1", A, "", 1}, {"c2", D, "", 1}, {"c2", A, "", 5}, {"c3", A, "", 6}, {"c3", D, "", 29}},
			"", Tally{Electorate: 5, Agree: 2, Disagree: 1, Turnout: 3, QuorumMet: true, Passed: true}},
		{"a changed vote after the close keeps the earlier", ProposalOpen{Rule: RuleMajority, Role: courier},
			[]ballot{{"c1", A, "", 1}, {"c1", D, "", 31}},
			"", Tally{Electorate: 5, Agree: 1, Turnout: 1, QuorumMet: true, Passed: true}},
		{"a member revoked before the close does not count", ProposalOpen{Rule: RuleMajority, Role: courier},
			[]ballot{{"c1", A, "", 1}, {"c2", D, "", 1}, {"c4", A, "", 2}},
			"c4", Tally{Electorate: 4, Agree: 1, Disagree: 1, Turnout: 2, QuorumMet: true}},
		{"a vote by a linked device counts for its member", ProposalOpen{Rule: RuleMajority, Role: courier},
			[]ballot{{"c1phone", A, "", 1}, {"c1", D, "", 0}},
			"", Tally{Electorate: 5, Agree: 1, Turnout: 1, QuorumMet: true, Passed: true}},
		{"outside the role's electorate", ProposalOpen{Rule: RuleMajority, Role: courier},
			[]ballot{{"resto", D, "", 1}, {"admin", D, "", 1}, {"c1", A, "", 1}},
			"", Tally{Electorate: 5, Agree: 1, Turnout: 1, QuorumMet: true, Passed: true}},
		{"a delegate votes for its delegator", ProposalOpen{Rule: RuleMajority, Role: courier},
			[]ballot{{"c2", 0, "c3", 1}, {"c3", A, "", 2}, {"c1", D, "", 2}},
			"", Tally{Electorate: 5, Agree: 2, Disagree: 1, Turnout: 3, Delegated: 1, QuorumMet: true, Passed: true}},
		{"a delegator who votes overrides its delegate", ProposalOpen{Rule: RuleMajority, Role: courier},
			[]ballot{{"c2", 0, "c3", 1}, {"c3", A, "", 2}, {"c2", D, "", 3}},
			"", Tally{Electorate: 5, Agree: 1, Disagree: 1, Turnout: 2, QuorumMet: true}},
		{"a withdrawn delegation", ProposalOpen{Rule: RuleMajority, Role: courier},
			[]ballot{{"c2", 0, "c3", 1}, {"c2", 0, "", 2}, {"c3", A, "", 2}},
			"", Tally{Electorate: 5, Agree: 1, Turnout: 1, QuorumMet: true, Passed: true}},
		{"a delegate who does not vote", ProposalOpen{Rule: RuleMajority, Role: courier},
			[]ballot{{"c2", 0, "c3", 1}, {"c1", A, "", 2}},
			"", Tally{Electorate: 5, Agree: 1, Turnout: 1, QuorumMet: true, Passed: true}},
		{"delegations do not chain", ProposalOpen{Rule: RuleMajority, Role: courier},
			[]ballot{{"c2", 0, "c3", 1}, {"c3", 0, "c4", 1}, {"c4", D, "", 2}},
			"", Tally{Electorate: 5, Disagree: 2, Turnout: 2, Delegated: 1, QuorumMet: true}}, // c3 via c4; c2 not via c3
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGov(t)
			p := g.propose(tc.p)
			for _, b := range tc.ballots {
				var body Payload = &VoteCast{Proposal: p.ID, Choice: b.choice}
				if b.choice == 0 {
					var to PubKey
					if b.to != "" {
						to = key(b.to)
					}
					body = &VoteDelegate{Proposal: p.ID, To: to}
				}
				g.at(b.who, g.t0+b.at*minute, body)
			}
			if tc.revoke != "" {
				g.must("admin", g.t0+20*minute, &MemberRevoke{Member: key(tc.revoke)})
			}
			got := g.tally(p)
			got.Votes, got.Proposal, got.Status, got.Rule, got.Enacted = nil, ID{}, "", 0, ID{}
			if !equalValues(got, tc.want) {
				t.Fatalf("tally\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestTallyStatusAndVotes: open before the close, provisional for
// TallyGrace after it, final then; the counted votes name who voted how.
func TestTallyStatusAndVotes(t *testing.T) {
	g := newGov(t)
	p := g.propose(ProposalOpen{Rule: RuleMajority, Role: RoleCourier})
	closes := p.Body.(*ProposalOpen).Closes
	v := g.must("c2", g.t0+minute, &VoteCast{Proposal: p.ID, Choice: ChoiceAgree, Reason: "fair"})
	g.must("c3", g.t0+minute, &VoteDelegate{Proposal: p.ID, To: key("c2")})
	for _, tc := range []struct {
		now  int64
		want string
	}{{g.t0, TallyOpen}, {closes - 1, TallyOpen}, {closes, TallyProvisional}, {closes + TallyGrace - 1, TallyProvisional}, {closes + TallyGrace, TallyFinal}} {
		if got, _ := g.state().Tally(p.ID, tc.now); got.Status != tc.want {
			t.Errorf("at close%+d ms: status %q, want %q", tc.now-closes, got.Status, tc.want)
		}
	}
	got := g.tally(p)
	want := []CountedVote{{Member: key("c2"), Choice: ChoiceAgree, Reason: "fair", Event: v.ID}, {Member: key("c3"), Choice: ChoiceAgree, Reason: "fair", Via: key("c2"), Event: v.ID}}
	if ID(want[0].Member).Compare(ID(want[1].Member)) > 0 {
		want[0], want[1] = want[1], want[0]
	}
	if len(got.Votes) != 2 || got.Votes[0] != want[0] || got.Votes[1] != want[1] {
		t.Fatalf("votes %+v, want %+v", got.Votes, want)
	}
	if _, ok := g.state().Tally(ID{1}, 0); ok {
		t.Fatal("a tally of no proposal")
	}
}

// TestSameWallLaterIDWins: two votes of one member signed in the same
// millisecond: the greater event ID counts, whatever the arrival order.
func TestSameWallLaterIDWins(t *testing.T) {
	g := newGov(t)
	p := g.propose(ProposalOpen{Rule: RuleMajority, Role: RoleCourier})
	view := g.r
	parents := view.Heads(ScopeCoop, g.coop)
	a := g.mk(key("c1"), KindVoteCast, g.coop, g.coop, parents, view.NextLamport(parents), &VoteCast{Proposal: p.ID, Choice: ChoiceAgree})
	b := g.mk(key("c1"), KindVoteCast, g.coop, g.coop, parents, view.NextLamport(parents), &VoteCast{Proposal: p.ID, Choice: ChoiceDisagree})
	a.Wall, b.Wall = g.t0+minute, g.t0+minute
	win := a
	if b.ID.Compare(a.ID) > 0 {
		win = b
	}
	for _, order := range [][]*Event{{a, b}, {b, a}} {
		r := g.fresh()
		g.mustStore(r, p)
		for _, e := range order {
			g.mustStore(r, e)
		}
		tl, _ := r.CoopView(g.coop).Tally(p.ID, 0)
		if len(tl.Votes) != 1 || tl.Votes[0].Event != win.ID {
			t.Fatalf("counted %+v, want %s", tl.Votes, win.ID.Short())
		}
	}
}
