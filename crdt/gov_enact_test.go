package crdt

import "testing"

// TestGovernanceRefusals: every refusal of a proposal, a vote and a
// delegation, at the gate or in the fold, with its named reason (SPEC.md
// §19.7).
func TestGovernanceRefusals(t *testing.T) {
	g := newGov(t)
	p := g.propose(ProposalOpen{Rule: RuleMajority, Role: RoleCourier})
	closes := p.Body.(*ProposalOpen).Closes
	ok := func(po ProposalOpen) *ProposalOpen {
		if po.Title == "" {
			po.Title = "t"
		}
		if po.Closes == 0 {
			po.Closes = g.t0 + minute
		}
		if po.Rule == 0 {
			po.Rule = RuleConsent
		}
		return &po
	}
	for _, tc := range []struct {
		name string
		who  string
		wall int64
		body Payload
		want Reason
	}{
		{"proposal by a stranger", "stranger", g.t0, ok(ProposalOpen{}), ReasonNotMember},
		{"proposal by a customer", "cust", g.t0, ok(ProposalOpen{}), ReasonNotMember},
		{"proposal without title", "c1", g.t0, &ProposalOpen{Closes: g.t0 + minute, Rule: 1}, ReasonBadField},
		{"proposal closing before it opens", "c1", g.t0, ok(ProposalOpen{Closes: g.t0}), ReasonBadField},
		{"proposal open for more than 90 days", "c1", g.t0, ok(ProposalOpen{Closes: g.t0 + MaxProposalMillis + 1}), ReasonBadField},
		{"proposal with rule 4", "c1", g.t0, ok(ProposalOpen{Rule: 4}), ReasonBadField},
		{"proposal with quorum above 100%", "c1", g.t0, ok(ProposalOpen{QuorumBps: MaxBps + 1}), ReasonBadField},
		{"proposal with an undefined role", "c1", g.t0, ok(ProposalOpen{Role: 1 << 9}), ReasonBadField},
		{"decision without kind", "c1", g.t0, ok(ProposalOpen{Decision: Decision{Admit: MemberAdmit{Member: key("x"), Roles: RoleCourier}}}), ReasonBadField},
		{"decision of a kind that cannot be enacted", "c1", g.t0, ok(ProposalOpen{Decision: Decision{Kind: KindDeviceLink}}), ReasonBadField},
		{"decision with a second field", "c1", g.t0, ok(ProposalOpen{Decision: Decision{Kind: KindMemberRevoke, Revoke: MemberRevoke{Member: key("c2")}, Admit: MemberAdmit{Member: key("x")}}}), ReasonBadField},
		{"decision with ill-formed rules", "c1", g.t0, ok(ProposalOpen{Decision: Decision{Kind: KindRulesSet, Rules: RulesSet{Version: 1}}}), ReasonBadField},
		{"decision naming a proposal", "c1", g.t0, ok(ProposalOpen{Decision: Decision{Kind: KindMemberRevoke, Revoke: MemberRevoke{Member: key("c2"), Proposal: p.ID}}}), ReasonBadField},
		{"decision admitting without roles", "c1", g.t0, ok(ProposalOpen{Decision: Decision{Kind: KindMemberAdmit, Admit: MemberAdmit{Member: key("x")}}}), ReasonBadField},
		{"decision with an ill-formed constitution", "c1", g.t0, ok(ProposalOpen{Decision: Decision{Kind: KindConstitutionAmend, Constitution: Constitution{Matters: []MatterRule{{Matter: 9}}}}}), ReasonBadField},
		{"vote by a stranger", "stranger", g.t0, &VoteCast{Proposal: p.ID, Choice: ChoiceAgree}, ReasonNotMember},
		{"vote on no proposal", "c2", g.t0, &VoteCast{Proposal: ID{7}, Choice: ChoiceAgree}, ReasonUnknownProposal},
		{"vote without a choice", "c2", g.t0, &VoteCast{Proposal: p.ID}, ReasonBadField},
		{"vote with choice 5", "c2", g.t0, &VoteCast{Proposal: p.ID, Choice: 5}, ReasonBadField},
		{"vote at the close", "c2", closes, &VoteCast{Proposal: p.ID, Choice: ChoiceAgree}, ReasonVoteClosed},
		{"vote outside the electorate", "resto", g.t0, &VoteCast{Proposal: p.ID, Choice: ChoiceAgree}, ReasonNotEligible},
		{"delegation to oneself", "c2", g.t0, &VoteDelegate{Proposal: p.ID, To: key("c2")}, ReasonBadField},
		{"delegation to someone outside the electorate", "c2", g.t0, &VoteDelegate{Proposal: p.ID, To: key("resto")}, ReasonNotEligible},
		{"delegation to a non-member", "c2", g.t0, &VoteDelegate{Proposal: p.ID, To: key("stranger")}, ReasonNotEligible},
		{"delegation after the close", "c2", closes + 1, &VoteDelegate{Proposal: p.ID, To: key("c3")}, ReasonVoteClosed},
		{"delegation on no proposal", "c2", g.t0, &VoteDelegate{Proposal: ID{7}, To: key("c3")}, ReasonUnknownProposal},
	} {
		e, out := g.at(tc.who, tc.wall, tc.body)
		if got := g.refusal(e, out); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	// a member admitted after the open is not in the electorate
	g.must("admin", g.t0+minute, &MemberAdmit{Member: key("late"), Roles: RoleCourier})
	if e, out := g.at("late", g.t0+2*minute, &VoteCast{Proposal: p.ID, Choice: ChoiceAgree}); g.refusal(e, out) != ReasonNotEligible {
		t.Errorf("vote by a member admitted after the open: %q", g.refusal(e, out))
	}
	if n := g.tally(p).Electorate; n != 5 {
		t.Errorf("electorate %d, want the 5 couriers at the open", n)
	}
}

// payVote is a constitution in which couriers decide the pay rule by
// majority, and only a two-thirds vote of everyone changes the
// constitution.
var payVote = Constitution{Matters: []MatterRule{
	{Matter: MatterPay, Rule: RuleMajority, Role: RoleCourier},
	{Matter: MatterConstitution, Rule: RuleTwoThirds},
}}

// adopt amends the default constitution (admins decide everything) to c,
// as an admin may, and sets rules version 1.
func (g *govWorld) adopt(c Constitution) {
	g.t.Helper()
	g.must("admin", g.t0-2*minute, validRules(1))
	g.must("admin", g.t0-minute, &ConstitutionAmend{Constitution: c})
}

// payRise is validRules(version) with a higher base pay.
func payRise(version uint64) *RulesSet {
	r := validRules(version)
	r.Pay.BaseCents = 450
	return r
}

// TestEnactment: once a coop requires a vote on pay, an admin's pay change
// without one is refused (vote_required); a passed, final proposal is
// enacted by any member; every other enactment is refused with its reason
// (SPEC.md §19.6).
func TestEnactment(t *testing.T) {
	g := newGov(t)
	g.adopt(payVote)
	if cs := g.state(); !equalValues(cs.Constitution, payVote) {
		t.Fatalf("constitution %+v", cs.Constitution)
	}
	// pricing is still the admin's; pay is not
	pricing := validRules(2)
	pricing.Rules[0].FixedCents = 400
	g.must("admin", g.t0, pricing)
	if e, out := g.at("admin", g.t0, payRise(3)); g.refusal(e, out) != ReasonVoteRequired {
		t.Fatalf("admin pay change without a vote: %q", g.refusal(e, out))
	}
	if e, out := g.at("admin", g.t0, &ConstitutionAmend{}); g.refusal(e, out) != ReasonVoteRequired {
		t.Fatalf("admin constitution change without a vote: %q", g.refusal(e, out))
	}

	rise := payRise(3)
	rise.Rules[0].FixedCents = 400 // as in force, so only the pay changes
	p := g.propose(ProposalOpen{Rule: RuleMajority, Role: RoleCourier, Decision: Decision{Kind: KindRulesSet, Rules: *rise}})
	closes := p.Body.(*ProposalOpen).Closes
	final := closes + TallyGrace
	wrong := g.propose(ProposalOpen{Title: "by everyone", Rule: RuleMajority, Decision: Decision{Kind: KindRulesSet, Rules: *rise}})
	failing := g.propose(ProposalOpen{Title: "lose", Rule: RuleMajority, Role: RoleCourier, Decision: Decision{Kind: KindRulesSet, Rules: *rise}})
	for _, who := range []string{"c1", "c2", "c3"} {
		g.must(who, g.t0+minute, &VoteCast{Proposal: p.ID, Choice: ChoiceAgree})
		g.must(who, g.t0+minute, &VoteCast{Proposal: wrong.ID, Choice: ChoiceAgree})
		g.must(who, g.t0+minute, &VoteCast{Proposal: failing.ID, Choice: ChoiceDisagree})
	}
	named := func(r *RulesSet, pid ID) *RulesSet { x := *r; x.Proposal = pid; return &x }
	other := named(rise, p.ID)
	other.Pay.BaseCents = 999
	for _, tc := range []struct {
		name string
		who  string
		wall int64
		body Payload
		want Reason
	}{
		{"enactment before the result is final", "c1", final - 1, named(rise, p.ID), ReasonNotFinal},
		{"enactment of another change", "c1", final, other, ReasonDecisionMismatch},
		{"enactment as another kind", "c1", final, &MemberRevoke{Member: key("c4"), Proposal: p.ID}, ReasonDecisionMismatch},
		{"enactment of a failed proposal", "c1", final, named(rise, failing.ID), ReasonNotPassed},
		{"enactment of a vote by the wrong electorate", "c1", final, named(rise, wrong.ID), ReasonWrongRule},
		{"enactment of no proposal", "c1", final, named(rise, ID{9}), ReasonUnknownProposal},
		{"enactment by a stranger", "stranger", final, named(rise, p.ID), ReasonNotMember},
		{"enactment by a customer", "cust", final, named(rise, p.ID), ReasonNotMember},
	} {
		e, out := g.at(tc.who, tc.wall, tc.body)
		if got := g.refusal(e, out); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	// a courier enacts it: the pay rule changes for everyone
	enact := g.must("c4", final, named(rise, p.ID))
	if cur, _ := g.state().LatestRules(); cur.Version != 3 || cur.Pay.BaseCents != 450 {
		t.Fatalf("rules in force: version %d pay %+v", cur.Version, cur.Pay)
	}
	if tl := g.tally(p); tl.Enacted != enact.ID || !tl.Passed {
		t.Fatalf("tally %+v", tl)
	}
	again := named(payRise(4), p.ID)
	if e, out := g.at("c2", final+1, again); g.refusal(e, out) != ReasonAlreadyEnacted {
		t.Fatalf("second enactment: %q", g.refusal(e, out))
	}
}

// TestConstitutionByVote: a constitution that requires a vote for itself
// is amended by a passed two-thirds proposal, and refused with any other
// rule; admissions, role changes and revocations follow the matters.
func TestConstitutionByVote(t *testing.T) {
	g := newGov(t)
	g.adopt(Constitution{Matters: []MatterRule{
		{Matter: MatterAdmit, Rule: RuleConsent},
		{Matter: MatterRevoke, Rule: RuleMajority, QuorumBps: 2500},
		{Matter: MatterRoles},
		{Matter: MatterConstitution, Rule: RuleTwoThirds},
	}})
	for _, tc := range []struct {
		body Payload
		want Reason
	}{
		{&MemberAdmit{Member: key("x"), Roles: RoleCourier}, ReasonVoteRequired},
		{&MemberAdmit{Member: key("c1"), Roles: RoleDispatcher}, ReasonVoteRequired},
		{&MemberRevoke{Member: key("c1")}, ReasonVoteRequired},
		{&ConstitutionAmend{}, ReasonVoteRequired},
		{&DeviceLink{Member: key("c2"), Device: key("c2phone")}, ReasonOK}, // not a matter
	} {
		if e, out := g.at("admin", g.t0, tc.body); g.refusal(e, out) != tc.want {
			t.Errorf("admin %s: %q, want %q", tc.body.Kind(), g.refusal(e, out), tc.want)
		}
	}
	open := func(title string, rule uint8, quorum uint32, d Decision) *Event {
		return g.propose(ProposalOpen{Title: title, Rule: rule, QuorumBps: quorum, Decision: d})
	}
	admit := MemberAdmit{Member: key("x"), Roles: RoleCourier, Name: "x"}
	roles := MemberAdmit{Member: key("c1"), Roles: RoleCourier | RoleDispatcher}
	revoke := MemberRevoke{Member: key("c4"), Reason: "left"}
	pAdmit := open("admit x", RuleConsent, 0, Decision{Kind: KindMemberAdmit, Admit: admit})
	pRoles := open("c1 dispatches", RuleMajority, 0, Decision{Kind: KindMemberAdmit, Admit: roles})
	pRevokeLow := open("revoke c4, low quorum", RuleMajority, 1000, Decision{Kind: KindMemberRevoke, Revoke: revoke})
	pRevoke := open("revoke c4", RuleMajority, 2500, Decision{Kind: KindMemberRevoke, Revoke: revoke})
	pAmendMaj := open("drop votes, by majority", RuleMajority, 0, Decision{Kind: KindConstitutionAmend})
	pAmend := open("drop votes", RuleTwoThirds, 0, Decision{Kind: KindConstitutionAmend})
	for _, pp := range []*Event{pRoles, pRevokeLow, pRevoke, pAmendMaj, pAmend} {
		for _, who := range []string{"c1", "c2", "c3"} {
			g.must(who, g.t0+minute, &VoteCast{Proposal: pp.ID, Choice: ChoiceAgree})
		}
	}
	final := g.t0 + 30*minute + TallyGrace
	for _, tc := range []struct {
		name string
		body Payload
		want Reason
	}{
		{"revoke with too low a quorum", &MemberRevoke{Member: key("c4"), Reason: "left", Proposal: pRevokeLow.ID}, ReasonWrongRule},
		{"amend by majority", &ConstitutionAmend{Proposal: pAmendMaj.ID}, ReasonWrongRule},
		{"admit by consent", &MemberAdmit{Member: key("x"), Roles: RoleCourier, Name: "x", Proposal: pAdmit.ID}, ReasonOK},
		{"role change by majority", &MemberAdmit{Member: key("c1"), Roles: RoleCourier | RoleDispatcher, Proposal: pRoles.ID}, ReasonOK},
		{"revoke", &MemberRevoke{Member: key("c4"), Reason: "left", Proposal: pRevoke.ID}, ReasonOK},
		{"amend by two-thirds", &ConstitutionAmend{Proposal: pAmend.ID}, ReasonOK},
		{"after the amendment an admin admits alone", &MemberAdmit{Member: key("y"), Roles: RoleCourier}, ReasonOK},
	} {
		who := "c2"
		if enacts(tc.body).IsZero() {
			who = "admin"
		}
		if e, out := g.at(who, final, tc.body); g.refusal(e, out) != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, g.refusal(e, out), tc.want)
		}
	}
	cs := g.state()
	if _, ok := cs.ActiveMember(key("x")); !ok || cs.Members[key("c4")].RevokedAt != final || !cs.Members[key("c1")].Roles.Has(RoleDispatcher) {
		t.Fatal("enacted decisions not in force")
	}
	if len(cs.Constitution.Matters) != 0 {
		t.Fatalf("constitution %+v after the amendment", cs.Constitution)
	}
}

