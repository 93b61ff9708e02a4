package syncwire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
	"github.com/coopnode/coopnode/protocol/recon"
)

func TestMaxEventLen(t *testing.T) {
	if MaxEventLen != protocol.MaxDocSize {
		t.Fatalf("MaxEventLen %d, protocol.MaxDocSize %d", MaxEventLen, protocol.MaxDocSize)
	}
	ok := AppendEvents(nil, [][]byte{make([]byte, MaxEventLen)})
	if _, err := DecodeEvents(ok); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeEvents(AppendEvents(nil, [][]byte{make([]byte, MaxEventLen+1)})); !errors.Is(err, ErrMalformed) {
		t.Fatalf("an oversized event: %v", err)
	}
}

// Golden bytes, written by the codec's earlier home in package node before
// it moved here: the move changed no byte on the wire.
const (
	goldenHello  = "0101020300000000000000000000000000000000000000000000000000000000000280d095ffbc3102020000000000000000000000000000000000000000000000000000000000000003040000000000000000000000000000000000000000000000000000000000000301000000000000000209000000000000ff00000000000000"
	goldenIDs    = "0201000000000000000000000000000000000000000000000000000000000000000203000000000000000000000000000000000000000000000000000000000000"
	goldenEvents = "030301020300c8010707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707"
	goldenFrames = "8301010101020300000000000000000000000000000000000000000000000000000000000280d095ffbc3102020000000000000000000000000000000000000000000000000000000000000003040000000000000000000000000000000000000000000000000000000000000301000000000000000209000000000000ff000000000000000105ad0204050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505050505"
)

func goldenHelloValue() Hello {
	return Hello{Coop: crdt.ID{1, 2, 3}, Flags: InterestOpen, Since: 1_700_000_000_000,
		Parties: []crdt.PubKey{{2}, {3, 4}}, Orders: []OrderKey{{1}, {2, 9}, {0xff}}}
}

// TestGolden: the encoders write the bytes SPEC.md §8.6.1 fixes, and the
// decoders read them back.
func TestGolden(t *testing.T) {
	h := goldenHelloValue()
	check := func(name string, got []byte, want string) {
		t.Helper()
		if hex.EncodeToString(got) != want {
			t.Errorf("%s: %x, want %s", name, got, want)
		}
	}
	check("hello", AppendHello(nil, h), goldenHello)
	check("ids", AppendIDs(nil, []crdt.ID{{1}, {2, 3}}), goldenIDs)
	events := [][]byte{{1, 2, 3}, {}, bytes.Repeat([]byte{7}, 200)}
	check("events", AppendEvents(nil, events), goldenEvents)
	var b bytes.Buffer
	c := NewConn(&b, &b)
	must(t, c.WriteFrame(FrameHello, AppendHello(nil, h)))
	must(t, c.WriteFrame(FrameDone, nil))
	must(t, c.WriteFrame(FrameEvents, bytes.Repeat([]byte{5}, 300)))
	check("frames", b.Bytes(), goldenFrames)
	if c.BytesOut() != len(goldenFrames)/2 {
		t.Errorf("BytesOut %d, want %d", c.BytesOut(), len(goldenFrames)/2)
	}

	got, err := DecodeHello(AppendHello(nil, h))
	if err != nil || got.Coop != h.Coop || got.Flags != h.Flags || got.Since != h.Since ||
		!slices.Equal(got.Parties, h.Parties) || !slices.Equal(got.Orders, h.Orders) {
		t.Fatalf("hello round trip: %+v, %v", got, err)
	}
	for i, want := range []byte{FrameHello, FrameDone, FrameEvents} {
		typ, _, err := c.ReadFrame()
		if err != nil || typ != want {
			t.Fatalf("frame %d: type %d, %v", i, typ, err)
		}
	}
	if _, _, err := c.ReadFrame(); err != io.EOF {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}
	if c.RoundTrips() != 1 || c.BytesIn() != c.BytesOut() {
		t.Fatalf("round trips %d, in %d, out %d", c.RoundTrips(), c.BytesIn(), c.BytesOut())
	}
}

// TestFrameHeader: a frame's length is a minimal uvarint below 2^64; a
// malformed one wraps ErrMalformed, a cut one is an EOF.
func TestFrameHeader(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		want error
		v    uint64
	}{
		{[]byte{0x05}, nil, 5},
		{[]byte{0x80, 0x01}, nil, 128},
		{[]byte{0x85, 0x00}, ErrMalformed, 0},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, nil, 1<<64 - 1},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, ErrMalformed, 0},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, ErrMalformed, 0},
		{[]byte{}, io.EOF, 0},
		{[]byte{0x80}, io.ErrUnexpectedEOF, 0},
	} {
		v, err := ReadUvarint(bytes.NewReader(c.in))
		if !errors.Is(err, c.want) || (c.want == nil && v != c.v) {
			t.Errorf("%x: got %d, %v; want %d, %v", c.in, v, err, c.v, c.want)
		}
	}
	// a frame of length 0 or over 4 MiB is refused before its body
	for _, in := range [][]byte{{0x00}, binaryUvarint(MaxFrame + 1)} {
		c := NewConn(bytes.NewReader(in), io.Discard)
		if _, _, err := c.ReadFrame(); !errors.Is(err, ErrMalformed) {
			t.Errorf("%x: %v", in, err)
		}
	}
	// an Error frame ends the session with the peer's message
	var b bytes.Buffer
	c := NewConn(&b, &b)
	must(t, c.WriteFrame(FrameError, []byte("coop mismatch")))
	if _, _, err := c.ReadFrame(); !errors.Is(err, ErrPeer) || err.Error() != "syncwire: peer ended the session with an error: peer says: coop mismatch" {
		t.Errorf("error frame: %v", err)
	}
}

