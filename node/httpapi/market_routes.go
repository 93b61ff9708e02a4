package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
)

// The marketplace routes (SPEC.md §13.5).
func (s *Server) marketRoutes() {
	m := s.mux
	m.HandleFunc("GET /v1/coop/rules", s.getRules)
	m.HandleFunc("PUT /v1/coop/rules", s.putRules)
	m.HandleFunc("POST /v1/coop/rules/preview", s.previewRules)
	m.HandleFunc("POST /v1/quote", s.quote)
	m.HandleFunc("POST /v1/checkout", s.checkout)
	m.HandleFunc("GET /v1/restaurants/{key}/slots", s.slots)
	m.HandleFunc("POST /v1/deliveries", s.deliveries)
	m.HandleFunc("GET /v1/orders/{id}/price", s.price)
	m.HandleFunc("GET /v1/orders/{id}/personal", s.personal)
	m.HandleFunc("GET /v1/exports/{file}", s.export)
	m.HandleFunc("POST /v1/position", s.position)
	m.HandleFunc("GET /v1/orders/{id}/tracking", s.tracking)
	m.HandleFunc("GET /v1/tracking", s.trackingAll)
}

func (s *Server) position(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Position crdt.Position `json:"position"`
	}
	if !decode(w, r, &req) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	k, err := s.n.UpdatePosition(ctx, req.Position)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"orders_told": k})
}

func (s *Server) tracking(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	t, err := s.n.Tracking(ctx, id)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

// trackingAll is GET /v1/tracking: the latest position this node has of
// each open order's courier (what the dispatcher's map shows); [] when it
// has none. A node has positions only of orders it is a party of (§16.11).
func (s *Server) trackingAll(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := ctxOf(r)
	defer cancel()
	os, err := s.n.Orders(ctx, node.OrderFilter{Open: true})
	if err != nil {
		fail(w, err)
		return
	}
	out := []node.Tracking{}
	for _, o := range os {
		if !o.HasHolder() {
			continue
		}
		if t, err := s.n.Tracking(ctx, o.ID); err == nil {
			out = append(out, t)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getRules(w http.ResponseWriter, r *http.Request) {
	v, err := queryInt(r, "version", 0)
	if err != nil || v < 0 {
		failf(w, node.ErrBadArgument, "version must be a non-negative integer")
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	set, err := s.n.Rules(ctx, uint64(v))
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, set)
}

func (s *Server) putRules(w http.ResponseWriter, r *http.Request) {
	var set crdt.RulesSet
	if !decode(w, r, &set) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	if err := s.n.SetRules(ctx, set); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"version": set.Version})
}

func (s *Server) quote(w http.ResponseWriter, r *http.Request) {
	var cart market.Cart
	if !decode(w, r, &cart) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	q, err := s.n.Quote(ctx, cart)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, q)
}

// checkoutReq is POST /v1/checkout.
type checkoutReq struct {
	Cart     market.Cart       `json:"cart"`
	Personal node.PersonalData `json:"personal"`
	PIN      string            `json:"pin"`
}

func (s *Server) checkout(w http.ResponseWriter, r *http.Request) {
	var req checkoutReq
	if !decode(w, r, &req) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	id, q, err := s.n.Checkout(ctx, req.Cart, req.Personal, req.PIN)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": id, "quote": q})
}

func (s *Server) slots(w http.ResponseWriter, r *http.Request) {
	k, err := crdt.ParsePubKey(r.PathValue("key"))
	if err != nil {
		failf(w, node.ErrBadArgument, "restaurant key must be 64 hex characters")
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	slots, err := s.n.Slots(ctx, k)
	if err != nil {
		fail(w, err)
		return
	}
	if slots == nil {
		slots = []market.Slot{}
	}
	writeJSON(w, http.StatusOK, slots)
}

func (s *Server) deliveries(w http.ResponseWriter, r *http.Request) {
	var req market.ParcelRequest
	if !decode(w, r, &req) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	id, q, err := s.n.RequestDelivery(ctx, req)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": id, "quote": q})
}

func (s *Server) price(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	p, err := s.n.Price(ctx, id)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) personal(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	pd, err := s.n.PersonalDataOf(ctx, id)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, pd)
}

func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	kind, ok := strings.CutSuffix(r.PathValue("file"), ".csv")
	if !ok {
		failf(w, node.ErrNoRoute, "exports are /v1/exports/{orders,deliveries,pay,pay-summary,payments,invoice}.csv")
		return
	}
	q := r.URL.Query()
	f := market.Filter{Day: q.Get("day"), Month: q.Get("month")}
	if f.Month != "" {
		if _, err := time.Parse("2006-01", f.Month); err != nil {
			failf(w, node.ErrBadArgument, "month must be YYYY-MM")
			return
		}
	}
	if f.Day != "" {
		if _, err := time.Parse("2006-01-02", f.Day); err != nil {
			failf(w, node.ErrBadArgument, "day must be YYYY-MM-DD")
			return
		}
	}
	for name, dst := range map[string]*crdt.PubKey{"courier": &f.Courier, "restaurant": &f.Restaurant} {
		if v := q.Get(name); v != "" {
			k, err := crdt.ParsePubKey(v)
			if err != nil {
				failf(w, node.ErrBadArgument, "%s must be 64 hex characters", name)
				return
			}
			*dst = k
		}
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	t, err := s.n.Export(ctx, kind, f)
	if err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", kind+dayPart(f.Day)+dayPart(f.Month)+".csv"))
	_ = t.WriteCSV(w)
}

func dayPart(day string) string {
	if day == "" {
		return ""
	}
	return "-" + day
}
