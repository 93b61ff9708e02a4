package protocol

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/coopnode/coopnode/crdt"
	"github.com/hdevalence/ed25519consensus"
)

// Live tracking (SPEC.md §16.11). A courier's position is not an event: it
// is never stored in any log, it goes stale in seconds, and only the parties
// of the order may read it. A Track message carries the position sealed
// separately to each party; it is signed by the courier's device so that
// relays can check who sent it before forwarding, and it travels on the
// coop's tracking topic.

// Tracking limits (SPEC.md §16.11).
const (
	MaxTrackSize  = 1024
	MaxTrackBoxes = 4
	// TrackMaxAge is how old a Track may be when received; older ones are
	// ignored (a position is only worth its freshness).
	TrackMaxAge = 2 * 60_000
	// TrackEvery is the least interval between two Tracks of one courier
	// for one order; receivers ignore faster ones.
	TrackEvery = 4_000
)

// Track is one position update of a courier for one order.
type Track struct {
	Order   crdt.ID     `cbor:"1,keyasint,omitempty,omitzero"`
	Courier crdt.PubKey `cbor:"2,keyasint,omitempty,omitzero"` // the signing device key
	Seq     uint64      `cbor:"3,keyasint,omitempty"`
	Wall    int64       `cbor:"4,keyasint,omitempty"`
	Boxes   [][]byte    `cbor:"5,keyasint,omitempty"` // the position, sealed to each party
}

// ErrBadTrack is returned for a malformed or wrongly signed Track.
var ErrBadTrack = errors.New("protocol: bad track message")

const trackDomain = "coopnode/track/v1\x00"

// TopicTracking is the coop's topic for Track messages, "…/t" (SPEC.md
// §10.1, §16.11).
func TopicTracking(coop crdt.ID) string { return topicBase(coop) + "t" }

// SealTrack encodes and signs a Track: wire = [body bstr, sig bstr 64],
// the signature over trackDomain || SHA-256(body).
func SealTrack(priv ed25519.PrivateKey, t Track) ([]byte, error) {
	t.Courier = PubKeyOf(priv)
	if len(t.Boxes) == 0 || len(t.Boxes) > MaxTrackBoxes {
		return nil, fmt.Errorf("%w: %d boxes", ErrBadTrack, len(t.Boxes))
	}
	body, err := encMode.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadTrack, err)
	}
	h := sha256.Sum256(body)
	sig := ed25519.Sign(priv, append([]byte(trackDomain), h[:]...))
	wire, err := encMode.Marshal([][]byte{body, sig})
	if err != nil || len(wire) > MaxTrackSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadTrack, len(wire))
	}
	return wire, nil
}

// OpenTrack decodes a Track, checks its canonical form and its signature.
func OpenTrack(raw []byte) (*Track, error) {
	if len(raw) > MaxTrackSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadTrack, len(raw))
	}
	var parts [][]byte
	if err := decMode.Unmarshal(raw, &parts); err != nil || len(parts) != 2 || len(parts[1]) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: envelope", ErrBadTrack)
	}
	var t Track
	if err := decMode.Unmarshal(parts[0], &t); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadTrack, err)
	}
	if again, err := encMode.Marshal(t); err != nil || !bytes.Equal(again, parts[0]) {
		return nil, fmt.Errorf("%w: not canonical", ErrBadTrack)
	}
	if again, err := encMode.Marshal(parts); err != nil || !bytes.Equal(again, raw) {
		return nil, fmt.Errorf("%w: envelope not canonical", ErrBadTrack)
	}
	if t.Order.IsZero() || t.Courier.IsZero() || len(t.Boxes) == 0 || len(t.Boxes) > MaxTrackBoxes {
		return nil, fmt.Errorf("%w: missing fields", ErrBadTrack)
	}
	if t.Courier.SmallOrder() { // signs anything under ZIP-215 (SPEC.md §3.3)
		return nil, fmt.Errorf("%w: %w", ErrBadTrack, ErrSmallOrderKey)
	}
	h := sha256.Sum256(parts[0])
	// ZIP-215 rules, as for events (SPEC.md §3.3): every node must judge a
	// signature alike, and one rule for everything signed keeps it simple.
	if !ed25519consensus.Verify(ed25519.PublicKey(t.Courier[:]), append([]byte(trackDomain), h[:]...), parts[1]) {
		return nil, fmt.Errorf("%w: %w", ErrBadTrack, ErrBadSignature)
	}
	return &t, nil
}
