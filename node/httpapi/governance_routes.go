package httpapi

import (
	"net/http"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// The governance routes (issue 16; SPEC.md §19): proposals, votes,
// delegations, tallies, enactments and the constitution.
func (s *Server) governanceRoutes() {
	m := s.mux
	m.HandleFunc("GET /v1/proposals", s.proposals)
	m.HandleFunc("POST /v1/proposals", s.propose)
	m.HandleFunc("GET /v1/proposals/{id}/tally", s.tally)
	m.HandleFunc("POST /v1/proposals/{id}/vote", s.vote)
	m.HandleFunc("POST /v1/proposals/{id}/delegate", s.delegate)
	m.HandleFunc("POST /v1/proposals/{id}/enact", s.enact)
	m.HandleFunc("PUT /v1/coop/constitution", s.amendConstitution)
}

// proposalID reads the {id} of a proposal route.
func proposalID(w http.ResponseWriter, r *http.Request) (crdt.ID, bool) {
	id, err := crdt.ParseID(r.PathValue("id"))
	if err != nil {
		failf(w, node.ErrBadArgument, "proposal id must be 64 hex characters")
		return id, false
	}
	return id, true
}

func (s *Server) proposals(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := ctxOf(r)
	defer cancel()
	ps, err := s.n.Proposals(ctx)
	if err != nil {
		fail(w, err)
		return
	}
	if ps == nil {
		ps = []crdt.Proposal{}
	}
	writeJSON(w, http.StatusOK, ps)
}

func (s *Server) propose(w http.ResponseWriter, r *http.Request) {
	var p crdt.ProposalOpen
	if !decode(w, r, &p) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	id, err := s.n.Propose(ctx, p)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": id})
}

func (s *Server) tally(w http.ResponseWriter, r *http.Request) {
	id, ok := proposalID(w, r)
	if !ok {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	t, err := s.n.Tally(ctx, id)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) vote(w http.ResponseWriter, r *http.Request) {
	id, ok := proposalID(w, r)
	if !ok {
		return
	}
	var req struct {
		Choice uint8  `json:"choice"`
		Reason string `json:"reason"`
	}
	if !decode(w, r, &req) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	if err := s.n.Vote(ctx, id, req.Choice, req.Reason); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (s *Server) delegate(w http.ResponseWriter, r *http.Request) {
	id, ok := proposalID(w, r)
	if !ok {
		return
	}
	var req struct {
		To crdt.PubKey `json:"to"`
	}
	if !decode(w, r, &req) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	if err := s.n.Delegate(ctx, id, req.To); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (s *Server) enact(w http.ResponseWriter, r *http.Request) {
	id, ok := proposalID(w, r)
	if !ok {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	if err := s.n.Enact(ctx, id); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (s *Server) amendConstitution(w http.ResponseWriter, r *http.Request) {
	var c crdt.Constitution
	if !decode(w, r, &c) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	if err := s.n.AmendConstitution(ctx, c); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}
