package crdt

import "sort"

// The tally of a proposal (SPEC.md §19.3, §19.4): a pure function of the
// coop state and the set of votes and delegations held. Delivery order,
// duplicates and partitions cannot change it, because every input is chosen
// by signed wall time and event ID, never by arrival.

// Tally statuses (SPEC.md §19.4).
const (
	TallyOpen        = "open"        // now < close: votes may still change
	TallyProvisional = "provisional" // close ≤ now < close + TallyGrace: late sync may still add votes
	TallyFinal       = "final"       // now ≥ close + TallyGrace
)

// Tally is the result of a proposal as the events held give it.
type Tally struct {
	Proposal ID     `json:"proposal"`
	Status   string `json:"status"`
	Rule     uint8  `json:"rule"`
	// Electorate is the number of members entitled to vote.
	Electorate int `json:"electorate"`
	Agree      int `json:"agree"`
	Abstain    int `json:"abstain"`
	Disagree   int `json:"disagree"`
	Block      int `json:"block"`
	// Turnout counts the members whose vote counts, their own or their
	// delegate's; Delegated counts those of them voting through a
	// delegate.
	Turnout   int  `json:"turnout"`
	Delegated int  `json:"delegated"`
	QuorumMet bool `json:"quorum_met"`
	// Passed says whether the proposal passes on these votes. It binds
	// only when Status is final.
	Passed bool `json:"passed"`
	// Enacted is the event that enacted the decision, if any.
	Enacted ID `json:"enacted,omitzero"`
	// Votes lists every counted vote, by member key.
	Votes []CountedVote `json:"votes"`
}

// CountedVote is one member's vote as counted.
type CountedVote struct {
	Member PubKey `json:"member"`
	Choice uint8  `json:"choice"`
	Reason string `json:"reason,omitempty"`
	// Via is the delegate whose vote counts for Member; zero when the
	// member voted itself.
	Via   PubKey `json:"via,omitzero"`
	Event ID     `json:"event"` // the vote.cast counted
}

// Tally returns the tally of a proposal at wall time now (ms), which only
// sets the status: the counts are the same at any time.
func (c *CoopState) Tally(proposal ID, now int64) (Tally, bool) {
	if c == nil {
		return Tally{}, false
	}
	p, ok := c.Proposals[proposal]
	if !ok {
		return Tally{}, false
	}
	t := c.count(p)
	switch {
	case now < p.Open.Closes:
		t.Status = TallyOpen
	case now < p.Open.Closes+TallyGrace:
		t.Status = TallyProvisional
	default:
		t.Status = TallyFinal
	}
	return t, true
}

// latest is the ballot a voter signed last: greatest wall, then greatest
// event ID (SPEC.md §19.3).
func later(a, b *Event) bool {
	if a.Wall != b.Wall {
		return a.Wall > b.Wall
	}
	return a.ID.Compare(b.ID) > 0
}

// count computes the tally of p on every ballot indexed (SPEC.md §19.3).
func (c *CoopState) count(p *Proposal) Tally { return c.countAmong(p, c.SortedMembers()) }

// countAmong is count with the members already sorted by key.
func (c *CoopState) countAmong(p *Proposal, members []*Member) Tally {
	t := Tally{Proposal: p.ID, Rule: p.Open.Rule, Enacted: p.EnactedBy}
	votes := map[PubKey]*Event{}
	dels := map[PubKey]*Event{}
	for _, e := range c.ballots[p.ID] {
		if e.Wall >= p.Open.Closes || e.Lamport <= p.Lamport {
			continue
		}
		m, r := c.Resolve(e.Author, e.Wall)
		if r != ReasonOK || !c.eligible(m.Key, p) {
			continue
		}
		into := votes
		switch b := e.Body.(type) {
		case *VoteCast:
			if b.Choice == 0 || b.Choice > ChoiceBlock {
				continue
			}
		case *VoteDelegate:
			if b.To == m.Key {
				continue
			}
			into = dels
		}
		if cur, ok := into[m.Key]; !ok || later(e, cur) {
			into[m.Key] = e
		}
	}
	for _, m := range members {
		if !c.eligible(m.Key, p) {
			continue
		}
		t.Electorate++
		v, own := votes[m.Key]
		var via PubKey
		if !own {
			d, ok := dels[m.Key]
			if !ok {
				continue
			}
			to := d.Body.(*VoteDelegate).To
			if v, ok = votes[to]; !ok || to.IsZero() {
				continue
			}
			via = to
			t.Delegated++
		}
		b := v.Body.(*VoteCast)
		t.Votes = append(t.Votes, CountedVote{Member: m.Key, Choice: b.Choice, Reason: b.Reason, Via: via, Event: v.ID})
		t.Turnout++
		switch b.Choice {
		case ChoiceAgree:
			t.Agree++
		case ChoiceAbstain:
			t.Abstain++
		case ChoiceDisagree:
			t.Disagree++
		case ChoiceBlock:
			t.Block++
		}
	}
	t.QuorumMet = int64(t.Turnout)*MaxBps >= int64(p.Open.QuorumBps)*int64(t.Electorate)
	var ruleMet bool
	switch p.Open.Rule {
	case RuleMajority:
		ruleMet = t.Agree > t.Disagree+t.Block
	case RuleTwoThirds:
		ruleMet = t.Agree > 0 && 3*t.Agree >= 2*(t.Agree+t.Disagree+t.Block)
	case RuleConsent:
		ruleMet = t.Block < int(max(p.Open.Blocks, 1))
	}
	t.Passed = t.Electorate > 0 && t.QuorumMet && ruleMet
	return t
}

// SortedProposals returns the coop's proposals by open time, then ID.
func (c *CoopState) SortedProposals() []*Proposal {
	out := make([]*Proposal, 0, len(c.Proposals))
	for _, p := range c.Proposals {
		out = append(out, p)
	}
	sortProposals(out)
	return out
}

func sortProposals(ps []*Proposal) {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].Opened != ps[j].Opened {
			return ps[i].Opened < ps[j].Opened
		}
		return ps[i].ID.Compare(ps[j].ID) < 0
	})
}
