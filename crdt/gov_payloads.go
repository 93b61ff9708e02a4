package crdt

// Governance payloads (issue 16; SPEC.md §19): proposals, votes and
// delegations in the coop log, and the constitution that says which changes
// need a passed proposal. Like every payload they carry CBOR integer keys and
// omit zero values.

// Decision rules of a proposal (SPEC.md §19.3).
const (
	// RuleMajority passes when agree > disagree + block.
	RuleMajority uint8 = 1
	// RuleTwoThirds passes when agree ≥ 2/3 of agree + disagree + block,
	// and at least one member agrees.
	RuleTwoThirds uint8 = 2
	// RuleConsent passes unless the blocks reach the proposal's block
	// threshold: silence and low turnout do not stall it.
	RuleConsent uint8 = 3
)

// Vote choices (SPEC.md §19.2.2).
const (
	ChoiceAgree    uint8 = 1
	ChoiceAbstain  uint8 = 2
	ChoiceDisagree uint8 = 3
	ChoiceBlock    uint8 = 4
)

// Matters a constitution governs (SPEC.md §19.5).
const (
	MatterPricing      uint8 = 1 // a rules.set changing anything but the fees and the pay rule
	MatterPay          uint8 = 2 // a rules.set changing the courier pay rule
	MatterFee          uint8 = 3 // a rules.set changing the platform fees
	MatterAdmit        uint8 = 4 // a member.admit of a new member
	MatterRevoke       uint8 = 5 // a member.revoke
	MatterRoles        uint8 = 6 // a member.admit changing an existing member
	MatterConstitution uint8 = 7 // a constitution.amend

	maxMatter = MatterConstitution
)

// MaxProposalMillis bounds how far after its open a proposal may close: 90
// days (SPEC.md §19.2.1).
const MaxProposalMillis = 90 * 24 * 3600 * 1000

// TallyGrace is how long after its close a proposal's result stays
// provisional: 10 minutes, the gossip staleness window (SPEC.md §10.2),
// after which an event signed before the close can only arrive by catch-up
// sync (SPEC.md §19.4).
const TallyGrace = 10 * 60 * 1000

// ProposalOpen (kind 7) opens a proposal. Its event ID names it.
type ProposalOpen struct {
	Title string `cbor:"1,keyasint,omitempty" json:"title"`
	Text  string `cbor:"2,keyasint,omitempty" json:"text,omitempty"`
	// Decision is what the proposal enacts if it passes; zero for an
	// advisory proposal.
	Decision Decision `cbor:"3,keyasint,omitempty,omitzero" json:"decision"`
	// Closes is the wall time (ms) from which votes no longer count.
	Closes int64 `cbor:"4,keyasint,omitempty" json:"closes"`
	Rule   uint8 `cbor:"5,keyasint,omitempty" json:"rule"`
	// QuorumBps is the turnout required, in basis points of the
	// electorate; 0 means no quorum.
	QuorumBps uint32 `cbor:"6,keyasint,omitempty" json:"quorum_bps,omitempty"`
	// Blocks is the number of blocks that stops a consent proposal; 0
	// means 1. Other rules ignore it.
	Blocks uint32 `cbor:"7,keyasint,omitempty" json:"blocks,omitempty"`
	// Role fixes the electorate: the members holding any of these roles
	// when the proposal opens; 0 means every member.
	Role Roles `cbor:"8,keyasint,omitempty" json:"role,omitempty"`
}

// Decision is the change a proposal enacts: Kind names the enacting kind
// and the one matching field holds its exact payload, Proposal left zero.
type Decision struct {
	Kind         Kind         `cbor:"1,keyasint,omitempty" json:"kind,omitempty"`
	Rules        RulesSet     `cbor:"2,keyasint,omitempty,omitzero" json:"rules"`
	Admit        MemberAdmit  `cbor:"3,keyasint,omitempty,omitzero" json:"admit"`
	Revoke       MemberRevoke `cbor:"4,keyasint,omitempty,omitzero" json:"revoke"`
	Constitution Constitution `cbor:"5,keyasint,omitempty,omitzero" json:"constitution"`
}

// VoteCast (kind 8) casts or changes a member's vote on a proposal.
type VoteCast struct {
	Proposal ID     `cbor:"1,keyasint,omitempty,omitzero" json:"proposal"`
	Choice   uint8  `cbor:"2,keyasint,omitempty" json:"choice"`
	Reason   string `cbor:"3,keyasint,omitempty" json:"reason,omitempty"`
}

// VoteDelegate (kind 9) delegates a member's vote on one proposal to
// another member; a zero To withdraws the delegation.
type VoteDelegate struct {
	Proposal ID     `cbor:"1,keyasint,omitempty,omitzero" json:"proposal"`
	To       PubKey `cbor:"2,keyasint,omitempty,omitzero" json:"to"`
}

// ConstitutionAmend (kind 10) replaces the coop's constitution.
type ConstitutionAmend struct {
	Constitution Constitution `cbor:"1,keyasint,omitempty,omitzero" json:"constitution"`
	// Proposal names the passed proposal this amendment enacts; zero when
	// an admin acts alone.
	Proposal ID `cbor:"2,keyasint,omitempty,omitzero" json:"proposal,omitzero"`
}

