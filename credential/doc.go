// Package credential lets a courier carry their reputation from one
// cooperative to another: a record of their work (deliveries, period,
// mean rating, on-time share, shifts worked), issued by their coop as a
// W3C Verifiable Credential 2.0 and signed with the Data Integrity
// eddsa-jcs-2022 cryptosuite.
//
// Why: on today's platforms a courier's ratings stay locked inside the
// platform that collected them. A cooperative should let its members take
// their record with them, and another cooperative should be able to check
// it without asking anyone: not the first coop (which may be offline, or
// may have closed), not a registry, not coopnode's authors. So the issuer
// is a did:key, a DID that is its own public key, and the signature covers
// the JSON itself canonicalised with JCS (RFC 8785): checking a credential
// needs its bytes, the time, and nothing else. Standard formats mean that
// any VC 2.0 wallet or verifier can hold and check the same file, and that
// coopnode's output can be tested against the W3C's published vectors.
//
// What the package does not decide: whether an issuer is a coop the
// verifier trusts (a coop's constitution names its issuing key; the
// admitting coop compares), and whether the subject's did:key belongs to
// the person presenting it (a challenge they sign, outside this package).
//
// The layers, each usable alone:
//
//   - did:key for Ed25519 (DIDKey, ParseDIDKey, VerificationMethodID,
//     ParseVerificationMethod), refusing small-order and non-canonical keys;
//   - JCS (Parse, Canonicalize), over a strict I-JSON parser that refuses
//     duplicate member names, lone surrogates and invalid UTF-8, so that a
//     signer and a verifier cannot read one document two ways;
//   - eddsa-jcs-2022 proofs on any JSON document (AddProof, VerifyProof);
//   - the courier work record credential (Tally, Issue, Verify).
//
// The format, the proof and the order of the checks are specified in
// SPEC.md §18 (spec/credentials.md), with a test vector (§18.5).
//
// Every refusal wraps one of the ErrX sentinels (Code names it), and no
// input makes the package panic. It is pure: the standard library plus a
// curve library for the key checks; no goroutines, clocks, randomness,
// files, network or logging. The current time is a parameter of Verify,
// the creation time one of Issue.
package credential
