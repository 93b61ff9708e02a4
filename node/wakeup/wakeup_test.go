package wakeup

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func b64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEncryptRFC8291 holds encrypt to RFC 8291 Appendix A: the same keys
// and salt give the same header and ciphertext, byte for byte.
func TestEncryptRFC8291(t *testing.T) {
	as, err := ecdh.P256().NewPrivateKey(b64(t, "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(as.PublicKey().Bytes(), b64(t, "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8")) {
		t.Fatal("as_public differs from the RFC")
	}
	got, err := encrypt([]byte("When I grow up, I want to be a watermelon"),
		b64(t, "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"),
		b64(t, "BTBZMqHH6r4Tts7J_aSIgg"), as, b64(t, "DGv6ra1nlYgDCS1FRnbzlw"), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := b64(t, "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN")
	if !bytes.Equal(got, want) {
		t.Fatalf("encrypt of the RFC 8291 example:\n got %x\nwant %x", got, want)
	}
	// The test's own receiver opens the RFC's message too.
	ua, err := ecdh.P256().NewPrivateKey(b64(t, "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := receive(want, ua, b64(t, "BTBZMqHH6r4Tts7J_aSIgg"))
	if err != nil || string(pt) != "When I grow up, I want to be a watermelon" {
		t.Fatalf("receive = %q, %v", pt, err)
	}
}

// hkdfTest is HKDF-SHA-256 (RFC 5869) written from HMAC, independent of
// the package's use of crypto/hkdf. Lengths here are at most 32.
func hkdfTest(salt, ikm, info []byte, n int) []byte {
	m := hmac.New(sha256.New, salt)
	m.Write(ikm)
	prk := m.Sum(nil)
	m = hmac.New(sha256.New, prk)
	m.Write(info)
	m.Write([]byte{1})
	return m.Sum(nil)[:n]
}

// receive is the user agent's side of RFC 8291 and RFC 8188: parse the
// header, derive the keys with the phone's private key and auth secret,
// open the record and strip its padding.
func receive(body []byte, ua *ecdh.PrivateKey, auth []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("short header")
	}
	salt := body[:16]
	rs := binary.BigEndian.Uint32(body[16:20])
	idlen := int(body[20])
	if len(body) < 21+idlen {
		return nil, errors.New("short keyid")
	}
	asPublic := body[21 : 21+idlen]
	record := body[21+idlen:]
	if uint32(len(record)) > rs {
		return nil, fmt.Errorf("record of %d bytes exceeds rs %d", len(record), rs)
	}
	as, err := ecdh.P256().NewPublicKey(asPublic)
	if err != nil {
		return nil, err
	}
	secret, err := ua.ECDH(as)
	if err != nil {
		return nil, err
	}
	uaPublic := ua.PublicKey().Bytes()
	info := append(append([]byte("WebPush: info\x00"), uaPublic...), asPublic...)
	ikm := hkdfTest(auth, secret, info, 32)
	cek := hkdfTest(salt, ikm, []byte("Content-Encoding: aes128gcm\x00"), 16)
	nonce := hkdfTest(salt, ikm, []byte("Content-Encoding: nonce\x00"), 12)
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	pt, err := gcm.Open(nil, nonce, record, nil)
	if err != nil {
		return nil, err
	}
	end := len(pt) - 1
	for end >= 0 && pt[end] == 0 {
		end--
	}
	if end < 0 || pt[end] != 2 {
		return nil, errors.New("no last-record delimiter")
	}
	return pt[:end], nil
}

// phone is a subscriber: its private key stays in the test.
type phone struct {
	key  *ecdh.PrivateKey
	auth []byte
}

func newPhone(t *testing.T) phone {
	t.Helper()
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	return phone{key, auth}
}

func (p phone) subscription(endpoint string) Subscription {
	return Subscription{Endpoint: endpoint, Keys: Keys{
		P256dh: base64.RawURLEncoding.EncodeToString(p.key.PublicKey().Bytes()),
		Auth:   base64.RawURLEncoding.EncodeToString(p.auth),
	}}
}

// pushed is what the loopback push service received.
type pushed struct {
	header http.Header
	body   []byte
	origin string
}

// verifyVAPID checks the Authorization header as a push service would
// (RFC 8292 §3): an ES256 JWT signed by k, for this origin, not expired.
func verifyVAPID(h http.Header, origin string, now time.Time) (string, error) {
	v, ok := strings.CutPrefix(h.Get("Authorization"), "vapid ")
	if !ok {
		return "", errors.New("no vapid scheme")
	}
	var tok, k string
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if s, ok := strings.CutPrefix(part, "t="); ok {
			tok = s
		}
		if s, ok := strings.CutPrefix(part, "k="); ok {
			k = s
		}
	}
	kb, err := base64.RawURLEncoding.DecodeString(k)
	if err != nil {
		return "", err
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), kb)
	if err != nil {
		return "", err
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", errors.New("not a JWS")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return "", errors.New("bad signature encoding")
	}
	d := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, d[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return "", errors.New("VAPID signature does not verify")
	}
	cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
	}
	if err := json.Unmarshal(cb, &c); err != nil {
		return "", err
	}
	if c.Aud != origin {
		return "", fmt.Errorf("aud %q, want %q", c.Aud, origin)
	}
	if c.Exp <= now.Unix() || c.Exp > now.Add(24*time.Hour).Unix() {
		return "", fmt.Errorf("exp %d out of range", c.Exp)
	}
	return k, nil
}

