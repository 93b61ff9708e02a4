package protocol

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the package returns wraps one of these, so
// callers test with errors.Is, and ReasonOf maps them to a Reason.
// ErrUnknownField and ErrUnsortedParents are refinements: they wrap the
// class they belong to.
var (
	// ErrOversized: the wire bytes exceed SizeLimit for their kind, or a
	// field or list exceeds its limit (SPEC.md §9). Reason "oversized".
	ErrOversized = errors.New("protocol: event too large")

	// ErrMalformed: the bytes are not a v1 event: not well-formed CBOR, the
	// wrong shape or types, a field of the wrong length, a missing field,
	// trailing bytes, duplicate map keys, indefinite lengths, tags, or an
	// unsupported version. Reason "malformed".
	ErrMalformed = errors.New("protocol: malformed event")

	// ErrUnknownField: a map holds a key that v1 does not define. It wraps
	// ErrMalformed.
	ErrUnknownField = fmt.Errorf("%w: unknown field", ErrMalformed)

	// ErrNonCanonical: the bytes decode, but are not the one deterministic
	// encoding of what they hold (unsorted keys, non-shortest integers or
	// lengths, explicit zero values, ...). Reason "non_canonical".
	ErrNonCanonical = errors.New("protocol: non-canonical encoding")

	// ErrUnsortedParents: parents are not strictly ascending (unsorted or
	// repeated). It wraps ErrNonCanonical.
	ErrUnsortedParents = fmt.Errorf("%w: parents not strictly ascending", ErrNonCanonical)

	// ErrUnknownKind: the kind number has no payload type in this version.
	// Reason "unknown_kind".
	ErrUnknownKind = errors.New("protocol: unknown event kind")

	// ErrTooManyParents: more than MaxParents parents. Reason
	// "too_many_parents".
	ErrTooManyParents = errors.New("protocol: too many parents")

	// ErrBadSignature: the signature does not verify under the author key.
	// Reason "bad_signature".
	ErrBadSignature = errors.New("protocol: bad signature")

	// ErrSmallOrderKey: the author, or a key the payload admits (a genesis
	// admin, an admitted member, a linked device), is one of the 14
	// encodings of the 8 small-order points, which sign anything under
	// ZIP-215 (SPEC.md §3.3). Reason "small_order_key".
	ErrSmallOrderKey = errors.New("protocol: small-order key")

	// ErrClockSkew: the event's wall clock is further ahead of ours than
	// MaxClockSkew. Reason "clock_skew".
	ErrClockSkew = errors.New("protocol: event from the future")

	// ErrStale: a gossiped event older than MaxGossipAge, or a replaceable
	// document older than the version held. Reason "stale".
	ErrStale = errors.New("protocol: stale event")

	// ErrDuplicate: the view already holds the event. Reason "duplicate".
	ErrDuplicate = errors.New("protocol: duplicate event")

	// ErrDenied: the view's state checks (crdt Precheck: scope, causality,
	// authority; SPEC.md §6.3) rejected the event. The Result's Reason is
	// the crdt reason.
	ErrDenied = errors.New("protocol: event denied by state checks")

	// ErrNotYet: the view's state checks refused the event for a reason an
	// honest sender's state can disagree with (our own lag, LagView, or the
	// arrival order at a cap): the verdict is Ignore, not Reject, and the
	// Result's Reason is the crdt reason. It wraps ErrDenied.
	ErrNotYet = fmt.Errorf("%w (ignored: may be judged otherwise later or elsewhere)", ErrDenied)

	// ErrInternal: the view misbehaved (panicked or returned an unknown
	// status). The event is ignored, not held against the sender. Reason
	// "internal".
	ErrInternal = errors.New("protocol: internal error in view")

	// ErrBadKey: Seal was given a private key of the wrong length.
	ErrBadKey = errors.New("protocol: bad private key")

	// ErrWrongBody: a payload is nil, or not the payload type of the kind.
	ErrWrongBody = errors.New("protocol: body does not match kind")

	// ErrInvalidDraft: a draft cannot be encoded (a negative wall clock).
	ErrInvalidDraft = errors.New("protocol: invalid draft")
)
