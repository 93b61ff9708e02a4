package recon

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// sampleMessage uses every mode and both lack encodings.
func sampleMessage() *Message {
	id := func(b byte) ID { var x ID; x[0], x[31] = b, b; return x }
	return &Message{
		Type: TypeReply,
		Ranges: []Range{
			{Upper: Bound{Time: 100}, Mode: ModeSkip},
			{Upper: Bound{Time: 150, Prefix: ID{0xAA, 0xBB}, Len: 2}, Mode: ModeFingerprint, Count: 300, FP: Fingerprint{1, 2, 3}},
			{Upper: Bound{Time: 150, Prefix: ID{0xAA, 0xBC}, Len: 2}, Mode: ModeRequest},
			{Upper: Bound{Time: 200}, Mode: ModeDiff, Count: 3, FP: Fingerprint{9}, Entries: 10, Lack: []uint32{0, 9}, IDs: []ID{id(1)}},
			{Upper: Bound{Time: 205}, Mode: ModeDiffPush, Count: 5, FP: Fingerprint{7}, Entries: 3, IDs: []ID{id(4)}, Pushed: 2},
			{Upper: Bound{Time: 210}, Mode: ModeDiff, Count: 1, Entries: 12, Lack: []uint32{0, 1, 2, 3, 4, 5, 6, 11}, LackBitmap: true},
			{Upper: Bound{Time: 220}, Mode: ModeShortIDs, ShortLen: 4, Short: []byte("abcdefgh")},
			{Upper: Infinity, Mode: ModeFullIDs, IDs: []ID{id(2), id(3)}},
		},
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	msgs := []*Message{
		sampleMessage(),
		{Type: TypeInit, Salt: testSalt},
		{Type: TypeNext, Have: []ID{{1}, {2}}},
		{Type: TypeDone},
		{Type: TypeDone, Have: []ID{{7}}},
	}
	for i, m := range msgs {
		b, err := m.Encode()
		if err != nil {
			t.Fatalf("%d: encode: %v", i, err)
		}
		d, err := DecodeMessage(b)
		if err != nil {
			t.Fatalf("%d: decode: %v", i, err)
		}
		b2, err := d.Encode()
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("%d: re-encode differs: %x vs %x (%v)", i, b, b2, err)
		}
		// Sizes computed by the builder agree with the encoder.
		var prev uint64
		total := 2 + uvarintLen(uint64(len(m.Ranges)))
		if m.Type == TypeInit {
			total += SaltSize
		}
		if m.Type == TypeDone {
			total--
		}
		if m.Type == TypeNext || m.Type == TypeDone {
			total += uvarintLen(uint64(len(m.Have))) + 32*len(m.Have)
		}
		for j := range m.Ranges {
			total += rangeSize(&m.Ranges[j], prev)
			if !m.Ranges[j].Upper.IsInf() {
				prev = m.Ranges[j].Upper.Time
			}
		}
		if total != len(b) {
			t.Errorf("%d: computed size %d, encoded %d", i, total, len(b))
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	good, err := sampleMessage().Encode()
	if err != nil {
		t.Fatal(err)
	}
	h := func(s string) []byte {
		b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"one byte", []byte{Version}, ErrMalformed},
		{"version", []byte{0x61, 2, 0}, ErrVersion},
		{"too large", make([]byte, MaxMessageSize+1), ErrTooLarge},
		{"type", []byte{Version, 9, 0}, ErrMalformed},
		{"trailing", append(append([]byte{}, good...), 0), ErrMalformed},
		{"truncated", good[:len(good)-1], ErrMalformed},
		{"truncated init", h("01 01 0102"), ErrMalformed},
		{"non-minimal varint", h("01 02 8000"), ErrMalformed},
		{"varint overflow", h("01 02 ffffffffffffffffff7f"), ErrMalformed},
		{"range count", h("01 02 05 00 00 00"), ErrMalformed},
		{"infinity prefix", h("01 02 01 00 01 aa 05"), ErrMalformed},
		{"prefix length", h("01 02 01 02 21" + strings.Repeat("00", 33) + "05"), ErrMalformed},
		{"not ascending", h("01 02 02 0b 00 05 01 00 05"), ErrMalformed},
		{"first bound zero", h("01 02 01 01 00 05"), ErrMalformed},
		{"after infinity", h("01 02 02 00 00 05 02 00 05"), ErrMalformed},
		{"time overflow", h("01 02 02 0b 00 05 ffffffffffffffffff01 00 05"), ErrMalformed},
		{"time max", h("01 02 01 ffffffffffffffffff01 00 05"), nil},
		{"trailing skip", h("01 02 01 00 00 00"), ErrMalformed},
		{"double skip", h("01 02 03 02 00 00 03 00 00 00 00 05"), ErrMalformed},
		{"mode", h("01 02 01 00 00 07"), ErrMalformed},
		{"pushed zero", h("01 02 01 00 00 06 03" + strings.Repeat("00", 16) + "00 00 00 00"), ErrMalformed},
		{"pushed over count", h("01 02 01 00 00 06 01" + strings.Repeat("00", 16) + "00 00 00 02"), ErrMalformed},
		{"pushed and ids over count", h("01 02 01 00 00 06 01" + strings.Repeat("00", 16) + "00 00 01" + strings.Repeat("00", 32) + "01"), ErrMalformed},
		{"pushed missing", h("01 02 01 00 00 06 01" + strings.Repeat("00", 16) + "00 00 00"), ErrMalformed},
		{"pushed non-minimal", h("01 02 01 00 00 06 01" + strings.Repeat("00", 16) + "00 00 00 8100"), ErrMalformed},
		{"short len 0", h("01 02 01 00 00 02 00 00"), ErrMalformed},
		{"short len 33", h("01 02 01 00 00 02 21 00"), ErrMalformed},
		{"short count", h("01 02 01 00 00 02 04 02 61626364"), ErrMalformed},
		{"full count", h("01 02 01 00 00 03 01"), ErrMalformed},
		{"lack kind", h("01 02 01 00 00 04 00" + strings.Repeat("00", 16) + "01 03 00"), ErrMalformed},
		{"bitmap padding", h("01 02 01 00 00 04 00" + strings.Repeat("00", 16) + "03 01 08 00"), ErrMalformed},
		{"empty bitmap", h("01 02 01 00 00 04 00" + strings.Repeat("00", 16) + "03 01 00 00"), ErrMalformed},
		{"empty lack list", h("01 02 01 00 00 04 00" + strings.Repeat("00", 16) + "03 02 00 00"), ErrMalformed},
		{"lack index", h("01 02 01 00 00 04 00" + strings.Repeat("00", 16) + "03 02 01 03 00"), ErrMalformed},
		{"lack index sum", h("01 02 01 00 00 04 00" + strings.Repeat("00", 16) + "03 02 02 01 01 00"), ErrMalformed},
		{"entries", h("01 02 01 00 00 04 00" + strings.Repeat("00", 16) + "ffffffff0f 00 00"), ErrMalformed},
		{"have count", h("01 04 02" + strings.Repeat("00", 32)), ErrMalformed},
	}
	for _, c := range cases {
		m, err := DecodeMessage(c.in)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got (%v, %v), want %v", c.name, m, err, c.want)
		}
	}
	// The DiffPush used by the cases above decodes fine when consistent.
	if m, err := DecodeMessage(h("01 02 01 00 00 06 03" + strings.Repeat("00", 16) + "00 00 01" + strings.Repeat("00", 32) + "02")); err != nil || m.Ranges[0].Pushed != 2 {
		t.Errorf("valid DiffPush: %v", err)
	}
	// The lack list used by the valid cases above decodes fine.
	if _, err := DecodeMessage(h("01 02 01 00 00 04 00" + strings.Repeat("00", 16) + "03 02 02 00 01 00")); err != nil {
		t.Errorf("valid lack list: %v", err)
	}
}

