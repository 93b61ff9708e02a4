package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Card exchange (SPEC.md §22.5): cards are gossip, so a node that follows
// a city after a card was published would miss it until its admin
// published again. Instead, when a node sees a peer join its city's topic,
// it opens a stream to that peer, writes the city ID (§22.1) and closes
// its side; the peer answers with the cards it holds for that city and
// closes. Any node that follows the city can answer: cards certify
// themselves (§22.2), so whoever carries them needs no trust.
//
//	request  = the 16 ASCII characters of the city ID
//	response = count : u8 (0..MaxCardsAnswer) || count × card
//	card     = length : uvarint (minimal, 1..MaxCardSize) || wire card
//
// Each message is read whole (at most MaxCardsMessage bytes).

// CardsProtocolID is the libp2p stream protocol of card exchange.
const CardsProtocolID = "/coopnode/cards/1"

// Limits of card exchange (SPEC.md §22.5).
const (
	MaxCardsAnswer  = 64
	MaxCardsMessage = 1 + MaxCardsAnswer*(2+MaxCardSize)
	cityIDLen       = 16
)

// ErrBadCards is returned for a malformed card-exchange message.
var ErrBadCards = errors.New("protocol: bad card exchange message")

// DecodeCardsRequest checks a request and returns the city ID it names.
func DecodeCardsRequest(b []byte) (string, error) {
	if len(b) != cityIDLen {
		return "", fmt.Errorf("%w: request of %d bytes, want the %d characters of a city ID", ErrBadCards, len(b), cityIDLen)
	}
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return "", fmt.Errorf("%w: the city ID is not lower-case hex", ErrBadCards)
		}
	}
	return string(b), nil
}

// AppendCards appends an answer carrying the wire cards raws.
func AppendCards(dst []byte, raws [][]byte) ([]byte, error) {
	if len(raws) > MaxCardsAnswer {
		return dst, fmt.Errorf("%w: %d cards, at most %d", ErrBadCards, len(raws), MaxCardsAnswer)
	}
	dst = append(dst, byte(len(raws)))
	for _, r := range raws {
		if len(r) == 0 || len(r) > MaxCardSize {
			return dst, fmt.Errorf("%w: a card of %d bytes (want 1..%d)", ErrBadCards, len(r), MaxCardSize)
		}
		dst = binary.AppendUvarint(dst, uint64(len(r)))
		dst = append(dst, r...)
	}
	return dst, nil
}

// DecodeCards decodes an answer into its wire cards, which alias b. It
// checks the framing only: each card is then opened (OpenCard) and
// validated on its own (§22.3).
func DecodeCards(b []byte) ([][]byte, error) {
	if len(b) > MaxCardsMessage {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrBadCards, len(b), MaxCardsMessage)
	}
	r := peersReader{b}
	count, err := r.u8("count")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadCards, err)
	}
	if count > MaxCardsAnswer {
		return nil, fmt.Errorf("%w: %d cards, at most %d", ErrBadCards, count, MaxCardsAnswer)
	}
	out := make([][]byte, 0, count)
	for range count {
		c, err := r.blob(MaxCardSize, "card")
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadCards, err)
		}
		out = append(out, c)
	}
	if err := r.end(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadCards, err)
	}
	return out, nil
}
