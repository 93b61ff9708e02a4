package crdt

// Kind numbers an event type. The numbers are part of the wire format
// (SPEC.md §5): they MUST NOT be reused or renumbered.
type Kind uint16

// Cooperative log kinds (SPEC.md §5.2).
const (
	KindCoopGenesis  Kind = 1
	KindMemberAdmit  Kind = 2
	KindMemberRevoke Kind = 3
	KindDeviceLink   Kind = 4
	KindDeviceRevoke Kind = 5
	KindRulesSet     Kind = 6 // SPEC.md §16.2

	// Governance kinds (SPEC.md §19).
	KindProposalOpen      Kind = 7
	KindVoteCast          Kind = 8
	KindVoteDelegate      Kind = 9
	KindConstitutionAmend Kind = 10

	// Shift kinds (SPEC.md §21.1).
	KindShiftPlan   Kind = 11
	KindShiftSignup Kind = 12
	KindShiftDrop   Kind = 13
	KindShiftOffer  Kind = 14
	KindShiftAccept Kind = 15
)

// Restaurant document kinds (SPEC.md §5.3): replaceable, latest wins.
const (
	KindCatalogProfile Kind = 20
	KindCatalogMenu    Kind = 21
)

// Order log kinds (SPEC.md §5.4).
const (
	KindOrderPlace          Kind = 40
	KindOrderAccept         Kind = 41
	KindOrderRefuse         Kind = 42
	KindOrderDelay          Kind = 43
	KindOrderStartPreparing Kind = 44
	KindOrderReady          Kind = 45
	KindOrderCancel         Kind = 46
	KindOrderRestore        Kind = 47
	KindOrderFulfil         Kind = 48
	KindOrderShare          Kind = 49

	KindCourierClaim    Kind = 60
	KindCourierAssign   Kind = 61
	KindCourierUnassign Kind = 62
	KindTaskStart       Kind = 63
	KindTaskPickup      Kind = 64
	KindTaskDeliver     Kind = 65
	KindTaskFail        Kind = 66

	KindOrderRate    Kind = 70 // SPEC.md §16.8
	KindOrderPayment Kind = 71 // SPEC.md §20.2

	// Feedback kinds (SPEC.md §21.4).
	KindOrderFeedback  Kind = 72
	KindIncidentReport Kind = 73
)

// ScopeClass says which kind of scope an event belongs to.
type ScopeClass uint8

// Scope classes (SPEC.md §4).
const (
	ScopeNone    ScopeClass = 0
	ScopeCoop    ScopeClass = 1
	ScopeCatalog ScopeClass = 2
	ScopeOrder   ScopeClass = 3
)

func (c ScopeClass) String() string {
	switch c {
	case ScopeCoop:
		return "coop"
	case ScopeCatalog:
		return "catalog"
	case ScopeOrder:
		return "order"
	}
	return "none"
}

type kindInfo struct {
	name  string
	class ScopeClass
	new   func() Payload
}

