package wakeup

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Sending a wake-up (RFC 8030 §5).

// Errors of a send. The push service's status is in the wrapped message.
var (
	// ErrGone: the push service no longer knows the subscription (404 or
	// 410, RFC 8030 §7.3). Remove it from the Registry.
	ErrGone = errors.New("wakeup: subscription gone")
	// ErrRejected: the push service refused the message (any other
	// non-2xx status, e.g. 401/403 for a VAPID mismatch, 413, 429).
	ErrRejected = errors.New("wakeup: push service refused the message")
)

// Payload is the whole plaintext of every wake-up: it says "wake up and
// sync", nothing more. It is padded to PaddedLen so that every wake-up has
// the same size.
const (
	Payload   = `{"t":"wake"}`
	PaddedLen = 64
	// DefaultTTL is how long the push service keeps an undelivered wake-up
	// (RFC 8030 §5.2). A job is taken in minutes: a later wake-up is of no
	// use.
	DefaultTTL = 5 * time.Minute
	// Topic replaces a pending, undelivered wake-up with the newer one
	// (RFC 8030 §5.4): a phone needs one wake-up, not a queue of them.
	Topic = "coopnode-wake"
)

// Sender sends wake-ups.
type Sender struct {
	VAPID  VAPID
	Client *http.Client     // nil: http.DefaultClient
	Rand   io.Reader        // nil: crypto/rand (salt and VAPID signatures)
	Now    func() time.Time // nil: time.Now (the VAPID expiry)
	TTL    time.Duration    // 0: DefaultTTL
}

// Wake sends one encrypted wake-up to sub. It returns ErrGone when the
// subscription should be forgotten, ErrRejected for any other refusal, or a
// validation error (ErrEndpoint, ErrP256dh, ...) for a bad subscription.
func (s *Sender) Wake(ctx context.Context, sub Subscription) error {
	body, err := s.seal(sub, []byte(Payload))
	if err != nil {
		return err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	auth, err := s.VAPID.authorization(sub.Endpoint, now(), s.rand())
	if err != nil {
		return err
	}
	ttl := s.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.Endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrEndpoint, err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Content-Encoding", "aes128gcm")
	req.Header.Set("TTL", strconv.Itoa(int(ttl/time.Second)))
	req.Header.Set("Urgency", "high")
	req.Header.Set("Topic", Topic)
	req.Header.Set("Authorization", auth)
	client := s.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("wakeup: post to push service: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return fmt.Errorf("%w: %s", ErrGone, resp.Status)
	default:
		return fmt.Errorf("%w: %s", ErrRejected, resp.Status)
	}
}

func (s *Sender) rand() io.Reader {
	if s.Rand == nil {
		return rand.Reader
	}
	return s.Rand
}

// seal validates sub and encrypts plaintext for it with a fresh ephemeral
// key and salt.
func (s *Sender) seal(sub Subscription, plaintext []byte) ([]byte, error) {
	if err := validateEndpoint(sub.Endpoint); err != nil {
		return nil, err
	}
	ua, err := sub.publicKey()
	if err != nil {
		return nil, err
	}
	auth, err := sub.authSecret()
	if err != nil {
		return nil, err
	}
	as, err := ecdh.P256().GenerateKey(s.rand())
	if err != nil {
		return nil, err
	}
	salt := make([]byte, saltLen)
	if _, err := io.ReadFull(s.rand(), salt); err != nil {
		return nil, err
	}
	return encrypt(plaintext, ua.Bytes(), auth, as, salt, PaddedLen)
}
