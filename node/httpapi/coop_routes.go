package httpapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
)

// The cooperative's routes (issue 16; SPEC.md §21): shifts, the job
// board, the open books, feedback and work record credentials.
func (s *Server) coopRoutes() {
	m := s.mux
	m.HandleFunc("GET /v1/shifts", s.shifts)
	m.HandleFunc("POST /v1/shifts", s.planShift)
	m.HandleFunc("POST /v1/shifts/{id}/signup", s.signUp)
	m.HandleFunc("POST /v1/shifts/{id}/drop", s.dropShift)
	m.HandleFunc("POST /v1/shifts/{id}/offer", s.offerSwap)
	m.HandleFunc("POST /v1/offers/{id}/accept", s.acceptSwap)
	m.HandleFunc("GET /v1/board", s.board)
	m.HandleFunc("GET /v1/books", s.books)
	m.HandleFunc("POST /v1/orders/{id}/feedback", s.feedback)
	m.HandleFunc("POST /v1/orders/{id}/incident", s.incident)
	m.HandleFunc("GET /v1/reputation/{member}", s.reputation)
	m.HandleFunc("POST /v1/credentials/export", s.exportCredential)
	m.HandleFunc("POST /v1/credentials/verify", s.verifyCredential)
}

// namedID reads the {id} of a route, naming what it identifies.
func namedID(w http.ResponseWriter, r *http.Request, what string) (crdt.ID, bool) {
	id, err := crdt.ParseID(r.PathValue("id"))
	if err != nil {
		failf(w, node.ErrBadArgument, "%s id must be 64 hex characters", what)
		return id, false
	}
	return id, true
}

