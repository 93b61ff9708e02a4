package credential

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzVerify: any bytes at any time are either refused with one of the
// package's reasons or accepted; never a panic. An accepted credential
// re-issued from what Verify read gives a credential that verifies to the
// same content, and verification is deterministic.
func FuzzVerify(f *testing.F) {
	raw := issueTest(f)
	f.Add(raw, day("2026-08-01").Unix())
	f.Add(raw, day("2030-01-01").Unix())
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"proof":{}}`), int64(0))
	f.Add([]byte(`{"a":"\ud83d\ude00","b":[1e-7,-0,1e21]}`), int64(0))
	if b, err := os.ReadFile(filepath.Join(vectorRoot, "vc-di-eddsa/TestVectors/eddsa-jcs-2022/signedJCS.json")); err == nil {
		f.Add(b, day("2024-01-01").Unix())
	}
	f.Fuzz(func(t *testing.T, b []byte, unix int64) {
		now := time.Unix(unix%(1<<40), 0).UTC()
		v, err := Verify(b, now)
		if err != nil {
			if v != nil || Code(err) == "" {
				t.Fatalf("refusal %v (code %q) returned %+v", err, Code(err), v)
			}
		} else {
			v2, err2 := Verify(b, now)
			if err2 != nil || v2.Subject != v.Subject || v2.Record != v.Record {
				t.Fatalf("not deterministic: %v", err2)
			}
		}
		// The generic proof check never panics either, and agrees on
		// signatures: a credential Verify accepts has a valid proof.
		p, perr := VerifyProof(b)
		if perr != nil && Code(perr) == "" {
			t.Fatalf("VerifyProof refusal without a code: %v", perr)
		}
		if err == nil && (perr != nil || p.DID != v.Issuer) {
			t.Fatalf("Verify accepted what VerifyProof refused: %v", perr)
		}
	})
}

// FuzzCanonicalize: whatever Parse accepts canonicalises, and the
// canonical form is a fixed point (it parses and canonicalises to itself).
func FuzzCanonicalize(f *testing.F) {
	for _, s := range []string{`{"b":[3,1.0,2E1,-0],"a":{}}`, `"\u0000\u2028\ud83d\ude00"`, `[1e21,1e-7,5e-324]`, `{"\u20ac":1,"\ud83d\ude00":2,"\ufb33":3}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse refusal %v is not ErrMalformed", err)
			}
			return
		}
		c, err := Canonicalize(v)
		if err != nil {
			t.Fatalf("Canonicalize of a parsed value: %v", err)
		}
		c2, err := CanonicalizeJSON(c)
		if err != nil || !bytes.Equal(c, c2) {
			t.Fatalf("canonical form %s is not a fixed point: %s, %v", c, c2, err)
		}
	})
}

// FuzzParseDID: did:key and verification method parsing never panics, and
// what parses prints back the same.
func FuzzParseDID(f *testing.F) {
	f.Add("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp")
	f.Add("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp")
	f.Add("did:key:z6LShs9GGnqk85isEBzzshkuVWrVKsRp24GnDuHk8QWkARMW")
	f.Add("did:key:z11111111111111111111111111111111111")
	f.Fuzz(func(t *testing.T, s string) {
		if pub, err := ParseDIDKey(s); err == nil {
			if DIDKey(pub) != s {
				t.Fatalf("%q parses to a key whose DID is %q", s, DIDKey(pub))
			}
		} else if Code(err) == "" {
			t.Fatalf("refusal without a code: %v", err)
		}
		if did, pub, err := ParseVerificationMethod(s); err == nil {
			if VerificationMethodID(pub) != s || DIDKey(pub) != did {
				t.Fatalf("%q round-trips to %q", s, VerificationMethodID(pub))
			}
		} else if Code(err) == "" {
			t.Fatalf("refusal without a code: %v", err)
		}
		if b, ok := decodeBase58(s); ok && encodeBase58(b) != s {
			t.Fatalf("base58 %q round-trips to %q", s, encodeBase58(b))
		}
	})
}