func binaryUvarint(v uint64) []byte {
	var b []byte
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// TestHello: the Hello carries the listed order keys, ascending; a list
// out of order, too long or followed by bytes is refused.
func TestHello(t *testing.T) {
	bad := func(h Hello) []byte { return AppendHello(nil, h) }
	long := make([]OrderKey, MaxListedOrders+1)
	for i := range long {
		long[i][0], long[i][1] = byte(i>>8), byte(i)
	}
	for name, b := range map[string][]byte{
		"descending":  bad(Hello{Orders: []OrderKey{{2}, {1}}}),
		"duplicate":   bad(Hello{Orders: []OrderKey{{2}, {2}}}),
		"too many":    bad(Hello{Orders: long}),
		"parties":     bad(Hello{Parties: make([]crdt.PubKey, MaxParties+1)}),
		"trailing":    append(bad(Hello{Orders: []OrderKey{{2}}}), 0),
		"cut":         bad(Hello{Orders: []OrderKey{{2}}})[:40],
		"no list":     bad(Hello{})[:len(bad(Hello{}))-1],
		"version":     append([]byte{2}, bad(Hello{})[1:]...),
		"short since": bad(Hello{})[:34],
	} {
		if _, err := DecodeHello(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if KeyOf(crdt.ID{1, 3, 0, 0, 0, 0, 0, 0, 0xff}) != (OrderKey{1, 3}) {
		t.Fatal("KeyOf keeps the first 8 bytes of an order ID")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// frames concatenates sync frames as a peer would send them.
func frames(fs ...[]byte) []byte {
	var b bytes.Buffer
	c := NewConn(&bytes.Buffer{}, &b)
	for _, fr := range fs {
		_ = c.WriteFrame(fr[0], fr[1:])
	}
	return b.Bytes()
}

func frame(typ byte, body []byte) []byte { return append([]byte{typ}, body...) }

// FuzzSyncFrames feeds arbitrary bytes to every sync frame decoder
// (SPEC.md §8.6.1): none may panic, every failure wraps ErrMalformed, and
// what decodes re-encodes to the same bytes (one encoding per value:
// minimal uvarints, ascending order keys, no trailing bytes). The same
// bytes are read as a frame stream, whose errors are ErrMalformed, ErrPeer
// or a truncated stream.
func FuzzSyncFrames(f *testing.F) {
	hello := AppendHello(nil, Hello{Coop: crdt.ID{1}, Flags: InterestOpen, Since: 12345,
		Parties: []crdt.PubKey{{2}, {3}}, Orders: []OrderKey{{1}, {2, 9}, {0xff}}})
	f.Add(hello)
	f.Add(AppendHello(nil, Hello{Coop: crdt.ID{1}, Flags: InterestAll}))
	f.Add(AppendIDs(nil, []crdt.ID{{1}, {2}}))
	f.Add(AppendEvents(nil, [][]byte{{1, 2, 3}, {}}))
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	// a responder's flight: pushed events, then its reconciliation reply
	reply, _ := (&recon.Message{Type: recon.TypeReply, Ranges: []recon.Range{{Upper: recon.Infinity, Mode: recon.ModeDiffPush, Count: 2, Entries: 0, Pushed: 2}}}).Encode()
	f.Add(frames(frame(FrameEvents, AppendEvents(nil, [][]byte{{1}, {2}})), frame(FrameRecon, reply), frame(FrameDone, nil)))
	f.Add(frames(frame(FrameHello, hello), frame(FrameError, []byte("no"))))
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := DecodeHello(b); err == nil {
			if got := AppendHello(nil, h); !bytes.Equal(got, b) {
				t.Fatalf("hello re-encodes differently: %x vs %x", got, b)
			}
		} else if !errors.Is(err, ErrMalformed) {
			t.Fatalf("hello: %v does not wrap ErrMalformed", err)
		}
		if ids, err := DecodeIDs(b); err == nil {
			if got := AppendIDs(nil, ids); !bytes.Equal(got, b) {
				t.Fatalf("ids re-encode differently: %x vs %x", got, b)
			}
		} else if !errors.Is(err, ErrMalformed) {
			t.Fatalf("ids: %v does not wrap ErrMalformed", err)
		}
		if evs, err := DecodeEvents(b); err == nil {
			if got := AppendEvents(nil, evs); !bytes.Equal(got, b) {
				t.Fatalf("events re-encode differently: %x vs %x", got, b)
			}
		} else if !errors.Is(err, ErrMalformed) {
			t.Fatalf("events: %v does not wrap ErrMalformed", err)
		}
		c := NewConn(bytes.NewReader(b), io.Discard)
		for i := 0; i < 8; i++ {
			typ, body, err := c.ReadFrame()
			if err != nil {
				if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrPeer) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("frame %d: unexpected error %v", i, err)
				}
				break
			}
			if typ == FrameRecon {
				if _, err := recon.DecodeMessage(body); err != nil && !errors.Is(err, recon.ErrMalformed) &&
					!errors.Is(err, recon.ErrTooLarge) && !errors.Is(err, recon.ErrVersion) {
					t.Fatalf("recon frame: %v", err)
				}
			}
		}
	})
}
