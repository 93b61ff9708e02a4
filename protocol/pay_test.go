package protocol

import (
	"bufio"
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestPayFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	req := PayRequest{Order: strings.Repeat("ab", 32)}
	if err := WritePayFrame(&buf, req, MaxPayRequest); err != nil {
		t.Fatal(err)
	}
	var got PayRequest
	if err := ReadPayFrame(bufio.NewReader(&buf), MaxPayRequest, &got); err != nil || got != req {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := got.OrderID(); err != nil {
		t.Fatal(err)
	}
}

// TestPayFrameRefusals: every malformed frame is ErrBadPayFrame.
func TestPayFrameRefusals(t *testing.T) {
	body := []byte(`{"order":"` + strings.Repeat("ab", 32) + `"}`)
	frame := func(n []byte, b []byte) []byte { return append(append([]byte(nil), n...), b...) }
	for name, raw := range map[string][]byte{
		"empty":           {},
		"zero length":     {0},
		"non-minimal":     {0x80 | byte(len(body)), 0},
		"too long prefix": {0xff, 0xff, 0x01},
		"over the limit":  {0x81, 0x08},
		"cut short":       frame([]byte{byte(len(body) + 5)}, body),
		"unknown field":   frame([]byte{byte(len(`{"x":1}`))}, []byte(`{"x":1}`)),
		"not json":        frame([]byte{3}, []byte("abc")),
		"trailing":        frame([]byte{byte(len(body) + 2)}, append(append([]byte(nil), body...), '{', '}')),
	} {
		var got PayRequest
		if err := ReadPayFrame(bufio.NewReader(bytes.NewReader(raw)), MaxPayRequest, &got); !errors.Is(err, ErrBadPayFrame) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, o := range []string{"", "ab", strings.Repeat("AB", 32), strings.Repeat("zz", 32)} {
		if _, err := (PayRequest{Order: o}).OrderID(); !errors.Is(err, ErrBadPayFrame) {
			t.Errorf("order %q: %v", o, err)
		}
	}
	if err := WritePayFrame(&bytes.Buffer{}, PayRequest{Order: strings.Repeat("a", 2000)}, MaxPayRequest); !errors.Is(err, ErrBadPayFrame) {
		t.Errorf("oversized write: %v", err)
	}
}

// FuzzPayFrame: the payment frame decoder never panics, and whatever it
// accepts re-encodes to a frame it accepts again with the same value.
func FuzzPayFrame(f *testing.F) {
	var buf bytes.Buffer
	_ = WritePayFrame(&buf, PayResponse{Order: strings.Repeat("ab", 32), Ref: "pi_1", ClientSecret: "pi_1_secret", AmountCents: 1950, Currency: "eur", State: "pending"}, MaxPayResponse)
	f.Add(buf.Bytes())
	f.Add([]byte{2, '{', '}'})
	f.Add([]byte{0x80, 0x01})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var got PayResponse
		if err := ReadPayFrame(bufio.NewReader(bytes.NewReader(raw)), MaxPayResponse, &got); err != nil {
			return
		}
		var again bytes.Buffer
		if err := WritePayFrame(&again, got, MaxPayResponse); err != nil {
			t.Fatalf("accepted %+v but cannot write it: %v", got, err)
		}
		var back PayResponse
		if err := ReadPayFrame(bufio.NewReader(&again), MaxPayResponse, &back); err != nil || back != got {
			t.Fatalf("round trip: %+v → %+v %v", got, back, err)
		}
	})
}
