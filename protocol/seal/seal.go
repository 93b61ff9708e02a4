// Package seal encrypts a customer's personal data (name, phone, exact
// address, delivery instructions) so that only the parties who need it can
// read it: the order's restaurant, and the courier who holds the order
// (SPEC.md §15.4). Relays, other couriers and other customers carry the
// ciphertext without being able to open it.
//
// Why derive keys instead of publishing new ones: every party already has
// an Ed25519 identity (its libp2p key, its event author key). An Ed25519
// key converts to an X25519 key (the birational map used by libsodium's
// crypto_sign_ed25519_pk_to_curve25519), so a customer can seal to a
// restaurant knowing only its member key, and a restaurant can re-seal to
// the courier whose claim it confirmed, with no key directory.
//
// A box is: version (1 byte, = 1) || ephemeral X25519 public key (32) ||
// AES-256-GCM ciphertext with its 16-byte tag. Key and nonce come from
// HKDF-SHA-256 over the X25519 shared secret, salted with the ephemeral and
// recipient public keys, with "coopnode/seal/v1" and a caller context as
// info; the context is also the AEAD's associated data, so a box cannot be
// moved to another order.
//
// Standard library only.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"io"
	"math/big"
)

// Version is the box format version (SPEC.md §15.4).
const Version = 1

// Overhead is how many bytes a box adds to its plaintext.
const Overhead = 1 + 32 + 16

// MaxPlaintext bounds what may be sealed: personal data is small.
const MaxPlaintext = 2048

// Errors of the package.
var (
	// ErrBadKey is returned for a public key that is not a usable point.
	ErrBadKey = errors.New("seal: bad key")
	// ErrFormat is returned for a box of the wrong version or length.
	ErrFormat = errors.New("seal: malformed box")
	// ErrOpen is returned when a box does not open with this key and
	// context: not addressed to us, tampered with, or moved.
	ErrOpen = errors.New("seal: cannot open")
	// ErrTooLarge is returned for a plaintext over MaxPlaintext.
	ErrTooLarge = errors.New("seal: plaintext too large")
)

var (
	fieldP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	one    = big.NewInt(1)
)

// X25519Public converts an Ed25519 public key to the X25519 public key of
// the same identity: u = (1 + y) / (1 − y) mod 2^255 − 19.
func X25519Public(edPub [32]byte) (*ecdh.PublicKey, error) {
	b := edPub
	b[31] &= 0x7f // drop the sign of x
	for i, j := 0, 31; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	y := new(big.Int).SetBytes(b[:])
	if y.Cmp(fieldP) >= 0 {
		return nil, fmt.Errorf("%w: non-canonical y", ErrBadKey)
	}
	den := new(big.Int).Sub(one, y)
	den.Mod(den, fieldP)
	if den.Sign() == 0 {
		return nil, fmt.Errorf("%w: y = 1", ErrBadKey)
	}
	u := new(big.Int).Add(one, y)
	u.Mul(u, new(big.Int).ModInverse(den, fieldP))
	u.Mod(u, fieldP)
	var out [32]byte
	ub := u.Bytes()
	for i := range ub { // big-endian to little-endian
		out[i] = ub[len(ub)-1-i]
	}
	k, err := ecdh.X25519().NewPublicKey(out[:])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	return k, nil
}

// X25519Private converts an Ed25519 private key to the X25519 private key
// of the same identity: the clamped first half of SHA-512(seed).
func X25519Private(edPriv ed25519.PrivateKey) (*ecdh.PrivateKey, error) {
	if len(edPriv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: private key of %d bytes", ErrBadKey, len(edPriv))
	}
	h := sha512.Sum512(edPriv.Seed())
	s := h[:32]
	s[0] &= 248
	s[31] &= 127
	s[31] |= 64
	return ecdh.X25519().NewPrivateKey(s)
}

func keys(shared, ephPub, recipPub, context []byte) (cipher.AEAD, []byte, error) {
	salt := append(append([]byte(nil), ephPub...), recipPub...)
	okm, err := hkdf.Key(sha256.New, shared, salt, "coopnode/seal/v1\x00"+string(context), 32+12)
	if err != nil {
		return nil, nil, err
	}
	block, err := aes.NewCipher(okm[:32])
	if err != nil {
		return nil, nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, nil, err
	}
	return aead, okm[32:], nil
}

// Seal encrypts plaintext to the holder of the Ed25519 key recipient,
// bound to context. rand is handed to crypto/ecdh for the ephemeral key
// (since Go 1.26 ecdh draws from the system's secure source regardless).
func Seal(rand io.Reader, recipient [32]byte, plaintext, context []byte) ([]byte, error) {
	if len(plaintext) > MaxPlaintext {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(plaintext))
	}
	rpub, err := X25519Public(recipient)
	if err != nil {
		return nil, err
	}
	eph, err := ecdh.X25519().GenerateKey(rand)
	if err != nil {
		return nil, fmt.Errorf("seal: ephemeral key: %w", err)
	}
	shared, err := eph.ECDH(rpub)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	aead, nonce, err := keys(shared, eph.PublicKey().Bytes(), rpub.Bytes(), context)
	if err != nil {
		return nil, err
	}
	out := append([]byte{Version}, eph.PublicKey().Bytes()...)
	return aead.Seal(out, nonce, plaintext, context), nil
}

// Open decrypts a box addressed to the holder of priv, with the context it
// was sealed with.
func Open(priv ed25519.PrivateKey, box, context []byte) ([]byte, error) {
	if len(box) < Overhead || len(box) > Overhead+MaxPlaintext || box[0] != Version {
		return nil, ErrFormat
	}
	xpriv, err := X25519Private(priv)
	if err != nil {
		return nil, err
	}
	ephPub, err := ecdh.X25519().NewPublicKey(box[1:33])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	shared, err := xpriv.ECDH(ephPub)
	if err != nil {
		return nil, ErrOpen // a low-order ephemeral key
	}
	aead, nonce, err := keys(shared, box[1:33], xpriv.PublicKey().Bytes(), context)
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, nonce, box[33:], context)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}
