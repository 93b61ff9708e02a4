package node

import (
	"context"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
)

// TestCouriersVoteAPayRule: on four real nodes sharing one injected clock,
// the admin opts the coop in to courier votes on pay; the admin's pay
// change without a vote is refused (vote_required); couriers propose, vote
// and delegate; every node shows the same tally; an enactment before the
// result is final is refused (not_final); after close + 10 minutes a
// courier enacts it and every node has the new pay rule in force and the
// same coop state (issue 16; SPEC.md §19).
func TestCouriersVoteAPayRule(t *testing.T) {
	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	clk := newFakeClock()
	c := &cluster{t: t, ctx: ctx, nodes: map[string]*Node{}}
	c.admin = c.startNode("admin", RoleAdmin, WithClock(clk))
	id, err := c.admin.Found(ctx, crdt.CoopGenesis{Name: "Vote Coop", City: "Nantes", Currency: "EUR"})
	must(t, err)
	c.coop = id
	prev := c.admin
	for _, name := range []string{"c1", "c2", "c3"} {
		n := c.startNode(name, RoleCourier, WithClock(clk))
		c.connect(n, c.admin)
		if prev != c.admin {
			c.connect(n, prev)
		}
		prev = n
		must(t, c.admin.Admit(ctx, n.Key(), crdt.RoleCourier, name))
	}
	c.eventually("membership everywhere", func(n *Node) bool {
		cs, err := n.CoopState(ctx)
		return err == nil && len(cs.Members) == 4
	})
	must(t, c.admin.SetRules(ctx, testRules()))
	must(t, c.admin.AmendConstitution(ctx, crdt.Constitution{Matters: []crdt.MatterRule{
		{Matter: crdt.MatterPay, Rule: crdt.RuleMajority, Role: crdt.RoleCourier}}}))

	rise := testRules()
	rise.Version, rise.Pay.BaseCents = 2, 450
	if err := c.admin.SetRules(ctx, rise); Code(err) != "vote_required" {
		t.Fatalf("admin pay change without a vote: %v (code %q), want vote_required", err, Code(err))
	}

	c1, c2, c3 := c.nodes["c1"], c.nodes["c2"], c.nodes["c3"]
	closes := clk.Now().Add(5 * time.Minute).UnixMilli()
	if _, err := c1.Propose(ctx, crdt.ProposalOpen{Title: "Base pay 4.50", Closes: closes - 10*60_000, Rule: crdt.RuleMajority}); Code(err) != "bad_argument" {
		t.Fatalf("proposal closing in the past: %v", err)
	}
	pid, err := c1.Propose(ctx, crdt.ProposalOpen{Title: "Base pay 4.50", Closes: closes, Rule: crdt.RuleMajority,
		Role: crdt.RoleCourier, Decision: crdt.Decision{Kind: crdt.KindRulesSet, Rules: rise}})
	must(t, err)
	c.eventually("the proposal everywhere", func(n *Node) bool { _, err := n.Tally(ctx, pid); return err == nil })
	must(t, c1.Vote(ctx, pid, crdt.ChoiceAgree, "fair pay"))
	must(t, c2.Vote(ctx, pid, crdt.ChoiceDisagree, ""))
	clk.advance(time.Second) // the injected clock stands still: the later vote must be signed later
	must(t, c2.Vote(ctx, pid, crdt.ChoiceAgree, "changed my mind"))
	must(t, c3.Delegate(ctx, pid, c1.Key()))
	if err := c.admin.Vote(ctx, pid, crdt.ChoiceBlock, ""); Code(err) != "not_eligible" {
		t.Fatalf("the admin's vote on a couriers' decision: %v", err)
	}
	c.eventually("the same tally everywhere", func(n *Node) bool {
		tl, err := n.Tally(ctx, pid)
		return err == nil && tl.Status == crdt.TallyOpen && tl.Agree == 3 && tl.Delegated == 1 && tl.Electorate == 3 && tl.Passed
	})
	if err := c2.Enact(ctx, pid); Code(err) != "not_final" {
		t.Fatalf("enactment before the result is final: %v", err)
	}

	clk.advance(5*time.Minute + crdt.TallyGrace*time.Millisecond)
	if tl, _ := c2.Tally(ctx, pid); tl.Status != crdt.TallyFinal {
		t.Fatalf("status %q after close + grace", tl.Status)
	}
	must(t, c2.Enact(ctx, pid))
	c.eventually("the new pay rule in force everywhere", func(n *Node) bool {
		r, err := n.Rules(ctx, 0)
		return err == nil && r.Version == 2 && r.Pay.BaseCents == 450
	})
	want, _ := c.admin.CoopState(ctx)
	for name, n := range c.nodes {
		cs, err := n.CoopState(ctx)
		must(t, err)
		if cs.Hash() != want.Hash() {
			t.Errorf("%s: coop state differs from the admin's", name)
		}
	}
	if err := c3.Enact(ctx, pid); Code(err) != "already_enacted" {
		t.Fatalf("second enactment: %v", err)
	}
	// the open books (SPEC.md §21.3) change the same way on every node:
	// today's rules in force are version 1, then the voted version 2,
	// named by its enacting event (earnings follow each order's version,
	// TestBooksSameDigestEverywhere)
	period := market.Period{From: time.UnixMilli(want.Rules[0].SetAt).UTC().Format("2006-01-02"), To: clk.Now().UTC().Format("2006-01-02")}
	books, err := c.admin.Books(ctx, period)
	must(t, err)
	if rows := books.Rules.Rows; len(rows) < 2 || rows[0][1] != "1" || rows[len(rows)-1][1] != "2" {
		t.Fatalf("rules in force in the books: %v", rows)
	}
	for name, n := range c.nodes {
		b, err := n.Books(ctx, period)
		must(t, err)
		if b.Digest != books.Digest {
			t.Errorf("%s: books digest %s, the admin's %s", name, b.Digest, books.Digest)
		}
	}
}
