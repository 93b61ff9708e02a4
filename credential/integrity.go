package credential

import (
	"crypto/ed25519"
	"crypto/sha256"
	"time"
)

// The Data Integrity eddsa-jcs-2022 cryptosuite (W3C Data Integrity EdDSA
// Cryptosuites v1.0, section 3.3): the document without its proof and the proof
// options (with the document's @context) are each canonicalised with JCS
// and hashed with SHA-256; the Ed25519 signature covers
// proofConfigHash || documentHash and is written as base58btc multibase.

const (
	// ProofType is the only proof type accepted (Data Integrity EdDSA, section 2.2.1).
	ProofType = "DataIntegrityProof"
	// Cryptosuite is the only cryptosuite accepted.
	Cryptosuite = "eddsa-jcs-2022"
	// PurposeAssertion is the proof purpose of an issuer's assertion.
	PurposeAssertion = "assertionMethod"
)

// ProofOptions are the options of a new proof.
type ProofOptions struct {
	// VerificationMethod: the signer's verification method; empty means
	// the did:key verification method of the signing key.
	VerificationMethod string
	// Created: the proof's creation time, written in UTC to the second;
	// the zero time leaves "created" out.
	Created time.Time
	// Purpose: empty means PurposeAssertion.
	Purpose string
}

// Proof is what VerifyProof found in a valid proof.
type Proof struct {
	VerificationMethod string            `json:"verification_method"` // the did:key verification method ID
	DID                string            `json:"did"`                 // its DID (the signer)
	PublicKey          ed25519.PublicKey `json:"public_key"`          // the key that verified the signature (hex in JSON)
	Purpose            string            `json:"purpose"`             // proofPurpose
	Created            time.Time         `json:"created,omitzero"`    // zero if the proof has none
	Expires            time.Time         `json:"expires,omitzero"`    // zero if the proof has none
}

// AddProof signs a JSON document (an object without a "proof" member) with
// eddsa-jcs-2022 and returns the secured document: its canonical JSON with
// the proof added. The private key's did:key names the verification method
// unless opts says otherwise.
func AddProof(unsigned []byte, key ed25519.PrivateKey, opts ProofOptions) ([]byte, error) {
	v, err := Parse(unsigned)
	if err != nil {
		return nil, err
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, refuse(ErrMalformed, "the document is not a JSON object")
	}
	if _, has := doc["proof"]; has {
		return nil, refuse(ErrBadProof, "the document already has a proof")
	}
	proof, err := createProof(doc, key, opts)
	if err != nil {
		return nil, err
	}
	doc["proof"] = proof
	return Canonicalize(doc)
}

// createProof is Create Proof (eddsa-jcs-2022, section 3.3.1) over a parsed
// document without a proof; it returns the proof object.
func createProof(doc map[string]any, key ed25519.PrivateKey, opts ProofOptions) (map[string]any, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, refuse(ErrBadIssueKey, "%d bytes, not an Ed25519 private key", len(key))
	}
	pub := key.Public().(ed25519.PublicKey)
	if !pub.Equal(ed25519.NewKeyFromSeed(key.Seed()).Public()) {
		return nil, refuse(ErrBadIssueKey, "the private key's public half does not match its seed")
	}
	proof := map[string]any{
		"type":               ProofType,
		"cryptosuite":        Cryptosuite,
		"verificationMethod": opts.VerificationMethod,
		"proofPurpose":       opts.Purpose,
	}
	if opts.VerificationMethod == "" {
		proof["verificationMethod"] = VerificationMethodID(pub)
	}
	if opts.Purpose == "" {
		proof["proofPurpose"] = PurposeAssertion
	}
	if !opts.Created.IsZero() {
		proof["created"] = formatTime(opts.Created)
	}
	// Step 2: the proof carries the document's @context.
	if ctx, ok := doc["@context"]; ok {
		proof["@context"] = ctx
	}
	hash, err := hashData(doc, proof)
	if err != nil {
		return nil, err
	}
	proof["proofValue"] = encodeMultibase(ed25519.Sign(key, hash))
	return proof, nil
}

// hashData is Transformation, Proof Configuration and Hashing (sections
// 3.3.3 to 3.3.5): SHA-256 of the canonical proof options, then SHA-256 of the
// canonical document. doc must not hold the proof, nor options the
// proofValue.
func hashData(doc, options map[string]any) ([]byte, error) {
	config, err := Canonicalize(options)
	if err != nil {
		return nil, err
	}
	canon, err := Canonicalize(doc)
	if err != nil {
		return nil, err
	}
	ch, dh := sha256.Sum256(config), sha256.Sum256(canon)
	return append(ch[:], dh[:]...), nil
}

// VerifyProof verifies the eddsa-jcs-2022 proof of a secured JSON document
// whose verification method is an Ed25519 did:key (Verify Proof, section 3.3.2).
// It checks the proof alone: what the document says, who issued it and
// when it is valid are for the caller (Verify does all of that for a work
// record). Expiry of the proof itself is not checked here either: see
// Proof.Expires.
func VerifyProof(secured []byte) (*Proof, error) {
	v, err := Parse(secured)
	if err != nil {
		return nil, err
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, refuse(ErrMalformed, "the document is not a JSON object")
	}
	return verifyProof(doc, "")
}

