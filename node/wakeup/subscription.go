// Package wakeup wakes a sleeping phone through its Web Push endpoint
// (RFC 8030), with the message encrypted for the phone (RFC 8291, the
// aes128gcm content coding of RFC 8188) and the sender identified by VAPID
// (RFC 8292).
//
// Why: a phone in background keeps no libp2p connections, so gossip cannot
// reach it. The phone registers a push endpoint (a UnifiedPush distributor
// on Android, see docs/wakeups.md) with its coop relay; when something
// concerns it, the relay sends a wake-up and the phone reconnects and
// catches up by sync. The wake-up carries no order content at all — only
// {"t":"wake"} and padding — so neither the push service nor anyone who
// reads its logs learns anything about orders; the content still travels
// signed over libp2p.
//
// The package is standard library only: encryption is HKDF, ECDH P-256 and
// AES-128-GCM, and VAPID is an ES256 JWT.
package wakeup

import (
	"crypto/ecdh"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
)

// Errors naming what is wrong with a subscription. They are wrapped with %w
// and a detail.
var (
	// ErrSubscription: the subscription is not JSON of the PushSubscription
	// shape {"endpoint": ..., "keys": {"p256dh": ..., "auth": ...}}.
	ErrSubscription = errors.New("wakeup: malformed subscription")
	// ErrEndpoint: the endpoint is missing, not an absolute URL, or too long.
	ErrEndpoint = errors.New("wakeup: bad push endpoint")
	// ErrEndpointScheme: the endpoint is neither https nor http on a
	// loopback address (plain http would expose the message metadata and
	// let anyone on the path drop or replay it; loopback is for tests and a
	// distributor on the same machine).
	ErrEndpointScheme = errors.New("wakeup: push endpoint must be https (or http on loopback)")
	// ErrP256dh: keys.p256dh is not the base64url uncompressed form (65
	// bytes) of a point on P-256.
	ErrP256dh = errors.New("wakeup: bad p256dh key")
	// ErrAuth: keys.auth is not a base64url 16-byte authentication secret
	// (RFC 8291 §3.2).
	ErrAuth = errors.New("wakeup: bad auth secret")
	// ErrRegistryFull: the registry holds MaxSubscriptions already.
	ErrRegistryFull = errors.New("wakeup: subscription registry full")
	// ErrOwner: the owner key of a registration is empty.
	ErrOwner = errors.New("wakeup: empty subscription owner")
)

// Limits of a subscription.
const (
	// MaxEndpointLen bounds the endpoint URL (real push services use a few
	// hundred bytes).
	MaxEndpointLen = 2048
	// MaxSubscriptionLen bounds the JSON a node will parse.
	MaxSubscriptionLen = 4096
	// AuthLen is the length of the authentication secret (RFC 8291 §3.2).
	AuthLen = 16
	// DefaultMaxSubscriptions bounds a Registry made by NewRegistry(0).
	DefaultMaxSubscriptions = 100000
)

// Keys are the phone's message-encryption keys, base64url as a browser's
// PushSubscription.toJSON() and UnifiedPush connectors give them.
type Keys struct {
	P256dh string `json:"p256dh"`
	Auth   string `json:"auth"`
}

// Subscription is where and how to wake one phone.
type Subscription struct {
	Endpoint string `json:"endpoint"`
	Keys     Keys   `json:"keys"`
}

// ParseSubscription decodes and validates a subscription in the
// PushSubscription JSON shape. Bad input gives an error wrapping one of the
// Err values above.
func ParseSubscription(data []byte) (Subscription, error) {
	var s Subscription
	if len(data) > MaxSubscriptionLen {
		return s, fmt.Errorf("%w: %d bytes, at most %d", ErrSubscription, len(data), MaxSubscriptionLen)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return Subscription{}, fmt.Errorf("%w: %v", ErrSubscription, err)
	}
	if err := s.Validate(); err != nil {
		return Subscription{}, err
	}
	return s, nil
}

// Validate checks the endpoint and both keys.
func (s Subscription) Validate() error {
	if err := validateEndpoint(s.Endpoint); err != nil {
		return err
	}
	if _, err := s.publicKey(); err != nil {
		return err
	}
	if _, err := s.authSecret(); err != nil {
		return err
	}
	return nil
}

func validateEndpoint(endpoint string) error {
	if endpoint == "" {
		return fmt.Errorf("%w: empty", ErrEndpoint)
	}
	if len(endpoint) > MaxEndpointLen {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrEndpoint, len(endpoint), MaxEndpointLen)
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrEndpoint, err)
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("%w: %q has no host", ErrEndpoint, endpoint)
	}
	if u.User != nil {
		return fmt.Errorf("%w: %q carries user information", ErrEndpoint, endpoint)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%w: %q is http on a non-loopback host", ErrEndpointScheme, endpoint)
	default:
		return fmt.Errorf("%w: scheme %q", ErrEndpointScheme, u.Scheme)
	}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// decodeB64 accepts base64url with or without padding (RFC 8291 §3.2 keys
// are base64url; some clients pad).
func decodeB64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

func (s Subscription) publicKey() (*ecdh.PublicKey, error) {
	if s.Keys.P256dh == "" {
		return nil, fmt.Errorf("%w: missing", ErrP256dh)
	}
	raw, err := decodeB64(s.Keys.P256dh)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64url: %v", ErrP256dh, err)
	}
	if len(raw) != 65 || raw[0] != 4 {
		return nil, fmt.Errorf("%w: %d bytes, want the 65-byte uncompressed point", ErrP256dh, len(raw))
	}
	pub, err := ecdh.P256().NewPublicKey(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrP256dh, err)
	}
	return pub, nil
}

func (s Subscription) authSecret() ([]byte, error) {
	if s.Keys.Auth == "" {
		return nil, fmt.Errorf("%w: missing", ErrAuth)
	}
	raw, err := decodeB64(s.Keys.Auth)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64url: %v", ErrAuth, err)
	}
	if len(raw) != AuthLen {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrAuth, len(raw), AuthLen)
	}
	return raw, nil
}

// Registry holds one subscription per owner (a member's peer ID on a
// relay). It is safe for concurrent use: the node's loop reads it when an
// event concerns an owner, the API writes it when a phone registers.
type Registry struct {
	mu   sync.Mutex
	max  int
	subs map[string]Subscription
}

// NewRegistry makes a registry holding at most max subscriptions
// (DefaultMaxSubscriptions when max <= 0).
func NewRegistry(max int) *Registry {
	if max <= 0 {
		max = DefaultMaxSubscriptions
	}
	return &Registry{max: max, subs: make(map[string]Subscription)}
}

// Register validates sub and stores it for owner, replacing the owner's
// previous one. A bad subscription changes nothing.
func (r *Registry) Register(owner string, sub Subscription) error {
	if owner == "" {
		return ErrOwner
	}
	if err := sub.Validate(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.subs[owner]; !ok && len(r.subs) >= r.max {
		return fmt.Errorf("%w: %d subscriptions", ErrRegistryFull, r.max)
	}
	r.subs[owner] = sub
	return nil
}

// Lookup returns owner's subscription.
func (r *Registry) Lookup(owner string) (Subscription, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.subs[owner]
	return s, ok
}

// Remove forgets owner's subscription (the phone unregistered, or the push
// service answered ErrGone).
func (r *Registry) Remove(owner string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.subs, owner)
}

// Len is the number of subscriptions held.
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.subs)
}
