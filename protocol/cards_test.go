package protocol

import (
	"bytes"
	"errors"
	"testing"
)

// TestCardsFraming: an answer round-trips; requests and answers outside
// SPEC.md §22.5 are refused with ErrBadCards.
func TestCardsFraming(t *testing.T) {
	city := CityID("Nantes")
	if got, err := DecodeCardsRequest([]byte(city)); err != nil || got != city {
		t.Fatalf("request %q: %q %v", city, got, err)
	}
	for _, bad := range []string{"", "0123", "0123456789ABCDEF", "0123456789abcdeg", city + "0"} {
		if _, err := DecodeCardsRequest([]byte(bad)); !errors.Is(err, ErrBadCards) {
			t.Errorf("request %q: %v", bad, err)
		}
	}
	raws := [][]byte{{1, 2, 3}, bytes.Repeat([]byte{7}, 300)}
	b, err := AppendCards(nil, raws)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeCards(b)
	if err != nil || len(got) != 2 || !bytes.Equal(got[0], raws[0]) || !bytes.Equal(got[1], raws[1]) {
		t.Fatalf("round trip: %v %v", got, err)
	}
	if _, err := AppendCards(nil, [][]byte{nil}); !errors.Is(err, ErrBadCards) {
		t.Errorf("an empty card was framed: %v", err)
	}
	if _, err := AppendCards(nil, make([][]byte, MaxCardsAnswer+1)); !errors.Is(err, ErrBadCards) {
		t.Errorf("too many cards were framed: %v", err)
	}
	for name, bad := range map[string][]byte{
		"empty":          {},
		"cut short":      b[:len(b)-1],
		"trailing":       append(append([]byte(nil), b...), 0),
		"too many":       {MaxCardsAnswer + 1},
		"zero length":    {1, 0},
		"non-minimal":    {1, 0x83, 0x00, 1, 2, 3},
		"over card size": append([]byte{1}, 0x81, 0x80, 0x01),
	} {
		if _, err := DecodeCards(bad); !errors.Is(err, ErrBadCards) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzDecodeCards: no input panics DecodeCards, and what it accepts
// frames again to the same bytes.
func FuzzDecodeCards(f *testing.F) {
	good, _ := AppendCards(nil, [][]byte{{1, 2, 3}, {4}})
	f.Add(good)
	f.Add([]byte{0})
	f.Add([]byte{1, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		raws, err := DecodeCards(b)
		if err != nil {
			if !errors.Is(err, ErrBadCards) {
				t.Fatalf("error %v does not wrap ErrBadCards", err)
			}
			return
		}
		again, err := AppendCards(nil, raws)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted %x, framed again as %x (%v)", b, again, err)
		}
	})
}
