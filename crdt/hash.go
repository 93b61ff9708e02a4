package crdt

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"sort"
)

// State hashes (SPEC.md §6.5) cover the effective state only: what a scope
// is, not which rule-breaking events a node happened to see. Two nodes that
// hold the same valid events have the same hashes.

type hasher struct{ h hash.Hash }

func newHasher(domain string) *hasher {
	h := &hasher{h: sha256.New()}
	h.str(domain)
	return h
}

func (h *hasher) u64(v uint64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	h.h.Write(b[:])
}
func (h *hasher) i64(v int64)    { h.u64(uint64(v)) }
func (h *hasher) bytes(b []byte) { h.u64(uint64(len(b))); h.h.Write(b) }
func (h *hasher) str(s string)   { h.bytes([]byte(s)) }
func (h *hasher) id(id [32]byte) { h.h.Write(id[:]) }
func (h *hasher) bool(b bool) {
	if b {
		h.u64(1)
	} else {
		h.u64(0)
	}
}

// proof feeds bool(present) and, if present, the proof's fields.
func (h *hasher) proof(p *Proof) {
	h.bool(p != nil)
	if p != nil {
		h.bytes(p.PhotoHash)
		h.bytes(p.SignatureHash)
		h.str(p.Recipient)
		h.str(p.Note)
	}
}

func (h *hasher) sum() (out [32]byte) { h.h.Sum(out[:0]); return out }

// Hash returns the order's state hash.
func (s *OrderState) Hash() [32]byte {
	h := newHasher("coopnode/order-state/v1")
	h.id(s.ID)
	h.id(s.Coop)
	h.id(s.Customer)
	h.id(s.Restaurant)
	h.u64(uint64(s.Status))
	h.str(s.Reason)
	h.bool(s.WasAccepted)
	h.u64(uint64(s.PrepMinutes))
	h.u64(uint64(s.DelayMinutes))
	h.i64(s.AcceptedAt)
	h.i64(s.ReadyAt)
	h.id(s.Holder)
	h.bool(s.HolderConfirmed)
	h.u64(uint64(len(s.Claims)))
	for _, c := range s.Claims {
		h.id(c.Event)
		h.id(c.Courier)
		h.str(c.Outcome)
		h.id(c.Winner)
	}
	for _, t := range []Task{s.Pickup, s.Dropoff} {
		h.u64(uint64(t.Status))
		h.i64(t.StartedAt)
		h.i64(t.DoneAt)
		h.str(t.FailReason)
	}
	h.proof(s.Proof)
	h.u64(uint64(len(s.Steps)))
	for _, st := range s.Steps {
		h.id(st.Event)
	}
	// Marketplace sections (SPEC.md §16.7.4, §16.8): only when
	// present, so food orders without a rating keep the SPEC.md §6.5 hash.
	if len(s.Stops) > 0 {
		h.str("stops/v1")
		h.u64(uint64(len(s.Stops)))
		for _, st := range s.Stops {
			h.u64(uint64(st.Status))
			h.i64(st.StartedAt)
			h.i64(st.DoneAt)
			h.str(st.FailReason)
			h.proof(st.Proof)
		}
	}
	if len(s.Shares) > 0 {
		h.str("shares/v1")
		h.u64(uint64(len(s.Shares)))
		for _, sh := range s.Shares {
			h.id(sh.Recipient)
			h.bytes(sh.Sealed)
			h.id(sh.Event)
		}
	}
	if r := s.Rating; r != nil {
		h.str("rating/v1")
		h.u64(uint64(r.RestaurantStars))
		h.u64(uint64(r.CourierStars))
		h.str(r.Comment)
		h.i64(r.At)
		h.id(r.Event)
	}
	if p := s.Payment; p != nil {
		p.hash(h)
	}
	s.hashFeedback(h)
	return h.sum()
}

