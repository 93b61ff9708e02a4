package protocol

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
)

// SPEC.md §10.4: frames round-trip, and every malformed prefix is refused.
func TestPushFrames(t *testing.T) {
	var stream []byte
	var err error
	sizes := []int{1, 127, 128, 300, MaxEventSize}
	for _, n := range sizes {
		if stream, err = AppendPushFrame(stream, bytes.Repeat([]byte{byte(n)}, n)); err != nil {
			t.Fatal(err)
		}
	}
	r := bufio.NewReader(bytes.NewReader(stream))
	for _, n := range sizes {
		got, err := ReadPushFrame(r)
		if err != nil || len(got) != n || got[0] != byte(n) {
			t.Fatalf("frame of %d: got %d bytes, %v", n, len(got), err)
		}
	}
	if _, err := ReadPushFrame(r); err != io.EOF {
		t.Fatalf("at the end: %v, want io.EOF", err)
	}
	for _, n := range []int{0, MaxEventSize + 1} {
		if _, err := AppendPushFrame(nil, make([]byte, n)); !errors.Is(err, ErrBadPushFrame) {
			t.Errorf("AppendPushFrame(%d bytes) = %v", n, err)
		}
	}
	for name, b := range map[string][]byte{
		"zero length":    {0x00},
		"non-minimal":    {0x81, 0x00, 'x'},
		"over the limit": {0x81, 0x80, 0x01},
		"four bytes":     {0x80, 0x80, 0x80, 0x01},
		"cut short":      {0x05, 'a', 'b'},
		"prefix only":    {0x85},
	} {
		if _, err := ReadPushFrame(bufio.NewReader(bytes.NewReader(b))); !errors.Is(err, ErrBadPushFrame) {
			t.Errorf("%s: %v, want ErrBadPushFrame", name, err)
		}
	}
}

// FuzzPushFrame: reading never panics, never returns more than
// MaxEventSize, and whatever it reads re-encodes to the same bytes.
func FuzzPushFrame(f *testing.F) {
	one, _ := AppendPushFrame(nil, []byte("event"))
	two, _ := AppendPushFrame(one, bytes.Repeat([]byte{7}, 200))
	for _, s := range [][]byte{one, two, {0}, {0x81, 0}, {0xff, 0xff, 0x01}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bufio.NewReader(bytes.NewReader(b))
		var again []byte
		read := 0
		for {
			ev, err := ReadPushFrame(r)
			if err != nil {
				break
			}
			if len(ev) == 0 || len(ev) > MaxEventSize {
				t.Fatalf("frame of %d bytes", len(ev))
			}
			if again, err = AppendPushFrame(again, ev); err != nil {
				t.Fatal(err)
			}
			read = len(again)
		}
		if !bytes.Equal(again, b[:read]) {
			t.Fatal("frames read do not re-encode to the input")
		}
	})
}