// TestDefaultConstitutionKeepsAdmins: with the genesis default, admins make
// every change alone, as before governance, and non-admins may not.
func TestDefaultConstitutionKeepsAdmins(t *testing.T) {
	g := newGov(t)
	for _, body := range []Payload{validRules(1), payRise(2), &MemberAdmit{Member: key("x"), Roles: RoleCourier}, &MemberAdmit{Member: key("x"), Roles: RoleDispatcher}, &MemberRevoke{Member: key("x")}, &ConstitutionAmend{Constitution: payVote}} {
		g.must("admin", g.t0, body)
	}
	if e, out := g.at("c1", g.t0, payRise(3)); g.refusal(e, out) != ReasonNotAdmin {
		t.Fatalf("courier rules.set: %q", g.refusal(e, out))
	}
}

// TestLateVoteRefoldsEnactment: an enactment is judged on every vote held,
// whatever its arrival: a vote signed before the close that arrives after
// the enactment refolds it, on every node alike (SPEC.md §19.4).
func TestLateVoteRefoldsEnactment(t *testing.T) {
	g := newGov(t)
	g.adopt(payVote)
	p := g.propose(ProposalOpen{Rule: RuleMajority, Role: RoleCourier, Decision: Decision{Kind: KindRulesSet, Rules: *payRise(2)}})
	// c2 and c3 disagree on a partitioned node
	side := g.fresh()
	for _, e := range g.r.ScopeEvents(ScopeCoop, g.coop, g.coop) {
		side.Apply(e)
	}
	var late []*Event
	for _, who := range []string{"c2", "c3"} {
		parents := side.Heads(ScopeCoop, g.coop)
		e := g.mk(key(who), KindVoteCast, g.coop, g.coop, parents, side.NextLamport(parents), &VoteCast{Proposal: p.ID, Choice: ChoiceDisagree})
		e.Wall = g.t0 + 2*minute
		g.mustStore(side, e)
		late = append(late, e)
	}
	g.must("c1", g.t0+minute, &VoteCast{Proposal: p.ID, Choice: ChoiceAgree})
	final := p.Body.(*ProposalOpen).Closes + TallyGrace
	x := *payRise(2)
	x.Proposal = p.ID
	enact := g.must("c1", final, &x)
	if cur, _ := g.state().LatestRules(); cur.Version != 2 {
		t.Fatal("not enacted")
	}
	for _, e := range late {
		g.mustStore(g.r, e)
	}
	if cur, ok := g.state().LatestRules(); ok && cur.Version == 2 {
		t.Fatal("the late votes did not refold the enactment")
	}
	if got := g.refusal(enact, Outcome{Status: Stored}); got != ReasonNotPassed {
		t.Fatalf("enactment after the late votes: %q", got)
	}
}

