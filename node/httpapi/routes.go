package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /v1/status", s.status)
	m.HandleFunc("GET /v1/config", s.config)
	m.HandleFunc("GET /v1/invite", s.invite)
	m.HandleFunc("GET /v1/invite/qr.png", s.invitePNG)
	m.HandleFunc("GET /v1/invite/qr.svg", s.inviteSVG)
	m.HandleFunc("GET /v1/peers", s.peers)
	m.HandleFunc("POST /v1/peers/connect", s.connect)
	m.HandleFunc("GET /v1/coop", s.coop)
	m.HandleFunc("POST /v1/coop/found", s.found)
	m.HandleFunc("POST /v1/coop/join", s.join)
	m.HandleFunc("POST /v1/coop/members", s.admit)
	m.HandleFunc("POST /v1/coop/members/revoke", s.revoke)
	m.HandleFunc("POST /v1/coop/devices", s.linkDevice)
	m.HandleFunc("POST /v1/coop/devices/revoke", s.revokeDevice)
	m.HandleFunc("GET /v1/restaurants", s.restaurants)
	m.HandleFunc("PUT /v1/catalog/profile", s.putProfile)
	m.HandleFunc("PUT /v1/catalog/menu", s.putMenu)
	m.HandleFunc("GET /v1/orders", s.orders)
	m.HandleFunc("POST /v1/orders", s.place)
	m.HandleFunc("GET /v1/orders/{id}", s.order)
	m.HandleFunc("POST /v1/orders/{id}/{action}", s.orderAction)
	m.HandleFunc("GET /v1/jobs", s.jobs)
	m.HandleFunc("POST /v1/proofs", s.keepProof)
	m.HandleFunc("GET /v1/proofs/{hash}", s.proofImage)
	m.HandleFunc("GET /v1/events", s.events)
	s.marketRoutes()
	s.governanceRoutes()
	s.coopRoutes()
	s.payRoutes()
	s.cityRoutes()
	// No catch-all: the mux's own 404, 405 and redirects are rewritten
	// as JSON errors by jsonErrors (errors.go).
}

// Status is GET /v1/status.
type Status struct {
	PeerID string       `json:"peer_id"`
	Key    crdt.PubKey  `json:"key"`
	Member *crdt.PubKey `json:"member,omitempty"`
	Role   node.Role    `json:"role"`
	Coop   crdt.ID      `json:"coop"`
	Addrs  []string     `json:"addrs"`
	Peers  int          `json:"peers"`
	Stats  node.Stats   `json:"stats"`
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := ctxOf(r)
	defer cancel()
	st := Status{PeerID: s.n.ID().String(), Key: s.n.Key(), Role: s.n.Role(), Coop: s.n.Coop(),
		Peers: len(s.n.Host().Network().Peers()), Stats: s.n.Stats(ctx)}
	if k, ok := s.n.MemberKey(ctx); ok {
		st.Member = &k
	}
	for _, a := range s.n.Addrs() {
		st.Addrs = append(st.Addrs, a.String())
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) invite(w http.ResponseWriter, r *http.Request) {
	if s.n.Coop().IsZero() {
		failf(w, node.ErrNoCoop, "this node follows no cooperative yet")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"invite": s.n.Invite().String()})
}

func (s *Server) coop(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := ctxOf(r)
	defer cancel()
	c, err := s.n.CoopState(ctx)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) found(w http.ResponseWriter, r *http.Request) {
	var g crdt.CoopGenesis
	if !decode(w, r, &g) {
		return
	}
	if g.Name == "" {
		failf(w, node.ErrBadArgument, "name is required")
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	id, err := s.n.Found(ctx, g)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"coop": id, "invite": s.n.Invite().String()})
}

func (s *Server) join(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Coop   *crdt.ID `json:"coop"`
		Invite string   `json:"invite"`
	}
	if !decode(w, r, &req) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	var coop crdt.ID
	switch {
	case req.Invite != "":
		inv, err := node.ParseInvite(req.Invite)
		if err != nil {
			fail(w, err)
			return
		}
		if err := s.n.JoinInvite(ctx, inv); err != nil { // saves the coop and its bootstrap peers
			fail(w, err)
			return
		}
		coop = inv.Coop
	case req.Coop != nil:
		coop = *req.Coop
	default:
		failf(w, node.ErrBadArgument, "send coop or invite")
		return
	}
	if err := s.n.Join(ctx, coop); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"coop": coop})
}

