package crdt

import (
	"maps"
	"slices"
	"sort"
)

// Member is a cooperative member as the coop log defines it.
type Member struct {
	Key        PubKey            `json:"key"`
	Name       string            `json:"name,omitempty"`
	Roles      Roles             `json:"roles"`
	AdmittedAt int64             `json:"admitted_at"`
	RevokedAt  int64             `json:"revoked_at,omitempty"` // wall ms of the revocation; 0 if active
	Devices    map[PubKey]Device `json:"devices,omitempty"`
	// History lists every role assignment in fold order. Authority is
	// judged with the roles in force at an event's wall time, so changing
	// a member's roles never rewrites orders it already took part in
	// (SPEC.md §6.3).
	History []RoleChange `json:"history"`
}

// RoleChange is one role assignment.
type RoleChange struct {
	At    int64 `json:"at"` // wall ms of the admit event
	Roles Roles `json:"roles"`
}

// RolesAt returns the roles in force at wall time t: those of the last
// assignment (in fold order) made at or before t, or the first assignment
// when t precedes them all (a member's clock may run a little behind the
// admin's).
func (m *Member) RolesAt(t int64) Roles {
	if len(m.History) == 0 {
		return m.Roles
	}
	r := m.History[0].Roles
	for _, h := range m.History {
		if h.At <= t {
			r = h.Roles
		}
	}
	return r
}

// activeAt reports whether the membership is in force at t.
func (m *Member) activeAt(t int64) bool { return m.RevokedAt == 0 || t < m.RevokedAt }

// Device is a key linked to a member.
type Device struct {
	Key       PubKey `json:"key"`
	Label     string `json:"label,omitempty"`
	LinkedAt  int64  `json:"linked_at"`
	RevokedAt int64  `json:"revoked_at,omitempty"`
}

// CoopState is the fold of one cooperative's log (SPEC.md §6.2).
type CoopState struct {
	ID       ID                 `json:"id"`
	Name     string             `json:"name"`
	City     string             `json:"city"`
	Currency string             `json:"currency,omitempty"`
	Timezone string             `json:"timezone,omitempty"`
	Members  map[PubKey]*Member `json:"members"`
	// Rules holds every applied rules.set, by ascending version
	// (SPEC.md §16.2.3).
	Rules    []RulesVersion `json:"rules,omitempty"`
	Applied  int            `json:"applied"`
	Rejected []Rejection    `json:"rejected,omitempty"`
	// Constitution is the one in force: the genesis's, then each applied
	// constitution.amend's (SPEC.md §19.5).
	Constitution Constitution `json:"constitution"`
	// Proposals holds every applied proposal.open by ID (SPEC.md §19).
	Proposals map[ID]*Proposal `json:"proposals,omitempty"`
	// Shifts holds every applied shift.plan by ID (SPEC.md §21.1).
	Shifts map[ID]*Shift `json:"shifts,omitempty"`
	offers map[ID]ID     // swap offer event ID -> its shift

	devices map[PubKey]PubKey // device key -> member key
	ballots map[ID][]*Event   // proposal ID -> every vote.cast and vote.delegate held naming it
	named   map[ID]bool       // proposals named by an enacting event held
}

func newCoopState(id ID) *CoopState {
	return &CoopState{ID: id, Members: map[PubKey]*Member{}, devices: map[PubKey]PubKey{},
		Proposals: map[ID]*Proposal{}, ballots: map[ID][]*Event{}, named: map[ID]bool{},
		Shifts: map[ID]*Shift{}, offers: map[ID]ID{}}
}

// Resolve returns the member an author key acts for at wall time t: the
// member whose identity key it is, or whose linked device it is. Keys revoked
// at or before t do not resolve, and the reason says why (SPEC.md §6.3).
func (c *CoopState) Resolve(author PubKey, t int64) (*Member, Reason) {
	if c == nil {
		return nil, ReasonUnknownCoop
	}
	m, ok := c.Members[author]
	if !ok {
		mk, linked := c.devices[author]
		if !linked {
			return nil, ReasonNotMember
		}
		m = c.Members[mk]
		d := m.Devices[author]
		if d.RevokedAt != 0 && t >= d.RevokedAt {
			return nil, ReasonRevokedKey
		}
	}
	if m.RevokedAt != 0 && t >= m.RevokedAt {
		return nil, ReasonRevokedKey
	}
	return m, ReasonOK
}

