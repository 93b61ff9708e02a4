package crdt

import (
	"bytes"
	"encoding/hex"
	"errors"
)

// ID is the SHA-256 of an event's canonical unsigned encoding (SPEC.md §3.2).
// Order and cooperative scopes are named by the ID of their root event.
type ID [32]byte

// PubKey is a raw 32-byte Ed25519 public key: a device's libp2p identity or a
// member's identity key.
type PubKey [32]byte

// IsZero reports whether id is all zero bytes (no ID).
func (id ID) IsZero() bool { return id == ID{} }

// String returns the lowercase hex form.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// Short returns the first 8 hex characters, for logs and timelines.
func (id ID) Short() string { return hex.EncodeToString(id[:4]) }

// Compare orders IDs bytewise.
func (id ID) Compare(o ID) int { return bytes.Compare(id[:], o[:]) }

// IsZero reports whether k is all zero bytes.
func (k PubKey) IsZero() bool { return k == PubKey{} }

// String returns the lowercase hex form.
func (k PubKey) String() string { return hex.EncodeToString(k[:]) }

// Short returns the first 8 hex characters.
func (k PubKey) Short() string { return hex.EncodeToString(k[:4]) }

// ParseID parses 64 hex characters.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 64 {
		return id, ErrBadHex
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, ErrBadHex
	}
	return id, nil
}

// ParsePubKey parses 64 hex characters.
func ParsePubKey(s string) (PubKey, error) {
	id, err := ParseID(s)
	return PubKey(id), err
}

// ErrBadHex is returned by ParseID and ParsePubKey for input that is not 64
// hex characters.
var ErrBadHex = errors.New("crdt: want 64 hex characters")

// Event is a verified, decoded event (SPEC.md §3). Package protocol builds it
// from signed bytes; tests may build it directly.
type Event struct {
	ID      ID
	Coop    ID // the cooperative; zero only for a coop genesis
	Scope   ID // zero for roots (coop genesis, order place); see ScopeOf
	Kind    Kind
	Author  PubKey
	Parents []ID // sorted ascending, unique
	Lamport uint64
	Wall    int64 // author's wall clock, milliseconds since the Unix epoch
	Body    Payload
}

// Before is the total order in which causal logs are folded: Lamport clock
// first, then ID bytewise (SPEC.md §4.3).
func (e *Event) Before(o *Event) bool {
	if e.Lamport != o.Lamport {
		return e.Lamport < o.Lamport
	}
	return e.ID.Compare(o.ID) < 0
}

// ScopeID returns the scope the event belongs to: its Scope field, or its own
// ID for roots (a genesis names its coop, a place names its order).
func (e *Event) ScopeID() ID {
	if e.Kind == KindCoopGenesis || e.Kind == KindOrderPlace {
		return e.ID
	}
	return e.Scope
}

// Position is a point in integer microdegrees (SPEC.md §5.1): no floats ever
// enter an event, so encodings and computations are identical everywhere.
type Position struct {
	LatE6 int32 `cbor:"1,keyasint,omitempty" json:"lat_e6"`
	LonE6 int32 `cbor:"2,keyasint,omitempty" json:"lon_e6"`
}

// IsZero reports whether p is unset.
func (p Position) IsZero() bool { return p == Position{} }

// Valid reports whether p is on the globe.
func (p Position) Valid() bool {
	return p.LatE6 >= -90_000_000 && p.LatE6 <= 90_000_000 &&
		p.LonE6 >= -180_000_000 && p.LonE6 <= 180_000_000
}

// Sentinel errors of the package.
var (
	// ErrUnknownKind is returned for a kind number with no payload type.
	ErrUnknownKind = errors.New("crdt: unknown event kind")
	// ErrWrongBody is returned when an Event's Body does not match its Kind.
	ErrWrongBody = errors.New("crdt: body does not match kind")
)

// MarshalText encodes an ID as hex, for JSON APIs.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText parses hex.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// MarshalText encodes a key as hex, for JSON APIs.
func (k PubKey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses hex.
func (k *PubKey) UnmarshalText(b []byte) error {
	v, err := ParsePubKey(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}
