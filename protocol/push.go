package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Party push framing (SPEC.md §10.4). A push stream carries events one way,
// from the node that opened it to its peer, each as one frame:
//
//	frame = length : uvarint (minimal, 1..MaxEventSize) || event : length bytes
//
// The event is an order event's wire form (§3). Nothing else travels on the
// stream: no handshake, no acknowledgement. A receiver checks each event
// exactly as a gossip message (§10.2), and resets the stream on a framing
// error.

// ErrBadPushFrame is returned for a push frame with a zero, non-minimal or
// oversized length prefix, or one cut short.
var ErrBadPushFrame = errors.New("protocol: bad push frame")

// AppendPushFrame appends raw as one push frame to dst. It refuses an
// empty or oversized event, which no honest node sends.
func AppendPushFrame(dst, raw []byte) ([]byte, error) {
	if len(raw) == 0 || len(raw) > MaxEventSize {
		return dst, fmt.Errorf("%w: length %d (want 1..%d)", ErrBadPushFrame, len(raw), MaxEventSize)
	}
	dst = binary.AppendUvarint(dst, uint64(len(raw)))
	return append(dst, raw...), nil
}

// ByteReader is what ReadPushFrame reads from: a bufio.Reader over a stream.
type ByteReader interface {
	io.Reader
	io.ByteReader
}

// ReadPushFrame reads one frame and returns its event bytes. At a clean end
// of stream (no byte of a new frame read) it returns io.EOF; every other
// failure wraps ErrBadPushFrame or the reader's error.
func ReadPushFrame(r ByteReader) ([]byte, error) {
	var n uint64
	for i := 0; ; i++ {
		b, err := r.ReadByte()
		if err != nil {
			if i == 0 && errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("%w: length: %w", ErrBadPushFrame, err)
		}
		if i == 2 && b >= 0x80 || i > 2 {
			// MaxEventSize (16 KiB) fits in three bytes
			return nil, fmt.Errorf("%w: length too long", ErrBadPushFrame)
		}
		n |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			if b == 0 && i > 0 {
				return nil, fmt.Errorf("%w: non-minimal length", ErrBadPushFrame)
			}
			break
		}
	}
	if n == 0 || n > MaxEventSize {
		return nil, fmt.Errorf("%w: length %d (want 1..%d)", ErrBadPushFrame, n, MaxEventSize)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("%w: event cut short: %w", ErrBadPushFrame, err)
	}
	return buf, nil
}
