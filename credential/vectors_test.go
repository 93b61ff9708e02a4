package credential

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The W3C test vectors are read in place from ../shared/vectors/w3c/
// beside the repository (never copied into it). Without them a test skips,
// except under CI=true, where it fails.
const vectorRoot = "../../shared/vectors/w3c"

func vectorDir(t *testing.T, sub string) string {
	t.Helper()
	dir := filepath.Join(vectorRoot, sub)
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("W3C test vectors missing under CI: %v", err)
		}
		t.Skipf("W3C test vectors not found: %v", err)
	}
	return dir
}

func readVector(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// text reads a one-line vector file without its trailing newline.
func text(t *testing.T, dir, name string) string {
	return strings.TrimSpace(string(readVector(t, dir, name)))
}

// vectorKey is the key pair of vc-di-eddsa's TestVectors/keyPair.json.
func vectorKey(t *testing.T, dir string) ed25519.PrivateKey {
	t.Helper()
	var kp struct{ PublicKeyMultibase, PrivateKeyMultibase string }
	if err := json.Unmarshal(readVector(t, dir, "keyPair.json"), &kp); err != nil {
		t.Fatal(err)
	}
	key, ok := parseSecretKeyMultibase(kp.PrivateKeyMultibase)
	if !ok {
		t.Fatalf("secret key %q does not decode", kp.PrivateKeyMultibase)
	}
	pub, err := ParsePublicKeyMultibase(kp.PublicKeyMultibase)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(key.Public()) {
		t.Fatal("keyPair.json: the public key is not the secret key's")
	}
	if got := PublicKeyMultibase(pub); got != kp.PublicKeyMultibase {
		t.Fatalf("PublicKeyMultibase = %s, want %s", got, kp.PublicKeyMultibase)
	}
	return key
}

func parseObject(t *testing.T, b []byte) map[string]any {
	t.Helper()
	v, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("not an object: %s", b)
	}
	return m
}

