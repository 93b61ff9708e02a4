package node

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/coopnode/coopnode/crdt"
)

// FuzzSyncFrames feeds arbitrary bytes to every sync frame decoder
// (SPEC.md §8.6.1): none may panic, and what decodes re-encodes to the
// same bytes.
func FuzzSyncFrames(f *testing.F) {
	f.Add(encodeHello(interest{coop: crdt.ID{1}, flags: interestOpen, since: 12345, parties: []crdt.PubKey{{2}, {3}}}))
	f.Add(encodeIDs([]crdt.ID{{1}, {2}}))
	f.Add(encodeEvents([][]byte{{1, 2, 3}, {}}))
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		if in, err := decodeHello(b); err == nil {
			if got := encodeHello(in); !bytes.Equal(got, b) && len(in.parties) > 0 {
				t.Fatalf("hello re-encodes differently: %x vs %x", got, b)
			}
		}
		if ids, err := decodeIDs(b); err == nil {
			if got := encodeIDs(ids); !bytes.Equal(got, b) && len(ids) > 0 {
				t.Fatalf("ids re-encode differently")
			}
		}
		if evs, err := decodeEvents(b); err == nil {
			if got := encodeEvents(evs); !bytes.Equal(got, b) && len(evs) > 0 {
				t.Fatalf("events re-encode differently")
			}
		}
		f := &frameRW{r: bufioReader(b), w: &bytes.Buffer{}}
		for i := 0; i < 4; i++ {
			if _, _, err := f.read(); err != nil {
				break
			}
		}
	})
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }
