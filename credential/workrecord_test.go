package credential

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"
)

func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func pubOf(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

var (
	coopKey    = testKey("coop Vélo Rouge")
	courierKey = testKey("courier Ada")
	issuedAt   = day("2026-07-01").Add(9 * time.Hour)
)

func testCredential(t testing.TB) WorkCredential {
	rec, err := Tally(day("2026-01-01"), day("2026-07-01"), 412, 386, 380, 1790, 52)
	if err != nil {
		t.Fatal(err)
	}
	return WorkCredential{
		ID:         "urn:uuid:5b7a3c1e-0d2f-4c59-9d0e-3f1a2b4c5d6e",
		IssuerName: "Vélo Rouge",
		Subject:    DIDKey(pubOf(courierKey)),
		ValidFrom:  day("2026-07-01"),
		ValidUntil: day("2027-07-01"),
		Record:     rec,
	}
}

func issueTest(t testing.TB) []byte {
	raw, err := Issue(testCredential(t), coopKey, issuedAt)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestIssueVerifyRoundTrip: a credential issued with the coop's key
// verifies and gives back exactly what was issued, and re-issuing gives
// the same bytes (Ed25519 and JCS are deterministic).
func TestIssueVerifyRoundTrip(t *testing.T) {
	raw := issueTest(t)
	v, err := Verify(raw, day("2026-08-01"))
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	want := testCredential(t)
	want.Issuer = DIDKey(pubOf(coopKey))
	if v.WorkCredential.ID != want.ID || v.Issuer != want.Issuer || v.IssuerName != want.IssuerName ||
		v.Subject != want.Subject || !v.ValidFrom.Equal(want.ValidFrom) || !v.ValidUntil.Equal(want.ValidUntil) ||
		!v.Record.PeriodStart.Equal(want.Record.PeriodStart) || !v.Record.PeriodEnd.Equal(want.Record.PeriodEnd) ||
		v.Record.Deliveries != 412 || v.Record.OnTimeShare != 0.937 || v.Record.Ratings != 380 ||
		v.Record.MeanRating != 4.71 || v.Record.ShiftsWorked != 52 {
		t.Fatalf("verified %+v\nwant %+v", v.WorkCredential, want)
	}
	if v.Proof.VerificationMethod != VerificationMethodID(pubOf(coopKey)) || !v.Proof.Created.Equal(issuedAt) {
		t.Fatalf("proof %+v", v.Proof)
	}
	if again := issueTest(t); string(again) != string(raw) {
		t.Fatal("issuing twice gave different bytes")
	}
	// The generic Data Integrity check agrees.
	if p, err := VerifyProof(raw); err != nil || p.DID != want.Issuer {
		t.Fatalf("VerifyProof = %+v, %v", p, err)
	}
	for _, s := range []string{`"type": [`, `"CourierWorkRecord"`, `"cryptosuite": "eddsa-jcs-2022"`, `"onTimeShare": 0.937`, `"meanRating": 4.71`} {
		if !strings.Contains(string(raw), s) {
			t.Errorf("credential lacks %s:\n%s", s, raw)
		}
	}
	// Validity bounds are inclusive.
	for _, now := range []time.Time{day("2026-07-01"), day("2027-07-01")} {
		if _, err := Verify(raw, now); err != nil {
			t.Errorf("at %v: %v", now, err)
		}
	}
}

// TestVerifyRefusals: every refusal, each with its named reason. Field
// changes are made on the issued JSON text, so a changed claim, date or
// proof member is caught by the signature.
func TestVerifyRefusals(t *testing.T) {
	raw := string(issueTest(t))
	later := day("2026-08-01")
	other := DIDKey(pubOf(testKey("someone else")))
	replace := func(old, new string) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			if !strings.Contains(raw, old) {
				t.Fatalf("%q not in the credential", old)
			}
			return []byte(strings.Replace(raw, old, new, 1))
		}
	}
	// reissue signs a credential built by hand with the given change.
	reissue := func(change func(doc map[string]any), key ed25519.PrivateKey, opts ProofOptions) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			c := testCredential(t)
			c.Issuer = DIDKey(pubOf(coopKey))
			doc := c.document()
			change(doc)
			proof, err := createProof(doc, key, opts)
			if err != nil {
				t.Fatal(err)
			}
			doc["proof"] = proof
			b, err := Canonicalize(doc)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	subject := func(doc map[string]any) map[string]any { return doc["credentialSubject"].(map[string]any) }
	for _, c := range []struct {
		name string
		make func(t *testing.T) []byte
		now  time.Time
		want error
	}{
		{"deliveries raised", replace(`"deliveries": 412`, `"deliveries": 999`), later, ErrTampered},
		{"deliveries made negative", replace(`"deliveries": 412`, `"deliveries": -412`), later, ErrTampered},
		{"deliveries made fractional", replace(`"deliveries": 412`, `"deliveries": 412.5`), later, ErrTampered},
		{"mean rating raised", replace(`"meanRating": 4.71`, `"meanRating": 4.99`), later, ErrTampered},
		{"on-time share raised", replace(`"onTimeShare": 0.937`, `"onTimeShare": 0.999`), later, ErrTampered},
		{"shifts raised", replace(`"shiftsWorked": 52`, `"shiftsWorked": 53`), later, ErrTampered},
		{"period moved", replace(`"periodStart": "2026-01-01T00:00:00Z"`, `"periodStart": "2025-01-01T00:00:00Z"`), later, ErrTampered},
		{"validUntil extended", replace(`"validUntil": "2027-07-01T00:00:00Z"`, `"validUntil": "2099-07-01T00:00:00Z"`), later, ErrTampered},
		{"subject swapped", replace(DIDKey(pubOf(courierKey)), other), later, ErrTampered},
		{"issuer name changed", replace(`"Vélo Rouge"`, `"Velo Rouge"`), later, ErrTampered},
		{"member added", replace(`"name": "Courier work record"`, `"name": "Courier work record", "note": "x"`), later, ErrTampered},
		{"proof created changed", replace(`"created": "2026-07-01T09:00:00Z"`, `"created": "2026-07-01T09:00:01Z"`), later, ErrTampered},
		{"issuer swapped", replace(`"id": "`+DIDKey(pubOf(coopKey)), `"id": "`+other), later, ErrIssuerMismatch},
		{"signed by another key", reissue(func(map[string]any) {}, testKey("rogue"), ProofOptions{}), later, ErrIssuerMismatch},
		{"signed by another key claiming the coop's method", reissue(func(map[string]any) {}, testKey("rogue"),
			ProofOptions{VerificationMethod: VerificationMethodID(pubOf(coopKey))}), later, ErrTampered},
		{"expired", func(*testing.T) []byte { return []byte(raw) }, day("2027-07-02"), ErrExpired},
		{"not yet valid", func(*testing.T) []byte { return []byte(raw) }, day("2026-06-30"), ErrNotYetValid},
		{"proof expired", reissue(func(map[string]any) {}, coopKey, ProofOptions{}), later, nil}, // finished in the switch below
		{"wrong cryptosuite", replace(`"eddsa-jcs-2022"`, `"eddsa-rdfc-2022"`), later, ErrWrongCryptosuite},
		{"ecdsa cryptosuite", replace(`"eddsa-jcs-2022"`, `"ecdsa-jcs-2019"`), later, ErrWrongCryptosuite},
		{"wrong proof type", replace(`"type": "DataIntegrityProof"`, `"type": "Ed25519Signature2020"`), later, ErrProofType},
		{"wrong purpose", reissue(func(map[string]any) {}, coopKey, ProofOptions{Purpose: "authentication"}), later, ErrProofPurpose},
		{"proofValue mangled", replace(`"proofValue": "z`, `"proofValue": "zz0`), later, ErrBadProof},
		{"proofValue not multibase", replace(`"proofValue": "z`, `"proofValue": "m`), later, ErrBadProof},
		{"proof as a list", reissue(func(map[string]any) {}, coopKey, ProofOptions{}), later, nil},
		{"no proof", replace(`"proof": {`, `"proofs": {`), later, ErrNoProof},
		{"issuer is a URL", replace(`"id": "`+DIDKey(pubOf(coopKey)), `"id": "https://coop.example/issuer`), later, ErrUnknownKeyForm},
		{"issuer is a P-256 did:key", replace(`"id": "`+DIDKey(pubOf(coopKey)), `"id": "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169`), later, ErrUnknownKeyForm},
		{"issuer key small order", replace(`"id": "`+DIDKey(pubOf(coopKey)), `"id": "`+DIDKey(make(ed25519.PublicKey, 32))), later, ErrBadKey},
		{"verification method fragment", replace(`#z6Mk`, `#key-1z6Mk`), later, ErrUnknownKeyForm},
		{"proof context differs", reissue(func(map[string]any) {}, coopKey, ProofOptions{}), later, nil},
		{"subject not a did:key", reissue(func(d map[string]any) { subject(d)["id"] = "mailto:ada@example.org" }, coopKey, ProofOptions{}), later, ErrBadSubject},
		{"negative deliveries", reissue(func(d map[string]any) { subject(d)["deliveries"] = -1.0 }, coopKey, ProofOptions{}), later, ErrBadClaims},
		{"fractional shifts", reissue(func(d map[string]any) { subject(d)["shiftsWorked"] = 2.5 }, coopKey, ProofOptions{}), later, ErrBadClaims},
		{"share above one", reissue(func(d map[string]any) { subject(d)["onTimeShare"] = 1.5 }, coopKey, ProofOptions{}), later, ErrBadClaims},
		{"mean rating of six", reissue(func(d map[string]any) { subject(d)["meanRating"] = 6.0 }, coopKey, ProofOptions{}), later, ErrBadClaims},
		{"period inverted", reissue(func(d map[string]any) { subject(d)["periodEnd"] = "2025-01-01T00:00:00Z" }, coopKey, ProofOptions{}), later, ErrBadDates},
		{"validity inverted", reissue(func(d map[string]any) { d["validUntil"] = "2026-01-01T00:00:00Z" }, coopKey, ProofOptions{}), later, ErrBadDates},
		{"date without zone", reissue(func(d map[string]any) { d["validFrom"] = "2026-07-01T00:00:00" }, coopKey, ProofOptions{}), later, ErrBadDates},
		{"date as a number", reissue(func(d map[string]any) { d["validFrom"] = 1.0 }, coopKey, ProofOptions{}), later, ErrBadDates},
		{"no validFrom", reissue(func(d map[string]any) { delete(d, "validFrom") }, coopKey, ProofOptions{}), later, ErrNotWorkRecord},
		{"not a work record", reissue(func(d map[string]any) { d["type"] = []any{TypeCredential} }, coopKey, ProofOptions{}), later, ErrNotWorkRecord},
		{"VC 1.1 context", reissue(func(d map[string]any) { d["@context"] = []any{"https://www.w3.org/2018/credentials/v1"} }, coopKey, ProofOptions{}), later, ErrNotWorkRecord},
		{"two subjects", reissue(func(d map[string]any) { d["credentialSubject"] = []any{subject(d), subject(d)} }, coopKey, ProofOptions{}), later, ErrNotWorkRecord},
		{"types not strings", reissue(func(d map[string]any) { d["type"] = []any{map[string]any{}, []any{}, TypeWorkRecord} }, coopKey, ProofOptions{}), later, ErrNotWorkRecord},
		{"context not strings", reissue(func(d map[string]any) { d["@context"] = []any{map[string]any{"@vocab": "x"}} }, coopKey, ProofOptions{}), later, ErrNotWorkRecord},
		{"deliveries as text", reissue(func(d map[string]any) { subject(d)["deliveries"] = "412" }, coopKey, ProofOptions{}), later, ErrNotWorkRecord},
		{"not JSON", func(*testing.T) []byte { return []byte(raw[:len(raw)/2]) }, later, ErrMalformed},
		{"JSON list", func(*testing.T) []byte { return []byte(`[` + raw + `]`) }, later, ErrMalformed},
		{"duplicate validUntil", replace(`"validUntil": "2027-07-01T00:00:00Z"`, `"validUntil": "2027-07-01T00:00:00Z", "validUntil": "2099-01-01T00:00:00Z"`), later, ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := c.make(t)
			switch c.name {
			case "proof expired":
				b = []byte(strings.Replace(string(b), `"proofPurpose"`, `"expires":"2026-07-15T00:00:00Z","proofPurpose"`, 1))
				c.want = ErrTampered // expires is signed: adding it after signing is tampering
				if _, err := Verify(b, later); !errors.Is(err, c.want) {
					t.Fatalf("err = %v, want %v", err, c.want)
				}
				// Signed with an expires in the past: expired.
				b = reissue(func(map[string]any) {}, coopKey, ProofOptions{})(t)
				d := parseObject(t, b)
				p := d["proof"].(map[string]any)
				delete(p, "proofValue")
				p["expires"] = "2026-07-15T00:00:00Z"
				delete(d, "proof")
				hash, _ := hashData(d, p)
				p["proofValue"] = encodeMultibase(ed25519.Sign(coopKey, hash))
				d["proof"] = p
				b, _ = Canonicalize(d)
				c.want = ErrExpired
			case "proof as a list":
				d := parseObject(t, b)
				d["proof"] = []any{d["proof"]}
				b, _ = Canonicalize(d)
				c.want = ErrBadProof
			case "proof context differs":
				d := parseObject(t, b)
				d["proof"].(map[string]any)["@context"] = []any{"https://www.w3.org/ns/credentials/examples/v2"}
				b, _ = Canonicalize(d)
				c.want = ErrContextMismatch
			}
			v, err := Verify(b, c.now)
			if !errors.Is(err, c.want) {
				t.Fatalf("Verify = %+v, %v; want %v", v, err, c.want)
			}
			if v != nil || Code(err) == "" {
				t.Fatalf("a refusal returned %+v with code %q", v, Code(err))
			}
		})
	}
}

