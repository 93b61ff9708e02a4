package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
)

// Every error response is JSON with the code of node's table (node.Code,
// node.HTTPStatus): {"code": "...", "error": "..."} and, for refusals, the
// kind refused, the field at fault and what an app needs to explain it.
// Nothing answers in plain text: the answers net/http's mux would write
// itself (405, the redirects to a cleaned path, 400) are rewritten too.

// errorBody is every error answer.
type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
	// Kind is what was refused ("task.deliver", "checkout"), for a refusal.
	Kind string `json:"kind,omitempty"`
	// Field is the field at fault, if one is.
	Field       string              `json:"field,omitempty"`
	Detail      string              `json:"detail,omitempty"`
	Line        int                 `json:"line,omitempty"`
	NextOpen    *time.Time          `json:"next_open,omitempty"`
	Explanation *market.Explanation `json:"explanation,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError answers err as every route does: the JSON error with its
// code (node.Code) and that code's status. Tools and tests serving the API
// use it to answer as the node would.
func WriteError(w http.ResponseWriter, err error) { fail(w, err) }

// fail answers err with its code and that code's status.
func fail(w http.ResponseWriter, err error) {
	code := node.Code(err)
	b := errorBody{Error: err.Error(), Code: code}
	var re *node.RefusedError
	if errors.As(err, &re) {
		b.Kind, b.Field = re.Kind, re.Field
	}
	var mr *market.Refusal
	if errors.As(err, &mr) {
		b.Detail, b.Line, b.Explanation = mr.Detail, mr.Line, mr.Explanation
		if b.Field == "" {
			b.Field = mr.Field
		}
		if !mr.NextOpen.IsZero() {
			b.NextOpen = &mr.NextOpen
		}
	}
	writeJSON(w, node.HTTPStatus(code), b)
}

// failf answers a sentinel with a message.
func failf(w http.ResponseWriter, sentinel error, format string, args ...any) {
	fail(w, fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...)))
}

// decode reads a JSON body strictly: one JSON object (not null, not an
// array), no unknown fields, no trailing data, so a typo never silently
// changes what is signed.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			failf(w, node.ErrTooLarge, "body over %d bytes", MaxBody)
			return false
		}
		failf(w, node.ErrBadJSON, "reading the body: %v", err)
		return false
	}
	if err := decodeObject(b, v); err != nil {
		fail(w, err)
		return false
	}
	return true
}

// decodeObject is decode's rule on bytes.
func decodeObject(b []byte, v any) error {
	t := bytes.TrimSpace(b)
	switch {
	case len(t) == 0:
		return fmt.Errorf("%w: empty body: send a JSON object", node.ErrBadJSON)
	case t[0] != '{':
		return fmt.Errorf("%w: the body must be a JSON object, not %s", node.ErrBadJSON, what(t))
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: invalid JSON: %v", node.ErrBadJSON, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data after the JSON object", node.ErrBadJSON)
	}
	return nil
}

func what(t []byte) string {
	switch {
	case bytes.HasPrefix(t, []byte("null")):
		return "null"
	case t[0] == '[':
		return "an array"
	case t[0] == '"':
		return "a string"
	}
	return "a bare value"
}

// jsonErrors makes sure that every error answer is JSON: an answer of 300
// or more that is not JSON (net/http's own 405 Method Not Allowed, its
// redirects to a cleaned path, its 400 for a request it cannot route) is
// replaced by the JSON error with the code.
type jsonErrors struct {
	http.ResponseWriter
	r       *http.Request
	swallow bool
	wrote   bool
}

func (j *jsonErrors) WriteHeader(status int) {
	if j.wrote {
		return
	}
	j.wrote = true
	ct := j.Header().Get("Content-Type")
	if status < 300 || strings.HasPrefix(ct, "application/json") {
		j.ResponseWriter.WriteHeader(status)
		return
	}
	j.swallow = true
	h := j.Header()
	allow := h.Get("Allow")
	for _, k := range []string{"Location", "Content-Length", "X-Content-Type-Options", "Content-Type"} {
		h.Del(k)
	}
	var err error
	switch {
	case status == http.StatusMethodNotAllowed:
		err = fmt.Errorf("%w: %s %s (allowed: %s)", node.ErrBadMethod, j.r.Method, j.r.URL.Path, allow)
	case status >= 300 && status < 400:
		err = fmt.Errorf("%w: %q is not a canonical API path", node.ErrNoRoute, j.r.URL.Path)
	case status == http.StatusNotFound:
		err = fmt.Errorf("%w: %s %s", node.ErrNoRoute, j.r.Method, j.r.URL.Path)
	case status == http.StatusRequestEntityTooLarge:
		err = fmt.Errorf("%w: body over %d bytes", node.ErrTooLarge, MaxBody)
	case status < 500:
		err = fmt.Errorf("%w: %s %q", node.ErrBadArgument, http.StatusText(status), j.r.URL.Path)
	default:
		err = fmt.Errorf("%s", http.StatusText(status))
	}
	code := node.Code(err)
	h.Set("Content-Type", "application/json")
	j.ResponseWriter.WriteHeader(node.HTTPStatus(code))
	_ = json.NewEncoder(j.ResponseWriter).Encode(errorBody{Error: err.Error(), Code: code})
}

func (j *jsonErrors) Write(b []byte) (int, error) {
	if !j.wrote {
		j.WriteHeader(http.StatusOK)
	}
	if j.swallow {
		return len(b), nil
	}
	return j.ResponseWriter.Write(b)
}

// Flush lets the event stream through.
func (j *jsonErrors) Flush() {
	if f, ok := j.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack is never used by the API; it is here so the wrapper hides
// nothing the underlying writer offers.
func (j *jsonErrors) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := j.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, http.ErrNotSupported
}
