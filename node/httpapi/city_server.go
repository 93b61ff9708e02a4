package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// CityServer is one API and web app over the nodes of a node.City, one
// per coop (SPEC.md §22.4): the customer sees every followed coop's
// restaurants together and each request reaches the node of the coop it
// belongs to. It keeps a Server per node and only routes:
//
//   - GET /v1/restaurants lists every coop's restaurants, each with its
//     coop and coop_name; GET /v1/orders and GET /v1/jobs concatenate the
//     nodes' answers; GET /v1/events merges their streams (each change
//     names its coop);
//   - /v1/orders/{id}/… goes to the node that holds the order,
//     /v1/restaurants/{key}/… to the coop that lists the restaurant, and
//     POST /v1/quote, /v1/checkout, /v1/orders and /v1/deliveries to the
//     coop of their cart's restaurant (or of their "coop" field), so an
//     order is priced by its coop's rules and signed on its coop's topics;
//   - POST /v1/city/coops {"coop"} follows a coop of the city's directory,
//     its card's addresses as the invite (node.City.FollowCard);
//   - POST /v1/coop/join with an invite to another coop than the home
//     node's adds that coop to the data folder (node.City.JoinInvite);
//   - GET /v1/status adds "coops": each followed coop with its node's key;
//   - any request with the query parameter coop=<coop ID> goes to that
//     coop's node; everything else goes to the home node.
type CityServer struct {
	city  *node.City
	token string
	log   *slog.Logger
	mu    sync.Mutex
	srvs  map[*node.Node]*Server
	opts  []Option // each Server's (WithTiles)
}

// NewCity returns the API handler over c's nodes. token must be non-empty;
// opts configure each coop's Server.
func NewCity(c *node.City, token string, log *slog.Logger, opts ...Option) (*CityServer, error) {
	if token == "" {
		return nil, ErrNoToken
	}
	cs := &CityServer{city: c, token: token, log: log, srvs: map[*node.Node]*Server{}, opts: opts}
	if _, err := cs.server(c.Home()); err != nil {
		return nil, err
	}
	return cs, nil
}

// server returns n's Server, made on first use (a coop joined while
// running gets one then).
func (cs *CityServer) server(n *node.Node) (*Server, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if s, ok := cs.srvs[n]; ok {
		return s, nil
	}
	s, err := New(n, cs.token, cs.log, cs.opts...)
	if err != nil {
		return nil, err
	}
	cs.srvs[n] = s
	return s, nil
}

func (cs *CityServer) home() *Server {
	s, _ := cs.server(cs.city.Home()) // made by NewCity
	return s
}

// ServeHTTP checks the token as Server does, then routes.
func (cs *CityServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	home := cs.home()
	if !isAPI(r.URL.Path) {
		home.ServeHTTP(w, r)
		return
	}
	jw := &jsonErrors{ResponseWriter: w, r: r}
	if !home.authorized(jw, r) {
		return
	}
	r.Body = http.MaxBytesReader(jw, r.Body, MaxBody)
	n, err := cs.route(jw, r)
	if err != nil {
		fail(jw, err)
		return
	}
	if n == nil {
		return // answered
	}
	s, err := cs.server(n)
	if err != nil {
		fail(jw, err)
		return
	}
	s.ServeHTTP(w, r)
}