type memberReq struct {
	Member crdt.PubKey `json:"member"`
	Roles  []string    `json:"roles"`
	Name   string      `json:"name"`
	Reason string      `json:"reason"`
	// Credential: a work record from another coop, checked before the
	// admission, about Member (SPEC.md §21.5).
	Credential json.RawMessage `json:"credential,omitempty"`
}

func (s *Server) admit(w http.ResponseWriter, r *http.Request) {
	var req memberReq
	if !decode(w, r, &req) {
		return
	}
	var roles crdt.Roles
	for _, n := range req.Roles {
		ro, ok := crdt.ParseRole(n)
		if !ok {
			failf(w, node.ErrBadRole, "%q (want courier, dispatcher, admin, restaurant or shop)", n)
			return
		}
		roles |= ro
	}
	if roles == 0 || req.Member.IsZero() {
		failf(w, node.ErrBadArgument, "member and at least one role are required")
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	out := map[string]any{"ok": true}
	if len(req.Credential) > 0 {
		v, err := s.n.VerifyWorkRecord(req.Credential, req.Member)
		if err != nil {
			fail(w, err)
			return
		}
		out["record"] = v
	}
	if err := s.n.Admit(ctx, req.Member, roles, req.Name); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	var req memberReq
	if !decode(w, r, &req) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	if err := s.n.Revoke(ctx, req.Member, req.Reason); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

type deviceReq struct {
	Member crdt.PubKey `json:"member"`
	Device crdt.PubKey `json:"device"`
	Label  string      `json:"label"`
}

func (s *Server) linkDevice(w http.ResponseWriter, r *http.Request) {
	var req deviceReq
	if !decode(w, r, &req) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	if err := s.n.LinkDevice(ctx, req.Member, req.Device, req.Label); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (s *Server) revokeDevice(w http.ResponseWriter, r *http.Request) {
	var req deviceReq
	if !decode(w, r, &req) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	if err := s.n.RevokeDevice(ctx, req.Member, req.Device); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (s *Server) restaurants(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := ctxOf(r)
	defer cancel()
	rs, err := s.n.Restaurants(ctx)
	if err != nil {
		fail(w, err)
		return
	}
	if rs == nil {
		rs = []node.Restaurant{}
	}
	writeJSON(w, http.StatusOK, rs)
}

func (s *Server) putProfile(w http.ResponseWriter, r *http.Request) {
	var p crdt.CatalogProfile
	if !decode(w, r, &p) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	if err := s.n.PublishProfile(ctx, p); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (s *Server) putMenu(w http.ResponseWriter, r *http.Request) {
	var m crdt.CatalogMenu
	if !decode(w, r, &m) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	if err := s.n.PublishMenu(ctx, m); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (s *Server) orders(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := ctxOf(r)
	defer cancel()
	q := r.URL.Query()
	f := node.OrderFilter{Open: q.Get("open") == "1", Status: q.Get("status")}
	if v := q.Get("since"); v != "" {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms < 0 {
			failf(w, node.ErrBadArgument, "since must be a wall time in milliseconds")
			return
		}
		f.Since = ms
	}
	if r.URL.Query().Get("mine") == "1" {
		f.Party = s.n.Key()
		if k, ok := s.n.MemberKey(ctx); ok {
			f.Party = k
		}
	}
	os, err := s.n.Orders(ctx, f)
	if err != nil {
		fail(w, err)
		return
	}
	if os == nil {
		os = []*crdt.OrderState{}
	}
	writeJSON(w, http.StatusOK, os)
}

func (s *Server) place(w http.ResponseWriter, r *http.Request) {
	var p crdt.OrderPlace
	if !decode(w, r, &p) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	id, err := s.n.PlaceUnpriced(ctx, p)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": id})
}

func (s *Server) order(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	o, err := s.n.Order(ctx, id)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// actionReq is the union of every order action's fields.
type actionReq struct {
	PrepMinutes uint32        `json:"prep_minutes"`
	Minutes     uint32        `json:"minutes"`
	Reason      string        `json:"reason"`
	Courier     crdt.PubKey   `json:"courier"`
	Position    crdt.Position `json:"position"`
	Task        uint8         `json:"task"`
	Note        string        `json:"note"`
	Proof       crdt.Proof    `json:"proof"`
	Wait        bool          `json:"wait"` // claim: wait for the outcome
	Stop        uint16        `json:"stop"` // parcel dropoff, 1-based (start-task, deliver, fail)
	Stars       uint8         `json:"restaurant_stars"`
	CourierStar uint8         `json:"courier_stars"`
	Comment     string        `json:"comment"`
}

func (s *Server) orderAction(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var req actionReq
	if r.ContentLength != 0 {
		if !decode(w, r, &req) {
			return
		}
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	n := s.n
	var err error
	switch r.PathValue("action") {
	case "accept":
		err = n.Accept(ctx, id, req.PrepMinutes)
	case "refuse":
		err = n.Refuse(ctx, id, req.Reason)
	case "delay":
		err = n.Delay(ctx, id, req.Minutes)
	case "start-preparing":
		err = n.StartPreparing(ctx, id)
	case "ready":
		err = n.Ready(ctx, id)
	case "fulfil":
		err = n.Fulfil(ctx, id)
	case "cancel":
		err = n.Cancel(ctx, id, req.Reason)
	case "restore":
		err = n.Restore(ctx, id)
	case "assign":
		err = n.Assign(ctx, id, req.Courier)
	case "claim":
		claim, cerr := n.Claim(ctx, id, req.Position)
		if cerr != nil {
			fail(w, cerr)
			return
		}
		out := map[string]any{"claim": claim}
		if req.Wait {
			res, werr := n.AwaitClaim(ctx, id, claim)
			out["result"] = res
			if werr != nil {
				out["note"] = werr.Error()
			}
		}
		writeJSON(w, http.StatusOK, out)
		return
	case "unassign":
		err = n.Unassign(ctx, id, req.Reason)
	case "start-task":
		if req.Stop > 0 {
			err = n.StartStop(ctx, id, req.Stop)
		} else {
			err = n.StartTask(ctx, id, req.Task)
		}
	case "pickup":
		err = n.Pickup(ctx, id)
	case "deliver":
		if req.Stop > 0 {
			err = n.DeliverStop(ctx, id, req.Stop, req.Proof)
		} else {
			err = n.Deliver(ctx, id, req.Proof)
		}
	case "fail":
		if req.Stop > 0 {
			err = n.FailStop(ctx, id, req.Stop, req.Reason, req.Note)
		} else {
			err = n.Fail(ctx, id, req.Task, req.Reason, req.Note)
		}
	case "rate":
		err = n.Rate(ctx, id, req.Stars, req.CourierStar, req.Comment)
	default:
		failf(w, node.ErrNoRoute, "no order action %q", r.PathValue("action"))
		return
	}
	if err != nil {
		fail(w, err)
		return
	}
	o, err := n.Order(ctx, id)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Server) jobs(w http.ResponseWriter, r *http.Request) {
	lat, err1 := queryInt(r, "lat_e6", 0)
	lon, err2 := queryInt(r, "lon_e6", 0)
	radius, err3 := queryInt(r, "radius_m", 0)
	for _, err := range []error{err1, err2, err3} {
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
	jobs, err := s.n.Jobs(ctx, pos, int(radius))
	if err != nil {
		fail(w, err)
		return
	}
	if jobs == nil {
		jobs = []node.Job{}
	}
	writeJSON(w, http.StatusOK, jobs)
}

// events streams changes as Server-Sent Events until the client leaves.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		fail(w, fmt.Errorf("the connection cannot stream"))
		return
	}
	sub := s.n.Subscribe(256)
	defer sub.Close()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, ": coopnode events\n\n")
	fl.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case ch, ok := <-sub.C:
			if !ok {
				return
			}
			b, _ := json.Marshal(ch)
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ch.Scope, b)
			fl.Flush()
		}
	}
}