// HasRole reports whether author acts, at time t, for a member holding any of
// the roles in want at t.
func (c *CoopState) HasRole(author PubKey, t int64, want Roles) bool {
	m, r := c.Resolve(author, t)
	return r == ReasonOK && m.RolesAt(t).Any(want)
}

// MemberAt returns the member with identity key k if its membership is in
// force at t, with its roles at t.
func (c *CoopState) MemberAt(k PubKey, t int64) (*Member, Roles, bool) {
	if c == nil {
		return nil, 0, false
	}
	m, ok := c.Members[k]
	if !ok || !m.activeAt(t) {
		return nil, 0, false
	}
	return m, m.RolesAt(t), true
}

// MemberKey returns the member key author acts for at t, if any.
func (c *CoopState) MemberKey(author PubKey, t int64) (PubKey, bool) {
	m, r := c.Resolve(author, t)
	if r != ReasonOK {
		return PubKey{}, false
	}
	return m.Key, true
}

// ActiveMember returns an active member by identity key.
func (c *CoopState) ActiveMember(k PubKey) (*Member, bool) {
	if c == nil {
		return nil, false
	}
	m, ok := c.Members[k]
	if !ok || m.RevokedAt != 0 {
		return nil, false
	}
	return m, true
}

// applyCoop applies one event of the coop log in fold order and returns why
// it was left out, if it was.
func (c *CoopState) apply(e *Event) Reason {
	r := c.step(e)
	if r != ReasonOK {
		c.Rejected = append(c.Rejected, Rejection{Event: e.ID, Kind: e.Kind, Author: e.Author, Reason: r})
	} else {
		c.enacted(e)
		c.Applied++
	}
	return r
}

func (c *CoopState) step(e *Event) Reason {
	if e.Author.SmallOrder() || slices.ContainsFunc(AdmittedKeys(e.Body), PubKey.SmallOrder) {
		return ReasonSmallOrderKey // also refused at the gate (structural)
	}
	switch b := e.Body.(type) {
	case *CoopGenesis:
		if e.ID != c.ID {
			return ReasonDuplicateGenesis
		}
		if b.Name == "" || len(b.Admins) == 0 || slices.ContainsFunc(b.Admins, PubKey.IsZero) || b.Constitution.Problem() != "" {
			return ReasonBadField
		}
		found := false
		for _, a := range b.Admins {
			if a == e.Author {
				found = true
			}
		}
		if !found {
			return ReasonGenesisAuthor
		}
		c.Name, c.City, c.Currency, c.Timezone = b.Name, b.City, b.Currency, b.Timezone
		c.Constitution = b.Constitution
		for _, a := range b.Admins {
			c.Members[a] = &Member{Key: a, Roles: RoleAdmin | RoleDispatcher, AdmittedAt: e.Wall, Name: "founder",
				History: []RoleChange{{At: e.Wall, Roles: RoleAdmin | RoleDispatcher}}}
		}
		return ReasonOK
	case *MemberAdmit:
		if r := c.mayEnact(e); r != ReasonOK {
			return r
		}
		if b.Member.IsZero() || !b.Roles.Valid() {
			return ReasonBadField
		}
		if m, ok := c.Members[b.Member]; ok {
			if m.RevokedAt != 0 {
				return ReasonAlreadyMember
			}
			m.Roles, m.Name = b.Roles, b.Name
			m.History = append(m.History, RoleChange{At: e.Wall, Roles: b.Roles})
			return ReasonOK
		}
		if _, taken := c.devices[b.Member]; taken {
			return ReasonDeviceTaken
		}
		c.Members[b.Member] = &Member{Key: b.Member, Name: b.Name, Roles: b.Roles, AdmittedAt: e.Wall,
			History: []RoleChange{{At: e.Wall, Roles: b.Roles}}}
		return ReasonOK
	case *MemberRevoke:
		if r := c.mayEnact(e); r != ReasonOK {
			return r
		}
		m, ok := c.Members[b.Member]
		if !ok {
			return ReasonUnknownMember
		}
		if m.RevokedAt != 0 {
			return ReasonAlreadyMember
		}
		m.RevokedAt = e.Wall
		return ReasonOK
	case *DeviceLink:
		if b.Device.IsZero() || b.Device == b.Member {
			return ReasonBadField
		}
		if r := c.mayManageDevices(e, b.Member); r != ReasonOK {
			return r
		}
		if _, member := c.Members[b.Device]; member {
			return ReasonDeviceTaken
		}
		if _, taken := c.devices[b.Device]; taken {
			return ReasonDeviceTaken
		}
		m := c.Members[b.Member]
		if m.Devices == nil {
			m.Devices = map[PubKey]Device{}
		}
		m.Devices[b.Device] = Device{Key: b.Device, Label: b.Label, LinkedAt: e.Wall}
		c.devices[b.Device] = b.Member
		return ReasonOK
	case *DeviceRevoke:
		if r := c.mayManageDevices(e, b.Member); r != ReasonOK {
			return r
		}
		m := c.Members[b.Member]
		d, ok := m.Devices[b.Device]
		if !ok {
			return ReasonUnknownDevice
		}
		if d.RevokedAt != 0 {
			return ReasonAlreadyMember
		}
		d.RevokedAt = e.Wall
		m.Devices[b.Device] = d
		return ReasonOK
	case *RulesSet:
		return c.applyRules(e, b)
	case *ConstitutionAmend:
		if r := c.mayEnact(e); r != ReasonOK {
			return r
		}
		if b.Constitution.Problem() != "" {
			return ReasonBadField
		}
		c.Constitution = b.Constitution
		c.Constitution.Matters = slices.Clone(b.Constitution.Matters)
		return ReasonOK
	case *ProposalOpen, *VoteCast, *VoteDelegate:
		return c.stepGovernance(e)
	case *ShiftPlan, *ShiftSignup, *ShiftDrop, *ShiftOffer, *ShiftAccept:
		return c.stepShift(e)
	}
	return ReasonWrongBody
}

