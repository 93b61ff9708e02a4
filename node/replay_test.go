package node

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// TestLoadStored: replay's batched load returns every stored event that
// decodes and verifies under its key, across several chunks, and counts the
// rest (SPEC.md §12.2): a broken signature, an event stored under another
// ID, and bytes that are no event.
func TestLoadStored(t *testing.T) {
	ctx := context.Background()
	s := OpenMemory()
	defer s.Close()
	priv := nodeKey("replay")
	var valid []crdt.ID
	var raws [][]byte
	for i := range 2*replayChunk + 10 {
		e, raw, err := protocol.Seal(priv, protocol.Draft{Kind: crdt.KindCoopGenesis, Lamport: 1, Wall: 1_790_000_000_000,
			Body: &crdt.CoopGenesis{Name: fmt.Sprint("coop ", i), Admins: []crdt.PubKey{protocol.PubKeyOf(priv)}}})
		if err != nil {
			t.Fatal(err)
		}
		valid, raws = append(valid, e.ID), append(raws, raw)
	}
	for i, id := range valid {
		if i == 3 || i == 300 {
			continue // stored broken below
		}
		if err := s.PutEvent(ctx, id, raws[i]); err != nil {
			t.Fatal(err)
		}
	}
	badSig := bytes.Clone(raws[3])
	badSig[len(badSig)-1] ^= 1
	put := map[crdt.ID][]byte{
		valid[3]:   badSig,            // same body, so same ID; broken signature
		valid[300]: raws[301],         // a valid event under another event's ID
		{0xee}:     []byte("garbage"), // no event at all
	}
	for id, raw := range put {
		if err := s.PutEvent(ctx, id, raw); err != nil {
			t.Fatal(err)
		}
	}
	evs, bad, err := loadStored(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if bad != 3 || len(evs) != len(valid)-2 {
		t.Fatalf("loaded %d events, %d bad; want %d and 3", len(evs), bad, len(valid)-2)
	}
	seen := map[crdt.ID]int{}
	for _, e := range evs {
		seen[e.ID]++
	}
	if seen[valid[3]] != 0 || seen[valid[300]] != 0 || seen[valid[301]] != 1 || len(seen) != len(evs) {
		t.Fatalf("loaded a broken event, or one twice: %d, %d, %d", seen[valid[3]], seen[valid[300]], seen[valid[301]])
	}
}
