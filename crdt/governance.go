package crdt

import (
	"reflect"
)

// Governance in the coop fold (SPEC.md §19): proposals, votes, delegations
// and the enactments that a constitution makes binding.
//
// Why votes are indexed apart from the fold order: a vote counts by its
// signed wall time, not by where it lands in the (Lamport, ID) order, so the
// tally is a function of the set of votes held. The coop fold first indexes
// every vote and delegation of the log, then applies events one by one; an
// enactment is judged on the whole index.

// Proposal is an opened proposal in the coop state.
type Proposal struct {
	ID     ID     `json:"id"`
	Author PubKey `json:"author"` // the proposer's member key
	Opened int64  `json:"opened"` // wall ms of the proposal.open
	// Lamport is the proposal.open's: only votes and delegations with a
	// greater Lamport clock (written after seeing it) count.
	Lamport uint64       `json:"lamport"`
	Open    ProposalOpen `json:"open"` // the payload; read-only
	// EnactedBy is the event that enacted the decision; zero until then.
	EnactedBy ID `json:"enacted_by,omitzero"`
}

// foldCoop folds a coop log sorted in fold order: votes and delegations
// are indexed first, then every event is applied (SPEC.md §19.4).
func foldCoop(id ID, evs []*Event) *CoopState {
	s := newCoopState(id)
	for _, e := range evs {
		s.index(e)
	}
	for _, e := range evs {
		s.apply(e)
	}
	return s
}

// FoldCoop folds a coop's events given in any order, with duplicates,
// without a replica: the reference fold that property tests compare
// against. Events that break the causal rules must not be given.
func FoldCoop(events []*Event) *CoopState {
	evs := distinctInOrder(events)
	if len(evs) == 0 || evs[0].Kind != KindCoopGenesis {
		return nil
	}
	return foldCoop(evs[0].ID, evs)
}

// index records a vote or delegation by the proposal it names, and which
// proposals an enacting event names.
func (c *CoopState) index(e *Event) {
	if pid := enacts(e.Body); !pid.IsZero() {
		c.named[pid] = true
	}
	switch b := e.Body.(type) {
	case *VoteCast:
		c.ballots[b.Proposal] = append(c.ballots[b.Proposal], e)
	case *VoteDelegate:
		c.ballots[b.Proposal] = append(c.ballots[b.Proposal], e)
	}
}

// mustRefold reports whether appending e at the end of the fold order can
// change the outcome of events already folded: a vote or delegation on a
// proposal that an enacting event names, which is judged on every vote
// held.
func (c *CoopState) mustRefold(e *Event) bool {
	var pid ID
	switch b := e.Body.(type) {
	case *VoteCast:
		pid = b.Proposal
	case *VoteDelegate:
		pid = b.Proposal
	default:
		return false
	}
	return c.named[pid]
}

// eligible reports whether member k is in p's electorate: admitted at or
// before the open, holding one of p's roles then (if it names any), and not
// revoked before the close (SPEC.md §19.3).
func (c *CoopState) eligible(k PubKey, p *Proposal) bool {
	m, ok := c.Members[k]
	if !ok || m.AdmittedAt > p.Opened {
		return false
	}
	if m.RevokedAt != 0 && m.RevokedAt < p.Open.Closes {
		return false
	}
	return p.Open.Role == 0 || m.RolesAt(p.Opened).Any(p.Open.Role)
}

// stepGovernance applies a proposal, a vote or a delegation.
func (c *CoopState) stepGovernance(e *Event) Reason {
	m, r := c.Resolve(e.Author, e.Wall)
	if r != ReasonOK {
		return r
	}
	switch b := e.Body.(type) {
	case *ProposalOpen:
		if b.Problem(e.Wall) != "" {
			return ReasonBadField
		}
		if _, dup := c.Proposals[e.ID]; dup {
			return ReasonDuplicate
		}
		c.Proposals[e.ID] = &Proposal{ID: e.ID, Author: m.Key, Opened: e.Wall, Lamport: e.Lamport, Open: *b}
		return ReasonOK
	case *VoteCast:
		if b.Choice == 0 || b.Choice > ChoiceBlock {
			return ReasonBadField
		}
		return c.ballotReason(e, m.Key, b.Proposal)
	case *VoteDelegate:
		if b.To == m.Key {
			return ReasonBadField
		}
		if r := c.ballotReason(e, m.Key, b.Proposal); r != ReasonOK {
			return r
		}
		if p := c.Proposals[b.Proposal]; !b.To.IsZero() && !c.eligible(b.To, p) {
			return ReasonNotEligible
		}
		return ReasonOK
	}
	return ReasonWrongBody
}

// ballotReason checks what a vote and a delegation share: a known
// proposal, signed before its close, by a member of its electorate.
func (c *CoopState) ballotReason(e *Event, voter PubKey, pid ID) Reason {
	p, ok := c.Proposals[pid]
	if !ok || e.Lamport <= p.Lamport {
		return ReasonUnknownProposal
	}
	if e.Wall >= p.Open.Closes {
		return ReasonVoteClosed
	}
	if !c.eligible(voter, p) {
		return ReasonNotEligible
	}
	return ReasonOK
}