// mayManageDevices: a member links and revokes its own devices (with its
// identity key or a linked device); an admin may do it for anyone.
func (c *CoopState) mayManageDevices(e *Event, member PubKey) Reason {
	m, ok := c.Members[member]
	if !ok {
		return ReasonUnknownMember
	}
	if m.RevokedAt != 0 {
		return ReasonRevokedKey
	}
	if k, ok := c.MemberKey(e.Author, e.Wall); ok && k == member {
		return ReasonOK
	}
	if c.HasRole(e.Author, e.Wall, RoleAdmin) {
		return ReasonOK
	}
	return c.authorityReason(e.Author, e.Wall, ReasonNotAdmin)
}

// authorityReason says revoked_key for revoked keys and fallback otherwise.
func (c *CoopState) authorityReason(author PubKey, t int64, fallback Reason) Reason {
	if _, r := c.Resolve(author, t); r == ReasonRevokedKey {
		return r
	}
	return fallback
}

// SortedMembers returns the members ordered by key.
func (c *CoopState) SortedMembers() []*Member {
	out := make([]*Member, 0, len(c.Members))
	for _, m := range c.Members {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return ID(out[i].Key).Compare(ID(out[j].Key)) < 0 })
	return out
}

func (m *Member) sortedDevices() []Device {
	out := make([]Device, 0, len(m.Devices))
	for _, d := range m.Devices {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return ID(out[i].Key).Compare(ID(out[j].Key)) < 0 })
	return out
}

// Clone returns a deep copy, safe to hand to another goroutine.
func (c *CoopState) Clone() *CoopState {
	if c == nil {
		return nil
	}
	n := *c
	n.Members = make(map[PubKey]*Member, len(c.Members))
	for k, m := range c.Members {
		mm := *m
		mm.History = append([]RoleChange(nil), m.History...)
		if m.Devices != nil {
			mm.Devices = make(map[PubKey]Device, len(m.Devices))
			for dk, d := range m.Devices {
				mm.Devices[dk] = d
			}
		}
		n.Members[k] = &mm
	}
	n.devices = make(map[PubKey]PubKey, len(c.devices))
	for k, v := range c.devices {
		n.devices[k] = v
	}
	n.Rejected = append([]Rejection(nil), c.Rejected...)
	n.Rules = append([]RulesVersion(nil), c.Rules...) // the sets themselves are read-only
	n.Constitution.Matters = slices.Clone(c.Constitution.Matters)
	n.Proposals = make(map[ID]*Proposal, len(c.Proposals))
	for k, p := range c.Proposals {
		pp := *p // the payload itself is read-only
		n.Proposals[k] = &pp
	}
	n.ballots = make(map[ID][]*Event, len(c.ballots))
	for k, evs := range c.ballots {
		n.ballots[k] = slices.Clone(evs) // events are immutable
	}
	n.named = maps.Clone(c.named)
	n.Shifts, n.offers = cloneShifts(c.Shifts)
	return &n
}
