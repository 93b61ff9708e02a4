package node

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol/recon"
)

// frames concatenates sync frames as a peer would send them.
func frames(fs ...[]byte) []byte {
	var b bytes.Buffer
	f := &frameRW{w: &b}
	for _, fr := range fs {
		_ = f.write(fr[0], fr[1:])
	}
	return b.Bytes()
}

func frame(typ byte, body []byte) []byte { return append([]byte{typ}, body...) }

// FuzzSyncFrames feeds arbitrary bytes to every sync frame decoder
// (SPEC.md §8.6.1): none may panic, every failure wraps ErrSyncProtocol,
// and what decodes re-encodes to the same bytes (one encoding per value:
// minimal uvarints, ascending order keys, no trailing bytes). The same
// bytes are read as a frame stream, whose errors are ErrSyncProtocol or a
// truncated stream.
func FuzzSyncFrames(f *testing.F) {
	hello := encodeHello(interest{coop: crdt.ID{1}, flags: interestOpen, since: 12345,
		parties: []crdt.PubKey{{2}, {3}}, orders: []orderKey{{1}, {2, 9}, {0xff}}})
	f.Add(hello)
	f.Add(encodeHello(interest{coop: crdt.ID{1}, flags: interestAll}))
	f.Add(encodeIDs([]crdt.ID{{1}, {2}}))
	f.Add(encodeEvents([][]byte{{1, 2, 3}, {}}))
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	// a responder's flight: pushed events, then its reconciliation reply
	reply, _ := (&recon.Message{Type: recon.TypeReply, Ranges: []recon.Range{{Upper: recon.Infinity, Mode: recon.ModeDiffPush, Count: 2, Entries: 0, Pushed: 2}}}).Encode()
	f.Add(frames(frame(frameEvents, encodeEvents([][]byte{{1}, {2}})), frame(frameRecon, reply), frame(frameDone, nil)))
	f.Add(frames(frame(frameHello, hello), frame(frameError, []byte("no"))))
	f.Fuzz(func(t *testing.T, b []byte) {
		if in, err := decodeHello(b); err == nil {
			if got := encodeHello(in); !bytes.Equal(got, b) {
				t.Fatalf("hello re-encodes differently: %x vs %x", got, b)
			}
		} else if !errors.Is(err, ErrSyncProtocol) {
			t.Fatalf("hello: %v does not wrap ErrSyncProtocol", err)
		}
		if ids, err := decodeIDs(b); err == nil {
			if got := encodeIDs(ids); !bytes.Equal(got, b) {
				t.Fatalf("ids re-encode differently: %x vs %x", got, b)
			}
		} else if !errors.Is(err, ErrSyncProtocol) {
			t.Fatalf("ids: %v does not wrap ErrSyncProtocol", err)
		}
		if evs, err := decodeEvents(b); err == nil {
			if got := encodeEvents(evs); !bytes.Equal(got, b) {
				t.Fatalf("events re-encode differently: %x vs %x", got, b)
			}
		} else if !errors.Is(err, ErrSyncProtocol) {
			t.Fatalf("events: %v does not wrap ErrSyncProtocol", err)
		}
		f := &frameRW{r: bufioReader(b), w: &bytes.Buffer{}}
		for i := 0; i < 8; i++ {
			typ, body, err := f.read()
			if err != nil {
				if !errors.Is(err, ErrSyncProtocol) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("frame %d: unexpected error %v", i, err)
				}
				break
			}
			if typ == frameRecon {
				if _, err := recon.DecodeMessage(body); err != nil && !errors.Is(err, recon.ErrMalformed) &&
					!errors.Is(err, recon.ErrTooLarge) && !errors.Is(err, recon.ErrVersion) {
					t.Fatalf("recon frame: %v", err)
				}
			}
		}
	})
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }
