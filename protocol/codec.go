package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"

	"github.com/coopnode/coopnode/crdt"
	"github.com/fxamacker/cbor/v2"
)

// Version is the body format version, body key 1 (SPEC.md §3.1).
const Version = 1

// Body map keys (SPEC.md §3.1). Key order in the encoding is ascending, as
// deterministic CBOR requires; zero values are omitted, except the payload,
// which is always present (an empty payload is the empty map 0xa0).
const (
	keyVersion = 1 // uint, = Version
	keyCoop    = 2 // bstr 32; omitted for coop.genesis
	keyScope   = 3 // bstr 32; omitted for roots (coop.genesis, order.place)
	keyKind    = 4 // uint
	keyAuthor  = 5 // bstr 32, Ed25519 public key
	keyParents = 6 // array of bstr 32, strictly ascending; omitted if empty
	keyLamport = 7 // uint
	keyWall    = 8 // uint, ms since the Unix epoch
	keyPayload = 9 // map, the kind's payload
)

// wireBodyOut is the body as encoded. ID and PubKey values travel as byte
// strings: nil for a zero ID, so that omitempty omits it.
type wireBodyOut struct {
	V       uint64   `cbor:"1,keyasint,omitempty"`
	Coop    []byte   `cbor:"2,keyasint,omitempty"`
	Scope   []byte   `cbor:"3,keyasint,omitempty"`
	Kind    uint64   `cbor:"4,keyasint,omitempty"`
	Author  []byte   `cbor:"5,keyasint"`
	Parents [][]byte `cbor:"6,keyasint,omitempty"`
	Lamport uint64   `cbor:"7,keyasint,omitempty"`
	Wall    uint64   `cbor:"8,keyasint,omitempty"`
	Payload any      `cbor:"9,keyasint"`
}

// wireBodyIn is the body as first decoded: the payload stays raw until the
// kind is known.
type wireBodyIn struct {
	V       uint64          `cbor:"1,keyasint,omitempty"`
	Coop    []byte          `cbor:"2,keyasint,omitempty"`
	Scope   []byte          `cbor:"3,keyasint,omitempty"`
	Kind    uint64          `cbor:"4,keyasint,omitempty"`
	Author  []byte          `cbor:"5,keyasint"`
	Parents [][]byte        `cbor:"6,keyasint,omitempty"`
	Lamport uint64          `cbor:"7,keyasint,omitempty"`
	Wall    uint64          `cbor:"8,keyasint,omitempty"`
	Payload cbor.RawMessage `cbor:"9,keyasint"`
}

// The CBOR modes are built once and are immutable, so sharing them between
// goroutines is safe.
var (
	encMode = mustEncMode()
	decMode = mustDecMode()
)

// mustEncMode: RFC 8949 §4.2.1 core deterministic encoding (SPEC.md §3.1).
// Fixed-size byte arrays (crdt.ID, crdt.PubKey inside payloads) encode as
// byte strings, not arrays of integers. encoding.TextMarshaler and
// BinaryMarshaler methods are ignored: crdt types carry them for JSON and
// APIs, and they must never change the wire format.
func mustEncMode() cbor.EncMode {
	o := cbor.CoreDetEncOptions()
	o.ByteArray = cbor.ByteArrayToByteSlice
	o.IndefLength = cbor.IndefLengthForbidden
	o.TagsMd = cbor.TagsForbidden
	o.BinaryMarshaler = cbor.BinaryMarshalerNone
	o.TextMarshaler = cbor.TextMarshalerNone
	em, err := o.EncMode()
	if err != nil {
		panic("protocol: bad CBOR encoding options: " + err.Error()) // unreachable: fixed options
	}
	return em
}

// mustDecMode: strict decoding (SPEC.md §3.1). What it lets through is then
// held to the re-encoding check.
func mustDecMode() cbor.DecMode {
	dm, err := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		MaxNestedLevels:   maxNesting,
		MaxArrayElements:  MaxListLen,
		MaxMapPairs:       maxMapPairs,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		UTF8:              cbor.UTF8RejectInvalid,
		BinaryUnmarshaler: cbor.BinaryUnmarshalerNone,
		TextUnmarshaler:   cbor.TextUnmarshalerNone,
	}.DecMode()
	if err != nil {
		panic("protocol: bad CBOR decoding options: " + err.Error()) // unreachable: fixed options
	}
	return dm
}

// decodeErr turns a CBOR library error into one of the package's sentinels.
func decodeErr(what string, err error) error {
	var unknown *cbor.UnknownFieldError
	var tooLong *cbor.MaxArrayElementsError
	switch {
	case errors.As(err, &unknown):
		return fmt.Errorf("%w: %s: %v", ErrUnknownField, what, err)
	case errors.As(err, &tooLong):
		return fmt.Errorf("%w: %s: %v", ErrOversized, what, err)
	}
	return fmt.Errorf("%w: %s: %v", ErrMalformed, what, err)
}

