package credential

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// A courier's work record as a W3C Verifiable Credential 2.0, issued by a
// coop key and secured with eddsa-jcs-2022 (SPEC.md §18.2, §18.3):
//
//	{
//	  "@context": ["https://www.w3.org/ns/credentials/v2"],
//	  "type": ["VerifiableCredential", "CourierWorkRecord"],
//	  "name": "Courier work record",
//	  "issuer": "did:key:z6Mk..."  (or {"id": "did:key:z6Mk...", "name": "Vélo Coop"}),
//	  "validFrom": "2026-07-01T00:00:00Z",
//	  "validUntil": "2027-07-01T00:00:00Z",
//	  "credentialSubject": {
//	    "id": "did:key:z6Mk...",            the courier
//	    "periodStart": "2026-01-01T00:00:00Z",
//	    "periodEnd": "2026-07-01T00:00:00Z",
//	    "deliveries": 412,
//	    "onTimeShare": 0.937,               of deliveries, 3 decimals
//	    "ratings": 380,                     ratings received
//	    "meanRating": 4.71,                 stars 1..5, 2 decimals; 0 with no ratings
//	    "shiftsWorked": 52
//	  },
//	  "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", ...}
//	}
//
// The terms beyond VC 2.0's own fall under the v2 context's
// issuer-dependent vocabulary; the signature covers the JSON itself
// (JCS), not an RDF reading of it, so no context is ever fetched.

const (
	// ContextV2 is the VC 2.0 base context, the required first @context.
	ContextV2 = "https://www.w3.org/ns/credentials/v2"
	// TypeCredential is the type every VC carries.
	TypeCredential = "VerifiableCredential"
	// TypeWorkRecord is the type of a courier work record credential.
	TypeWorkRecord = "CourierWorkRecord"
	// workRecordName is the credential's display name.
	workRecordName = "Courier work record"
	// maxCount bounds every count in a work record.
	maxCount = 1_000_000_000
	// maxText bounds the credential ID and the issuer's name, in bytes.
	maxText = 512
)

// WorkRecord is what a credential says about a courier's work over a
// period: the aggregates a coop would want to see before admitting them.
// Its JSON (what the CLI and the HTTP API print) is snake_case like the
// rest of the API.
type WorkRecord struct {
	PeriodStart  time.Time `json:"period_start"`
	PeriodEnd    time.Time `json:"period_end"`
	Deliveries   int       `json:"deliveries"`
	OnTimeShare  float64   `json:"on_time_share"` // 0..1: the share of deliveries made on time
	Ratings      int       `json:"ratings"`       // how many ratings the courier received
	MeanRating   float64   `json:"mean_rating"`   // 1..5 stars, or 0 if Ratings is 0
	ShiftsWorked int       `json:"shifts_worked"`
}

// Tally builds a WorkRecord from counts: onTime of the deliveries were on
// time, ratings ratings gave starsTotal stars in all. The shares are
// rounded (3 decimals on time, 2 for the mean rating) so that a record
// reads the same everywhere; a count out of range is ErrBadClaims.
func Tally(start, end time.Time, deliveries, onTime, ratings, starsTotal, shifts int) (WorkRecord, error) {
	r := WorkRecord{PeriodStart: start, PeriodEnd: end, Deliveries: deliveries, Ratings: ratings, ShiftsWorked: shifts}
	if onTime < 0 || onTime > deliveries {
		return WorkRecord{}, refuse(ErrBadClaims, "%d deliveries on time out of %d", onTime, deliveries)
	}
	if deliveries > 0 {
		r.OnTimeShare = math.Round(float64(onTime)*1000/float64(deliveries)) / 1000
	}
	if ratings > 0 {
		if starsTotal < ratings || starsTotal > 5*ratings {
			return WorkRecord{}, refuse(ErrBadClaims, "%d stars from %d ratings of 1 to 5", starsTotal, ratings)
		}
		r.MeanRating = math.Round(float64(starsTotal)*100/float64(ratings)) / 100
	}
	return r, r.check()
}