// route answers the requests over every coop and returns the node of any
// other (nil: answered).
func (cs *CityServer) route(w http.ResponseWriter, r *http.Request) (*node.Node, error) {
	ctx, cancel := ctxOf(r)
	defer cancel()
	if v := r.URL.Query().Get("coop"); v != "" {
		id, err := crdt.ParseID(v)
		if err != nil {
			return nil, fmt.Errorf("%w: coop=%q: a coop ID of 64 hex characters", node.ErrBadArgument, v)
		}
		if n, ok := cs.city.Node(id); ok {
			return n, nil
		}
		return nil, fmt.Errorf("%w: this app follows no coop %s", node.ErrUnknown, id.Short())
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/") // "v1", …
	get := r.Method == http.MethodGet
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/coop/join":
		return cs.join(ctx, w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/city/coops":
		cs.followCard(ctx, w, r)
		return nil, nil
	case get && r.URL.Path == "/v1/status":
		cs.status(ctx, w, r)
		return nil, nil
	case get && r.URL.Path == "/v1/events":
		cs.events(w, r)
		return nil, nil
	case get && r.URL.Path == "/v1/restaurants":
		rs, err := cs.city.Restaurants(ctx)
		if err != nil {
			return nil, err
		}
		if rs == nil {
			rs = []node.CityRestaurant{}
		}
		writeJSON(w, http.StatusOK, rs)
		return nil, nil
	case get && (r.URL.Path == "/v1/orders" || r.URL.Path == "/v1/jobs"):
		cs.concat(w, r)
		return nil, nil
	case len(parts) >= 3 && parts[1] == "orders":
		id, err := crdt.ParseID(parts[2])
		if err != nil {
			return cs.city.Home(), nil // its own error
		}
		return cs.city.OrderNode(ctx, id)
	case len(parts) >= 4 && parts[1] == "restaurants":
		k, err := crdt.ParsePubKey(parts[2])
		if err != nil {
			return cs.city.Home(), nil
		}
		return cs.city.RestaurantNode(ctx, crdt.ID{}, k)
	case r.Method == http.MethodPost && (r.URL.Path == "/v1/quote" || r.URL.Path == "/v1/checkout" ||
		r.URL.Path == "/v1/orders" || r.URL.Path == "/v1/deliveries"):
		return cs.byCart(ctx, r)
	}
	return cs.city.Home(), nil
}

// readBody reads the request's body and puts it back for the node's
// handler.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fmt.Errorf("%w: body over %d bytes", node.ErrTooLarge, MaxBody)
		}
		return nil, fmt.Errorf("%w: reading the body: %v", node.ErrBadJSON, err)
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, nil
}

// byCart finds the coop of the restaurant a cart (the body, or its "cart")
// names; the body's "coop" chooses among coops that list it. A body that
// names no restaurant goes to the home node, which says what is wrong.
func (cs *CityServer) byCart(ctx context.Context, r *http.Request) (*node.Node, error) {
	b, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var req struct {
		Restaurant *crdt.PubKey `json:"restaurant"`
		Coop       *crdt.ID     `json:"coop"`
		Cart       *struct {
			Restaurant *crdt.PubKey `json:"restaurant"`
		} `json:"cart"`
	}
	if json.Unmarshal(b, &req) != nil {
		return cs.city.Home(), nil
	}
	k := req.Restaurant
	if req.Cart != nil && req.Cart.Restaurant != nil {
		k = req.Cart.Restaurant
	}
	if k == nil {
		return cs.city.Home(), nil
	}
	var coop crdt.ID
	if req.Coop != nil {
		coop = *req.Coop
	}
	return cs.city.RestaurantNode(ctx, coop, *k)
}

// join is POST /v1/coop/join: an invite goes through the City, which may
// add a coop to the data folder; a bare coop ID goes to the home node.
func (cs *CityServer) join(ctx context.Context, w http.ResponseWriter, r *http.Request) (*node.Node, error) {
	b, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var req struct {
		Invite string `json:"invite"`
	}
	if json.Unmarshal(b, &req) != nil || req.Invite == "" {
		return cs.city.Home(), nil
	}
	inv, err := node.ParseInvite(req.Invite)
	if err != nil {
		return nil, err
	}
	n, err := cs.city.JoinInvite(ctx, inv)
	if err != nil {
		return nil, err
	}
	writeJSON(w, http.StatusOK, map[string]any{"coop": inv.Coop, "key": n.Key()})
	return nil, nil
}

