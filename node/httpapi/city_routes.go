package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// The city directory's routes (SPEC.md §22): the cards of the coops of the
// city this node follows, and following a city.

func (s *Server) cityRoutes() {
	s.mux.HandleFunc("GET /v1/city", s.city)
	s.mux.HandleFunc("POST /v1/city", s.followCity)
}

// CityDirectory is GET /v1/city: the followed city ("" when none) and its
// coops' cards, by name.
type CityDirectory struct {
	City  string     `json:"city"`
	Coops []CityCoop `json:"coops"`
}

// CityCoop is one coop's card, with its signed time as a date.
type CityCoop struct {
	crdt.CoopCard
	SignedAt time.Time `json:"signed_at"`
}

func (s *Server) city(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := ctxOf(r)
	defer cancel()
	city, entries, err := s.n.Directory(ctx)
	if err != nil {
		fail(w, err)
		return
	}
	d := CityDirectory{City: city, Coops: []CityCoop{}}
	for _, e := range entries {
		d.Coops = append(d.Coops, CityCoop{CoopCard: e.Card, SignedAt: time.UnixMilli(e.Card.Wall).UTC()})
	}
	writeJSON(w, http.StatusOK, d)
}

// followCity is POST /v1/city {"city"}: follow that city's directory
// (a node follows at most one city).
func (s *Server) followCity(w http.ResponseWriter, r *http.Request) {
	var req struct {
		City string `json:"city"`
	}
	if !decode(w, r, &req) {
		return
	}
	if crdt.NormalizeCity(req.City) == "" || strings.ContainsAny(req.City, "\x00\r\n") || len(req.City) > crdt.MaxCardText {
		failf(w, node.ErrBadArgument, "city: a city name of 1 to %d bytes", crdt.MaxCardText)
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	if err := s.n.FollowCity(ctx, req.City); err != nil {
		fail(w, err)
		return
	}
	s.city(w, r)
}
