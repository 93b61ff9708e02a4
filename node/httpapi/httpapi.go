// Package httpapi serves a node's JSON HTTP API (SPEC.md §13) for the local
// apps and the coopnode CLI. It binds to loopback only and every request
// needs the node's access token: the API can sign events with the node's key,
// so anything that can reach it can act as this member.
package httpapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
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
)

// MaxBody bounds a request body; menus are the largest thing sent.
const MaxBody = 512 << 10

// Errors of the package.
var (
	ErrNotLoopback = errors.New("httpapi: refusing to listen on a non-loopback address")
	ErrNoToken     = errors.New("httpapi: an access token is required")
)

// Server is the HTTP API of one node.
type Server struct {
	n     *node.Node
	token string
	log   *slog.Logger
	mux   *http.ServeMux
}

// New returns the API handler for n. token must be non-empty.
func New(n *node.Node, token string, log *slog.Logger) (*Server, error) {
	if token == "" {
		return nil, ErrNoToken
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{n: n, token: token, log: log, mux: http.NewServeMux()}
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

// Listen checks that addr is a loopback address and listens on it.
func Listen(addr string) (net.Listener, error) {
	if err := CheckLoopback(addr); err != nil {
		return nil, err
	}
	return net.Listen("tcp", addr)
}

// ServeHTTP checks the token, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if got == "" {
		got = r.URL.Query().Get("token") // for EventSource, which cannot set headers
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) != 1 {
		writeErr(w, http.StatusUnauthorized, "unauthorized", "missing or wrong access token")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	s.mux.ServeHTTP(w, r)
}

type apiError struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{Error: msg, Code: code})
}

// fail maps node errors to HTTP statuses.
func fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, node.ErrBadArgument), errors.Is(err, crdt.ErrBadHex):
		writeErr(w, http.StatusBadRequest, "bad_request", err.Error())
	case errors.Is(err, node.ErrUnknown):
		writeErr(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, node.ErrNotYours):
		writeErr(w, http.StatusForbidden, "forbidden", err.Error())
	case errors.Is(err, node.ErrRefused):
		writeErr(w, http.StatusConflict, "refused", err.Error())
	case errors.Is(err, node.ErrNoCoop):
		writeErr(w, http.StatusConflict, "no_coop", err.Error())
	case errors.Is(err, node.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		writeErr(w, http.StatusGatewayTimeout, "timeout", err.Error())
	case errors.Is(err, node.ErrClosed):
		writeErr(w, http.StatusServiceUnavailable, "closed", err.Error())
	default:
		writeErr(w, http.StatusInternalServerError, "internal", err.Error())
	}
}

// decode reads a JSON body strictly: unknown fields and trailing data are
// errors, so a typo never silently changes what is signed.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeErr(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body over %d bytes", MaxBody))
			return false
		}
		if errors.Is(err, io.EOF) {
			writeErr(w, http.StatusBadRequest, "bad_json", "empty body: send a JSON object")
			return false
		}
		writeErr(w, http.StatusBadRequest, "bad_json", "invalid JSON: "+err.Error())
		return false
	}
	if dec.More() {
		writeErr(w, http.StatusBadRequest, "bad_json", "trailing data after the JSON object")
		return false
	}
	return true
}

func pathID(w http.ResponseWriter, r *http.Request) (crdt.ID, bool) {
	id, err := crdt.ParseID(r.PathValue("id"))
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad_id", "order id must be 64 hex characters")
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