// followCard is POST /v1/city/coops {"coop"}: follow a coop of the
// directory.
func (cs *CityServer) followCard(ctx context.Context, w http.ResponseWriter, r *http.Request) {
	var req struct {
		Coop crdt.ID `json:"coop"`
	}
	if !decode(w, r, &req) {
		return
	}
	if req.Coop.IsZero() {
		failf(w, node.ErrBadArgument, "coop: the coop ID of a card of the city")
		return
	}
	n, err := cs.city.FollowCard(ctx, req.Coop)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"coop": req.Coop, "key": n.Key()})
}

// CityCoopNode is one followed coop in GET /v1/status: its node's key and
// peer ID (a further coop's node has a key of its own, node.CoopKey).
type CityCoopNode struct {
	Coop   crdt.ID     `json:"coop"`
	Name   string      `json:"name"`
	Key    crdt.PubKey `json:"key"`
	PeerID string      `json:"peer_id"`
	Peers  int         `json:"peers"` // connected peers of that node
}

// status is the home node's GET /v1/status with the followed coops.
func (cs *CityServer) status(ctx context.Context, w http.ResponseWriter, r *http.Request) {
	rec := record(cs.home(), r)
	var st map[string]any
	if rec.status != http.StatusOK || json.Unmarshal(rec.body.Bytes(), &st) != nil {
		rec.copyTo(w)
		return
	}
	coops := []CityCoopNode{}
	for _, n := range cs.city.Nodes() {
		if n.Coop().IsZero() {
			continue
		}
		c := CityCoopNode{Coop: n.Coop(), Key: n.Key(), PeerID: n.ID().String(), Peers: len(n.Host().Network().Peers())}
		if s, err := n.CoopState(ctx); err == nil {
			c.Name = s.Name
		}
		coops = append(coops, c)
	}
	st["coops"] = coops
	writeJSON(w, http.StatusOK, st)
}

// concat answers a GET whose answer is a JSON array with the arrays of
// every coop's node, in the city's order; the first failure is the answer.
func (cs *CityServer) concat(w http.ResponseWriter, r *http.Request) {
	all := []json.RawMessage{}
	for _, n := range cs.city.Nodes() {
		if n.Coop().IsZero() {
			continue
		}
		s, err := cs.server(n)
		if err != nil {
			fail(w, err)
			return
		}
		rec := record(s, r)
		var part []json.RawMessage
		if rec.status != http.StatusOK || json.Unmarshal(rec.body.Bytes(), &part) != nil {
			rec.copyTo(w)
			return
		}
		all = append(all, part...)
	}
	writeJSON(w, http.StatusOK, all)
}

// events is GET /v1/events over every node: one stream of their changes.
func (cs *CityServer) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		fail(w, fmt.Errorf("the connection cannot stream"))
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	merged := make(chan node.Change, 256)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel() // before wg.Wait: the forwarders stop on it
	for _, n := range cs.city.Nodes() {
		sub := n.Subscribe(256)
		defer sub.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case ch, ok := <-sub.C:
					if !ok {
						return
					}
					select {
					case merged <- ch:
					case <-ctx.Done():
						return
					}
				}
			}
		}()
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, ": coopnode events\n\n")
	fl.Flush()
	for {
		select {
		case <-ctx.Done():
			return
		case ch := <-merged:
			b, _ := json.Marshal(ch)
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ch.Scope, b)
			fl.Flush()
		}
	}
}

// recorder keeps a node handler's answer for CityServer to combine.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (rc *recorder) Header() http.Header         { return rc.header }
func (rc *recorder) Write(b []byte) (int, error) { return rc.body.Write(b) }
func (rc *recorder) WriteHeader(status int) {
	if rc.status == 0 {
		rc.status = status
	}
}

// copyTo sends the recorded answer as it is.
func (rc *recorder) copyTo(w http.ResponseWriter) {
	for k, v := range rc.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rc.status)
	_, _ = w.Write(rc.body.Bytes())
}

// record runs s's routes (the token already checked) on a GET request
// without a body.
func record(s *Server, r *http.Request) *recorder {
	rc := &recorder{header: http.Header{}}
	s.mux.ServeHTTP(rc, r)
	if rc.status == 0 {
		rc.status = http.StatusOK
	}
	return rc
}