// verifyProof verifies doc's proof without changing doc. If signer is not
// empty, a verification method of another DID is ErrIssuerMismatch,
// checked before the signature.
func verifyProof(doc map[string]any, signer string) (*Proof, error) {
	raw, ok := doc["proof"]
	if !ok {
		return nil, refuse(ErrNoProof, "the document has no \"proof\" member")
	}
	proofMap, ok := raw.(map[string]any)
	if !ok {
		return nil, refuse(ErrBadProof, "\"proof\" is not one object (proof sets are not supported)")
	}
	str := func(name string) (string, error) {
		s, ok := proofMap[name].(string)
		if !ok {
			return "", refuse(ErrBadProof, "proof.%s is missing or not a string", name)
		}
		return s, nil
	}
	typ, err := str("type")
	if err != nil {
		return nil, err
	}
	if typ != ProofType {
		return nil, refuse(ErrProofType, "proof.type is %.40q", typ)
	}
	suite, err := str("cryptosuite")
	if err != nil {
		return nil, err
	}
	if suite != Cryptosuite {
		return nil, refuse(ErrWrongCryptosuite, "proof.cryptosuite is %.40q", suite)
	}
	if _, chained := proofMap["previousProof"]; chained {
		return nil, refuse(ErrBadProof, "proof chains (previousProof) are not supported")
	}
	purpose, err := str("proofPurpose")
	if err != nil {
		return nil, err
	}
	vm, err := str("verificationMethod")
	if err != nil {
		return nil, err
	}
	value, err := str("proofValue")
	if err != nil {
		return nil, err
	}
	sig, ok := decodeMultibase(value)
	if !ok || len(sig) != ed25519.SignatureSize {
		return nil, refuse(ErrBadProof, "proof.proofValue is not base58btc multibase of a 64-byte signature")
	}
	out := &Proof{VerificationMethod: vm, Purpose: purpose}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"created", &out.Created}, {"expires", &out.Expires}} {
		name, dst := f.name, f.dst
		if _, has := proofMap[name]; !has {
			continue
		}
		s, err := str(name)
		if err != nil {
			return nil, err
		}
		if *dst, ok = parseTime(s); !ok {
			return nil, refuse(ErrBadProof, "proof.%s %.40q is not an RFC 3339 date-time", name, s)
		}
	}
	out.DID, out.PublicKey, err = ParseVerificationMethod(vm)
	if err != nil {
		return nil, err
	}
	if signer != "" && out.DID != signer {
		return nil, refuse(ErrIssuerMismatch, "signed by %s, issuer is %s", out.DID, signer)
	}

	// Steps 1-2: the document without its proof, the options without the
	// proof value (shallow copies: nothing below the top level changes).
	unsecured := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != "proof" {
			unsecured[k] = v
		}
	}
	options := make(map[string]any, len(proofMap))
	for k, v := range proofMap {
		if k != "proofValue" {
			options[k] = v
		}
	}
	// Step 4: the proof's @context must begin the document's.
	if pctx, has := options["@context"]; has {
		if err := contextPrefix(pctx, doc["@context"]); err != nil {
			return nil, err
		}
		unsecured["@context"] = pctx
	}
	hash, err := hashData(unsecured, options)
	if err != nil {
		return nil, err
	}
	if !ed25519.Verify(out.PublicKey, hash, sig) {
		return nil, refuse(ErrTampered, "the signature by %s does not cover this document and proof", vm)
	}
	return out, nil
}

// contextPrefix checks that the document's @context starts with every
// value of the proof's @context, in order. A string @context counts as a
// list of one.
func contextPrefix(proofCtx, docCtx any) error {
	list := func(v any) ([]any, bool) {
		switch v := v.(type) {
		case []any:
			return v, true
		case string, map[string]any:
			return []any{v}, true
		}
		return nil, false
	}
	p, ok := list(proofCtx)
	if !ok {
		return refuse(ErrContextMismatch, "proof @context is not a string, object or list")
	}
	d, ok := list(docCtx)
	if !ok {
		return refuse(ErrContextMismatch, "the document has no @context but the proof has one")
	}
	if len(p) > len(d) {
		return refuse(ErrContextMismatch, "proof @context has %d entries, the document %d", len(p), len(d))
	}
	for i := range p {
		a, errA := Canonicalize(p[i])
		b, errB := Canonicalize(d[i])
		if errA != nil || errB != nil || string(a) != string(b) {
			return refuse(ErrContextMismatch, "@context entry %d differs", i)
		}
	}
	return nil
}

// timeLayout is how the package writes date-times: UTC, to the second.
const timeLayout = "2006-01-02T15:04:05Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// parseTime reads an RFC 3339 date-time with a time zone (an XML Schema
// dateTimeStamp, as VC 2.0 requires for validFrom and validUntil).
func parseTime(s string) (time.Time, bool) {
	if len(s) > 64 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}
