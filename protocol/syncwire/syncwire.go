// Package syncwire is the wire form of catch-up sync sessions (SPEC.md
// §8.6.1): the frames on a sync stream, the Hello that states the
// initiator's coop and interest, and the ID and event lists, with their
// limits.
//
// Why a package of its own: a second implementation must produce these
// bytes from the spec alone, so the codec lives with the other wire formats
// in protocol/, pure (io.Reader and io.Writer only, no libp2p, no clock)
// and fuzzed, while package node keeps the session logic (what to list,
// what to send, what to store). Every decoder accepts exactly one encoding
// per value: minimal uvarints, ascending order keys, no trailing bytes.
package syncwire

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/coopnode/coopnode/crdt"
)

// Frame types on a sync stream (SPEC.md §8.6.1).
const (
	FrameHello  byte = 1
	FrameRecon  byte = 2
	FrameWant   byte = 3
	FrameEvents byte = 4
	FrameDone   byte = 5
	FrameError  byte = 6
)

// Limits (SPEC.md §8.6.1, §9).
const (
	// Version is the Hello's version byte.
	Version = 1
	// MaxFrame bounds a frame's length (type byte and body): an Events
	// frame of many events.
	MaxFrame = 4 << 20
	// MaxParties bounds the party keys in a Hello.
	MaxParties = 16
	// MaxListedOrders bounds the order keys in a Hello.
	MaxListedOrders = 4096
	// OrderKeyLen is how many leading bytes of an order ID a Hello lists.
	OrderKeyLen = 8
	// EventsPerFrame bounds the events in one Events frame.
	EventsPerFrame = 512
	// WantPerFrame bounds the IDs in one Want frame.
	WantPerFrame = 8192
	// MaxEventLen bounds one event in an Events frame: protocol.MaxDocSize,
	// the largest event of any kind (SPEC.md §9; a test keeps them equal,
	// and this package imports only crdt).
	MaxEventLen = 256 << 10
)

// Interest flags of a Hello (SPEC.md §8.6.2).
const (
	InterestAll      = 1 << 0 // every order of the coop
	InterestOpen     = 1 << 1 // every open order (couriers: the job board)
	InterestNoOrders = 1 << 2 // coop log and catalogues only
)

// Errors. ErrMalformed wraps every failure to decode bytes a peer sent;
// ErrPeer wraps the message of an Error frame the peer sent.
var (
	ErrMalformed = errors.New("syncwire: malformed sync frame")
	ErrPeer      = errors.New("syncwire: peer ended the session with an error")
)

// OrderKey is the first OrderKeyLen bytes of an order ID, as listed in a
// Hello.
type OrderKey [OrderKeyLen]byte

// KeyOf returns the order key of id.
func KeyOf(id crdt.ID) (k OrderKey) {
	copy(k[:], id[:])
	return k
}

// CompareKeys orders order keys bytewise.
func CompareKeys(a, b OrderKey) int { return bytes.Compare(a[:], b[:]) }

// Hello is the first frame of a session: the initiator's coop and what it
// wants of it (SPEC.md §8.6.2).
type Hello struct {
	Coop    crdt.ID
	Flags   byte
	Since   uint64 // wall ms; 0: no hint
	Parties []crdt.PubKey
	Orders  []OrderKey // strictly ascending
}

// AppendHello appends h's encoding to dst:
//
//	version byte || coop [32] || flags byte || since uvarint ||
//	count uvarint || count × party [32] || count uvarint || count × key [8]
func AppendHello(dst []byte, h Hello) []byte {
	dst = append(dst, Version)
	dst = append(dst, h.Coop[:]...)
	dst = append(dst, h.Flags)
	dst = binary.AppendUvarint(dst, h.Since)
	dst = binary.AppendUvarint(dst, uint64(len(h.Parties)))
	for _, p := range h.Parties {
		dst = append(dst, p[:]...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(h.Orders)))
	for _, k := range h.Orders {
		dst = append(dst, k[:]...)
	}
	return dst
}

// DecodeHello decodes a Hello frame's body.
func DecodeHello(b []byte) (Hello, error) {
	var h Hello
	if len(b) < 1+32+1 {
		return h, fmt.Errorf("%w: hello of %d bytes", ErrMalformed, len(b))
	}
	if b[0] != Version {
		return h, fmt.Errorf("%w: hello version %d", ErrMalformed, b[0])
	}
	copy(h.Coop[:], b[1:33])
	h.Flags = b[33]
	rest := b[34:]
	since, k := Uvarint(rest)
	if k <= 0 {
		return h, fmt.Errorf("%w: bad hello since", ErrMalformed)
	}
	h.Since, rest = since, rest[k:]
	np, k := Uvarint(rest)
	if k <= 0 || np > MaxParties || uint64(len(rest)-k) < np*32 {
		return h, fmt.Errorf("%w: bad hello parties", ErrMalformed)
	}
	rest = rest[k:]
	for i := uint64(0); i < np; i++ {
		var p crdt.PubKey
		copy(p[:], rest[i*32:])
		h.Parties = append(h.Parties, p)
	}
	rest = rest[np*32:]
	no, k := Uvarint(rest)
	if k <= 0 || no > MaxListedOrders || uint64(len(rest)-k) != no*OrderKeyLen {
		return h, fmt.Errorf("%w: bad hello order list", ErrMalformed)
	}
	rest = rest[k:]
	for i := uint64(0); i < no; i++ {
		var o OrderKey
		copy(o[:], rest[i*OrderKeyLen:])
		if i > 0 && CompareKeys(h.Orders[i-1], o) >= 0 {
			return h, fmt.Errorf("%w: hello order keys not ascending", ErrMalformed)
		}
		h.Orders = append(h.Orders, o)
	}
	return h, nil
}