// Constitution lists the matters that need a passed proposal. A matter
// not listed may be changed by an admin alone, as before governance: the
// empty constitution is the default.
type Constitution struct {
	Matters []MatterRule `cbor:"1,keyasint,omitempty" json:"matters,omitempty"`
	// ShiftPlanners are the roles, besides admin, whose members may
	// publish shift slots (SPEC.md §21.1.3); 0: admins only.
	ShiftPlanners Roles `cbor:"2,keyasint,omitempty" json:"shift_planners,omitempty"`
	// DropNoticeMin is the notice a courier gives to drop a shift: a
	// shift.drop signed later than this many minutes before the start is
	// refused (SPEC.md §21.1.3); 0: none.
	DropNoticeMin uint32 `cbor:"3,keyasint,omitempty" json:"drop_notice_min,omitempty"`
	// HeadStartSec is how long couriers on shift see a job before the
	// others (the job board rule, SPEC.md §21.2); 0: no head start.
	HeadStartSec uint32 `cbor:"4,keyasint,omitempty" json:"head_start_sec,omitempty"`
	// CredentialIssuer is the coop key whose did:key issues its couriers'
	// work record credentials (SPEC.md §21.5); zero: none designated.
	CredentialIssuer PubKey `cbor:"5,keyasint,omitempty,omitzero" json:"credential_issuer,omitzero"`
}

// MaxDropNoticeMin and MaxHeadStartSec bound the constitution's shift
// settings: a week's notice, an hour's head start (SPEC.md §21.1.3).
const (
	MaxDropNoticeMin = 7 * 24 * 60
	MaxHeadStartSec  = 3600
)

// MatterRule says that changes of one matter need a passed proposal, and
// which: its decision rule (0: any), at least this quorum, and its
// electorate (the members of Role; 0: every member).
type MatterRule struct {
	Matter    uint8  `cbor:"1,keyasint,omitempty" json:"matter"`
	Rule      uint8  `cbor:"2,keyasint,omitempty" json:"rule,omitempty"`
	QuorumBps uint32 `cbor:"3,keyasint,omitempty" json:"quorum_bps,omitempty"`
	Role      Roles  `cbor:"4,keyasint,omitempty" json:"role,omitempty"`
}

func (*ProposalOpen) Kind() Kind      { return KindProposalOpen }
func (*VoteCast) Kind() Kind          { return KindVoteCast }
func (*VoteDelegate) Kind() Kind      { return KindVoteDelegate }
func (*ConstitutionAmend) Kind() Kind { return KindConstitutionAmend }

// Requires returns the rule for a matter, if the constitution lists it.
func (c Constitution) Requires(matter uint8) (MatterRule, bool) {
	for _, m := range c.Matters {
		if m.Matter == matter {
			return m, true
		}
	}
	return MatterRule{}, false
}

// Problem returns why a constitution is not well formed, or "".
func (c Constitution) Problem() string {
	switch {
	case c.ShiftPlanners != 0 && !c.ShiftPlanners.Valid():
		return "shift planners use undefined role bits"
	case c.DropNoticeMin > MaxDropNoticeMin:
		return "drop notice above a week"
	case c.HeadStartSec > MaxHeadStartSec:
		return "head start above an hour"
	case !c.CredentialIssuer.IsZero() && c.CredentialIssuer.SmallOrder():
		return "credential issuer is a small-order key"
	}
	for i, m := range c.Matters {
		switch {
		case m.Matter == 0 || m.Matter > maxMatter:
			return "matter must be 1.." + itoa(int64(maxMatter))
		case i > 0 && c.Matters[i-1].Matter >= m.Matter:
			return "matters must be listed once each, in ascending order"
		case m.Rule > RuleConsent:
			return "rule must be 0..3"
		case m.QuorumBps > MaxBps:
			return "quorum above 10000 bps"
		case m.Role != 0 && !m.Role.Valid():
			return "role uses undefined bits"
		}
	}
	return ""
}

// Problem returns why a proposal is not well formed at its open time, or
// "" (SPEC.md §19.2.1).
func (p *ProposalOpen) Problem(wall int64) string {
	switch {
	case p.Title == "":
		return "no title"
	case p.Closes <= wall:
		return "closes before it opens"
	case p.Closes-wall > MaxProposalMillis:
		return "closes more than 90 days after it opens"
	case p.Rule == 0 || p.Rule > RuleConsent:
		return "rule must be 1..3"
	case p.QuorumBps > MaxBps:
		return "quorum above 10000 bps"
	case p.Role != 0 && !p.Role.Valid():
		return "role uses undefined bits"
	}
	return p.Decision.problem()
}

func (d *Decision) problem() string {
	// every field but the one of d.Kind must be absent
	fields := map[Kind]any{KindRulesSet: d.Rules, KindMemberAdmit: d.Admit, KindMemberRevoke: d.Revoke, KindConstitutionAmend: d.Constitution}
	for k, f := range fields {
		if k != d.Kind && !isZero(f) {
			return "fields set for another kind than " + d.Kind.String()
		}
	}
	switch d.Kind {
	case 0:
		return ""
	case KindRulesSet:
		if p := d.Rules.Problem(); p != "" {
			return "rules: " + p
		}
		if !d.Rules.Proposal.IsZero() {
			return "rules name a proposal"
		}
	case KindMemberAdmit:
		if d.Admit.Member.IsZero() || !d.Admit.Roles.Valid() || !d.Admit.Proposal.IsZero() {
			return "admit needs a member, valid roles and no proposal"
		}
	case KindMemberRevoke:
		if d.Revoke.Member.IsZero() || !d.Revoke.Proposal.IsZero() {
			return "revoke needs a member and no proposal"
		}
	case KindConstitutionAmend:
		if p := d.Constitution.Problem(); p != "" {
			return "constitution: " + p
		}
	default:
		return "kind " + d.Kind.String() + " cannot be enacted"
	}
	return ""
}
