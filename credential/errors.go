package credential

import (
	"errors"
	"fmt"
)

// Refusal reasons (SPEC.md §18.4). Every error the package returns wraps exactly one of
// these, so callers test with errors.Is and show Code(err); the Refusal
// around it says what to fix.
var (
	// ErrMalformed: the bytes are not one I-JSON document: not JSON,
	// invalid UTF-8, a lone surrogate, a duplicate member name, a number
	// out of range, nesting deeper than MaxDepth, trailing bytes, or more
	// than MaxSize bytes.
	ErrMalformed = errors.New("credential: malformed JSON")
	// ErrNotWorkRecord: well-formed JSON that is not a courier work record
	// credential: a wrong or missing @context, type, issuer,
	// credentialSubject or field of the wrong JSON type.
	ErrNotWorkRecord = errors.New("credential: not a courier work record credential")
	// ErrBadDates: validFrom, validUntil or a period bound that is not an
	// RFC 3339 date-time with a time zone, or a range that ends before it
	// starts.
	ErrBadDates = errors.New("credential: bad dates")
	// ErrBadClaims: aggregates out of range (negative counts, a share
	// outside 0..1, a mean rating outside 1..5, fractional counts).
	ErrBadClaims = errors.New("credential: bad claims")
	// ErrBadSubject: the credentialSubject.id is not an Ed25519 did:key.
	ErrBadSubject = errors.New("credential: subject is not an Ed25519 did:key")
	// ErrNoProof: the document carries no proof.
	ErrNoProof = errors.New("credential: no proof")
	// ErrBadProof: a proof that is not well formed: not one object, a
	// missing or non-string member, a proofValue that is not base58btc
	// multibase of 64 bytes, a created or expires that is not a date-time,
	// or a proof chain (previousProof), which this package does not verify.
	ErrBadProof = errors.New("credential: bad proof")
	// ErrProofType: proof.type is not DataIntegrityProof.
	ErrProofType = errors.New("credential: proof type is not DataIntegrityProof")
	// ErrWrongCryptosuite: proof.cryptosuite is not eddsa-jcs-2022.
	ErrWrongCryptosuite = errors.New("credential: cryptosuite is not eddsa-jcs-2022")
	// ErrProofPurpose: proof.proofPurpose is not assertionMethod.
	ErrProofPurpose = errors.New("credential: proof purpose is not assertionMethod")
	// ErrUnknownKeyForm: a DID or verification method that is not an
	// Ed25519 did:key (another DID method, another multicodec such as
	// X25519 or P-256, a URL, or a fragment that does not name the key).
	ErrUnknownKeyForm = errors.New("credential: unknown key form")
	// ErrBadKey: an Ed25519 did:key whose 32 bytes are not a canonical
	// encoding of a curve point, or are a small-order point (a key that
	// would let one signature verify for several messages).
	ErrBadKey = errors.New("credential: bad Ed25519 key")
	// ErrIssuerMismatch: the proof's verification method belongs to a DID
	// other than the credential's issuer.
	ErrIssuerMismatch = errors.New("credential: proof not made by the issuer")
	// ErrContextMismatch: the proof's @context is not a prefix of the
	// document's @context (Data Integrity EdDSA, section 3.3.2, step 4).
	ErrContextMismatch = errors.New("credential: proof @context does not match the document")
	// ErrTampered: the signature does not verify: the document or its
	// proof options changed after signing, or another key signed it.
	ErrTampered = errors.New("credential: tampered (signature does not verify)")
	// ErrNotYetValid: the verification time is before validFrom.
	ErrNotYetValid = errors.New("credential: not yet valid")
	// ErrExpired: the verification time is after validUntil, or after the
	// proof's expires.
	ErrExpired = errors.New("credential: expired")
	// ErrBadIssueKey: Issue was given a private key of the wrong size.
	ErrBadIssueKey = errors.New("credential: bad issuing key")
)

var codes = []struct {
	err  error
	code string
}{
	{ErrMalformed, "malformed"}, {ErrNotWorkRecord, "not_work_record"}, {ErrBadDates, "bad_dates"},
	{ErrBadClaims, "bad_claims"}, {ErrBadSubject, "bad_subject"}, {ErrNoProof, "no_proof"},
	{ErrBadProof, "bad_proof"}, {ErrProofType, "proof_type"}, {ErrWrongCryptosuite, "wrong_cryptosuite"},
	{ErrProofPurpose, "proof_purpose"}, {ErrUnknownKeyForm, "unknown_key_form"}, {ErrBadKey, "bad_key"},
	{ErrIssuerMismatch, "issuer_mismatch"}, {ErrContextMismatch, "context_mismatch"}, {ErrTampered, "tampered"},
	{ErrNotYetValid, "not_yet_valid"}, {ErrExpired, "expired"}, {ErrBadIssueKey, "bad_issue_key"},
}

// CodeOf pairs a sentinel of the package with its code.
type CodeOf struct {
	Err  error
	Code string
}

// Codes lists every sentinel of the package with its code, in a fixed
// order. Package node folds it into the one table of codes the CLI, the
// HTTP API and package mobile share.
func Codes() []CodeOf {
	out := make([]CodeOf, len(codes))
	for i, c := range codes {
		out[i] = CodeOf{c.err, c.code}
	}
	return out
}

// Code names the refusal an error wraps ("tampered", "expired", ...), or ""
// for nil or an error that is not the package's.
func Code(err error) string {
	if err == nil {
		return ""
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return ""
}

// Refusal is a refusal with its detail: which member, what was expected.
type Refusal struct {
	Err    error  // one of the ErrX sentinels
	Detail string // what is wrong, naming the member
}

func (r *Refusal) Error() string {
	if r.Detail == "" {
		return r.Err.Error()
	}
	return r.Err.Error() + ": " + r.Detail
}

// Unwrap returns the sentinel.
func (r *Refusal) Unwrap() error { return r.Err }

func refuse(err error, format string, args ...any) *Refusal {
	return &Refusal{Err: err, Detail: fmt.Sprintf(format, args...)}
}
