package wakeup

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// VAPID (RFC 8292): the relay signs a short-lived JWT naming the push
// service's origin, so that a push service can tie a subscription to the
// relay's key and refuse messages from anyone else.

// ErrVAPID: the VAPID key or subject is unusable.
var ErrVAPID = errors.New("wakeup: bad VAPID identity")

// VAPIDLifetime is how long a signed token is valid; RFC 8292 §2 allows at
// most 24 hours.
const VAPIDLifetime = 12 * time.Hour

// VAPID is the relay's application-server identity.
type VAPID struct {
	// Key is an ECDSA P-256 private key. Its public key, PublicKey(), is
	// the applicationServerKey the phone subscribes with.
	Key *ecdsa.PrivateKey
	// Subject is a contact for the push service operator: "mailto:..." or
	// an "https:" URL (RFC 8292 §2.1).
	Subject string
}

// NewVAPID makes a fresh identity. rand nil means crypto/rand.
func NewVAPID(random io.Reader, subject string) (VAPID, error) {
	if random == nil {
		random = rand.Reader
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), random)
	if err != nil {
		return VAPID{}, err
	}
	v := VAPID{Key: key, Subject: subject}
	return v, v.validate()
}

func (v VAPID) validate() error {
	if v.Key == nil || v.Key.Curve != elliptic.P256() {
		return fmt.Errorf("%w: need a P-256 key", ErrVAPID)
	}
	if !strings.HasPrefix(v.Subject, "mailto:") && !strings.HasPrefix(v.Subject, "https:") {
		return fmt.Errorf("%w: subject %q is neither mailto: nor https:", ErrVAPID, v.Subject)
	}
	return nil
}

// PublicKey is the base64url uncompressed public key: the k parameter of
// the Authorization header and the applicationServerKey phones use.
func (v VAPID) PublicKey() string {
	pub, err := v.Key.PublicKey.ECDH()
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(pub.Bytes())
}

// authorization is the value of the Authorization header for a message to
// endpoint (RFC 8292 §3): "vapid t=<JWT>, k=<public key>".
func (v VAPID) authorization(endpoint string, now time.Time, random io.Reader) (string, error) {
	if err := v.validate(); err != nil {
		return "", err
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrEndpoint, err)
	}
	header := `{"typ":"JWT","alg":"ES256"}`
	claims, err := json.Marshal(struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
	}{u.Scheme + "://" + u.Host, now.Add(VAPIDLifetime).Unix(), v.Subject})
	if err != nil {
		return "", err
	}
	b64 := base64.RawURLEncoding
	signing := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString(claims)
	digest := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(random, v.Key, digest[:])
	if err != nil {
		return "", err
	}
	// JWS ES256: r and s as two 32-byte big-endian integers (RFC 7518 §3.4).
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return "vapid t=" + signing + "." + b64.EncodeToString(sig) + ", k=" + v.PublicKey(), nil
}
