package node

import (
	"errors"
	"fmt"
	"strings"
)

// Errors returned by Node and by the API surfaces built on it (the HTTP API,
// package mobile, the coopnode CLI). Every one of them has exactly one code
// in the table of codes.go; Code(err) finds it, and every surface answers
// with that code, so an action refused on a phone and the same action
// refused through the HTTP API read the same.
var (
	// ErrBadRole: a role name that is not customer, restaurant, courier,
	// admin or relay.
	ErrBadRole = errors.New("node: unknown role")
	// ErrNoKey: New was given no identity key.
	ErrNoKey = errors.New("node: no identity key")
	// ErrNoCoop: the call needs a cooperative and the node follows none.
	ErrNoCoop = errors.New("node: no cooperative joined")
	// ErrUnknown: no such order, restaurant, rules version or scope here.
	ErrUnknown = errors.New("node: unknown order or scope")
	// ErrRefused: the rules refuse the action. Refusals are *RefusedError,
	// which matches ErrRefused with errors.Is and names the reason.
	ErrRefused = errors.New("node: refused")
	// ErrNotMember: this node's key acts for no active member of the
	// cooperative, and the call needs one (publishing a catalogue).
	ErrNotMember = errors.New("node: this node acts for no active member")
	// ErrArchived: the order is past the archive horizon (SPEC.md §4.5):
	// finished and idle for more than 7 days, it can no longer change.
	ErrArchived = errors.New("node: the order is past the archive horizon")
	// ErrNotShared: an order's personal data is not shared with this node.
	ErrNotShared = errors.New("node: the order's personal data is not shared with this node")
	// ErrBadArgument: a missing, malformed or out-of-range argument.
	ErrBadArgument = errors.New("node: bad argument")
	// ErrBadImage: a delivery proof's photo or signature that is not a
	// JPEG or PNG image (proofs.go).
	ErrBadImage = errors.New("node: not a JPEG or PNG image")
	// ErrTimeout: a wait ran out before the awaited outcome.
	ErrTimeout = errors.New("node: timed out waiting")
	// ErrClosed: the node was stopped. Every call after Close returns it,
	// from the loop, the store, gossip or a sync session alike; it has no
	// other meaning (a restaurant that is closed is market.ErrRestaurantClosed).
	ErrClosed = errors.New("node: stopped")

	// The surfaces' own vocabulary: what the HTTP API, package mobile and
	// the CLI refuse before a call reaches the node.

	// ErrBadJSON: a request body or file that is not the documented JSON
	// (including null, unknown fields and trailing data).
	ErrBadJSON = errors.New("bad JSON")
	// ErrTooLarge: a request body over the API's limit.
	ErrTooLarge = errors.New("request too large")
	// ErrUnauthorized: a missing or wrong access token.
	ErrUnauthorized = errors.New("missing or wrong access token")
	// ErrNoRoute: no such API path (or not in canonical form).
	ErrNoRoute = errors.New("no such route")
	// ErrBadMethod: an API path that exists, with another method.
	ErrBadMethod = errors.New("method not allowed")
	// ErrWrongRole: an action of another role (a courier action on a
	// customer node, or the reverse).
	ErrWrongRole = errors.New("not an action of this node's role")
	// ErrNotOfferedYet: a claim of a job the courier does not see yet: couriers
	// on shift see it first (the job board rule, SPEC.md §21.2).
	ErrNotOfferedYet = errors.New("couriers on shift see this job first")
	// ErrOffline: the call needs the network and no peer is reachable.
	ErrOffline = errors.New("offline")
	// ErrAlreadyRunning: a node already runs on the data folder (the CLI's
	// run lock is held).
	ErrAlreadyRunning = errors.New("a node already runs on this data folder")

	// Payments (SPEC.md §20.3).

	// ErrPaymentsOff: this node has no payment provider account (the
	// restaurant sets one with coopnode payments account).
	ErrPaymentsOff = errors.New("no online payment account on this node")
	// ErrPaymentProvider: the payment provider failed or refused the call.
	ErrPaymentProvider = errors.New("the payment provider failed")
	// ErrPaymentDeclined: the customer's payment was declined.
	ErrPaymentDeclined = errors.New("the payment was declined")
	// ErrWebhookSignature: a webhook whose signature does not verify.
	ErrWebhookSignature = errors.New("the webhook's signature does not verify")
	// ErrWebhookReplayed: a webhook already processed, or signed too long
	// ago (more than 300 s from this node's clock).
	ErrWebhookReplayed = errors.New("the webhook was replayed or is too old")
)

// RefusedError is a refusal by the rules: the fold's authority and state
// checks (a crdt reason such as "pin_mismatch"), the gate's (a protocol
// reason), checkout's and document validation's (a market code such as
// "outside_zone" or "bad_timezone"). errors.Is(err, ErrRefused) holds for
// every *RefusedError, and errors.Is / errors.As reach its cause (a
// *market.Refusal, say) too. Code(err) is Reason.
type RefusedError struct {
	// Kind is what was refused: an event kind ("task.deliver",
	// "catalog.menu") or an action ("checkout", "quote").
	Kind string
	// Reason is the refusal's code, one of the table in codes.go.
	Reason string
	// Field is the field at fault in a refused document or request, in
	// JSON path form ("hours[1]", "sections[0].products[2].price_cents"),
	// or "".
	Field string
	// Detail says precisely what is wrong, for people; may be "".
	Detail string
	// Err is the cause, or nil.
	Err error
}

// Error reads "<kind> refused: [<field>: ]<detail>", the detail defaulting
// to the reason's description.
func (e *RefusedError) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind)
	b.WriteString(" refused: ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	switch {
	case e.Detail != "":
		b.WriteString(e.Detail)
	case Describe(e.Reason) != "":
		b.WriteString(Describe(e.Reason) + " (" + e.Reason + ")")
	default:
		b.WriteString(e.Reason)
	}
	return b.String()
}

// plainError reads as its message alone, for a person, yet matches its
// sentinel (and so its code) with errors.Is: no "node: bad argument: "
// prefix in what a user reads.
type plainError struct {
	msg  string
	kind error
}

func (e plainError) Error() string { return e.msg }
func (e plainError) Unwrap() error { return e.kind }

// errorf makes a plainError of kind.
func errorf(kind error, format string, args ...any) error {
	return plainError{fmt.Sprintf(format, args...), kind}
}

// Unwrap gives ErrRefused and the cause.
func (e *RefusedError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrRefused}
	}
	return []error{ErrRefused, e.Err}
}

// refused builds a refusal of kind for reason, with an optional detail.
func refused(kind fmt.Stringer, reason string, detail string) *RefusedError {
	return &RefusedError{Kind: kind.String(), Reason: reason, Detail: detail}
}