var kinds = map[Kind]kindInfo{
	KindCoopGenesis:  {"coop.genesis", ScopeCoop, func() Payload { return &CoopGenesis{} }},
	KindMemberAdmit:  {"member.admit", ScopeCoop, func() Payload { return &MemberAdmit{} }},
	KindMemberRevoke: {"member.revoke", ScopeCoop, func() Payload { return &MemberRevoke{} }},
	KindDeviceLink:   {"device.link", ScopeCoop, func() Payload { return &DeviceLink{} }},
	KindDeviceRevoke: {"device.revoke", ScopeCoop, func() Payload { return &DeviceRevoke{} }},
	KindRulesSet:     {"rules.set", ScopeCoop, func() Payload { return &RulesSet{} }},

	KindProposalOpen:      {"proposal.open", ScopeCoop, func() Payload { return &ProposalOpen{} }},
	KindVoteCast:          {"vote.cast", ScopeCoop, func() Payload { return &VoteCast{} }},
	KindVoteDelegate:      {"vote.delegate", ScopeCoop, func() Payload { return &VoteDelegate{} }},
	KindConstitutionAmend: {"constitution.amend", ScopeCoop, func() Payload { return &ConstitutionAmend{} }},

	KindShiftPlan:   {"shift.plan", ScopeCoop, func() Payload { return &ShiftPlan{} }},
	KindShiftSignup: {"shift.signup", ScopeCoop, func() Payload { return &ShiftSignup{} }},
	KindShiftDrop:   {"shift.drop", ScopeCoop, func() Payload { return &ShiftDrop{} }},
	KindShiftOffer:  {"shift.swap_offer", ScopeCoop, func() Payload { return &ShiftOffer{} }},
	KindShiftAccept: {"shift.swap_accept", ScopeCoop, func() Payload { return &ShiftAccept{} }},

	KindCatalogProfile: {"catalog.profile", ScopeCatalog, func() Payload { return &CatalogProfile{} }},
	KindCatalogMenu:    {"catalog.menu", ScopeCatalog, func() Payload { return &CatalogMenu{} }},

	KindOrderPlace:          {"order.place", ScopeOrder, func() Payload { return &OrderPlace{} }},
	KindOrderAccept:         {"order.accept", ScopeOrder, func() Payload { return &OrderAccept{} }},
	KindOrderRefuse:         {"order.refuse", ScopeOrder, func() Payload { return &OrderRefuse{} }},
	KindOrderDelay:          {"order.delay", ScopeOrder, func() Payload { return &OrderDelay{} }},
	KindOrderStartPreparing: {"order.start_preparing", ScopeOrder, func() Payload { return &OrderStartPreparing{} }},
	KindOrderReady:          {"order.ready", ScopeOrder, func() Payload { return &OrderReady{} }},
	KindOrderCancel:         {"order.cancel", ScopeOrder, func() Payload { return &OrderCancel{} }},
	KindOrderRestore:        {"order.restore", ScopeOrder, func() Payload { return &OrderRestore{} }},
	KindOrderFulfil:         {"order.fulfil", ScopeOrder, func() Payload { return &OrderFulfil{} }},
	KindOrderShare:          {"order.share", ScopeOrder, func() Payload { return &OrderShare{} }},
	KindCourierClaim:        {"courier.claim", ScopeOrder, func() Payload { return &CourierClaim{} }},
	KindCourierAssign:       {"courier.assign", ScopeOrder, func() Payload { return &CourierAssign{} }},
	KindCourierUnassign:     {"courier.unassign", ScopeOrder, func() Payload { return &CourierUnassign{} }},
	KindTaskStart:           {"task.start", ScopeOrder, func() Payload { return &TaskStart{} }},
	KindTaskPickup:          {"task.pickup", ScopeOrder, func() Payload { return &TaskPickup{} }},
	KindTaskDeliver:         {"task.deliver", ScopeOrder, func() Payload { return &TaskDeliver{} }},
	KindTaskFail:            {"task.fail", ScopeOrder, func() Payload { return &TaskFail{} }},
	KindOrderRate:           {"order.rate", ScopeOrder, func() Payload { return &OrderRate{} }},
	KindOrderPayment:        {"order.payment", ScopeOrder, func() Payload { return &OrderPayment{} }},
	KindOrderFeedback:       {"order.feedback", ScopeOrder, func() Payload { return &OrderFeedback{} }},
	KindIncidentReport:      {"incident.report", ScopeOrder, func() Payload { return &IncidentReport{} }},
}

// String returns the kind's dotted name, such as "order.place".
func (k Kind) String() string {
	if ki, ok := kinds[k]; ok {
		return ki.name
	}
	return "unknown"
}

// Known reports whether k has a payload type.
func (k Kind) Known() bool { _, ok := kinds[k]; return ok }

// Class returns the scope class of k, or ScopeNone for an unknown kind.
func (k Kind) Class() ScopeClass { return kinds[k].class }

// IsRoot reports whether events of kind k open a new scope and so carry a
// zero Scope and no parents.
func (k Kind) IsRoot() bool { return k == KindCoopGenesis || k == KindOrderPlace }

// NewPayload returns a pointer to a zero payload for kind k, for decoders.
func NewPayload(k Kind) (Payload, error) {
	ki, ok := kinds[k]
	if !ok {
		return nil, ErrUnknownKind
	}
	return ki.new(), nil
}

// KindByName returns the kind with the given dotted name.
func KindByName(name string) (Kind, bool) {
	for k, ki := range kinds {
		if ki.name == name {
			return k, true
		}
	}
	return 0, false
}

// AllKinds returns every known kind in ascending order.
func AllKinds() []Kind {
	out := make([]Kind, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// MarshalText encodes a kind by name, for JSON APIs.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses a kind name.
func (k *Kind) UnmarshalText(b []byte) error {
	v, ok := KindByName(string(b))
	if !ok {
		return ErrUnknownKind
	}
	*k = v
	return nil
}