// Hash returns the coop's state hash.
func (c *CoopState) Hash() [32]byte {
	h := newHasher("coopnode/coop-state/v1")
	h.id(c.ID)
	h.str(c.Name)
	h.str(c.City)
	h.str(c.Currency)
	h.str(c.Timezone)
	ms := c.SortedMembers()
	h.u64(uint64(len(ms)))
	for _, m := range ms {
		h.id(m.Key)
		h.str(m.Name)
		h.u64(uint64(m.Roles))
		h.i64(m.AdmittedAt)
		h.i64(m.RevokedAt)
		h.u64(uint64(len(m.History)))
		for _, rc := range m.History {
			h.i64(rc.At)
			h.u64(uint64(rc.Roles))
		}
		ds := m.sortedDevices()
		h.u64(uint64(len(ds)))
		for _, d := range ds {
			h.id(d.Key)
			h.str(d.Label)
			h.i64(d.LinkedAt)
			h.i64(d.RevokedAt)
		}
	}
	// Rule sets (SPEC.md §16.2.4): only when there are some, so
	// coops without rules keep the hashes of SPEC.md §6.5.
	if len(c.Rules) > 0 {
		h.str("rules/v1")
		h.u64(uint64(len(c.Rules)))
		for _, rv := range c.Rules {
			h.u64(rv.Version)
			h.id(rv.Event)
			h.i64(rv.SetAt)
		}
	}
	// Governance (SPEC.md §19.8): only when there is some, so coops
	// without it keep the hashes above.
	if len(c.Constitution.Matters) > 0 || len(c.Proposals) > 0 {
		h.str("governance/v1")
		h.u64(uint64(len(c.Constitution.Matters)))
		for _, m := range c.Constitution.Matters {
			h.u64(uint64(m.Matter))
			h.u64(uint64(m.Rule))
			h.u64(uint64(m.QuorumBps))
			h.u64(uint64(m.Role))
		}
		ps := make([]*Proposal, 0, len(c.Proposals))
		for _, p := range c.Proposals {
			ps = append(ps, p)
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i].ID.Compare(ps[j].ID) < 0 })
		h.u64(uint64(len(ps)))
		for _, p := range ps {
			t := c.countAmong(p, ms)
			h.id(p.ID)
			h.id(p.Author)
			h.id(p.EnactedBy)
			h.u64(uint64(t.Electorate))
			h.u64(uint64(len(t.Votes)))
			for _, v := range t.Votes {
				h.id(v.Member)
				h.u64(uint64(v.Choice))
				h.id(v.Via)
				h.id(v.Event)
			}
			h.bool(t.Passed)
		}
	}
	c.hashShifts(h)
	return h.sum()
}

// ScopeHash is one scope's state hash.
type ScopeHash struct {
	Ref  ScopeRef
	Hash [32]byte
}

// ScopeHashes returns the hash of every scope held, sorted by class then
// ID. For a replaceable document the hash is the current version's event ID.
func (r *Replica) ScopeHashes() []ScopeHash {
	var out []ScopeHash
	for id, cl := range r.coops {
		out = append(out, ScopeHash{ScopeRef{ScopeCoop, id, id}, cl.state.Hash()})
	}
	for k, e := range r.docs {
		h := newHasher("coopnode/doc/v1")
		h.u64(uint64(k.Kind))
		h.id(e.ID)
		out = append(out, ScopeHash{ScopeRef{ScopeCatalog, k.Coop, ID(k.Owner)}, h.sum()})
	}
	for id, ol := range r.orders {
		out = append(out, ScopeHash{ScopeRef{ScopeOrder, ol.state.Coop, id}, ol.state.Hash()})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Ref.Class != b.Ref.Class {
			return a.Ref.Class < b.Ref.Class
		}
		if c := a.Ref.ID.Compare(b.Ref.ID); c != 0 {
			return c < 0
		}
		return a.Hash != b.Hash && ID(a.Hash).Compare(ID(b.Hash)) < 0
	})
	return out
}

// StateHash returns one hash over every scope the replica holds.
func (r *Replica) StateHash() [32]byte {
	h := newHasher("coopnode/replica/v1")
	for _, sh := range r.ScopeHashes() {
		h.u64(uint64(sh.Ref.Class))
		h.id(sh.Ref.ID)
		h.id(sh.Hash)
	}
	return h.sum()
}