// TestGovernanceBadConstitution: an ill-formed constitution is refused in
// a genesis and in an amendment (bad_field); a revoked member can neither
// propose nor vote (revoked_key).
func TestGovernanceBadConstitution(t *testing.T) {
	w := newWorld(t)
	for _, c := range []Constitution{
		{Matters: []MatterRule{{Matter: 0}}},
		{Matters: []MatterRule{{Matter: MatterPay}, {Matter: MatterPay}}},
		{Matters: []MatterRule{{Matter: MatterFee}, {Matter: MatterPay}}},
		{Matters: []MatterRule{{Matter: MatterPay, Rule: 4}}},
		{Matters: []MatterRule{{Matter: MatterPay, QuorumBps: MaxBps + 1}}},
		{Matters: []MatterRule{{Matter: MatterPay, Role: 1 << 7}}},
	} {
		r := NewReplica(Limits{})
		g := w.mk(w.k("admin"), KindCoopGenesis, ID{}, ID{}, nil, 1, &CoopGenesis{Name: "x", Admins: []PubKey{w.k("admin")}, Constitution: c})
		r.Apply(g)
		if cs, _ := r.Coop(g.ID); len(cs.Rejected) != 1 || cs.Rejected[0].Reason != ReasonBadField {
			t.Errorf("genesis with constitution %+v: %+v", c, cs.Rejected)
		}
		gw := newGov(t)
		if e, out := gw.at("admin", gw.t0, &ConstitutionAmend{Constitution: c}); gw.refusal(e, out) != ReasonBadField {
			t.Errorf("amendment to %+v: %q", c, gw.refusal(e, out))
		}
	}
	g := newGov(t)
	p := g.propose(ProposalOpen{Rule: RuleConsent})
	g.must("admin", g.t0+minute, &MemberRevoke{Member: key("c2")})
	for _, body := range []Payload{&ProposalOpen{Title: "t", Closes: g.t0 + 9*minute, Rule: RuleConsent}, &VoteCast{Proposal: p.ID, Choice: ChoiceBlock}, &VoteDelegate{Proposal: p.ID, To: key("c3")}} {
		if e, out := g.at("c2", g.t0+2*minute, body); g.refusal(e, out) != ReasonRevokedKey {
			t.Errorf("%s by a revoked member: %q", body.Kind(), g.refusal(e, out))
		}
	}
}
