package protocol

import (
	"encoding/binary"
	"fmt"
)

// The wire event is a CBOR array of exactly two byte strings,
// [body, signature] (SPEC.md §3.1). It is parsed and built by hand: it is
// the first thing every received message meets, so its parse is cheap,
// allocation-free, canonical (shortest heads only) and independent of the
// body decoder.

// SignatureSize is the length of an Ed25519 signature (SPEC.md §3.3).
const SignatureSize = 64

// CBOR major types used by the envelope.
const (
	majorBytes = 2
	majorArray = 4
)

// readHead reads one CBOR item head from b: major type, argument and head
// length. Indefinite lengths and reserved encodings are malformed; an
// argument not in its shortest form is non-canonical (RFC 8949 §4.2.1).
func readHead(b []byte, what string) (major byte, arg uint64, n int, err error) {
	if len(b) == 0 {
		return 0, 0, 0, fmt.Errorf("%w: %s truncated", ErrMalformed, what)
	}
	major, ai := b[0]>>5, b[0]&0x1f
	var size int
	switch {
	case ai < 24:
		return major, uint64(ai), 1, nil
	case ai == 24:
		size = 1
	case ai == 25:
		size = 2
	case ai == 26:
		size = 4
	case ai == 27:
		size = 8
	case ai == 31:
		return 0, 0, 0, fmt.Errorf("%w: %s has an indefinite length", ErrMalformed, what)
	default:
		return 0, 0, 0, fmt.Errorf("%w: %s head uses reserved additional information %d", ErrMalformed, what, ai)
	}
	if len(b) < 1+size {
		return 0, 0, 0, fmt.Errorf("%w: %s truncated", ErrMalformed, what)
	}
	var min uint64
	switch size {
	case 1:
		arg, min = uint64(b[1]), 24
	case 2:
		arg, min = uint64(binary.BigEndian.Uint16(b[1:])), 1<<8
	case 4:
		arg, min = uint64(binary.BigEndian.Uint32(b[1:])), 1<<16
	case 8:
		arg, min = binary.BigEndian.Uint64(b[1:]), 1<<32
	}
	if arg < min {
		return 0, 0, 0, fmt.Errorf("%w: %s length %d not in shortest form", ErrNonCanonical, what, arg)
	}
	return major, arg, 1 + size, nil
}

// readBytes reads one definite-length byte string and returns its content
// (aliasing b) and the rest of b.
func readBytes(b []byte, what string) (content, rest []byte, err error) {
	major, n, h, err := readHead(b, what)
	if err != nil {
		return nil, nil, err
	}
	if major != majorBytes {
		return nil, nil, fmt.Errorf("%w: %s is CBOR major type %d, want a byte string", ErrMalformed, what, major)
	}
	if n > uint64(len(b)-h) {
		return nil, nil, fmt.Errorf("%w: %s truncated", ErrMalformed, what)
	}
	end := h + int(n)
	return b[h:end], b[end:], nil
}

// splitEnvelope checks the size bound that applies before any decoding
// (MaxDocSize) and the envelope's shape, and returns the body and the
// signature, both aliasing raw.
func splitEnvelope(raw []byte) (body, sig []byte, err error) {
	if len(raw) > MaxDocSize {
		return nil, nil, fmt.Errorf("%w: %d bytes, limit %d", ErrOversized, len(raw), MaxDocSize)
	}
	major, n, h, err := readHead(raw, "envelope")
	if err != nil {
		return nil, nil, err
	}
	if major != majorArray || n != 2 {
		return nil, nil, fmt.Errorf("%w: envelope is not an array of 2", ErrMalformed)
	}
	body, rest, err := readBytes(raw[h:], "body")
	if err != nil {
		return nil, nil, err
	}
	sig, rest, err = readBytes(rest, "signature")
	if err != nil {
		return nil, nil, err
	}
	if len(sig) != SignatureSize {
		return nil, nil, fmt.Errorf("%w: signature is %d bytes, want %d", ErrMalformed, len(sig), SignatureSize)
	}
	if len(rest) != 0 {
		return nil, nil, fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(rest))
	}
	return body, sig, nil
}

// appendHead appends a shortest-form CBOR head.
func appendHead(dst []byte, major byte, arg uint64) []byte {
	m := major << 5
	switch {
	case arg < 24:
		return append(dst, m|byte(arg))
	case arg <= 0xff:
		return append(dst, m|24, byte(arg))
	case arg <= 0xffff:
		return binary.BigEndian.AppendUint16(append(dst, m|25), uint16(arg))
	case arg <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(dst, m|26), uint32(arg))
	}
	return binary.BigEndian.AppendUint64(append(dst, m|27), arg)
}

// buildEnvelope returns the wire event [body, sig].
func buildEnvelope(body, sig []byte) []byte {
	out := make([]byte, 0, len(body)+len(sig)+8)
	out = appendHead(out, majorArray, 2)
	out = appendHead(out, majorBytes, uint64(len(body)))
	out = append(out, body...)
	out = appendHead(out, majorBytes, uint64(len(sig)))
	return append(out, sig...)
}