// EncodePayload returns the canonical encoding of a payload alone: the value
// of body key 9 (SPEC.md §5).
func EncodePayload(p crdt.Payload) ([]byte, error) {
	if err := checkPayload(p); err != nil {
		return nil, err
	}
	if err := checkLimits(p); err != nil {
		return nil, err
	}
	b, err := encMode.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWrongBody, err)
	}
	return b, nil
}

// DecodePayload decodes a payload of kind k from its canonical encoding,
// with the same strictness as Decode: limits, no unknown fields, and bytes
// that re-encode to themselves.
func DecodePayload(k crdt.Kind, b []byte) (crdt.Payload, error) {
	if !k.Known() {
		return nil, fmt.Errorf("%w: %d", ErrUnknownKind, k)
	}
	if len(b) > SizeLimit(k) {
		return nil, fmt.Errorf("%w: %d-byte payload, limit %d", ErrOversized, len(b), SizeLimit(k))
	}
	p, err := unmarshalPayload(k, b)
	if err != nil {
		return nil, err
	}
	again, err := encMode.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("%w: re-encoding %s payload: %v", ErrMalformed, k, err)
	}
	if !bytes.Equal(again, b) {
		return nil, fmt.Errorf("%w: %s payload differs from its canonical form at byte %d", ErrNonCanonical, k, firstDiff(again, b))
	}
	return p, nil
}

// unmarshalPayload decodes a payload of a known kind and checks its limits.
// Canonical form is left to the caller's re-encoding check.
func unmarshalPayload(k crdt.Kind, b []byte) (crdt.Payload, error) {
	p, err := crdt.NewPayload(k)
	if err != nil {
		return nil, fmt.Errorf("%w: %d", ErrUnknownKind, k)
	}
	if err := decMode.Unmarshal(b, p); err != nil {
		return nil, decodeErr(k.String()+" payload", err)
	}
	if err := checkLimits(p); err != nil {
		return nil, err
	}
	return p, nil
}

// checkPayload reports whether p is a non-nil payload of the exact Go type
// crdt uses for its kind.
func checkPayload(p crdt.Payload) error {
	if p == nil {
		return fmt.Errorf("%w: nil payload", ErrWrongBody)
	}
	v := reflect.ValueOf(p)
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return fmt.Errorf("%w: nil %T", ErrWrongBody, p)
	}
	want, err := crdt.NewPayload(p.Kind())
	if err != nil {
		return fmt.Errorf("%w: %d", ErrUnknownKind, p.Kind())
	}
	if reflect.TypeOf(want) != v.Type() {
		return fmt.Errorf("%w: %T is not the payload of %s", ErrWrongBody, p, p.Kind())
	}
	return nil
}

// idBytes returns a 32-byte key as a byte string, or nil for the zero value.
func idBytes(id [32]byte) []byte {
	if id == ([32]byte{}) {
		return nil
	}
	return id[:]
}

// encodeBody encodes an event's body after checking what encoding depends
// on: a known kind, a matching payload, the payload limits, at most
// MaxParents strictly ascending parents and a non-negative wall clock.
func encodeBody(e *crdt.Event) ([]byte, error) {
	if !e.Kind.Known() {
		return nil, fmt.Errorf("%w: %d", ErrUnknownKind, e.Kind)
	}
	if err := checkPayload(e.Body); err != nil {
		return nil, err
	}
	if e.Body.Kind() != e.Kind {
		return nil, fmt.Errorf("%w: %s body for a %s event", ErrWrongBody, e.Body.Kind(), e.Kind)
	}
	if err := checkLimits(e.Body); err != nil {
		return nil, err
	}
	if len(e.Parents) > MaxParents {
		return nil, fmt.Errorf("%w: %d, limit %d", ErrTooManyParents, len(e.Parents), MaxParents)
	}
	for i := 1; i < len(e.Parents); i++ {
		if e.Parents[i-1].Compare(e.Parents[i]) >= 0 {
			return nil, ErrUnsortedParents
		}
	}
	if e.Wall < 0 {
		return nil, fmt.Errorf("%w: negative wall clock %d", ErrInvalidDraft, e.Wall)
	}
	return marshalBody(e)
}