func ok(w http.ResponseWriter, err error) {
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// answerList writes a list, [] when empty, or the error.
func answerList[T any](w http.ResponseWriter, out []T, err error) {
	if err != nil {
		fail(w, err)
		return
	}
	if out == nil {
		out = []T{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) shifts(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := ctxOf(r)
	defer cancel()
	out, err := s.n.Shifts(ctx)
	answerList(w, out, err)
}

func (s *Server) planShift(w http.ResponseWriter, r *http.Request) {
	var p crdt.ShiftPlan
	if !decode(w, r, &p) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	id, err := s.n.PlanShift(ctx, p)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": id})
}

func (s *Server) signUp(w http.ResponseWriter, r *http.Request) {
	id, good := namedID(w, r, "shift")
	if !good {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	ok(w, s.n.SignUp(ctx, id))
}

func (s *Server) dropShift(w http.ResponseWriter, r *http.Request) {
	id, good := namedID(w, r, "shift")
	if !good {
		return
	}
	var req struct {
		Reason string `json:"reason"`
	}
	if !decode(w, r, &req) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	ok(w, s.n.DropShift(ctx, id, req.Reason))
}

func (s *Server) offerSwap(w http.ResponseWriter, r *http.Request) {
	id, good := namedID(w, r, "shift")
	if !good {
		return
	}
	var req struct {
		To  crdt.PubKey `json:"to"`
		For crdt.ID     `json:"for"`
	}
	if !decode(w, r, &req) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	offer, err := s.n.OfferSwap(ctx, id, req.To, req.For)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": offer})
}

func (s *Server) acceptSwap(w http.ResponseWriter, r *http.Request) {
	id, good := namedID(w, r, "offer")
	if !good {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	ok(w, s.n.AcceptSwap(ctx, id))
}

func (s *Server) board(w http.ResponseWriter, r *http.Request) {
	lat, err1 := queryInt(r, "lat_e6", 0)
	lon, err2 := queryInt(r, "lon_e6", 0)
	for _, err := range []error{err1, err2} {
		if err != nil {
			fail(w, err)
			return
		}
	}
	pos := crdt.Position{LatE6: int32(lat), LonE6: int32(lon)}
	if int64(pos.LatE6) != lat || int64(pos.LonE6) != lon || !pos.Valid() {
		failf(w, node.ErrBadArgument, "lat_e6/lon_e6 must be microdegrees on the globe")
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	out, err := s.n.Board(ctx, pos)
	answerList(w, out, err)
}

// books is GET /v1/books?from=DAY&to=DAY[&format=csv]: the open books as
// JSON, or their canonical text (SPEC.md §21.3.2) with the digest in the
// X-Books-Digest header.
func (s *Server) books(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" {
		failf(w, node.ErrBadArgument, "format must be json or csv")
		return
	}
	for _, name := range []string{"from", "to"} {
		if v := q.Get(name); v != "" {
			if _, err := time.Parse("2006-01-02", v); err != nil {
				failf(w, node.ErrBadArgument, "%s must be YYYY-MM-DD", name)
				return
			}
		}
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	b, err := s.n.Books(ctx, market.Period{From: q.Get("from"), To: q.Get("to")})
	if err != nil {
		fail(w, err)
		return
	}
	if format != "csv" {
		writeJSON(w, http.StatusOK, b)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("X-Books-Digest", b.Digest)
	_, _ = w.Write(b.Canonical())
}

func (s *Server) feedback(w http.ResponseWriter, r *http.Request) {
	id, good := namedID(w, r, "order")
	if !good {
		return
	}
	var req struct {
		Of      uint8  `json:"of"`
		Stars   uint8  `json:"stars"`
		Comment string `json:"comment"`
	}
	if !decode(w, r, &req) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	ok(w, s.n.RateParty(ctx, id, req.Of, req.Stars, req.Comment))
}

func (s *Server) incident(w http.ResponseWriter, r *http.Request) {
	id, good := namedID(w, r, "order")
	if !good {
		return
	}
	var req struct {
		Category string `json:"category"`
		Against  uint8  `json:"against"`
		Text     string `json:"text"`
	}
	if !decode(w, r, &req) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	ok(w, s.n.ReportIncident(ctx, id, req.Category, req.Against, req.Text))
}

// reputation is GET /v1/reputation/{member}?as=courier|restaurant&from=MS&to=MS
// (default: as courier, over everything).
func (s *Server) reputation(w http.ResponseWriter, r *http.Request) {
	k, err := crdt.ParsePubKey(r.PathValue("member"))
	if err != nil {
		failf(w, node.ErrBadArgument, "member must be 64 hex characters")
		return
	}
	q := r.URL.Query()
	as := map[string]uint8{"": crdt.PartyCourier, "courier": crdt.PartyCourier, "restaurant": crdt.PartyRestaurant}[q.Get("as")]
	if as == 0 {
		failf(w, node.ErrBadArgument, "as must be courier or restaurant")
		return
	}
	from, err1 := queryInt(r, "from", 0)
	to, err2 := queryInt(r, "to", 1<<62)
	for _, err := range []error{err1, err2} {
		if err != nil {
			fail(w, err)
			return
		}
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	rep, err := s.n.Reputation(ctx, k, as, from, to)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// exportCredential is POST /v1/credentials/export {courier, from, to,
// valid_days}: the courier's work record credential, signed by this node
// as the coop's designated issuer (SPEC.md §21.5).
func (s *Server) exportCredential(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Courier   crdt.PubKey `json:"courier"`
		From      int64       `json:"from"` // wall ms; 0: since the courier's admission
		To        int64       `json:"to"`   // wall ms; 0: now
		ValidDays int         `json:"valid_days"`
	}
	if !decode(w, r, &req) {
		return
	}
	if req.Courier.IsZero() || req.From < 0 || req.To < 0 || req.ValidDays < 0 || req.ValidDays > 5*366 {
		failf(w, node.ErrBadArgument, "courier is required; from, to (ms) and valid_days (0..1830) must not be negative")
		return
	}
	wr := node.WorkRecordRequest{Courier: req.Courier, Validity: time.Duration(req.ValidDays) * 24 * time.Hour}
	if req.From != 0 {
		wr.From = time.UnixMilli(req.From)
	}
	if req.To != 0 {
		wr.To = time.UnixMilli(req.To)
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	raw, err := s.n.ExportWorkRecord(ctx, wr)
	if err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/vc+json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(raw)
}

// verifyCredential is POST /v1/credentials/verify {credential, subject}:
// the credential checked offline, and about subject if given.
func (s *Server) verifyCredential(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Credential json.RawMessage `json:"credential"`
		Subject    crdt.PubKey     `json:"subject"`
	}
	if !decode(w, r, &req) {
		return
	}
	if len(req.Credential) == 0 {
		failf(w, node.ErrBadArgument, "credential is required: the credential's JSON object")
		return
	}
	v, err := s.n.VerifyWorkRecord(req.Credential, req.Subject)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