func TestEncodeRejectsInvalid(t *testing.T) {
	bad := []*Message{
		{Type: 0},
		{Type: TypeDone, Ranges: []Range{{Upper: Infinity, Mode: ModeRequest}}},
		{Type: TypeReply, Have: []ID{{1}}},
		{Type: TypeReply, Ranges: []Range{{Upper: Infinity, Mode: ModeSkip}}},
		{Type: TypeReply, Ranges: []Range{{Upper: Bound{Time: 5}, Mode: ModeRequest}, {Upper: Bound{Time: 5}, Mode: ModeRequest}}},
		{Type: TypeReply, Ranges: []Range{{Upper: Bound{Time: 5, Prefix: ID{0, 1}, Len: 1}, Mode: ModeRequest}}},
		{Type: TypeReply, Ranges: []Range{{Upper: Infinity, Mode: ModeShortIDs, ShortLen: 3, Short: []byte{1, 2}}}},
		{Type: TypeReply, Ranges: []Range{{Upper: Infinity, Mode: ModeDiff, Entries: 2, Lack: []uint32{2}}}},
		{Type: TypeReply, Ranges: []Range{{Upper: Infinity, Mode: 9}}},
		{Type: TypeReply, Ranges: []Range{{Upper: Infinity, Mode: ModeDiff, Count: 2, Pushed: 1}}},
		{Type: TypeReply, Ranges: []Range{{Upper: Infinity, Mode: ModeDiffPush, Count: 2}}},
		{Type: TypeReply, Ranges: []Range{{Upper: Infinity, Mode: ModeDiffPush, Count: 2, Pushed: 2, IDs: []ID{{1}}}}},
	}
	for i, m := range bad {
		if _, err := m.Encode(); !errors.Is(err, ErrMalformed) {
			t.Errorf("%d: got %v, want ErrMalformed", i, err)
		}
	}
	big := &Message{Type: TypeDone, Have: make([]ID, MaxMessageSize/32)}
	if _, err := big.Encode(); !errors.Is(err, ErrTooLarge) {
		t.Errorf("big: got %v, want ErrTooLarge", err)
	}
}
