package protocol

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// SPEC.md §10.7: requests and responses round-trip.
func TestPeersRoundTrip(t *testing.T) {
	want := [][]byte{bytes.Repeat([]byte{1}, 38), {2}}
	b, err := AppendPeersRequest(nil, want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodePeersRequest(b)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("request: %x, %v", got, err)
	}
	if got, err := DecodePeersRequest([]byte{0}); err != nil || len(got) != 0 {
		t.Fatalf("empty request: %v, %v", got, err)
	}
	recs := []PeerRecord{
		{ID: bytes.Repeat([]byte{3}, 38), Follower: true, Addrs: [][]byte{{4, 127, 0, 0, 1}, bytes.Repeat([]byte{5}, 300)}},
		{ID: []byte{6}},
	}
	b, err = AppendPeerRecords(nil, recs)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodePeerRecords(b)
	if err != nil || !reflect.DeepEqual(back, recs) {
		t.Fatalf("response: %+v, %v", back, err)
	}
}

// SPEC.md §10.7, §9.1: every malformed or oversized message is refused,
// by the encoder and by the decoder.
func TestPeersRefusals(t *testing.T) {
	id := []byte{9, 9}
	many := func(n int) [][]byte {
		out := make([][]byte, n)
		for i := range out {
			out[i] = id
		}
		return out
	}
	if _, err := AppendPeersRequest(nil, many(MaxPeerWants+1)); !errors.Is(err, ErrBadPeers) {
		t.Errorf("too many wants: %v", err)
	}
	if _, err := AppendPeersRequest(nil, [][]byte{{}}); !errors.Is(err, ErrBadPeers) {
		t.Errorf("empty peer ID: %v", err)
	}
	for name, recs := range map[string][]PeerRecord{
		"too many records":   make([]PeerRecord, MaxPeerRecords+1),
		"empty ID":           {{}},
		"long ID":            {{ID: make([]byte, MaxPeerIDLen+1)}},
		"too many addresses": {{ID: id, Addrs: many(MaxPeerAddrs + 1)}},
		"long address":       {{ID: id, Addrs: [][]byte{make([]byte, MaxPeerAddrLen+1)}}},
	} {
		if _, err := AppendPeerRecords(nil, recs); !errors.Is(err, ErrBadPeers) {
			t.Errorf("encode %s: %v", name, err)
		}
	}
	for name, b := range map[string][]byte{
		"empty":             {},
		"too many":          {MaxPeerRecords + 1},
		"unknown flag":      {1, 2, 1, 9, 0},
		"zero-length ID":    {1, 0, 0, 0},
		"non-minimal":       {1, 0, 0x81, 0x00, 9, 0},
		"ID past the end":   {1, 0, 5, 9},
		"no address count":  {1, 0, 1, 9},
		"too many addrs":    {1, 0, 1, 9, MaxPeerAddrs + 1},
		"address cut short": {1, 0, 1, 9, 1, 3, 1},
		"trailing byte":     {1, 0, 1, 9, 0, 0},
		"missing record":    {2, 0, 1, 9, 0},
	} {
		if _, err := DecodePeerRecords(b); !errors.Is(err, ErrBadPeers) {
			t.Errorf("decode response %s: %v", name, err)
		}
	}
	for name, b := range map[string][]byte{
		"empty":         {},
		"too many":      {MaxPeerWants + 1},
		"cut short":     {1, 3, 1},
		"trailing byte": {0, 0},
	} {
		if _, err := DecodePeersRequest(b); !errors.Is(err, ErrBadPeers) {
			t.Errorf("decode request %s: %v", name, err)
		}
	}
}

// FuzzPeerRecords: decoding never panics, and whatever decodes re-encodes
// to the same bytes (one encoding per message), for requests and responses.
func FuzzPeerRecords(f *testing.F) {
	resp, _ := AppendPeerRecords(nil, []PeerRecord{{ID: []byte{1, 2}, Follower: true, Addrs: [][]byte{{4, 127, 0, 0, 1}}}})
	req, _ := AppendPeersRequest(nil, [][]byte{{7, 7, 7}})
	for _, s := range [][]byte{resp, req, {0}, {1, 0, 0x81, 0}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if recs, err := DecodePeerRecords(b); err == nil {
			again, err := AppendPeerRecords(nil, recs)
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("response re-encodes to %x (%v), want %x", again, err, b)
			}
		}
		if want, err := DecodePeersRequest(b); err == nil {
			again, err := AppendPeersRequest(nil, want)
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("request re-encodes to %x (%v), want %x", again, err, b)
			}
		}
	})
}
