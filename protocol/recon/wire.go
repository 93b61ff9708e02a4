package recon

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Wire constants (SPEC.md §8.4).
const (
	// Version is the first byte of every message.
	Version = 0x01

	// MaxMessageSize is the hard limit on an encoded message. DecodeMessage refuses
	// larger inputs with ErrTooLarge and no encoder produces them.
	MaxMessageSize = 256 << 10

	// FingerprintSize is the length of a range fingerprint.
	FingerprintSize = 16

	// SaltSize is the length of the session salt in the Init message.
	SaltSize = 16

	// MaxShortIDLen is the longest short ID; short IDs are 1..32 bytes.
	MaxShortIDLen = 32

	// maxEntries bounds the entry count a Diff may claim to answer: no ID
	// list can hold more entries than a message has bytes.
	maxEntries = MaxMessageSize
)

// Sentinel errors. Every error returned by this package wraps one of them.
var (
	// ErrMalformed: the bytes are not a well-formed, canonical message
	// (truncated, trailing bytes, non-minimal varint, unknown type or mode,
	// bounds not strictly ascending, out-of-range lengths or indices, ...).
	ErrMalformed = errors.New("recon: malformed message")

	// ErrTooLarge: the message exceeds MaxMessageSize.
	ErrTooLarge = errors.New("recon: message too large")

	// ErrVersion: the first byte is not Version.
	ErrVersion = errors.New("recon: unsupported protocol version")

	// ErrProtocol: a well-formed message that is wrong for the session's
	// state: the wrong message type, a mode the sender may not use, a Diff
	// that answers no ID list we sent, an ID list left unanswered, or an
	// inconsistent answer to a full ID list. The session must be abandoned.
	ErrProtocol = errors.New("recon: protocol violation")

	// ErrState: the API was used out of order (Next before Initiate, use
	// after done or after an error).
	ErrState = errors.New("recon: invalid call for session state")

	// ErrInvalidItem: an item with the reserved time MaxTime.
	ErrInvalidItem = errors.New("recon: invalid item")
)

// MsgType is the second byte of a message.
type MsgType uint8

// Message types.
const (
	TypeInit  MsgType = 1 // initiator's first message: salt + ranges
	TypeReply MsgType = 2 // responder's answer: ranges
	TypeNext  MsgType = 3 // initiator's later messages: ranges + have IDs
	TypeDone  MsgType = 4 // initiator's last message: have IDs; no reply
)

// Mode says how a range is to be processed.
type Mode uint8

// Range modes.
const (
	ModeSkip        Mode = 0 // nothing to do
	ModeFingerprint Mode = 1 // Count + Fingerprint of the sender's items
	ModeShortIDs    Mode = 2 // the sender's items as salted short IDs
	ModeFullIDs     Mode = 3 // the sender's items as full IDs
	ModeDiff        Mode = 4 // answer to an ID list (responder only)
	ModeRequest     Mode = 5 // "send me your ID list" (responder only)
	// ModeDiffPush is a Diff some of whose items the responder has pushed
	// to the initiator outside the message (as events, before the reply)
	// instead of naming them by ID (responder only; SPEC.md §8.4).
	ModeDiffPush Mode = 6
)