// TestVerifyWithoutValidUntil: validUntil is optional in VC 2.0; a
// credential without one never expires.
func TestVerifyWithoutValidUntil(t *testing.T) {
	c := testCredential(t)
	c.Issuer = DIDKey(pubOf(coopKey))
	doc := c.document()
	delete(doc, "validUntil")
	proof, err := createProof(doc, coopKey, ProofOptions{Created: issuedAt})
	if err != nil {
		t.Fatal(err)
	}
	doc["proof"] = proof
	b, _ := Canonicalize(doc)
	v, err := Verify(b, day("2099-01-01"))
	if err != nil || !v.ValidUntil.IsZero() {
		t.Fatalf("Verify = %+v, %v", v, err)
	}
}

// TestIssueRefusals: Issue refuses what Verify would.
func TestIssueRefusals(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(c *WorkCredential)
		key    ed25519.PrivateKey
		want   error
	}{
		{"short key", func(*WorkCredential) {}, coopKey[:32], ErrBadIssueKey},
		{"mismatched key halves", func(*WorkCredential) {}, append(append(ed25519.PrivateKey{}, coopKey[:32]...), pubOf(courierKey)...), ErrBadIssueKey},
		{"subject not did:key", func(c *WorkCredential) { c.Subject = "did:web:ada.example" }, coopKey, ErrBadSubject},
		{"subject X25519", func(c *WorkCredential) { c.Subject = "did:key:z6LShs9GGnqk85isEBzzshkuVWrVKsRp24GnDuHk8QWkARMW" }, coopKey, ErrBadSubject},
		{"no validUntil", func(c *WorkCredential) { c.ValidUntil = time.Time{} }, coopKey, ErrBadDates},
		{"validity inverted", func(c *WorkCredential) { c.ValidUntil = c.ValidFrom.Add(-time.Second) }, coopKey, ErrBadDates},
		{"year 10000", func(c *WorkCredential) { c.ValidUntil = day("9999-12-31").AddDate(0, 0, 1) }, coopKey, ErrBadDates},
		{"no period", func(c *WorkCredential) { c.Record.PeriodStart = time.Time{} }, coopKey, ErrBadDates},
		{"negative shifts", func(c *WorkCredential) { c.Record.ShiftsWorked = -1 }, coopKey, ErrBadClaims},
		{"rating with no ratings", func(c *WorkCredential) { c.Record.Ratings = 0 }, coopKey, ErrBadClaims},
		{"share with no deliveries", func(c *WorkCredential) { c.Record.Deliveries = 0 }, coopKey, ErrBadClaims},
		{"long issuer name", func(c *WorkCredential) { c.IssuerName = strings.Repeat("x", maxText+1) }, coopKey, ErrNotWorkRecord},
		{"issuer name not UTF-8", func(c *WorkCredential) { c.IssuerName = "\xff" }, coopKey, ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			wc := testCredential(t)
			c.change(&wc)
			if b, err := Issue(wc, c.key, issuedAt); !errors.Is(err, c.want) {
				t.Fatalf("Issue = %s, %v; want %v", b, err, c.want)
			}
		})
	}
}

