package mobile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// Every error an exported call returns reads "code: message". The code is
// one of node's table of codes (node.Codes), the very codes the HTTP API
// and the coopnode CLI give for the same failure, so an app can branch on
// the text before the first colon (Java: e.getMessage().split(":", 2)[0]).
// ErrorCodes lists them; API.md describes the common ones.

// errInternal marks anything else (disk, network, a bug): code "internal".
var errInternal = errors.New("internal error")

// apiError is the error type of every exported call.
type apiError struct {
	code string
	msg  string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

// errorf makes the error of a sentinel of package node (node.ErrBadJSON,
// node.ErrBadArgument, ...) with a message.
func errorf(sentinel error, format string, args ...any) error {
	return &apiError{code: node.Code(sentinel), msg: fmt.Sprintf(format, args...)}
}

// wrap turns an error from package node (or anything else) into an
// apiError with its code. An apiError passes through.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	return &apiError{code: node.Code(err), msg: err.Error()}
}

// ErrorCodes returns every error code as a JSON array of
// {"code","status","doc"} (status: the HTTP API's status for the code), so
// an app can show or group them without a copy of the table.
func ErrorCodes() string {
	b, _ := json.Marshal(node.Codes())
	return string(b)
}

// decode parses a request strictly: one JSON object (not null, not an
// array), no unknown fields, no trailing data. An empty string means {}.
// It never panics.
func decode(in string, v any) error {
	t := bytes.TrimSpace([]byte(in))
	if len(t) == 0 {
		in = "{}"
	} else if t[0] != '{' {
		return errorf(node.ErrBadJSON, "the request must be a JSON object, not %.20s", t)
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(in)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorf(node.ErrBadJSON, "%v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf(node.ErrBadJSON, "trailing data after the JSON object")
	}
	return nil
}

// encode renders a response.
func encode(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", wrap(fmt.Errorf("encode response: %w", err))
	}
	return string(b), nil
}

// parseOrderID reads a required 64-hex order ID.
func parseOrderID(field, s string) (crdt.ID, error) {
	if s == "" {
		return crdt.ID{}, errorf(node.ErrBadArgument, "%s is required", field)
	}
	id, err := crdt.ParseID(s)
	if err != nil {
		return crdt.ID{}, errorf(node.ErrBadArgument, "%s: want 64 hex characters", field)
	}
	return id, nil
}

// parseKey reads a required 64-hex public key.
func parseKey(field, s string) (crdt.PubKey, error) {
	id, err := parseOrderID(field, s)
	return crdt.PubKey(id), err
}
