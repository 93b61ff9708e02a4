package protocol

import (
	"bytes"
	"testing"

	"github.com/coopnode/coopnode/crdt"
)

// TestDecodeTrusted: on an event's wire bytes DecodeTrusted gives the
// event Decode gives; with a broken signature it still decodes (it does
// not verify), and bytes that are no event are an error, never a panic.
func TestDecodeTrusted(t *testing.T) {
	priv := testKey("trusted")
	_, raw, err := Seal(priv, Draft{Kind: crdt.KindCoopGenesis, Lamport: 1, Wall: 1_790_000_000_000,
		Body: &crdt.CoopGenesis{Name: "trusted", Admins: []crdt.PubKey{PubKeyOf(priv)}}})
	if err != nil {
		t.Fatal(err)
	}
	want, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeTrusted(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != want.ID || got.Kind != want.Kind || got.Author != want.Author || got.Body.(*crdt.CoopGenesis).Name != "trusted" {
		t.Fatalf("DecodeTrusted gave %+v, Decode %+v", got, want)
	}
	bad := bytes.Clone(raw)
	bad[len(bad)-1] ^= 1
	if _, err := DecodeTrusted(bad); err != nil {
		t.Fatalf("broken signature: %v (DecodeTrusted does not verify)", err)
	}
	for _, junk := range [][]byte{nil, []byte("garbage"), raw[:len(raw)/2]} {
		if _, err := DecodeTrusted(junk); err == nil {
			t.Fatalf("%q decoded", junk)
		}
	}
}

// FuzzDecodeTrusted: DecodeTrusted never panics, its errors wrap the
// package's sentinels, and whatever Decode accepts it decodes to the same
// event ID and kind.
func FuzzDecodeTrusted(f *testing.F) {
	for _, raw := range seedEvents(f) {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := DecodeTrusted(raw)
		if err != nil {
			checkSentinel(t, err)
		}
		want, werr := Decode(raw)
		if werr != nil {
			return
		}
		if err != nil || e.ID != want.ID || e.Kind != want.Kind || e.Lamport != want.Lamport {
			t.Fatalf("Decode accepts what DecodeTrusted gives %v, %v", e, err)
		}
	})
}
