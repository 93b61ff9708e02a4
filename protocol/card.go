package protocol

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/hdevalence/ed25519consensus"

	"github.com/coopnode/coopnode/crdt"
)

// The city directory (SPEC.md §22). A coop card is not an event: it is a
// signed note a coop's founder or genesis admin publishes on the city's
// topic. It certifies itself: it carries the coop's genesis event, whose ID
// is the coop ID, so any node can check that the signer may speak for the
// coop without following the coop's log.

// MaxCardSize is the largest wire card (SPEC.md §22.2), genesis included.
const MaxCardSize = 8192

// ErrBadCard is returned for a card that does not decode, is not
// canonical, is badly signed or whose genesis does not certify its signer.
var ErrBadCard = errors.New("protocol: bad coop card")

const cardDomain = "coopnode/card/v1\x00"

// CityID is the first 16 hex characters of SHA-256("coopnode/city/v1\x00"
// || the normalized city name) (SPEC.md §22.1).
func CityID(city string) string {
	h := sha256.Sum256([]byte("coopnode/city/v1\x00" + crdt.NormalizeCity(city)))
	return hex.EncodeToString(h[:8])
}

// TopicCity is the city's directory topic, "/cn/1/city/<CityID>" (SPEC.md
// §22.1).
func TopicCity(city string) string { return "/cn/1/city/" + CityID(city) }

// SealCard signs a card with a key of the coop's founder or a genesis
// admin: wire = [body bstr, sig bstr 64, genesis bstr], the signature over
// cardDomain || SHA-256(body). genesis is the coop's genesis event, wire
// form. The card's Signer is set from priv.
func SealCard(priv ed25519.PrivateKey, c crdt.CoopCard, genesis []byte) ([]byte, error) {
	c.Signer = PubKeyOf(priv)
	if r := crdt.CheckCard(&c); r != "" {
		return nil, fmt.Errorf("%w: %s", ErrBadCard, r)
	}
	body, err := encMode.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCard, err)
	}
	h := sha256.Sum256(body)
	sig := ed25519.Sign(priv, append([]byte(cardDomain), h[:]...))
	wire, err := encMode.Marshal([][]byte{body, sig, genesis})
	if err != nil || len(wire) > MaxCardSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadCard, len(wire))
	}
	if _, _, err := OpenCard(wire); err != nil { // the genesis certifies the signer
		return nil, err
	}
	return wire, nil
}

// OpenCard decodes a card and checks, in order (SPEC.md §22.3): size,
// canonical form, fields, the signature, then that the genesis is a valid
// coop.genesis whose ID is the card's coop and whose author or one of
// whose admins is the signer. It returns the card and the SHA-256 of its
// body.
func OpenCard(raw []byte) (crdt.CoopCard, crdt.ID, error) {
	var c crdt.CoopCard
	if len(raw) > MaxCardSize {
		return c, crdt.ID{}, fmt.Errorf("%w: %d bytes", ErrBadCard, len(raw))
	}
	var parts [][]byte
	if err := decMode.Unmarshal(raw, &parts); err != nil || len(parts) != 3 || len(parts[1]) != ed25519.SignatureSize {
		return c, crdt.ID{}, fmt.Errorf("%w: envelope", ErrBadCard)
	}
	if again, err := encMode.Marshal(parts); err != nil || !bytes.Equal(again, raw) {
		return c, crdt.ID{}, fmt.Errorf("%w: envelope not canonical", ErrBadCard)
	}
	if err := decMode.Unmarshal(parts[0], &c); err != nil {
		return c, crdt.ID{}, fmt.Errorf("%w: %v", ErrBadCard, err)
	}
	if again, err := encMode.Marshal(c); err != nil || !bytes.Equal(again, parts[0]) {
		return c, crdt.ID{}, fmt.Errorf("%w: not canonical", ErrBadCard)
	}
	if r := crdt.CheckCard(&c); r != "" {
		return c, crdt.ID{}, fmt.Errorf("%w: %s", ErrBadCard, r)
	}
	if c.Signer.SmallOrder() {
		return c, crdt.ID{}, fmt.Errorf("%w: %w", ErrBadCard, ErrSmallOrderKey)
	}
	h := sha256.Sum256(parts[0])
	if !ed25519consensus.Verify(ed25519.PublicKey(c.Signer[:]), append([]byte(cardDomain), h[:]...), parts[1]) {
		return c, crdt.ID{}, fmt.Errorf("%w: %w", ErrBadCard, ErrBadSignature)
	}
	g, err := Decode(parts[2])
	if err != nil {
		return c, crdt.ID{}, fmt.Errorf("%w: genesis: %w", ErrBadCard, err)
	}
	gen, ok := g.Body.(*crdt.CoopGenesis)
	if !ok || g.ID != c.Coop {
		return c, crdt.ID{}, fmt.Errorf("%w: the genesis is not the coop's", ErrBadCard)
	}
	if g.Author != c.Signer && !containsKey(gen.Admins, c.Signer) {
		return c, crdt.ID{}, fmt.Errorf("%w: %s", ErrBadCard, crdt.ReasonCardNotAdmin)
	}
	return c, crdt.ID(h), nil
}

func containsKey(ks []crdt.PubKey, k crdt.PubKey) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}
