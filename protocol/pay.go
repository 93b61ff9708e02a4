package protocol

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// The direct payment request (SPEC.md §20.3.2). A customer's node opens a
// stream to the restaurant's node, writes one request frame and reads one
// response frame:
//
//	frame = length : uvarint (minimal, 1..max) || JSON object : length bytes
//
// with max = MaxPayRequest for the request and MaxPayResponse for the
// response. The restaurant checks who asks from the stream's
// authenticated peer, never from the request.

// PayProtocolID is the libp2p stream protocol of the direct payment
// request (SPEC.md §10.3, §20.3.2).
const PayProtocolID = "/coopnode/pay/1"

// Frame limits of the direct payment request (SPEC.md §20.3.2).
const (
	MaxPayRequest  = 1024
	MaxPayResponse = 4096
)

// ErrBadPayFrame is returned for a payment frame with a zero, non-minimal
// or oversized length, a body cut short, or a body that is not the
// documented JSON object.
var ErrBadPayFrame = errors.New("protocol: bad payment frame")

// PayRequest asks the restaurant for a way to pay an order.
type PayRequest struct {
	Order string `json:"order"` // the order ID, 64 lowercase hex digits
}

// PayResponse is the restaurant's answer: a way to pay, or a refusal
// code with a message.
type PayResponse struct {
	Order        string `json:"order,omitempty"`
	Provider     string `json:"provider,omitempty"`
	Ref          string `json:"ref,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
	URL          string `json:"url,omitempty"`
	AmountCents  int64  `json:"amount_cents,omitempty"`
	Currency     string `json:"currency,omitempty"`
	State        string `json:"state,omitempty"`
	Code         string `json:"code,omitempty"`
	Message      string `json:"message,omitempty"`
}

// WritePayFrame writes v as one frame of at most max bytes of JSON.
func WritePayFrame(w io.Writer, v any, max int) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if len(body) > max {
		return fmt.Errorf("%w: %d bytes (limit %d)", ErrBadPayFrame, len(body), max)
	}
	buf := binary.AppendUvarint(nil, uint64(len(body)))
	_, err = w.Write(append(buf, body...))
	return err
}

// ReadPayFrame reads one frame of at most max bytes and decodes it into v,
// refusing unknown fields and trailing data.
func ReadPayFrame(r ByteReader, max int, v any) error {
	var n uint64
	for i := 0; ; i++ {
		b, err := r.ReadByte()
		if err != nil {
			return fmt.Errorf("%w: length: %w", ErrBadPayFrame, err)
		}
		if i > 1 {
			return fmt.Errorf("%w: length too long", ErrBadPayFrame) // MaxPayResponse fits in two bytes
		}
		n |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			if b == 0 && i > 0 {
				return fmt.Errorf("%w: non-minimal length", ErrBadPayFrame)
			}
			break
		}
	}
	if n == 0 || n > uint64(max) {
		return fmt.Errorf("%w: length %d (want 1..%d)", ErrBadPayFrame, n, max)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return fmt.Errorf("%w: cut short: %w", ErrBadPayFrame, err)
	}
	dec := json.NewDecoder(bytes.NewReader(buf))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrBadPayFrame, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data", ErrBadPayFrame)
	}
	return nil
}

// OrderID parses the request's order ID.
func (r PayRequest) OrderID() ([32]byte, error) {
	var id [32]byte
	if len(r.Order) != 64 {
		return id, fmt.Errorf("%w: order %q is not 64 hex digits", ErrBadPayFrame, r.Order)
	}
	if _, err := hex.Decode(id[:], []byte(r.Order)); err != nil || hex.EncodeToString(id[:]) != r.Order {
		return id, fmt.Errorf("%w: order %q is not lowercase hex", ErrBadPayFrame, r.Order)
	}
	return id, nil
}