// AppendIDs appends a Want frame's body: count uvarint || count × ID [32].
func AppendIDs(dst []byte, ids []crdt.ID) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(ids)))
	for _, id := range ids {
		dst = append(dst, id[:]...)
	}
	return dst
}

// DecodeIDs decodes a Want frame's body (at most WantPerFrame IDs).
func DecodeIDs(b []byte) ([]crdt.ID, error) {
	n, k := Uvarint(b)
	if k <= 0 || n > WantPerFrame || uint64(len(b)-k) != n*32 {
		return nil, fmt.Errorf("%w: bad id list", ErrMalformed)
	}
	b = b[k:]
	out := make([]crdt.ID, n)
	for i := range out {
		copy(out[i][:], b[i*32:])
	}
	return out, nil
}

// AppendEvents appends an Events frame's body: count uvarint || count ×
// (length uvarint || event's wire bytes).
func AppendEvents(dst []byte, raws [][]byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(raws)))
	for _, r := range raws {
		dst = binary.AppendUvarint(dst, uint64(len(r)))
		dst = append(dst, r...)
	}
	return dst
}

// DecodeEvents decodes an Events frame's body (at most EventsPerFrame
// events of at most MaxEventLen bytes each). The events alias b;
// they are not decoded.
func DecodeEvents(b []byte) ([][]byte, error) {
	n, k := Uvarint(b)
	if k <= 0 || n > EventsPerFrame {
		return nil, fmt.Errorf("%w: bad event list", ErrMalformed)
	}
	b = b[k:]
	out := make([][]byte, 0, n)
	for i := uint64(0); i < n; i++ {
		l, k := Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) || l > MaxEventLen {
			return nil, fmt.Errorf("%w: bad event length", ErrMalformed)
		}
		out = append(out, b[k:k+int(l)])
		b = b[k+int(l):]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: trailing bytes in event list", ErrMalformed)
	}
	return out, nil
}

// Conn reads and writes the frames of one sync stream,
//
//	frame = length uvarint (minimal, 1..MaxFrame) || type byte || body
//
// and counts the bytes and round trips of the session.
type Conn struct {
	r        *bufio.Reader
	w        io.Writer
	in, out  int
	lastSent bool
	trips    int
}

// NewConn frames r and w (usually both the stream). r is buffered here.
func NewConn(r io.Reader, w io.Writer) *Conn {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	return &Conn{r: br, w: w}
}

// WriteFrame writes one frame in a single Write.
func (c *Conn) WriteFrame(typ byte, body []byte) error {
	b := make([]byte, 0, binary.MaxVarintLen64+1+len(body))
	b = binary.AppendUvarint(b, uint64(len(body)+1))
	b = append(b, typ)
	b = append(b, body...)
	if _, err := c.w.Write(b); err != nil {
		return err
	}
	c.out += len(b)
	c.lastSent = true
	return nil
}

// ReadFrame reads one frame. An Error frame is returned as an error
// wrapping ErrPeer; a bad length wraps ErrMalformed; a stream that ends
// before a frame starts is io.EOF, inside one io.ErrUnexpectedEOF.
func (c *Conn) ReadFrame() (byte, []byte, error) {
	size, err := ReadUvarint(c.r)
	if err != nil {
		return 0, nil, err
	}
	if size == 0 || size > MaxFrame {
		return 0, nil, fmt.Errorf("%w: frame of %d bytes", ErrMalformed, size)
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(c.r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	if c.lastSent {
		c.trips++ // a reply after our flight closes a round trip
		c.lastSent = false
	}
	c.in += uvarintLen(size) + int(size)
	if buf[0] == FrameError {
		return 0, nil, fmt.Errorf("%w: peer says: %s", ErrPeer, buf[1:])
	}
	return buf[0], buf[1:], nil
}

// BytesIn and BytesOut are the frame bytes read and written so far;
// RoundTrips counts the replies read after a flight of ours.
func (c *Conn) BytesIn() int    { return c.in }
func (c *Conn) BytesOut() int   { return c.out }
func (c *Conn) RoundTrips() int { return c.trips }

// ReadUvarint reads a frame's length: a minimal uvarint below 2^64. A
// stream that ends before it is io.EOF (nothing read) or
// io.ErrUnexpectedEOF; a malformed one wraps ErrMalformed.
func ReadUvarint(r io.ByteReader) (uint64, error) {
	var v uint64
	for i := 0; i < binary.MaxVarintLen64; i++ {
		c, err := r.ReadByte()
		if err != nil {
			if i > 0 && err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		if i == binary.MaxVarintLen64-1 && c > 1 {
			break // overflows 64 bits
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			if c == 0 && i > 0 {
				return 0, fmt.Errorf("%w: non-minimal frame length", ErrMalformed)
			}
			return v, nil
		}
	}
	return 0, fmt.Errorf("%w: frame length overflows 64 bits", ErrMalformed)
}

// Uvarint decodes a minimally encoded unsigned varint at the start of b
// and returns it with its length, or k <= 0 if b does not start with one.
func Uvarint(b []byte) (v uint64, k int) {
	v, k = binary.Uvarint(b)
	if k <= 0 || k != uvarintLen(v) {
		return 0, -1
	}
	return v, k
}

func uvarintLen(v uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], v)
}