// marshalBody encodes a body without checks.
func marshalBody(e *crdt.Event) ([]byte, error) {
	w := wireBodyOut{
		V:       Version,
		Coop:    idBytes(e.Coop),
		Scope:   idBytes(e.Scope),
		Kind:    uint64(e.Kind),
		Author:  e.Author[:],
		Lamport: e.Lamport,
		Wall:    uint64(e.Wall),
		Payload: e.Body,
	}
	if len(e.Parents) > 0 {
		w.Parents = make([][]byte, len(e.Parents))
		for i := range e.Parents {
			w.Parents[i] = e.Parents[i][:]
		}
	}
	b, err := encMode.Marshal(&w)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding body: %v", ErrWrongBody, err)
	}
	return b, nil
}

// key32 converts an optional 32-byte field: absent is the zero value.
func key32(name string, b []byte) ([32]byte, error) {
	var out [32]byte
	switch len(b) {
	case 0:
		return out, nil
	case 32:
		copy(out[:], b)
		return out, nil
	}
	return out, fmt.Errorf("%w: %s is %d bytes, want 32", ErrMalformed, name, len(b))
}

// decodeBody decodes and checks a body (SPEC.md §3.1). wireLen is the size
// of the whole wire event, held to the kind's SizeLimit. The returned event
// has no ID.
func decodeBody(b []byte, wireLen int) (*crdt.Event, error) {
	return decodeBodyAs(b, wireLen, true)
}

// decodeBodyAs is decodeBody; canonical false skips the re-encoding that
// checks the body is in canonical form, for bytes this node checked
// before (DecodeTrusted).
func decodeBodyAs(b []byte, wireLen int, canonical bool) (*crdt.Event, error) {
	var w wireBodyIn
	if err := decMode.Unmarshal(b, &w); err != nil {
		return nil, decodeErr("body", err)
	}
	if w.V != Version {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrMalformed, w.V, Version)
	}
	if w.Kind > math.MaxUint16 || !crdt.Kind(w.Kind).Known() {
		return nil, fmt.Errorf("%w: %d", ErrUnknownKind, w.Kind)
	}
	k := crdt.Kind(w.Kind)
	if limit := SizeLimit(k); wireLen > limit {
		return nil, fmt.Errorf("%w: %d-byte %s event, limit %d", ErrOversized, wireLen, k, limit)
	}
	if len(w.Parents) > MaxParents {
		return nil, fmt.Errorf("%w: %d, limit %d", ErrTooManyParents, len(w.Parents), MaxParents)
	}
	e := &crdt.Event{Kind: k, Lamport: w.Lamport}
	var err error
	if e.Coop, err = key32("coop", w.Coop); err != nil {
		return nil, err
	}
	if e.Scope, err = key32("scope", w.Scope); err != nil {
		return nil, err
	}
	if len(w.Author) != 32 {
		return nil, fmt.Errorf("%w: author is %d bytes, want 32", ErrMalformed, len(w.Author))
	}
	copy(e.Author[:], w.Author)
	if e.Author.IsZero() {
		return nil, fmt.Errorf("%w: zero author key", ErrMalformed)
	}
	if e.Author.SmallOrder() {
		return nil, fmt.Errorf("%w: author %s", ErrSmallOrderKey, e.Author)
	}
	if len(w.Parents) > 0 {
		e.Parents = make([]crdt.ID, len(w.Parents))
		for i, p := range w.Parents {
			if len(p) != 32 {
				return nil, fmt.Errorf("%w: parent %d is %d bytes, want 32", ErrMalformed, i, len(p))
			}
			copy(e.Parents[i][:], p)
			if i > 0 && e.Parents[i-1].Compare(e.Parents[i]) >= 0 {
				return nil, fmt.Errorf("%w: parent %d", ErrUnsortedParents, i)
			}
		}
	}
	if w.Wall > math.MaxInt64 {
		return nil, fmt.Errorf("%w: wall clock %d out of range", ErrMalformed, w.Wall)
	}
	e.Wall = int64(w.Wall)
	if w.Payload == nil {
		return nil, fmt.Errorf("%w: no payload", ErrMalformed)
	}
	if e.Body, err = unmarshalPayload(k, w.Payload); err != nil {
		return nil, err
	}
	for _, a := range crdt.AdmittedKeys(e.Body) {
		if a.SmallOrder() {
			return nil, fmt.Errorf("%w: %s admits %s", ErrSmallOrderKey, k, a)
		}
	}
	if !canonical {
		return e, nil
	}
	again, err := marshalBody(e)
	if err != nil {
		return nil, fmt.Errorf("%w: re-encoding body: %v", ErrMalformed, err)
	}
	if !bytes.Equal(again, b) {
		return nil, fmt.Errorf("%w: body differs from its canonical form at byte %d", ErrNonCanonical, firstDiff(again, b))
	}
	return e, nil
}

// firstDiff returns the index of the first byte where a and b differ.
func firstDiff(a, b []byte) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
