package protocol

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"slices"

	"github.com/coopnode/coopnode/crdt"
	"github.com/hdevalence/ed25519consensus"
)

// SignDomain prefixes the event ID in the signed message (SPEC.md §3.3):
// Ed25519 signs SignDomain || ID, so a coopnode event signature can never be
// mistaken for a signature over anything else the same key signs.
const SignDomain = "coopnode/event/v1\x00"

// Draft is an event before signing: everything but the author, which the
// key gives, and the ID, which the encoding gives.
type Draft struct {
	Coop, Scope crdt.ID
	Kind        crdt.Kind
	Parents     []crdt.ID // any order; Seal sorts them and drops repeats
	Lamport     uint64
	Wall        int64 // ms since the Unix epoch; must not be negative
	Body        crdt.Payload
}

// PubKeyOf returns the public key of an Ed25519 private key, or the zero
// key if priv has the wrong length.
func PubKeyOf(priv ed25519.PrivateKey) crdt.PubKey {
	var k crdt.PubKey
	if len(priv) == ed25519.PrivateKeySize {
		copy(k[:], priv[ed25519.SeedSize:])
	}
	return k
}

// EventID returns the ID of a body: its SHA-256 (SPEC.md §3.2).
func EventID(body []byte) crdt.ID { return sha256.Sum256(body) }

// signingMessage is SignDomain || id (SPEC.md §3.3).
func signingMessage(id crdt.ID) []byte {
	msg := make([]byte, 0, len(SignDomain)+len(id))
	msg = append(msg, SignDomain...)
	return append(msg, id[:]...)
}

// Seal signs a draft: it fills Author from the key, sorts the parents and
// drops repeats, encodes the body, computes the ID and signs it. It returns
// the event exactly as Decode will return it from the wire bytes, and the
// wire bytes. The returned event shares no memory with the draft.
//
// Seal checks what the encoding depends on (known kind, matching payload,
// limits, MaxParents, size, a non-negative wall clock), so whatever it seals
// decodes. It does not check scope rules, causality or authority: that is
// crdt's Precheck, which Validate runs in ModeLocal.
func Seal(priv ed25519.PrivateKey, d Draft) (*crdt.Event, []byte, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, nil, fmt.Errorf("%w: %d bytes, want %d", ErrBadKey, len(priv), ed25519.PrivateKeySize)
	}
	parents := slices.Clone(d.Parents)
	slices.SortFunc(parents, crdt.ID.Compare)
	parents = slices.Compact(parents)
	if len(parents) == 0 {
		parents = nil
	}
	draft := &crdt.Event{
		Coop:    d.Coop,
		Scope:   d.Scope,
		Kind:    d.Kind,
		Author:  PubKeyOf(priv),
		Parents: parents,
		Lamport: d.Lamport,
		Wall:    d.Wall,
		Body:    d.Body,
	}
	body, err := encodeBody(draft)
	if err != nil {
		return nil, nil, err
	}
	if n, limit := len(body)+envelopeOverhead(len(body)), SizeLimit(d.Kind); n > limit {
		return nil, nil, fmt.Errorf("%w: %d-byte %s event, limit %d", ErrOversized, n, d.Kind, limit)
	}
	// Decoding our own encoding gives the event Decode will give (nil, not
	// empty, slices; a payload of our own) and proves Seal's output decodes.
	e, err := decodeBody(body, 0)
	if err != nil {
		return nil, nil, err
	}
	e.ID = EventID(body)
	sig := ed25519.Sign(priv, signingMessage(e.ID))
	return e, buildEnvelope(body, sig), nil
}

// envelopeOverhead is what the envelope adds to a body of n bytes.
func envelopeOverhead(n int) int {
	return len(appendHead(nil, majorArray, 2)) + len(appendHead(nil, majorBytes, uint64(n))) +
		len(appendHead(nil, majorBytes, SignatureSize)) + SignatureSize
}

// Decode parses a wire event and verifies it, in this order: size (before
// any decoding), envelope, body (canonical form, version, known kind, the
// kind's size limit, at most MaxParents strictly ascending parents, field
// limits, payload), then the signature. It returns the event with its ID.
//
// Decode does not check scope rules, causality, authority or clocks: see
// Validate.
//
// The signature check follows ZIP-215 (SPEC.md §3.3), so Decode and
// DecodeBatch accept exactly the same events.
func Decode(raw []byte) (*crdt.Event, error) {
	e, sig, err := decodeUnverified(raw)
	if err != nil {
		return nil, err
	}
	if err := verifyEvent(e, sig); err != nil {
		return nil, err
	}
	return e, nil
}

// decodeUnverified is Decode without the signature check: it returns the
// event with its ID and the signature (aliasing raw) still to verify.
func decodeUnverified(raw []byte) (*crdt.Event, []byte, error) {
	body, sig, err := splitEnvelope(raw)
	if err != nil {
		return nil, nil, err
	}
	e, err := decodeBody(body, len(raw))
	if err != nil {
		return nil, nil, err
	}
	e.ID = EventID(body)
	return e, sig, nil
}

// verifyEvent checks sig against the event's author and ID under ZIP-215
// rules (SPEC.md §3.3): ed25519consensus.Verify, cofactored, the same
// equation the batch check uses, so one event gets one answer whichever
// path checks it.
func verifyEvent(e *crdt.Event, sig []byte) error {
	if !ed25519consensus.Verify(ed25519.PublicKey(e.Author[:]), signingMessage(e.ID), sig) {
		return badSignature(e)
	}
	return nil
}

// badSignature is the error of an event whose signature does not verify.
func badSignature(e *crdt.Event) error {
	return fmt.Errorf("%w: %s %s by %s", ErrBadSignature, e.Kind, e.ID.Short(), e.Author.Short())
}

// ID returns the event ID of wire bytes cheaply: it checks the size bound
// and the envelope, and hashes the body, but neither decodes the body nor
// verifies the signature. Use it to deduplicate before Validate (for
// example as a gossip message ID); only Decode and Validate say the event is
// valid.
func ID(raw []byte) (crdt.ID, error) {
	body, _, err := splitEnvelope(raw)
	if err != nil {
		return crdt.ID{}, err
	}
	return EventID(body), nil
}
