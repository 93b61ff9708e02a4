package protocol

import (
	"crypto/ed25519"
	"testing"

	"github.com/coopnode/coopnode/crdt"
)

// TestGovernanceThroughTheWire: a pay rule decided by the couriers, from
// sealed bytes to the fold, as nodes exchange them (SPEC.md §19): the
// admin's change without a vote is refused with vote_required, and the
// enactment a member copies from the decoded proposal is applied.
func TestGovernanceThroughTheWire(t *testing.T) {
	w := newWorld(t)
	const minute = 60_000
	next := func(d Draft) Draft {
		d.Coop, d.Scope = w.genesis.ID, w.genesis.ID
		d.Parents, d.Lamport = []crdt.ID{w.last.ID}, w.last.Lamport+1
		return d
	}
	// each event is validated at its own wall + 1 s, as its author's
	// node would, so walls may run past the fixture's testNow
	step := func(priv ed25519.PrivateKey, wall int64, body crdt.Payload) *crdt.Event {
		t.Helper()
		_, raw := mustSeal(t, priv, next(Draft{Kind: body.Kind(), Wall: wall, Body: body}))
		res := Validate(raw, wall+1000, ModeLocal, w.r)
		if res.Verdict != Accept {
			t.Fatalf("%s: %s", body.Kind(), res)
		}
		if out := w.r.Apply(res.Event); out.Status != crdt.Stored {
			t.Fatalf("%s: %s %s", body.Kind(), out.Status, out.Reason)
		}
		w.last = res.Event
		return w.last
	}
	rules := &crdt.RulesSet{Version: 1, Strategy: crdt.StrategyFind, Rules: []crdt.PriceRule{{Name: "base", FixedCents: 400}},
		Pay: crdt.PayRule{BaseCents: 300}}
	step(w.admin, testWall+1*minute, rules)
	step(w.admin, testWall+2*minute, &crdt.ConstitutionAmend{Constitution: crdt.Constitution{Matters: []crdt.MatterRule{
		{Matter: crdt.MatterPay, Rule: crdt.RuleMajority, Role: crdt.RoleCourier}}}})

	rise := *rules
	rise.Version, rise.Pay.BaseCents = 2, 450
	_, raw := mustSeal(t, w.admin, next(Draft{Kind: crdt.KindRulesSet, Wall: testWall + 3*minute, Body: &rise}))
	res := Validate(raw, testWall+3*minute, ModeLocal, w.r)
	if res.Verdict != Accept {
		t.Fatalf("admin rules.set at the gate: %s", res)
	}
	if got := w.r.Simulate(res.Event); got != crdt.ReasonVoteRequired {
		t.Fatalf("admin pay change without a vote: %q, want vote_required", got)
	}

	p := step(w.courier, testWall+4*minute, &crdt.ProposalOpen{Title: "Base pay 4.50", Closes: testWall + 34*minute,
		Rule: crdt.RuleMajority, Role: crdt.RoleCourier, Decision: crdt.Decision{Kind: crdt.KindRulesSet, Rules: rise}})
	step(w.courier, testWall+5*minute, &crdt.VoteCast{Proposal: p.ID, Choice: crdt.ChoiceAgree})
	cs := w.r.CoopView(w.genesis.ID)
	tl, _ := cs.Tally(p.ID, testWall+44*minute)
	if tl.Status != crdt.TallyFinal || !tl.Passed || tl.Agree != 1 || tl.Electorate != 1 {
		t.Fatalf("tally %+v", tl)
	}
	enact := cs.Proposals[p.ID].Open.Decision.Rules // as decoded from the wire
	enact.Proposal = p.ID
	e := step(w.restaurant, testWall+45*minute, &enact)
	if got, _ := w.r.Coop(w.genesis.ID); len(got.Rejected) != 0 {
		t.Fatalf("rejected: %+v", got.Rejected)
	}
	cur, _ := w.r.CoopView(w.genesis.ID).LatestRules()
	if cur.Version != 2 || cur.Pay.BaseCents != 450 {
		t.Fatalf("rules in force: %+v", cur)
	}
	if tl, _ := w.r.CoopView(w.genesis.ID).Tally(p.ID, testWall+45*minute); tl.Enacted != e.ID {
		t.Fatalf("enacted by %s, want %s", tl.Enacted.Short(), e.ID.Short())
	}
}
