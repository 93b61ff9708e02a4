package credential

import (
	"bytes"
	"crypto/ed25519"
	"strings"

	"filippo.io/edwards25519"
)

// did:key for Ed25519 (SPEC.md §18.1; the W3C CCG did:key method; Multikey in Controlled
// Identifiers v1.0, section 2.2.2): "did:key:" + multibase base58btc of the
// multicodec header 0xed 0x01 (ed25519-pub, varint 0xed) and the 32-byte
// public key, so every such DID starts "did:key:z6Mk". The DID is its own
// DID document: the one verification method is the DID, '#', and the same
// multibase value. Nothing is looked up, which is what makes a credential
// verifiable offline.

const (
	didKeyPrefix = "did:key:"
	// ed25519PubHeader is the multicodec varint of ed25519-pub (0xed).
	ed25519PubHeader = "\xed\x01"
	// ed25519PrivHeader is the multicodec varint of ed25519-priv (0x1300),
	// the Multikey secretKeyMultibase header.
	ed25519PrivHeader = "\x80\x26"
)

// PublicKeyMultibase returns the Multikey publicKeyMultibase form of an
// Ed25519 public key ("z6Mk...").
func PublicKeyMultibase(pub ed25519.PublicKey) string {
	return encodeMultibase(append([]byte(ed25519PubHeader), pub...))
}

// DIDKey returns the did:key of an Ed25519 public key.
func DIDKey(pub ed25519.PublicKey) string { return didKeyPrefix + PublicKeyMultibase(pub) }

// VerificationMethodID returns the ID of the one verification method of an
// Ed25519 public key's did:key: "did:key:z6Mk...#z6Mk...".
func VerificationMethodID(pub ed25519.PublicKey) string {
	mb := PublicKeyMultibase(pub)
	return didKeyPrefix + mb + "#" + mb
}

// ParsePublicKeyMultibase decodes a Multikey publicKeyMultibase value that
// holds an Ed25519 public key. Another multicodec is ErrUnknownKeyForm; 32
// bytes that are not an acceptable curve point are ErrBadKey.
func ParsePublicKeyMultibase(s string) (ed25519.PublicKey, error) {
	raw, ok := decodeMultibase(s)
	if !ok {
		return nil, refuse(ErrUnknownKeyForm, "%.60q is not base58btc multibase ('z...')", s)
	}
	if len(raw) < 2 || string(raw[:2]) != ed25519PubHeader {
		return nil, refuse(ErrUnknownKeyForm, "%.60q is not an ed25519-pub multikey (header 0xed01)", s)
	}
	if len(raw) != 2+ed25519.PublicKeySize {
		return nil, refuse(ErrUnknownKeyForm, "%.60q holds %d key bytes, not %d", s, len(raw)-2, ed25519.PublicKeySize)
	}
	pub := ed25519.PublicKey(raw[2:])
	if err := checkPublicKey(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// ParseDIDKey decodes an Ed25519 did:key ("did:key:z6Mk...") to its public
// key. Any other DID, any other key type (X25519 "z6LS", P-256 "zDn", ...)
// is ErrUnknownKeyForm.
func ParseDIDKey(did string) (ed25519.PublicKey, error) {
	mb, ok := strings.CutPrefix(did, didKeyPrefix)
	if !ok {
		return nil, refuse(ErrUnknownKeyForm, "%.60q is not a did:key", did)
	}
	return ParsePublicKeyMultibase(mb)
}

// ParseVerificationMethod decodes a did:key verification method ID
// ("did:key:z6Mk...#z6Mk...") to its DID and public key. The fragment must
// repeat the DID's multibase value, as the did:key method defines it.
func ParseVerificationMethod(vm string) (did string, pub ed25519.PublicKey, err error) {
	did, frag, ok := strings.Cut(vm, "#")
	if !ok {
		return "", nil, refuse(ErrUnknownKeyForm, "verification method %.80q has no #fragment", vm)
	}
	pub, err = ParseDIDKey(did)
	if err != nil {
		return "", nil, err
	}
	if frag != strings.TrimPrefix(did, didKeyPrefix) {
		return "", nil, refuse(ErrUnknownKeyForm, "verification method fragment %.60q does not name the key of %s", frag, did)
	}
	return did, pub, nil
}

// checkPublicKey refuses an Ed25519 public key whose bytes are not the
// canonical encoding of a curve point, or that is one of the eight
// small-order points. crypto/ed25519 verifies per RFC 8032 (strongly
// unforgeable); refusing small-order keys also makes a signature bind to
// one key and one message (Data Integrity EdDSA, section 4.1.2, "Taming the many
// EdDSAs" algorithm 2).
func checkPublicKey(pub ed25519.PublicKey) error {
	p, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		return refuse(ErrBadKey, "not a curve point")
	}
	if !bytes.Equal(p.Bytes(), pub) {
		return refuse(ErrBadKey, "non-canonical point encoding")
	}
	if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return refuse(ErrBadKey, "small-order point")
	}
	return nil
}

// parseSecretKeyMultibase decodes a Multikey secretKeyMultibase value
// (header 0x8026, then the 32-byte seed) to a private key. The package
// never writes secret keys out; the W3C test vectors publish theirs.
func parseSecretKeyMultibase(s string) (ed25519.PrivateKey, bool) {
	raw, ok := decodeMultibase(s)
	if !ok || len(raw) != 2+ed25519.SeedSize || string(raw[:2]) != ed25519PrivHeader {
		return nil, false
	}
	return ed25519.NewKeyFromSeed(raw[2:]), true
}