// check applies the ranges Issue and Verify both enforce.
func (r WorkRecord) check() error {
	for _, c := range []struct {
		name string
		n    int
	}{{"deliveries", r.Deliveries}, {"ratings", r.Ratings}, {"shiftsWorked", r.ShiftsWorked}} {
		if c.n < 0 || c.n > maxCount {
			return refuse(ErrBadClaims, "%s %d is outside 0..%d", c.name, c.n, maxCount)
		}
	}
	if !(r.OnTimeShare >= 0 && r.OnTimeShare <= 1) {
		return refuse(ErrBadClaims, "onTimeShare %v is outside 0..1", r.OnTimeShare)
	}
	if r.Deliveries == 0 && r.OnTimeShare != 0 {
		return refuse(ErrBadClaims, "onTimeShare %v with no deliveries", r.OnTimeShare)
	}
	if r.Ratings == 0 && r.MeanRating != 0 {
		return refuse(ErrBadClaims, "meanRating %v with no ratings", r.MeanRating)
	}
	if r.Ratings > 0 && !(r.MeanRating >= 1 && r.MeanRating <= 5) {
		return refuse(ErrBadClaims, "meanRating %v is outside 1..5", r.MeanRating)
	}
	if r.PeriodStart.IsZero() || r.PeriodEnd.IsZero() || r.PeriodEnd.Before(r.PeriodStart) {
		return refuse(ErrBadDates, "period %s to %s", formatTime(r.PeriodStart), formatTime(r.PeriodEnd))
	}
	return nil
}

// WorkCredential is a courier work record credential's content.
type WorkCredential struct {
	ID         string     `json:"id,omitempty"`          // optional: the credential's URL or urn:uuid:...
	Issuer     string     `json:"issuer"`                // the coop key's did:key (Issue sets it from the key)
	IssuerName string     `json:"issuer_name,omitempty"` // optional: the coop's name
	Subject    string     `json:"subject"`               // the courier's did:key
	ValidFrom  time.Time  `json:"valid_from"`            // required; written in UTC to the second
	ValidUntil time.Time  `json:"valid_until,omitzero"`  // required when issuing; zero if a verified credential has none
	Record     WorkRecord `json:"record"`
}

// Verified is a credential that Verify accepted.
type Verified struct {
	WorkCredential
	Proof Proof `json:"proof"`
}

// MarshalJSON writes the proof snake_case, its public key in hex like
// every key of the API.
func (p Proof) MarshalJSON() ([]byte, error) {
	type plain Proof
	return json.Marshal(struct {
		plain
		PublicKey string `json:"public_key"`
	}{plain(p), fmt.Sprintf("%x", []byte(p.PublicKey))})
}