func (m Mode) String() string {
	switch m {
	case ModeSkip:
		return "skip"
	case ModeFingerprint:
		return "fingerprint"
	case ModeShortIDs:
		return "short-ids"
	case ModeFullIDs:
		return "full-ids"
	case ModeDiff:
		return "diff"
	case ModeRequest:
		return "request"
	case ModeDiffPush:
		return "diff-push"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// Message is a decoded message.
type Message struct {
	Type   MsgType
	Salt   [SaltSize]byte // TypeInit
	Ranges []Range        // TypeInit, TypeReply, TypeNext
	Have   []ID           // TypeNext, TypeDone: IDs the initiator has and the responder lacks
}

// Range is one range of a message. Its lower bound is the previous range's
// upper bound (the zero Bound for the first range). Which fields are used
// depends on Mode.
type Range struct {
	Upper Bound
	Mode  Mode

	Count uint64      // Fingerprint, Diff: number of sender's items in the range
	FP    Fingerprint // Fingerprint, Diff

	ShortLen int    // ShortIDs: bytes per short ID (1..32)
	Short    []byte // ShortIDs: concatenated short IDs, len = ShortLen*n

	IDs []ID // FullIDs: the IDs; Diff: sender's items the peer lacks

	Entries    uint64   // Diff: number of entries of the answered ID list
	Lack       []uint32 // Diff: ascending indices of entries the sender lacks
	LackBitmap bool     // Diff: Lack encoded as a bitmap (else an index list)

	// Pushed (DiffPush only, at least 1): the number of the sender's items
	// in the range that the list does not contain and that are not in IDs:
	// they were delivered to the peer outside the message.
	Pushed uint64
}

// isDiff reports whether m is one of the two answers to an ID list.
func (m Mode) isDiff() bool { return m == ModeDiff || m == ModeDiffPush }

// NumShort returns the number of short IDs in a ShortIDs range.
func (r *Range) NumShort() int {
	if r.ShortLen == 0 {
		return 0
	}
	return len(r.Short) / r.ShortLen
}

// lack encodings
const (
	lackNone   = 0
	lackBitmap = 1
	lackList   = 2
)

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// boundSize is the encoded size of b following a bound of time prev.
func boundSize(b Bound, prev uint64) int {
	if b.IsInf() {
		return 2
	}
	return uvarintLen(b.Time-prev+1) + 1 + int(b.Len)
}

// lackSizes returns the encoded sizes of Lack as a bitmap and as a list.
func lackSizes(entries uint64, lack []uint32) (bitmap, list int) {
	bitmap = int((entries + 7) / 8)
	list = uvarintLen(uint64(len(lack)))
	prev := -1
	for _, i := range lack {
		list += uvarintLen(uint64(int(i) - prev - 1))
		prev = int(i)
	}
	return bitmap, list
}

// payloadSize is the encoded size of r after its bound and mode byte.
func payloadSize(r *Range) int {
	switch r.Mode {
	case ModeFingerprint:
		return uvarintLen(r.Count) + FingerprintSize
	case ModeShortIDs:
		return 1 + uvarintLen(uint64(r.NumShort())) + len(r.Short)
	case ModeFullIDs:
		return uvarintLen(uint64(len(r.IDs))) + 32*len(r.IDs)
	case ModeDiff, ModeDiffPush:
		n := uvarintLen(r.Count) + FingerprintSize + uvarintLen(r.Entries) + 1
		if len(r.Lack) > 0 {
			bm, li := lackSizes(r.Entries, r.Lack)
			if r.LackBitmap {
				n += bm
			} else {
				n += li
			}
		}
		n += uvarintLen(uint64(len(r.IDs))) + 32*len(r.IDs)
		if r.Mode == ModeDiffPush {
			n += uvarintLen(r.Pushed)
		}
		return n
	}
	return 0
}

// rangeSize is the encoded size of r following a bound of time prev.
func rangeSize(r *Range, prev uint64) int {
	return boundSize(r.Upper, prev) + 1 + payloadSize(r)
}

// Encode returns the wire form of m. It fails with ErrMalformed if m breaks
// a rule DecodeMessage enforces, and ErrTooLarge if the result would exceed
// MaxMessageSize.
func (m *Message) Encode() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 64)
	b = append(b, Version, byte(m.Type))
	if m.Type == TypeInit {
		b = append(b, m.Salt[:]...)
	}
	if m.Type != TypeDone {
		b = binary.AppendUvarint(b, uint64(len(m.Ranges)))
		var prev uint64
		for i := range m.Ranges {
			b = appendRange(b, &m.Ranges[i], prev)
			if !m.Ranges[i].Upper.IsInf() {
				prev = m.Ranges[i].Upper.Time
			}
		}
	}
	if m.Type == TypeNext || m.Type == TypeDone {
		b = binary.AppendUvarint(b, uint64(len(m.Have)))
		for i := range m.Have {
			b = append(b, m.Have[i][:]...)
		}
	}
	if len(b) > MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(b))
	}
	return b, nil
}

