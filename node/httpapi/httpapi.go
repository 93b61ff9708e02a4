// Package httpapi serves a node's JSON HTTP API (SPEC.md §13) for the local
// apps and the coopnode CLI. It binds to loopback only and every request
// needs the node's access token: the API can sign events with the node's key,
// so anything that can reach it can act as this member.
package httpapi

import (
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
	"github.com/coopnode/coopnode/webapp"
)

// MaxBody bounds a request body; menus are the largest thing sent.
const MaxBody = 512 << 10

// Errors of the package. Both wrap node.ErrBadArgument, so they have its
// code in node's one table.
var (
	ErrNotLoopback = fmt.Errorf("%w: httpapi: refusing to listen on a non-loopback address", node.ErrBadArgument)
	ErrNoToken     = fmt.Errorf("%w: httpapi: an access token is required", node.ErrBadArgument)
)

// Server is the HTTP API of one node.
type Server struct {
	n     *node.Node
	token string
	log   *slog.Logger
	mux   *http.ServeMux
	tiles *Tiles // the map's tile server, or nil (tiles.go)
	csp   string // the app's Content-Security-Policy
}

// New returns the API handler for n. token must be non-empty.
func New(n *node.Node, token string, log *slog.Logger, opts ...Option) (*Server, error) {
	if token == "" {
		return nil, ErrNoToken
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{n: n, token: token, log: log, mux: http.NewServeMux(), csp: webapp.CSP}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	s.routes()
	return s, nil
}

// CheckLoopback checks that addr is host:port with a loopback host.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w: address %q: %v", ErrNotLoopback, addr, err)
	}
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%w: %s", ErrNotLoopback, addr)
	}
	return nil
}

// Listen checks that addr is a loopback address and listens on it. Its
// connections answer even requests net/http cannot parse with JSON errors
// (JSONErrors).
func Listen(addr string) (net.Listener, error) {
	if err := CheckLoopback(addr); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return JSONErrors(l), nil
}

// ServeHTTP checks the token, then routes. The token comes in the header
// "Authorization: Bearer TOKEN"; only GET /v1/events may pass it as the
// query parameter token instead (EventSource cannot set headers).
//
// Paths outside /v1 belong to the web app (web.go): its files and the login
// link, which need no token. A browser logged in through that link may
// send the session cookie instead of the header, under web.go's rules.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !isAPI(r.URL.Path) {
		s.web(w, r)
		return
	}
	w = &jsonErrors{ResponseWriter: w, r: r}
	if !s.authorized(w, r) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	s.mux.ServeHTTP(w, r)
}

// authorized checks the request's token (ServeHTTP) and answers
// unauthorized when it fails.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok && r.Header.Get("Authorization") == "" && r.Method == http.MethodGet && r.URL.Path == "/v1/events" && r.URL.Query().Has("token") {
		got, ok = r.URL.Query().Get("token"), true
	}
	if !ok && r.Header.Get("Authorization") == "" && s.cookieAuth(r) {
		got, ok = s.token, true
	}
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) != 1 {
		failf(w, node.ErrUnauthorized, "send the header Authorization: Bearer TOKEN (the token is in the node's data folder)")
		return false
	}
	return true
}

func pathID(w http.ResponseWriter, r *http.Request) (crdt.ID, bool) {
	id, err := crdt.ParseID(r.PathValue("id"))
	if err != nil {
		failf(w, node.ErrBadArgument, "order id must be 64 hex characters")
		return id, false
	}
	return id, true
}

func ctxOf(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), 30*time.Second)
}

func queryInt(r *http.Request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	i, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s=%q is not an integer", node.ErrBadArgument, name, v)
	}
	return i, nil
}