// Issue signs a work record credential with the coop's key at time
// created, and returns it as indented JSON (members in canonical order).
// It refuses what Verify would refuse: a subject that is not an Ed25519
// did:key, out-of-range claims, missing or inverted dates.
func Issue(c WorkCredential, coopKey ed25519.PrivateKey, created time.Time) ([]byte, error) {
	if len(coopKey) != ed25519.PrivateKeySize {
		return nil, refuse(ErrBadIssueKey, "%d bytes, not an Ed25519 private key", len(coopKey))
	}
	pub := coopKey.Public().(ed25519.PublicKey)
	if err := checkPublicKey(pub); err != nil {
		return nil, err
	}
	c.Issuer = DIDKey(pub)
	if _, err := ParseDIDKey(c.Subject); err != nil {
		return nil, refuse(ErrBadSubject, "subject %.60q: %v", c.Subject, err)
	}
	if c.ValidFrom.IsZero() || c.ValidUntil.IsZero() || c.ValidUntil.Before(c.ValidFrom) {
		return nil, refuse(ErrBadDates, "validity %s to %s", formatTime(c.ValidFrom), formatTime(c.ValidUntil))
	}
	for _, t := range []time.Time{c.ValidFrom, c.ValidUntil, c.Record.PeriodStart, c.Record.PeriodEnd, created} {
		if y := t.UTC().Year(); y < 1 || y > 9999 {
			return nil, refuse(ErrBadDates, "year %d cannot be written as an RFC 3339 date-time", y)
		}
	}
	if len(c.ID) > maxText || len(c.IssuerName) > maxText {
		return nil, refuse(ErrNotWorkRecord, "id or issuer name longer than %d bytes", maxText)
	}
	if err := c.Record.check(); err != nil {
		return nil, err
	}
	doc := c.document()
	proof, err := createProof(doc, coopKey, ProofOptions{Created: created})
	if err != nil {
		return nil, err
	}
	doc["proof"] = proof
	canon, err := Canonicalize(doc)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, canon, "", "  "); err != nil {
		return nil, refuse(ErrMalformed, "indenting: %v", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// document is the unsigned credential as a JSON value.
func (c WorkCredential) document() map[string]any {
	r := c.Record
	doc := map[string]any{
		"@context":   []any{ContextV2},
		"type":       []any{TypeCredential, TypeWorkRecord},
		"name":       workRecordName,
		"issuer":     c.Issuer,
		"validFrom":  formatTime(c.ValidFrom),
		"validUntil": formatTime(c.ValidUntil),
		"credentialSubject": map[string]any{
			"id":           c.Subject,
			"periodStart":  formatTime(r.PeriodStart),
			"periodEnd":    formatTime(r.PeriodEnd),
			"deliveries":   float64(r.Deliveries),
			"onTimeShare":  r.OnTimeShare,
			"ratings":      float64(r.Ratings),
			"meanRating":   r.MeanRating,
			"shiftsWorked": float64(r.ShiftsWorked),
		},
	}
	if c.ID != "" {
		doc["id"] = c.ID
	}
	if c.IssuerName != "" {
		doc["issuer"] = map[string]any{"id": c.Issuer, "name": c.IssuerName}
	}
	return doc
}

// Verify checks a work record credential offline at time now: that it is
// one I-JSON document shaped as a VC 2.0 work record, that its
// eddsa-jcs-2022 proof verifies under the issuer's own did:key with
// purpose assertionMethod, that its claims are in range, and that now is
// within validFrom..validUntil. A refusal wraps one of the ErrX sentinels,
// in the order of SPEC.md §18.4.
// The shape, the issuer's key form and the proof's form come first; then
// the signature, before the claims and dates, so that a changed claim or
// date is ErrTampered whatever else is wrong with it.
//
// Verify says who issued the credential (Verified.Issuer); whether that
// did:key is a coop the caller trusts is the caller's decision.
func Verify(raw []byte, now time.Time) (*Verified, error) {
	v, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, refuse(ErrMalformed, "the credential is not a JSON object")
	}
	c, claims, err := readShape(doc)
	if err != nil {
		return nil, err
	}
	if _, err := ParseDIDKey(c.Issuer); err != nil {
		return nil, refuse(sentinel(err), "issuer %.60q: %v", c.Issuer, err)
	}
	if _, ok := doc["proof"]; !ok {
		return nil, refuse(ErrNoProof, "the credential has no \"proof\" member")
	}
	proof, err := verifyProof(doc, c.Issuer)
	if err != nil {
		return nil, err
	}
	if proof.Purpose != PurposeAssertion {
		return nil, refuse(ErrProofPurpose, "proof.proofPurpose is %.40q", proof.Purpose)
	}
	if _, err := ParseDIDKey(c.Subject); err != nil {
		return nil, refuse(ErrBadSubject, "subject %.60q: %v", c.Subject, err)
	}
	if claims != nil {
		return nil, claims
	}
	if err := c.Record.check(); err != nil {
		return nil, err
	}
	if !c.ValidUntil.IsZero() && c.ValidUntil.Before(c.ValidFrom) {
		return nil, refuse(ErrBadDates, "validUntil %s is before validFrom %s", formatTime(c.ValidUntil), formatTime(c.ValidFrom))
	}
	if now.Before(c.ValidFrom) {
		return nil, refuse(ErrNotYetValid, "valid from %s, now is %s", formatTime(c.ValidFrom), formatTime(now))
	}
	if !c.ValidUntil.IsZero() && now.After(c.ValidUntil) {
		return nil, refuse(ErrExpired, "valid until %s, now is %s", formatTime(c.ValidUntil), formatTime(now))
	}
	if !proof.Expires.IsZero() && now.After(proof.Expires) {
		return nil, refuse(ErrExpired, "the proof expired at %s, now is %s", formatTime(proof.Expires), formatTime(now))
	}
	return &Verified{WorkCredential: c, Proof: *proof}, nil
}

// sentinel returns the sentinel a Refusal wraps, to re-wrap it with more
// detail.
func sentinel(err error) error {
	var r *Refusal
	if errors.As(err, &r) {
		return r.Err
	}
	return ErrMalformed
}

// readShape reads the credential's members (not the proof), refusing a
// document that is not a work record. A number that is not a count is
// returned as claims, for Verify to report after the signature check.
func readShape(doc map[string]any) (c WorkCredential, claims, err error) {
	ctx, ok := doc["@context"].([]any)
	if !ok || len(ctx) == 0 || ctx[0] != ContextV2 {
		return c, nil, refuse(ErrNotWorkRecord, "@context must be a list starting with %q", ContextV2)
	}
	types, ok := doc["type"].([]any)
	if !ok || !slices.Contains(types, any(TypeCredential)) || !slices.Contains(types, any(TypeWorkRecord)) {
		return c, nil, refuse(ErrNotWorkRecord, "type must list %q and %q", TypeCredential, TypeWorkRecord)
	}
	if id, has := doc["id"]; has {
		if c.ID, ok = id.(string); !ok {
			return c, nil, refuse(ErrNotWorkRecord, "id is not a string")
		}
	}
	switch iss := doc["issuer"].(type) {
	case string:
		c.Issuer = iss
	case map[string]any:
		if c.Issuer, ok = iss["id"].(string); !ok {
			return c, nil, refuse(ErrNotWorkRecord, "issuer.id is missing or not a string")
		}
		if name, has := iss["name"]; has {
			if c.IssuerName, ok = name.(string); !ok {
				return c, nil, refuse(ErrNotWorkRecord, "issuer.name is not a string")
			}
		}
	default:
		return c, nil, refuse(ErrNotWorkRecord, "issuer is missing, or neither a string nor an object")
	}
	if c.ValidFrom, err = readTime(doc, "validFrom", true); err != nil {
		return c, nil, err
	}
	if c.ValidUntil, err = readTime(doc, "validUntil", false); err != nil {
		return c, nil, err
	}
	subj, ok := doc["credentialSubject"].(map[string]any)
	if !ok {
		return c, nil, refuse(ErrNotWorkRecord, "credentialSubject is missing or not one object")
	}
	if c.Subject, ok = subj["id"].(string); !ok {
		return c, nil, refuse(ErrNotWorkRecord, "credentialSubject.id is missing or not a string")
	}
	r := &c.Record
	if r.PeriodStart, err = readTime(subj, "periodStart", true); err != nil {
		return c, nil, err
	}
	if r.PeriodEnd, err = readTime(subj, "periodEnd", true); err != nil {
		return c, nil, err
	}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"deliveries", &r.Deliveries}, {"ratings", &r.Ratings}, {"shiftsWorked", &r.ShiftsWorked}} {
		n, ok := subj[f.name].(float64)
		if !ok {
			return c, nil, refuse(ErrNotWorkRecord, "credentialSubject.%s is missing or not a number", f.name)
		}
		if n != math.Trunc(n) || n < 0 || n > maxCount {
			if claims == nil {
				claims = refuse(ErrBadClaims, "credentialSubject.%s %v is not a count in 0..%d", f.name, n, maxCount)
			}
			continue
		}
		*f.dst = int(n)
	}
	for _, f := range []struct {
		name string
		dst  *float64
	}{{"onTimeShare", &r.OnTimeShare}, {"meanRating", &r.MeanRating}} {
		if *f.dst, ok = subj[f.name].(float64); !ok {
			return c, nil, refuse(ErrNotWorkRecord, "credentialSubject.%s is missing or not a number", f.name)
		}
	}
	return c, claims, nil
}

// readTime reads a date-time member of obj.
func readTime(obj map[string]any, name string, required bool) (time.Time, error) {
	v, has := obj[name]
	if !has {
		if required {
			return time.Time{}, refuse(ErrNotWorkRecord, "%s is missing", name)
		}
		return time.Time{}, nil
	}
	s, ok := v.(string)
	if !ok {
		return time.Time{}, refuse(ErrBadDates, "%s is not a string", name)
	}
	t, ok := parseTime(s)
	if !ok {
		return time.Time{}, refuse(ErrBadDates, "%s %.40q is not an RFC 3339 date-time with a time zone", name, s)
	}
	return t, nil
}
