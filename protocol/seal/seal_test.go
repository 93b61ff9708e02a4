package seal

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"math/rand"
	"testing"
)

func key(name string) ed25519.PrivateKey {
	s := sha256.Sum256([]byte("seal test " + name))
	return ed25519.NewKeyFromSeed(s[:])
}

func pub(k ed25519.PrivateKey) [32]byte { return [32]byte(k.Public().(ed25519.PublicKey)) }

// TestConversionMatches: the X25519 key derived from an Ed25519 private key
// has the public key derived from the Ed25519 public key, for many keys.
func TestConversionMatches(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 500; i++ {
		var seed [32]byte
		rng.Read(seed[:])
		k := ed25519.NewKeyFromSeed(seed[:])
		xp, err := X25519Private(k)
		if err != nil {
			t.Fatal(err)
		}
		xpub, err := X25519Public(pub(k))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(xp.PublicKey().Bytes(), xpub.Bytes()) {
			t.Fatalf("key %d: conversions disagree", i)
		}
	}
}

func TestSealOpen(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	resto, courier, other := key("resto"), key("courier"), key("other")
	msg := []byte(`{"name":"Léa","phone":"+33 6 12 34 56 78","address":"3 rue Kervégan","instructions":"2nd floor"}`)
	ctx := []byte("order 1")
	box, err := Seal(rng, pub(resto), msg, ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(box) != len(msg)+Overhead || bytes.Contains(box, []byte("Léa")) {
		t.Fatal("box length or plaintext visible")
	}
	got, err := Open(resto, box, ctx)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("open: %v", err)
	}
	for name, tc := range map[string]struct {
		k   ed25519.PrivateKey
		box []byte
		ctx []byte
		err error
	}{
		"another key":       {other, box, ctx, ErrOpen},
		"the courier":       {courier, box, ctx, ErrOpen},
		"moved to an order": {resto, box, []byte("order 2"), ErrOpen},
		"tampered":          {resto, append(append([]byte(nil), box[:40]...), append([]byte{box[40] ^ 1}, box[41:]...)...), ctx, ErrOpen},
		"truncated":         {resto, box[:Overhead-1], ctx, ErrFormat},
		"other version":     {resto, append([]byte{2}, box[1:]...), ctx, ErrFormat},
	} {
		if _, err := Open(tc.k, tc.box, tc.ctx); !errors.Is(err, tc.err) {
			t.Errorf("%s: %v, want %v", name, err, tc.err)
		}
	}
	if _, err := Seal(rng, pub(resto), make([]byte, MaxPlaintext+1), ctx); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too large: %v", err)
	}
	if _, err := X25519Public([32]byte{1}); !errors.Is(err, ErrBadKey) { // y = 1
		t.Errorf("y=1: %v", err)
	}
}

// FuzzOpen: no box, however malformed, panics or opens without the key.
func FuzzOpen(f *testing.F) {
	rng := rand.New(rand.NewSource(3))
	box, _ := Seal(rng, pub(key("resto")), []byte("hello"), []byte("c"))
	f.Add(box, []byte("c"))
	f.Add([]byte{1}, []byte{})
	f.Add(make([]byte, Overhead), []byte("c"))
	f.Fuzz(func(t *testing.T, b, ctx []byte) {
		pt, err := Open(key("resto"), b, ctx)
		if err == nil && (!bytes.Equal(pt, []byte("hello")) || !bytes.Equal(ctx, []byte("c"))) {
			// only the genuine seed box opens: a fuzzer cannot forge a GCM tag
			t.Fatalf("opened a box that was not sealed: %x", b)
		}
	})
}