func pushService(t *testing.T, status int) (*httptest.Server, chan pushed) {
	t.Helper()
	got := make(chan pushed, 4)
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- pushed{r.Header.Clone(), body, srv.URL}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

// TestWakeReachesLoopbackPushService: the relay's wake-up reaches a push
// endpoint served on loopback, carries the Web Push headers and a valid
// VAPID token, and the phone — holding its private key — decrypts it to
// {"t":"wake"} and nothing else: no order content.
func TestWakeReachesLoopbackPushService(t *testing.T) {
	srv, got := pushService(t, http.StatusCreated)
	p := newPhone(t)
	v, err := NewVAPID(nil, "mailto:ops@coop.example")
	if err != nil {
		t.Fatal(err)
	}
	s := &Sender{VAPID: v, Client: srv.Client()}
	sub := p.subscription(srv.URL + "/push/abc")
	if err := s.Wake(context.Background(), sub); err != nil {
		t.Fatal(err)
	}
	var m pushed
	select {
	case m = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the push service received nothing")
	}
	for h, want := range map[string]string{
		"Content-Encoding": "aes128gcm", "TTL": "300", "Urgency": "high", "Topic": Topic,
		"Content-Type": "application/octet-stream",
	} {
		if m.header.Get(h) != want {
			t.Errorf("header %s = %q, want %q", h, m.header.Get(h), want)
		}
	}
	k, err := verifyVAPID(m.header, m.origin, time.Now())
	if err != nil {
		t.Fatalf("VAPID: %v", err)
	}
	if k != v.PublicKey() {
		t.Errorf("VAPID k = %s, want the relay's key %s", k, v.PublicKey())
	}
	if bytes.Contains(m.body, []byte("wake")) {
		t.Error("the body carries the plaintext in the clear")
	}
	pt, err := receive(m.body, p.key, p.auth)
	if err != nil {
		t.Fatalf("the phone cannot decrypt the wake-up: %v", err)
	}
	var fields map[string]any
	if err := json.Unmarshal(pt, &fields); err != nil {
		t.Fatalf("plaintext %q is not JSON: %v", pt, err)
	}
	if len(fields) != 1 || fields["t"] != "wake" {
		t.Fatalf("plaintext %q: want exactly {\"t\":\"wake\"}, no order content", pt)
	}
	// Every wake-up has the same size: header, padded record, tag.
	if want := headerLen + PaddedLen + 1 + tagLen; len(m.body) != want {
		t.Errorf("body of %d bytes, want %d", len(m.body), want)
	}

	// A second wake-up uses a fresh ephemeral key and salt.
	if err := s.Wake(context.Background(), sub); err != nil {
		t.Fatal(err)
	}
	m2 := <-got
	if bytes.Equal(m2.body[:headerLen], m.body[:headerLen]) {
		t.Error("two wake-ups share salt and key")
	}
	if pt2, err := receive(m2.body, p.key, p.auth); err != nil || string(pt2) != Payload {
		t.Errorf("second wake-up: %q, %v", pt2, err)
	}
	// Another phone's key does not open it.
	if _, err := receive(m.body, newPhone(t).key, p.auth); err == nil {
		t.Error("a different phone decrypted the wake-up")
	}
}

// TestWakeStatuses maps the push service's answers (RFC 8030 §7.3).
func TestWakeStatuses(t *testing.T) {
	v, err := NewVAPID(nil, "https://coop.example/contact")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		status int
		want   error
	}{
		{http.StatusCreated, nil},
		{http.StatusGone, ErrGone},
		{http.StatusNotFound, ErrGone},
		{http.StatusForbidden, ErrRejected},
		{http.StatusRequestEntityTooLarge, ErrRejected},
		{http.StatusTooManyRequests, ErrRejected},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			srv, _ := pushService(t, tc.status)
			s := &Sender{VAPID: v, Client: srv.Client()}
			err := s.Wake(context.Background(), newPhone(t).subscription(srv.URL))
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("status %d: err = %v, want %v", tc.status, err, tc.want)
			}
		})
	}
}

// TestVAPIDRefusesBadIdentity: no key or a subject that is not a contact.
func TestVAPIDRefusesBadIdentity(t *testing.T) {
	if _, err := NewVAPID(nil, "ops@coop.example"); !errors.Is(err, ErrVAPID) {
		t.Errorf("subject without mailto: err = %v, want ErrVAPID", err)
	}
	s := &Sender{}
	srv, got := pushService(t, http.StatusCreated)
	if err := s.Wake(context.Background(), newPhone(t).subscription(srv.URL)); !errors.Is(err, ErrVAPID) {
		t.Errorf("no key: err = %v, want ErrVAPID", err)
	}
	if len(got) != 0 {
		t.Error("a message was sent without an identity")
	}
}