// check validates the structural rules of m (those DecodeMessage enforces).
func (m *Message) check() error {
	switch m.Type {
	case TypeInit, TypeReply, TypeNext:
	case TypeDone:
		if len(m.Ranges) > 0 {
			return fmt.Errorf("%w: done message with ranges", ErrMalformed)
		}
	default:
		return fmt.Errorf("%w: message type %d", ErrMalformed, m.Type)
	}
	if len(m.Have) > 0 && m.Type != TypeNext && m.Type != TypeDone {
		return fmt.Errorf("%w: have IDs in message type %d", ErrMalformed, m.Type)
	}
	lower := Bound{}
	for i := range m.Ranges {
		r := &m.Ranges[i]
		if r.Upper.Compare(lower) <= 0 || (lower.IsInf()) {
			return fmt.Errorf("%w: range %d: bounds not ascending", ErrMalformed, i)
		}
		if r.Upper.IsInf() && (r.Upper.Len != 0 || r.Upper.Prefix != ID{}) {
			return fmt.Errorf("%w: range %d: infinity bound with prefix", ErrMalformed, i)
		}
		if r.Upper.Len > 32 || !zeroFrom(r.Upper.Prefix[:], int(r.Upper.Len)) {
			return fmt.Errorf("%w: range %d: bad bound prefix", ErrMalformed, i)
		}
		if r.Mode == ModeSkip && (i+1 == len(m.Ranges) || m.Ranges[i+1].Mode == ModeSkip) {
			return fmt.Errorf("%w: range %d: uncoalesced or trailing skip", ErrMalformed, i)
		}
		switch r.Mode {
		case ModeSkip, ModeFingerprint, ModeRequest, ModeFullIDs:
		case ModeShortIDs:
			if r.ShortLen < 1 || r.ShortLen > MaxShortIDLen || len(r.Short)%r.ShortLen != 0 {
				return fmt.Errorf("%w: range %d: short ID length", ErrMalformed, i)
			}
		case ModeDiff, ModeDiffPush:
			if r.Entries > maxEntries {
				return fmt.Errorf("%w: range %d: %d entries", ErrMalformed, i, r.Entries)
			}
			if r.Mode == ModeDiff && r.Pushed != 0 {
				return fmt.Errorf("%w: range %d: pushed count in a plain Diff", ErrMalformed, i)
			}
			if r.Mode == ModeDiffPush && (r.Pushed == 0 || r.Pushed > r.Count || uint64(len(r.IDs)) > r.Count-r.Pushed) {
				return fmt.Errorf("%w: range %d: pushed count %d with %d IDs of %d items", ErrMalformed, i, r.Pushed, len(r.IDs), r.Count)
			}
			prev := -1
			for _, x := range r.Lack {
				if int(x) <= prev || uint64(x) >= r.Entries {
					return fmt.Errorf("%w: range %d: lack index", ErrMalformed, i)
				}
				prev = int(x)
			}
		default:
			return fmt.Errorf("%w: range %d: mode %d", ErrMalformed, i, r.Mode)
		}
		lower = r.Upper
	}
	return nil
}

func zeroFrom(b []byte, i int) bool {
	for _, c := range b[i:] {
		if c != 0 {
			return false
		}
	}
	return true
}

func appendRange(b []byte, r *Range, prev uint64) []byte {
	if r.Upper.IsInf() {
		b = append(b, 0, 0)
	} else {
		b = binary.AppendUvarint(b, r.Upper.Time-prev+1)
		b = append(b, r.Upper.Len)
		b = append(b, r.Upper.Prefix[:r.Upper.Len]...)
	}
	b = append(b, byte(r.Mode))
	switch r.Mode {
	case ModeFingerprint:
		b = binary.AppendUvarint(b, r.Count)
		b = append(b, r.FP[:]...)
	case ModeShortIDs:
		b = append(b, byte(r.ShortLen))
		b = binary.AppendUvarint(b, uint64(r.NumShort()))
		b = append(b, r.Short...)
	case ModeFullIDs:
		b = appendIDs(b, r.IDs)
	case ModeDiff, ModeDiffPush:
		b = binary.AppendUvarint(b, r.Count)
		b = append(b, r.FP[:]...)
		b = binary.AppendUvarint(b, r.Entries)
		switch {
		case len(r.Lack) == 0:
			b = append(b, lackNone)
		case r.LackBitmap:
			b = append(b, lackBitmap)
			bm := make([]byte, (r.Entries+7)/8)
			for _, i := range r.Lack {
				bm[i/8] |= 1 << (i % 8)
			}
			b = append(b, bm...)
		default:
			b = append(b, lackList)
			b = binary.AppendUvarint(b, uint64(len(r.Lack)))
			prev := -1
			for _, i := range r.Lack {
				b = binary.AppendUvarint(b, uint64(int(i)-prev-1))
				prev = int(i)
			}
		}
		b = appendIDs(b, r.IDs)
		if r.Mode == ModeDiffPush {
			b = binary.AppendUvarint(b, r.Pushed)
		}
	}
	return b
}

func appendIDs(b []byte, ids []ID) []byte {
	b = binary.AppendUvarint(b, uint64(len(ids)))
	for i := range ids {
		b = append(b, ids[i][:]...)
	}
	return b
}

// reader is a strict decoding cursor.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: at byte %d: %s", ErrMalformed, r.off, fmt.Sprintf(format, args...))
	}
}

func (r *reader) left() int { return len(r.b) - r.off }

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.left() < 1 {
		r.fail("truncated")
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || r.left() < n {
		r.fail("truncated")
		return nil
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s
}

// uvarint reads a minimal LEB128 varint.
func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	x, n := binary.Uvarint(r.b[r.off:])
	switch {
	case n == 0:
		r.fail("truncated varint")
		return 0
	case n < 0:
		r.fail("varint overflows 64 bits")
		return 0
	case n > 1 && r.b[r.off+n-1] == 0:
		r.fail("non-minimal varint")
		return 0
	}
	r.off += n
	return x
}

// count reads a varint element count whose elements take at least size
// bytes each, so that it cannot exceed what the rest of the input holds.
func (r *reader) count(size int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(r.left()/size) {
		r.fail("count %d exceeds input", n)
		return 0
	}
	return int(n)
}

