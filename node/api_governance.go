package node

import (
	"context"
	"fmt"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
)

// The governance API (issue 16; SPEC.md §19): members propose, vote and
// delegate; any member enacts a passed decision once its result is final;
// admins amend the constitution while it lets them. The rules are the
// fold's (package crdt): an action the fold would refuse is refused here,
// with the fold's reason, before it is signed (SPEC.md §12.1).

// Propose opens a proposal as this node's member and returns its ID. A
// zero Closes is refused: the proposer says when the vote ends.
func (n *Node) Propose(ctx context.Context, p crdt.ProposalOpen) (crdt.ID, error) {
	if problem := p.Problem(n.nowMs()); problem != "" {
		return crdt.ID{}, fmt.Errorf("%w: proposal: %s", ErrBadArgument, problem)
	}
	return n.act(ctx, crdt.KindProposalOpen, n.Coop(), &p)
}

// Vote casts or changes this member's vote on a proposal: choice is
// crdt.ChoiceAgree, ChoiceAbstain, ChoiceDisagree or ChoiceBlock.
func (n *Node) Vote(ctx context.Context, proposal crdt.ID, choice uint8, reason string) error {
	if choice == 0 || choice > crdt.ChoiceBlock {
		return fmt.Errorf("%w: vote choice %d: want 1 agree, 2 abstain, 3 disagree or 4 block", ErrBadArgument, choice)
	}
	_, err := n.act(ctx, crdt.KindVoteCast, n.Coop(), &crdt.VoteCast{Proposal: proposal, Choice: choice, Reason: reason})
	return err
}

// Delegate gives this member's vote on one proposal to another member; a
// zero key withdraws the delegation. The member's own vote, if it casts
// one, overrides the delegate's.
func (n *Node) Delegate(ctx context.Context, proposal crdt.ID, to crdt.PubKey) error {
	_, err := n.act(ctx, crdt.KindVoteDelegate, n.Coop(), &crdt.VoteDelegate{Proposal: proposal, To: to})
	return err
}

// Tally returns a proposal's tally as the events this node holds give it,
// with its status (open, provisional, final) by this node's clock.
func (n *Node) Tally(ctx context.Context, proposal crdt.ID) (crdt.Tally, error) {
	var out crdt.Tally
	err := n.do(ctx, func() error {
		coop := n.replica.CoopView(n.cfg.coop)
		if coop == nil {
			return ErrNoCoop
		}
		t, ok := coop.Tally(proposal, n.nowMs())
		if !ok {
			return fmt.Errorf("%w: proposal %s", ErrUnknown, proposal.Short())
		}
		out = t
		return nil
	})
	return out, err
}

// Proposals returns the coop's proposals, oldest first.
func (n *Node) Proposals(ctx context.Context) ([]crdt.Proposal, error) {
	var out []crdt.Proposal
	err := n.do(ctx, func() error {
		coop := n.replica.CoopView(n.cfg.coop)
		if coop == nil {
			return ErrNoCoop
		}
		for _, p := range coop.SortedProposals() {
			out = append(out, *p) // the payload is read-only
		}
		return nil
	})
	return out, err
}

// Enact signs the event that puts a passed proposal's decision in force,
// naming the proposal (SPEC.md §19.6). The fold refuses it — and so does
// this call, with the reason — unless the proposal passed, its result is
// final, and it used the rule the constitution requires.
func (n *Node) Enact(ctx context.Context, proposal crdt.ID) error {
	return n.do(ctx, func() error {
		coop := n.replica.CoopView(n.cfg.coop)
		if coop == nil {
			return ErrNoCoop
		}
		p, ok := coop.Proposals[proposal]
		if !ok {
			return fmt.Errorf("%w: proposal %s", ErrUnknown, proposal.Short())
		}
		d := p.Open.Decision
		var body crdt.Payload
		switch d.Kind {
		case crdt.KindRulesSet:
			x := d.Rules
			if _, err := market.Compile(&x, coop.Timezone); err != nil {
				return fmt.Errorf("%w: %w", ErrBadArgument, err)
			}
			x.Proposal = proposal
			body = &x
		case crdt.KindMemberAdmit:
			x := d.Admit
			x.Proposal = proposal
			body = &x
		case crdt.KindMemberRevoke:
			x := d.Revoke
			x.Proposal = proposal
			body = &x
		case crdt.KindConstitutionAmend:
			body = &crdt.ConstitutionAmend{Constitution: d.Constitution, Proposal: proposal}
		default:
			return fmt.Errorf("%w: proposal %s decides nothing to enact", ErrBadArgument, proposal.Short())
		}
		_, err := n.emit(body.Kind(), n.cfg.coop, body)
		return err
	})
}

// AmendConstitution replaces the constitution as an admin acting alone,
// which the constitution allows until it lists the constitution matter
// itself (SPEC.md §19.5); then only Enact of a passed proposal can.
func (n *Node) AmendConstitution(ctx context.Context, c crdt.Constitution) error {
	if problem := c.Problem(); problem != "" {
		return fmt.Errorf("%w: constitution: %s", ErrBadArgument, problem)
	}
	_, err := n.act(ctx, crdt.KindConstitutionAmend, n.Coop(), &crdt.ConstitutionAmend{Constitution: c})
	return err
}
