package protocol

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/coopnode/coopnode/crdt"
)

// Clock limits (SPEC.md §9). Walls are the author's claim; these bounds keep
// a wrong or lying clock from planting events in the future, and keep gossip
// (a live channel) from carrying history, which sync is for.
const (
	// MaxClockSkew is how far an event's wall clock may be ahead of ours,
	// in ms, in every mode (SPEC.md §9).
	MaxClockSkew = 2 * 60 * 1000
	// MaxGossipAge is how far an event's wall clock may be behind ours, in
	// ms, when it arrives by gossip (SPEC.md §9). Sync and local events
	// have no age limit.
	MaxGossipAge = 10 * 60 * 1000
)

// Verdict is what to do with received bytes. The zero Verdict is invalid,
// so that a zero Result never reads as an acceptance.
type Verdict uint8

// Verdicts, in the sense of gossipsub validation.
const (
	// Accept: valid; store (or park, if pending) and pass on.
	Accept Verdict = iota + 1
	// Reject: invalid whatever our state; drop, and hold it against the
	// peer that sent it.
	Reject
	// Ignore: not useful now (a duplicate, too old, or our own fault);
	// drop without penalty and do not pass on.
	Ignore
)

func (v Verdict) String() string {
	switch v {
	case Accept:
		return "accept"
	case Reject:
		return "reject"
	case Ignore:
		return "ignore"
	}
	return "invalid"
}

// Reason says why a Result is what it is. It is a stable string: it goes
// into logs, metrics and APIs. Besides the constants below, a Reject from
// the view carries the crdt.Reason converted, as Reason(r).
type Reason string

// Reasons of the package (SPEC.md §3, §9, §6.3).
const (
	ReasonOK             Reason = ""
	ReasonMalformed      Reason = "malformed"
	ReasonNonCanonical   Reason = "non_canonical"
	ReasonOversized      Reason = "oversized"
	ReasonBadSignature   Reason = "bad_signature"
	ReasonSmallOrderKey  Reason = Reason(crdt.ReasonSmallOrderKey)
	ReasonUnknownKind    Reason = "unknown_kind"
	ReasonTooManyParents Reason = "too_many_parents"
	ReasonClockSkew      Reason = "clock_skew"
	ReasonStale          Reason = "stale"
	ReasonDuplicate      Reason = "duplicate"
	// ReasonPending: accepted, but waiting for a dependency (a parent, the
	// scope root or the coop) before it can be applied.
	ReasonPending Reason = "pending"
	// ReasonInternal: the view panicked or answered nonsense.
	ReasonInternal Reason = "internal"
)

// ReasonOf maps an error from this package to its Reason: "" for nil, and
// ReasonMalformed for an error that wraps no sentinel of the package.
func ReasonOf(err error) Reason {
	switch {
	case err == nil:
		return ReasonOK
	case errors.Is(err, ErrOversized):
		return ReasonOversized
	case errors.Is(err, ErrUnknownKind):
		return ReasonUnknownKind
	case errors.Is(err, ErrTooManyParents):
		return ReasonTooManyParents
	case errors.Is(err, ErrNonCanonical):
		return ReasonNonCanonical
	case errors.Is(err, ErrBadSignature):
		return ReasonBadSignature
	case errors.Is(err, ErrSmallOrderKey):
		return ReasonSmallOrderKey
	case errors.Is(err, ErrClockSkew):
		return ReasonClockSkew
	case errors.Is(err, ErrStale):
		return ReasonStale
	case errors.Is(err, ErrDuplicate):
		return ReasonDuplicate
	case errors.Is(err, ErrInternal):
		return ReasonInternal
	}
	return ReasonMalformed
}

// Mode says where bytes came from, which sets the age rule.
type Mode uint8

// Modes. The zero Mode is ModeGossip, the strictest; an unknown Mode is
// treated as ModeGossip.
const (
	// ModeGossip: from a pubsub topic. Events older than MaxGossipAge are
	// ignored.
	ModeGossip Mode = iota
	// ModeSync: fetched by the sync protocol; history of any age.
	ModeSync
	// ModeLocal: our own event, checked before publishing.
	ModeLocal
)

