package mobile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// Error codes. Every error this package returns reads "code: detail"; the
// code is one of these words, so an app can branch on the text before the
// first colon (Java: e.getMessage().split(":", 2)[0]). API.md lists them.
const (
	codeBadJSON     = "bad_json"     // the request is not the documented JSON
	codeBadArgument = "bad_argument" // a field is missing or out of range
	codeNotFound    = "not_found"    // unknown order, restaurant, product or claim
	codeRefused     = "refused"      // the rules forbid the action; the reason follows (SPEC.md §6.4)
	codeNotMember   = "not_member"   // this device does not act for an active member
	codeNoCoop      = "no_coop"      // no cooperative joined yet
	codeWrongRole   = "wrong_role"   // a courier action on a customer node, or the reverse
	codeNotShared   = "not_shared"   // the order's personal data is not shared with this device (yet)
	codeOffline     = "offline"      // the call needs the network and no peer is reachable
	codeTimeout     = "timeout"      // a wait ran out
	codeStopped     = "stopped"      // the node was stopped
	codeInternal    = "internal"     // anything else (disk, network)
)

// apiError is the error type of every exported call.
type apiError struct {
	code string
	msg  string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func errorf(code, format string, args ...any) error {
	return &apiError{code: code, msg: fmt.Sprintf(format, args...)}
}

// wrap turns an error from package node (or anything else) into an
// apiError with the matching code. An apiError passes through.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	code := codeInternal
	switch {
	case errors.Is(err, node.ErrRefused):
		code = codeRefused
	case errors.Is(err, node.ErrUnknown):
		code = codeNotFound
	case errors.Is(err, node.ErrNotYours):
		code = codeNotMember
	case errors.Is(err, node.ErrNoCoop):
		code = codeNoCoop
	case errors.Is(err, node.ErrBadArgument):
		code = codeBadArgument
	case errors.Is(err, node.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		code = codeTimeout
	case errors.Is(err, node.ErrClosed), errors.Is(err, context.Canceled):
		code = codeStopped
	}
	return &apiError{code: code, msg: err.Error()}
}

// decode parses a request strictly: one JSON object, no unknown fields, no
// trailing data. An empty string means {}. It never panics.
func decode(in string, v any) error {
	if len(bytes.TrimSpace([]byte(in))) == 0 {
		in = "{}"
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(in)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorf(codeBadJSON, "%v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf(codeBadJSON, "trailing data after the JSON object")
	}
	return nil
}

// encode renders a response.
func encode(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", errorf(codeInternal, "encode response: %v", err)
	}
	return string(b), nil
}

// parseOrderID reads a required 64-hex order ID.
func parseOrderID(field, s string) (crdt.ID, error) {
	if s == "" {
		return crdt.ID{}, errorf(codeBadArgument, "%s is required", field)
	}
	id, err := crdt.ParseID(s)
	if err != nil {
		return crdt.ID{}, errorf(codeBadArgument, "%s: want 64 hex characters", field)
	}
	return id, nil
}

// parseKey reads a required 64-hex public key.
func parseKey(field, s string) (crdt.PubKey, error) {
	id, err := parseOrderID(field, s)
	return crdt.PubKey(id), err
}
