package credential

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/work-record-vector.json")

// workRecordVector is the layout of testdata/work-record-vector.json: a
// test vector for coopnode's work record credential in the style of the
// W3C ones, so that a second implementation can check every step.
type workRecordVector struct {
	Description          string          `json:"description"`
	CoopSeed             string          `json:"coopSeed"`    // hex Ed25519 seed of the coop's issuing key
	CourierSeed          string          `json:"courierSeed"` // hex Ed25519 seed of the courier's key
	CoopDID              string          `json:"coopDid"`
	CourierDID           string          `json:"courierDid"`
	Created              string          `json:"created"`
	VerifyAt             string          `json:"verifyAt"`
	Unsigned             json.RawMessage `json:"unsigned"`
	CanonicalDocument    string          `json:"canonicalDocument"`
	DocumentHash         string          `json:"documentHash"`
	CanonicalProofConfig string          `json:"canonicalProofConfig"`
	ProofConfigHash      string          `json:"proofConfigHash"`
	HashData             string          `json:"hashData"`
	ProofValue           string          `json:"proofValue"`
	Signed               json.RawMessage `json:"signed"`
}

// TestWorkRecordVector: issuing the vector's credential with its seeds
// gives, step by step, what testdata/work-record-vector.json says, and the
// signed credential in it verifies. Regenerate with go test -update (and
// say why in the commit: the file is a published test vector).
func TestWorkRecordVector(t *testing.T) {
	coopSeed := sha256.Sum256([]byte("coop Vélo Rouge"))
	courierSeed := sha256.Sum256([]byte("courier Ada"))
	coop := ed25519.NewKeyFromSeed(coopSeed[:])
	c := testCredential(t)
	c.Issuer = DIDKey(pubOf(coop))
	signed, err := Issue(c, coop, issuedAt)
	if err != nil {
		t.Fatal(err)
	}
	unsigned, _ := Canonicalize(c.document())
	doc := parseObject(t, signed)
	proof := doc["proof"].(map[string]any)
	options := map[string]any{}
	for k, v := range proof {
		if k != "proofValue" {
			options[k] = v
		}
	}
	canonDoc, _ := Canonicalize(c.document())
	canonProof, _ := Canonicalize(options)
	dh, ph := sha256.Sum256(canonDoc), sha256.Sum256(canonProof)
	hd, err := hashData(c.document(), options)
	if err != nil {
		t.Fatal(err)
	}
	var indented bytes.Buffer
	_ = json.Indent(&indented, unsigned, "    ", "  ")
	got := workRecordVector{
		Description: "coopnode courier work record credential (VC 2.0, eddsa-jcs-2022). Keys are Ed25519 from the seeds; " +
			"hashData = SHA-256(canonicalProofConfig) || SHA-256(canonicalDocument); proofValue = 'z' + base58btc(Ed25519 signature of hashData).",
		CoopSeed:             hex.EncodeToString(coopSeed[:]),
		CourierSeed:          hex.EncodeToString(courierSeed[:]),
		CoopDID:              DIDKey(pubOf(coop)),
		CourierDID:           DIDKey(pubOf(ed25519.NewKeyFromSeed(courierSeed[:]))),
		Created:              formatTime(issuedAt),
		VerifyAt:             formatTime(day("2026-08-01")),
		Unsigned:             indented.Bytes(),
		CanonicalDocument:    string(canonDoc),
		DocumentHash:         hex.EncodeToString(dh[:]),
		CanonicalProofConfig: string(canonProof),
		ProofConfigHash:      hex.EncodeToString(ph[:]),
		HashData:             hex.EncodeToString(hd),
		ProofValue:           proof["proofValue"].(string),
		Signed:               bytes.TrimSpace(signed),
	}
	if hex.EncodeToString(hd) != got.ProofConfigHash+got.DocumentHash {
		t.Fatal("hashData is not proofConfigHash || documentHash")
	}
	want, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	const path = "testdata/work-record-vector.json"
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update once)", err)
	}
	if !bytes.Equal(file, want) {
		t.Fatalf("%s differs from what Issue gives now:\n%s", path, want)
	}
	var v workRecordVector
	if err := json.Unmarshal(file, &v); err != nil {
		t.Fatal(err)
	}
	at, _ := time.Parse(time.RFC3339, v.VerifyAt)
	ok, err := Verify(v.Signed, at)
	if err != nil || ok.Issuer != v.CoopDID || ok.Subject != v.CourierDID {
		t.Fatalf("the vector's signed credential: %+v, %v", ok, err)
	}
}