func (m Mode) String() string {
	switch m {
	case ModeGossip:
		return "gossip"
	case ModeSync:
		return "sync"
	case ModeLocal:
		return "local"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// View is the read-only state Validate consults. *crdt.Replica satisfies
// it. Precheck must not change the view; Validate calls it at most once,
// and only for an event that passed every other check. Validate adds no
// locking: a *crdt.Replica is owned by one goroutine, so callers that
// validate concurrently (gossip validators do) must serialise Precheck.
type View interface {
	Precheck(e *crdt.Event) (crdt.Status, crdt.Reason)
}

// Result is Validate's answer. Event is set once the bytes decoded and the
// signature verified, whatever the verdict. Err is nil exactly when Verdict
// is Accept, and otherwise wraps the sentinel that explains Reason.
type Result struct {
	Verdict Verdict
	Reason  Reason
	Event   *crdt.Event
	Err     error
	// Lag: the verdict is Ignore because the view says our coop log may
	// lag the sender's (LagView); see Retry.
	Lag bool
}

// String gives "verdict[ reason][ kind id-short][: error]", for logs.
func (r Result) String() string {
	var b strings.Builder
	b.WriteString(r.Verdict.String())
	if r.Reason != ReasonOK {
		b.WriteString(" " + string(r.Reason))
	}
	if r.Event != nil {
		b.WriteString(" " + r.Event.Kind.String() + " " + r.Event.ID.Short())
	}
	if r.Err != nil {
		b.WriteString(": " + r.Err.Error())
	}
	return b.String()
}

// Validate decides what to do with wire bytes, given our clock now (ms since
// the Unix epoch), where they came from, and a read-only view of our state.
// It is pure: it changes nothing, and the same inputs give the same Result.
//
// Checks, in order:
//   - size, envelope, body, signature: Decode; any failure is a Reject with
//     the error's Reason;
//   - wall > now+MaxClockSkew: Reject, clock_skew (every mode);
//   - ModeGossip and wall < now-MaxGossipAge: Ignore, stale;
//   - view.Precheck (skipped if view is nil): Duplicate is Ignore duplicate,
//     Stale is Ignore stale, Rejected is Reject with the crdt reason (but
//     Ignore with it, and Lag set, when a LagView says our coop log may
//     lag, and Ignore for too_many_claims, which depends on arrival
//     order), Pending is Accept pending, Stored is Accept. A view that
//     panics or answers an unknown status gives Ignore internal.
func Validate(raw []byte, now int64, mode Mode, view View) Result {
	e, err := Decode(raw)
	return ValidateDecoded(e, err, now, mode, view)
}

// ValidateDecoded is Validate for bytes already decoded and verified: given
// what Decode or DecodeBatch returned for them (an event, or the error), it
// returns the Result Validate would return for the bytes, without verifying
// the signature again. A decoding error is a Reject with the error's Reason;
// an event goes through Check. Nodes use it after DecodeBatch: verify a
// frame's signatures in one batch, then check and fold the events one by
// one, each against the state the ones before it left.
func ValidateDecoded(e *crdt.Event, decodeErr error, now int64, mode Mode, view View) Result {
	if decodeErr != nil {
		return Result{Verdict: Reject, Reason: ReasonOf(decodeErr), Err: decodeErr}
	}
	return Check(e, now, mode, view)
}

// Check runs the part of Validate that follows decoding: the clock checks
// and the view's Precheck. e MUST come from Decode, DecodeBatch or Seal of
// the bytes at hand, which verified its signature; nodes use it to verify
// each message once although they look at it twice (in the gossip
// validator and when they ingest it).
func Check(e *crdt.Event, now int64, mode Mode, view View) Result {
	if e == nil {
		return Result{Verdict: Reject, Reason: ReasonMalformed, Err: fmt.Errorf("%w: no event", ErrMalformed)}
	}
	if e.Wall > satAdd(now, MaxClockSkew) {
		return Result{Verdict: Reject, Reason: ReasonClockSkew, Event: e,
			Err: fmt.Errorf("%w: wall %d, now %d, limit %d ms ahead", ErrClockSkew, e.Wall, now, MaxClockSkew)}
	}
	if mode != ModeSync && mode != ModeLocal && e.Wall < satAdd(now, -MaxGossipAge) {
		return Result{Verdict: Ignore, Reason: ReasonStale, Event: e,
			Err: fmt.Errorf("%w: gossiped wall %d, now %d, limit %d ms old", ErrStale, e.Wall, now, MaxGossipAge)}
	}
	if view == nil {
		return Result{Verdict: Accept, Event: e}
	}
	st, rs, err := precheck(view, e)
	if err != nil {
		return Result{Verdict: Ignore, Reason: ReasonInternal, Event: e, Err: err}
	}
	switch st {
	case crdt.Stored:
		return Result{Verdict: Accept, Event: e}
	case crdt.Pending:
		return Result{Verdict: Accept, Reason: ReasonPending, Event: e}
	case crdt.Duplicate:
		return Result{Verdict: Ignore, Reason: ReasonDuplicate, Event: e,
			Err: fmt.Errorf("%w: %s", ErrDuplicate, e.ID.Short())}
	case crdt.Stale:
		return Result{Verdict: Ignore, Reason: ReasonStale, Event: e,
			Err: fmt.Errorf("%w: a newer %s is held", ErrStale, e.Kind)}
	case crdt.Rejected:
		if rs == crdt.ReasonOK { // a rejection must say why: silence is the view's fault
			return Result{Verdict: Ignore, Reason: ReasonInternal, Event: e,
				Err: fmt.Errorf("%w: rejected without a reason", ErrInternal)}
		}
		if lag := mayLag(view, e, rs); lag || arrivalOrder[Reason(rs)] {
			return Result{Verdict: Ignore, Reason: Reason(rs), Event: e, Lag: lag, Err: fmt.Errorf("%w: %s", ErrNotYet, rs)}
		}
		return Result{Verdict: Reject, Reason: Reason(rs), Event: e, Err: fmt.Errorf("%w: %s", ErrDenied, rs)}
	}
	return Result{Verdict: Ignore, Reason: ReasonInternal, Event: e,
		Err: fmt.Errorf("%w: unknown status %d", ErrInternal, st)}
}

// precheck calls the view, turning a panic into ErrInternal: Validate faces
// the network, and one hostile event must not take the node down.
func precheck(view View, e *crdt.Event) (st crdt.Status, rs crdt.Reason, err error) {
	defer func() {
		if p := recover(); p != nil {
			st, rs, err = 0, "", fmt.Errorf("%w: view panicked on %s %s: %v", ErrInternal, e.Kind, e.ID.Short(), p)
		}
	}()
	st, rs = view.Precheck(e)
	return st, rs, nil
}

// satAdd returns a+b, saturated to the int64 range.
func satAdd(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	if b < 0 && a < math.MinInt64-b {
		return math.MinInt64
	}
	return a + b
}