// TestEddsaJcs2022Vectors reproduces every intermediate value of the
// eddsa-jcs-2022 test vectors (Data Integrity EdDSA Cryptosuites v1.0,
// Appendix B.3) byte for byte: canonical document, its hash, canonical
// proof configuration, its hash, the combined hash data, the signature in
// hex and in base58btc, and the signed document.
func TestEddsaJcs2022Vectors(t *testing.T) {
	root := vectorDir(t, "vc-di-eddsa/TestVectors")
	dir := filepath.Join(root, "eddsa-jcs-2022")
	key := vectorKey(t, root)

	// Transformation: JCS of the unsigned document.
	unsigned := readVector(t, root, "unsigned.json")
	canonDoc, err := CanonicalizeJSON(unsigned)
	if err != nil {
		t.Fatal(err)
	}
	if want := text(t, dir, "canonDocJCS.txt"); string(canonDoc) != want {
		t.Fatalf("canonical document\n got %s\nwant %s", canonDoc, want)
	}
	docHash := sha256.Sum256(canonDoc)
	if got, want := hex.EncodeToString(docHash[:]), text(t, dir, "docHashJCS.txt"); got != want {
		t.Fatalf("document hash %s, want %s", got, want)
	}

	// Proof configuration: JCS of the proof options.
	canonProof, err := CanonicalizeJSON(readVector(t, dir, "proofConfigJCS.json"))
	if err != nil {
		t.Fatal(err)
	}
	if want := text(t, dir, "proofCanonJCS.txt"); string(canonProof) != want {
		t.Fatalf("canonical proof config\n got %s\nwant %s", canonProof, want)
	}
	proofHash := sha256.Sum256(canonProof)
	if got, want := hex.EncodeToString(proofHash[:]), text(t, dir, "proofHashJCS.txt"); got != want {
		t.Fatalf("proof config hash %s, want %s", got, want)
	}

	// Hashing: proofConfigHash || documentHash, through the package's own path.
	hd, err := hashData(parseObject(t, unsigned), parseObject(t, readVector(t, dir, "proofConfigJCS.json")))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(hd), text(t, dir, "combinedHashJCS.txt"); got != want {
		t.Fatalf("hash data %s, want %s", got, want)
	}

	// Proof serialisation: Ed25519 over the hash data.
	sig := ed25519.Sign(key, hd)
	if got, want := hex.EncodeToString(sig), text(t, dir, "sigHexJCS.txt"); got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	if got, want := encodeMultibase(sig), text(t, dir, "sigBTC58JCS.txt"); got != want {
		t.Fatalf("proofValue %s, want %s", got, want)
	}

	// Create Proof end to end gives the published signed document.
	created, _ := time.Parse(time.RFC3339, "2023-02-24T23:36:38Z")
	signed, err := AddProof(unsigned, key, ProofOptions{Created: created})
	if err != nil {
		t.Fatal(err)
	}
	wantSigned, err := CanonicalizeJSON(readVector(t, dir, "signedJCS.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(signed, wantSigned) {
		t.Fatalf("signed document\n got %s\nwant %s", signed, wantSigned)
	}
}

// TestVerifyVectorSignedDocument: the published signed document verifies,
// and each of its members, changed, is refused with a named reason.
func TestVerifyVectorSignedDocument(t *testing.T) {
	dir := vectorDir(t, "vc-di-eddsa/TestVectors/eddsa-jcs-2022")
	signed := readVector(t, dir, "signedJCS.json")
	p, err := VerifyProof(signed)
	if err != nil {
		t.Fatal(err)
	}
	const did = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
	if p.DID != did || p.Purpose != PurposeAssertion || p.Created.Format(time.RFC3339) != "2023-02-24T23:36:38Z" {
		t.Fatalf("proof = %+v", p)
	}
	// A valid proof does not make it a work record.
	if _, err := Verify(signed, day("2024-01-01")); !errors.Is(err, ErrNotWorkRecord) {
		t.Fatalf("Verify(alumni credential) = %v, want ErrNotWorkRecord", err)
	}
	for _, c := range []struct {
		name, old, new string
		want           error
	}{
		{"subject changed", `"The School of Examples"`, `"The School of Exemples"`, ErrTampered},
		{"validFrom changed", `"2023-01-01T00:00:00Z"`, `"2022-01-01T00:00:00Z"`, ErrTampered},
		{"proof created changed", `"2023-02-24T23:36:38Z"`, `"2023-02-24T23:36:39Z"`, ErrTampered},
		{"context appended to proof", `"https://www.w3.org/ns/credentials/examples/v2"
    ],
    "proofValue"`, `"https://www.w3.org/ns/credentials/examples/v2", "https://example.org/more"
    ],
    "proofValue"`, ErrContextMismatch},
		{"cryptosuite", `"eddsa-jcs-2022"`, `"eddsa-rdfc-2022"`, ErrWrongCryptosuite},
		{"proof type", `"DataIntegrityProof"`, `"Ed25519Signature2020"`, ErrProofType},
		{"proofValue cut short", `GAVFuUfjoJdcnTMuVor51aX"`, `"`, ErrBadProof},
		{"proofValue last digit dropped", `Vor51aX"`, `Vor51a"`, ErrTampered},
		{"proofValue not base58", `Vor51aX"`, `Vor51a0"`, ErrBadProof},
		{"proofValue base64", `"z2HnFSSP`, `"u2HnFSSP`, ErrBadProof},
		{"proof removed", `"proof": {`, `"proof0": {`, ErrNoProof},
		{"verification method not did:key", `"verificationMethod": "did:key:`, `"verificationMethod": "did:web:`, ErrUnknownKeyForm},
		{"duplicate member", `"name": "Alumni Credential",`, `"name": "Alumni Credential", "name": "x",`, ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			changed := strings.Replace(string(signed), c.old, c.new, 1)
			if changed == string(signed) {
				t.Fatalf("%q not found in the vector", c.old)
			}
			_, err := VerifyProof([]byte(changed))
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

// TestDIDKeyVectors: for every Ed25519 entry of did-method-key's
// ed25519-x25519.json, the seed's public key gives that DID and
// verification method ID, and the DID decodes back to the key; the X25519
// key agreement keys in the same file are refused as another key form.
func TestDIDKeyVectors(t *testing.T) {
	dir := vectorDir(t, "did-method-key/test-vectors")
	var vectors map[string]struct {
		Seed                string
		VerificationKeyPair struct {
			ID              string
			PublicKeyBase58 string
			PublicKeyJwk    struct{ Crv, X string }
		}
		KeyAgreementKeyPair struct{ ID string }
		DIDDocument         struct {
			ID                 string
			VerificationMethod []struct{ ID string }
			AssertionMethod    []string
		}
	}
	if err := json.Unmarshal(readVector(t, dir, "ed25519-x25519.json"), &vectors); err != nil {
		t.Fatal(err)
	}
	if len(vectors) == 0 {
		t.Fatal("no vectors")
	}
	for did, v := range vectors {
		seed, err := hex.DecodeString(v.Seed)
		if err != nil || len(seed) != ed25519.SeedSize {
			t.Fatalf("%s: seed %q", did, v.Seed)
		}
		pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
		// The key is published as base58 or as a JWK.
		switch kp := v.VerificationKeyPair; {
		case kp.PublicKeyBase58 != "":
			if b, ok := decodeBase58(kp.PublicKeyBase58); !ok || !bytes.Equal(b, pub) {
				t.Fatalf("%s: publicKeyBase58 is not the seed's key", did)
			}
			if got := encodeBase58(pub); got != kp.PublicKeyBase58 {
				t.Fatalf("%s: base58 %s, want %s", did, got, kp.PublicKeyBase58)
			}
		case kp.PublicKeyJwk.Crv == "Ed25519":
			if b, err := base64.RawURLEncoding.DecodeString(kp.PublicKeyJwk.X); err != nil || !bytes.Equal(b, pub) {
				t.Fatalf("%s: publicKeyJwk.x is not the seed's key", did)
			}
		default:
			t.Fatalf("%s: no Ed25519 public key in the vector", did)
		}
		frag := v.VerificationKeyPair.ID[strings.Index(v.VerificationKeyPair.ID, "#"):]
		if got := DIDKey(pub); got != did || got != v.DIDDocument.ID {
			t.Fatalf("DIDKey = %s, want %s", got, did)
		}
		vm := VerificationMethodID(pub)
		if vm != v.DIDDocument.VerificationMethod[0].ID || vm != v.DIDDocument.AssertionMethod[0] || vm != did+frag {
			t.Fatalf("%s: verification method %s", did, vm)
		}
		got, err := ParseDIDKey(did)
		if err != nil || !got.Equal(pub) {
			t.Fatalf("ParseDIDKey(%s) = %x, %v", did, got, err)
		}
		gotDID, got, err := ParseVerificationMethod(vm)
		if err != nil || gotDID != did || !got.Equal(pub) {
			t.Fatalf("ParseVerificationMethod(%s) = %s, %v", vm, gotDID, err)
		}
		x := "did:key:" + v.KeyAgreementKeyPair.ID[strings.Index(v.KeyAgreementKeyPair.ID, "#")+1:]
		if _, err := ParseDIDKey(x); !errors.Is(err, ErrUnknownKeyForm) {
			t.Fatalf("X25519 %s: err = %v, want ErrUnknownKeyForm", x, err)
		}
	}
	t.Logf("%d did:key vectors", len(vectors))
}

// TestOtherSuitesRefused: the W3C vectors for the other EdDSA suites are
// refused with their reasons, not misread as eddsa-jcs-2022.
func TestOtherSuitesRefused(t *testing.T) {
	root := vectorDir(t, "vc-di-eddsa/TestVectors")
	for _, c := range []struct {
		file string
		want error
	}{
		{"eddsa-rdfc-2022/signedDataInt.json", ErrWrongCryptosuite},
		{"Ed25519Signature2020/signedEdSig.json", ErrProofType},
		{"proof-set-chain/signedProofSet2.json", ErrBadProof},
	} {
		if _, err := VerifyProof(readVector(t, root, c.file)); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.file, err, c.want)
		}
	}
}