// enacts returns the proposal an enacting payload names, if any.
func enacts(b Payload) ID {
	switch b := b.(type) {
	case *RulesSet:
		return b.Proposal
	case *MemberAdmit:
		return b.Proposal
	case *MemberRevoke:
		return b.Proposal
	case *ConstitutionAmend:
		return b.Proposal
	}
	return ID{}
}

// matters lists the matters of the constitution an enacting event changes
// in the current state (SPEC.md §19.5).
func (c *CoopState) matters(b Payload) []uint8 {
	switch b := b.(type) {
	case *RulesSet:
		var old RulesSet
		if cur, ok := c.LatestRules(); ok {
			old = *cur
		}
		var out []uint8
		a, n := old, *b
		for _, x := range []*RulesSet{&a, &n} {
			x.Version, x.Note, x.Proposal = 0, "", ID{}
		}
		if !equalValues(a.Pay, n.Pay) {
			out = append(out, MatterPay)
		}
		if !equalValues(a.Fees, n.Fees) {
			out = append(out, MatterFee)
		}
		a.Pay, n.Pay, a.Fees, n.Fees = PayRule{}, PayRule{}, PlatformFees{}, PlatformFees{}
		if !equalValues(a, n) {
			out = append(out, MatterPricing)
		}
		return out
	case *MemberAdmit:
		if _, ok := c.Members[b.Member]; ok {
			return []uint8{MatterRoles}
		}
		return []uint8{MatterAdmit}
	case *MemberRevoke:
		return []uint8{MatterRevoke}
	case *ConstitutionAmend:
		return []uint8{MatterConstitution}
	}
	return nil
}

// mayEnact is the authority of an enacting kind (rules.set, member.admit,
// member.revoke, constitution.amend) under the constitution (SPEC.md
// §19.6). Without a proposal, the author must act for an admin and no
// matter it changes may require a vote. With one, any member may enact it
// once it passed, final, with the rule the constitution requires.
func (c *CoopState) mayEnact(e *Event) Reason {
	pid := enacts(e.Body)
	if pid.IsZero() {
		if !c.HasRole(e.Author, e.Wall, RoleAdmin) {
			return c.authorityReason(e.Author, e.Wall, ReasonNotAdmin)
		}
		for _, m := range c.matters(e.Body) {
			if _, ok := c.Constitution.Requires(m); ok {
				return ReasonVoteRequired
			}
		}
		return ReasonOK
	}
	if _, r := c.Resolve(e.Author, e.Wall); r != ReasonOK {
		return r
	}
	p, ok := c.Proposals[pid]
	switch {
	case !ok:
		return ReasonUnknownProposal
	case !p.EnactedBy.IsZero():
		return ReasonAlreadyEnacted
	case e.Wall < p.Open.Closes+TallyGrace:
		return ReasonNotFinal
	case !p.Open.Decision.matches(e.Body):
		return ReasonDecisionMismatch
	case !c.count(p).Passed:
		return ReasonNotPassed
	}
	for _, m := range c.matters(e.Body) {
		req, ok := c.Constitution.Requires(m)
		if !ok {
			continue
		}
		if (req.Rule != 0 && req.Rule != p.Open.Rule) || p.Open.QuorumBps < req.QuorumBps || p.Open.Role != req.Role {
			return ReasonWrongRule
		}
	}
	return ReasonOK
}

// matches reports whether an enacting payload is exactly the decision,
// apart from the proposal it names.
func (d *Decision) matches(b Payload) bool {
	if b == nil || d.Kind != b.Kind() {
		return false
	}
	switch b := b.(type) {
	case *RulesSet:
		x := *b
		x.Proposal = ID{}
		return equalValues(x, d.Rules)
	case *MemberAdmit:
		x := *b
		x.Proposal = ID{}
		return equalValues(x, d.Admit)
	case *MemberRevoke:
		x := *b
		x.Proposal = ID{}
		return equalValues(x, d.Revoke)
	case *ConstitutionAmend:
		return equalValues(b.Constitution, d.Constitution)
	}
	return false
}

// enacted marks the proposal an applied enacting event names as enacted.
func (c *CoopState) enacted(e *Event) {
	if pid := enacts(e.Body); !pid.IsZero() {
		if p, ok := c.Proposals[pid]; ok {
			p.EnactedBy = e.ID
		}
	}
}

// isZero reports whether a payload value encodes as absent: its zero
// value, or one whose lists are all empty.
func isZero(x any) bool {
	v := reflect.ValueOf(x)
	return v.IsZero() || equalValue(v, reflect.Zero(v.Type()))
}

// equalValues compares two payload values as their canonical encodings
// would: a nil and an empty list or byte string are the same value (both
// are absent on the wire, SPEC.md §3.1).
func equalValues(a, b any) bool {
	return equalValue(reflect.ValueOf(a), reflect.ValueOf(b))
}

func equalValue(a, b reflect.Value) bool {
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !equalValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if !equalValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Array:
		for i := 0; i < a.Len(); i++ {
			if !equalValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.String:
		return a.String() == b.String()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return a.Uint() == b.Uint()
	}
	return false // payloads hold no other kinds (no maps, floats or pointers)
}
