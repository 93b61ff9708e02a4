package wakeup

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// Message encryption for Web Push (RFC 8291 §3.4) in the aes128gcm content
// coding (RFC 8188 §2), as one record.

const (
	saltLen = 16
	// recordSize is the rs field of the RFC 8188 header: the single record
	// must fit in it. 4096 is what RFC 8291 §4 says push services accept.
	recordSize = 4096
	keyLen     = 65 // an uncompressed P-256 point
	// headerLen is salt, rs (4 bytes), idlen (1 byte) and the keyid
	// (as_public).
	headerLen = saltLen + 4 + 1 + keyLen
	tagLen    = 16
	// lastRecord is the delimiter octet of the final record (RFC 8188 §2).
	lastRecord = 0x02
)

// encrypt seals plaintext for the user agent whose public key is uaPublic
// and whose authentication secret is auth, using the sender's ephemeral key
// asPrivate and salt. padTo, when larger than the plaintext, pads the record
// so that every message has the same length.
func encrypt(plaintext, uaPublic, auth []byte, asPrivate *ecdh.PrivateKey, salt []byte, padTo int) ([]byte, error) {
	if len(salt) != saltLen {
		return nil, fmt.Errorf("wakeup: salt of %d bytes, want %d", len(salt), saltLen)
	}
	ua, err := ecdh.P256().NewPublicKey(uaPublic)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrP256dh, err)
	}
	secret, err := asPrivate.ECDH(ua)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrP256dh, err)
	}
	asPublic := asPrivate.PublicKey().Bytes()
	cek, nonce, err := deriveKeys(secret, auth, salt, uaPublic, asPublic)
	if err != nil {
		return nil, err
	}
	pad := 0
	if padTo > len(plaintext) {
		pad = padTo - len(plaintext)
	}
	if len(plaintext)+1+pad+tagLen > recordSize {
		return nil, fmt.Errorf("wakeup: payload of %d bytes does not fit one record", len(plaintext)+pad)
	}
	record := make([]byte, 0, len(plaintext)+1+pad+tagLen)
	record = append(record, plaintext...)
	record = append(record, lastRecord)
	record = append(record, make([]byte, pad)...)

	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	out := make([]byte, headerLen, headerLen+len(record)+tagLen)
	copy(out, salt)
	binary.BigEndian.PutUint32(out[saltLen:], recordSize)
	out[saltLen+4] = keyLen
	copy(out[saltLen+5:], asPublic)
	// One record: sequence number 0, so the nonce is NONCE itself
	// (RFC 8188 §2.3).
	return gcm.Seal(out, nonce, record, nil), nil
}

// deriveKeys is RFC 8291 §3.4 followed by RFC 8188 §2.2–2.3: the content
// encryption key and the nonce.
func deriveKeys(ecdhSecret, auth, salt, uaPublic, asPublic []byte) (cek, nonce []byte, err error) {
	// PRK_key = HMAC-SHA-256(auth_secret, ecdh_secret)
	prkKey, err := hkdf.Extract(sha256.New, ecdhSecret, auth)
	if err != nil {
		return nil, nil, err
	}
	// key_info = "WebPush: info" || 0x00 || ua_public || as_public
	keyInfo := "WebPush: info\x00" + string(uaPublic) + string(asPublic)
	ikm, err := hkdf.Expand(sha256.New, prkKey, keyInfo, 32)
	if err != nil {
		return nil, nil, err
	}
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, nil, err
	}
	cek, err = hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, nil, err
	}
	nonce, err = hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, nil, err
	}
	return cek, nonce, nil
}