func (r *reader) ids() []ID {
	n := r.count(32)
	if r.err != nil || n == 0 {
		return nil
	}
	ids := make([]ID, n)
	for i := range ids {
		copy(ids[i][:], r.bytes(32))
	}
	return ids
}

// DecodeMessage parses a message. It never panics; errors wrap ErrTooLarge,
// ErrVersion or ErrMalformed. Only canonical encodings are accepted, so
// Encode(DecodeMessage(b)) == b for every accepted b.
func DecodeMessage(b []byte) (*Message, error) {
	if len(b) > MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(b))
	}
	if len(b) < 2 {
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformed, len(b))
	}
	if b[0] != Version {
		return nil, fmt.Errorf("%w: %d", ErrVersion, b[0])
	}
	m := &Message{Type: MsgType(b[1])}
	r := &reader{b: b, off: 2}
	switch m.Type {
	case TypeInit:
		copy(m.Salt[:], r.bytes(SaltSize))
	case TypeReply, TypeNext, TypeDone:
	default:
		return nil, fmt.Errorf("%w: message type %d", ErrMalformed, b[1])
	}
	if m.Type != TypeDone {
		n := r.count(3) // a range takes at least 3 bytes
		if n > 0 {
			m.Ranges = make([]Range, 0, n)
		}
		var prev uint64
		for i := 0; i < n && r.err == nil; i++ {
			m.Ranges = append(m.Ranges, r.rng(&prev))
		}
	}
	if m.Type == TypeNext || m.Type == TypeDone {
		m.Have = r.ids()
	}
	if r.err == nil && r.left() != 0 {
		r.fail("%d trailing bytes", r.left())
	}
	if r.err != nil {
		return nil, r.err
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return m, nil
}

func (r *reader) rng(prev *uint64) Range {
	var g Range
	ts := r.uvarint()
	plen := r.byte()
	if ts == 0 {
		g.Upper = Infinity
		if plen != 0 {
			r.fail("infinity bound with prefix")
		}
	} else {
		d := ts - 1
		if d >= MaxTime-*prev {
			r.fail("bound time overflows")
		}
		g.Upper.Time = *prev + d
		*prev = g.Upper.Time
		if plen > 32 {
			r.fail("bound prefix length %d", plen)
		}
		g.Upper.Len = plen
		copy(g.Upper.Prefix[:], r.bytes(int(plen)))
	}
	g.Mode = Mode(r.byte())
	switch g.Mode {
	case ModeSkip, ModeRequest:
	case ModeFingerprint:
		g.Count = r.uvarint()
		copy(g.FP[:], r.bytes(FingerprintSize))
	case ModeShortIDs:
		g.ShortLen = int(r.byte())
		if r.err == nil && (g.ShortLen < 1 || g.ShortLen > MaxShortIDLen) {
			r.fail("short ID length %d", g.ShortLen)
			return g
		}
		n := r.count(max(g.ShortLen, 1))
		g.Short = r.bytes(n * g.ShortLen)
	case ModeFullIDs:
		g.IDs = r.ids()
	case ModeDiff, ModeDiffPush:
		g.Count = r.uvarint()
		copy(g.FP[:], r.bytes(FingerprintSize))
		g.Entries = r.uvarint()
		if g.Entries > maxEntries {
			r.fail("%d entries", g.Entries)
			return g
		}
		switch kind := r.byte(); kind {
		case lackNone:
		case lackBitmap:
			g.LackBitmap = true
			bm := r.bytes(int((g.Entries + 7) / 8))
			for i := uint64(0); i < g.Entries && r.err == nil; i++ {
				if bm[i/8]&(1<<(i%8)) != 0 {
					g.Lack = append(g.Lack, uint32(i))
				}
			}
			if r.err == nil && g.Entries%8 != 0 && bm[len(bm)-1]>>(g.Entries%8) != 0 {
				r.fail("bitmap padding bits set")
			}
			if r.err == nil && len(g.Lack) == 0 {
				r.fail("empty lack bitmap")
			}
		case lackList:
			n := r.count(1)
			if r.err == nil && n == 0 {
				r.fail("empty lack list")
			}
			next := uint64(0)
			for i := 0; i < n && r.err == nil; i++ {
				d := r.uvarint()
				if d >= g.Entries || next+d >= g.Entries {
					r.fail("lack index out of range")
					break
				}
				g.Lack = append(g.Lack, uint32(next+d))
				next += d + 1
			}
		default:
			r.fail("lack encoding %d", kind)
		}
		g.IDs = r.ids()
		if g.Mode == ModeDiffPush {
			g.Pushed = r.uvarint()
		}
	default:
		r.fail("unknown mode %d", g.Mode)
	}
	return g
}