// TestTally: shares are rounded the same way everywhere, and counts that
// cannot be are refused.
func TestTally(t *testing.T) {
	r, err := Tally(day("2026-01-01"), day("2026-02-01"), 3, 2, 3, 14, 1)
	if err != nil || r.OnTimeShare != 0.667 || r.MeanRating != 4.67 {
		t.Fatalf("Tally = %+v, %v", r, err)
	}
	r, err = Tally(day("2026-01-01"), day("2026-02-01"), 0, 0, 0, 0, 0)
	if err != nil || r.OnTimeShare != 0 || r.MeanRating != 0 {
		t.Fatalf("empty Tally = %+v, %v", r, err)
	}
	for _, c := range [][5]int{{3, 4, 0, 0, 0}, {3, -1, 0, 0, 0}, {3, 3, 2, 11, 0}, {3, 3, 2, 1, 0}, {-1, 0, 0, 0, 0}, {3, 3, 0, 0, -2}} {
		if _, err := Tally(day("2026-01-01"), day("2026-02-01"), c[0], c[1], c[2], c[3], c[4]); !errors.Is(err, ErrBadClaims) {
			t.Errorf("Tally%v: err = %v", c, err)
		}
	}
	if _, err := Tally(day("2026-02-01"), day("2026-01-01"), 1, 1, 0, 0, 0); !errors.Is(err, ErrBadDates) {
		t.Errorf("inverted period: err = %v", err)
	}
}

// TestCodes: every sentinel has a distinct code.
func TestCodes(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range codes {
		if got := Code(refuse(c.err, "x")); got != c.code || seen[c.code] {
			t.Errorf("%v: code %q", c.err, got)
		}
		seen[c.code] = true
	}
	if Code(nil) != "" || Code(errors.New("x")) != "" {
		t.Error("Code of a foreign error is not empty")
	}
}
