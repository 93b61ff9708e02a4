package wakeup

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func validSub(t *testing.T) Subscription {
	return newPhone(t).subscription("https://push.example.net/wpush/v2/abc")
}

// TestBadSubscriptions: every malformed subscription is refused with the
// error naming what is wrong, by ParseSubscription, by Registry.Register
// (which then holds nothing) and by Sender.Wake (which sends nothing).
func TestBadSubscriptions(t *testing.T) {
	good := validSub(t)
	raw, _ := base64.RawURLEncoding.DecodeString(good.Keys.P256dh)
	compressed := append([]byte{2 + raw[64]&1}, raw[1:33]...)
	offCurve := append([]byte{}, raw...)
	offCurve[64] ^= 1
	with := func(f func(*Subscription)) Subscription { s := good; f(&s); return s }
	enc := base64.RawURLEncoding.EncodeToString
	for _, tc := range []struct {
		name string
		sub  Subscription
		want error
	}{
		{"empty endpoint", with(func(s *Subscription) { s.Endpoint = "" }), ErrEndpoint},
		{"relative endpoint", with(func(s *Subscription) { s.Endpoint = "/push/abc" }), ErrEndpoint},
		{"no host", with(func(s *Subscription) { s.Endpoint = "https:///abc" }), ErrEndpoint},
		{"user info", with(func(s *Subscription) { s.Endpoint = "https://u:p@push.example.net/x" }), ErrEndpoint},
		{"too long", with(func(s *Subscription) { s.Endpoint = "https://push.example.net/" + strings.Repeat("a", MaxEndpointLen) }), ErrEndpoint},
		{"not a URL", with(func(s *Subscription) { s.Endpoint = "https://push.example.net/%zz" }), ErrEndpoint},
		{"http on a public host", with(func(s *Subscription) { s.Endpoint = "http://push.example.net/abc" }), ErrEndpointScheme},
		{"http on a LAN address", with(func(s *Subscription) { s.Endpoint = "http://192.168.1.2:8080/abc" }), ErrEndpointScheme},
		{"ftp", with(func(s *Subscription) { s.Endpoint = "ftp://push.example.net/abc" }), ErrEndpointScheme},
		{"missing p256dh", with(func(s *Subscription) { s.Keys.P256dh = "" }), ErrP256dh},
		{"p256dh not base64url", with(func(s *Subscription) { s.Keys.P256dh = "!!!!" }), ErrP256dh},
		{"p256dh compressed", with(func(s *Subscription) { s.Keys.P256dh = enc(compressed) }), ErrP256dh},
		{"p256dh short", with(func(s *Subscription) { s.Keys.P256dh = enc(raw[:64]) }), ErrP256dh},
		{"p256dh off the curve", with(func(s *Subscription) { s.Keys.P256dh = enc(offCurve) }), ErrP256dh},
		{"missing auth", with(func(s *Subscription) { s.Keys.Auth = "" }), ErrAuth},
		{"auth not base64url", with(func(s *Subscription) { s.Keys.Auth = "a+b/" }), ErrAuth},
		{"auth 15 bytes", with(func(s *Subscription) { s.Keys.Auth = enc(make([]byte, 15)) }), ErrAuth},
		{"auth 32 bytes", with(func(s *Subscription) { s.Keys.Auth = enc(make([]byte, 32)) }), ErrAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.sub.Validate(); !errors.Is(err, tc.want) {
				t.Fatalf("Validate: %v, want %v", err, tc.want)
			}
			js, _ := json.Marshal(tc.sub)
			if _, err := ParseSubscription(js); !errors.Is(err, tc.want) {
				t.Errorf("ParseSubscription: %v, want %v", err, tc.want)
			}
			r := NewRegistry(0)
			if err := r.Register("peer", tc.sub); !errors.Is(err, tc.want) {
				t.Errorf("Register: %v, want %v", err, tc.want)
			}
			if r.Len() != 0 {
				t.Error("a refused subscription was stored")
			}
			v, _ := NewVAPID(nil, "mailto:ops@coop.example")
			if err := (&Sender{VAPID: v}).Wake(context.Background(), tc.sub); !errors.Is(err, tc.want) {
				t.Errorf("Wake: %v, want %v", err, tc.want)
			}
		})
	}
	for _, js := range []string{``, `null x`, `[]`, `{"endpoint": 3}`, strings.Repeat(" ", MaxSubscriptionLen+1)} {
		if _, err := ParseSubscription([]byte(js)); !errors.Is(err, ErrSubscription) {
			t.Errorf("ParseSubscription(%.20q): %v, want ErrSubscription", js, err)
		}
	}
}

// TestGoodSubscriptions: https anywhere, http on loopback, padded keys.
func TestGoodSubscriptions(t *testing.T) {
	good := validSub(t)
	for _, ep := range []string{"https://push.example.net/x", "http://127.0.0.1:8080/x", "http://[::1]:80/x", "http://localhost/x"} {
		s := good
		s.Endpoint = ep
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", ep, err)
		}
	}
	s := good
	s.Keys.Auth += "=="
	if err := s.Validate(); err != nil {
		t.Errorf("padded auth: %v", err)
	}
	js, _ := json.Marshal(good)
	got, err := ParseSubscription(js)
	if err != nil || got != good {
		t.Errorf("round trip: %+v, %v", got, err)
	}
}

// TestRegistry: one subscription per owner, replaced on re-registration,
// bounded, removable.
func TestRegistry(t *testing.T) {
	r := NewRegistry(2)
	a, b := validSub(t), validSub(t)
	if err := r.Register("", a); !errors.Is(err, ErrOwner) {
		t.Errorf("empty owner: %v", err)
	}
	if err := r.Register("p1", a); err != nil {
		t.Fatal(err)
	}
	if err := r.Register("p1", b); err != nil {
		t.Fatal(err)
	}
	if got, ok := r.Lookup("p1"); !ok || got != b {
		t.Error("re-registration did not replace")
	}
	if err := r.Register("p2", a); err != nil {
		t.Fatal(err)
	}
	if err := r.Register("p3", a); !errors.Is(err, ErrRegistryFull) {
		t.Errorf("third owner in a registry of 2: %v", err)
	}
	if err := r.Register("p2", b); err != nil {
		t.Errorf("replacing when full: %v", err)
	}
	r.Remove("p1")
	if _, ok := r.Lookup("p1"); ok || r.Len() != 1 {
		t.Error("Remove left the subscription")
	}
}

// FuzzParseSubscription: any bytes give a subscription that validates or
// a named error; never a panic; an accepted one survives a round trip.
func FuzzParseSubscription(f *testing.F) {
	f.Add([]byte(`{"endpoint":"https://push.example.net/x","keys":{"p256dh":"BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4","auth":"BTBZMqHH6r4Tts7J_aSIgg"}}`))
	f.Add([]byte(`{"endpoint":"http://127.0.0.1/x","keys":{"p256dh":"","auth":""}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSubscription(data)
		if err != nil {
			for _, e := range []error{ErrSubscription, ErrEndpoint, ErrEndpointScheme, ErrP256dh, ErrAuth} {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("unnamed error %v", err)
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("accepted but invalid: %v", err)
		}
		js, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := ParseSubscription(js)
		if err != nil || s2 != s {
			t.Fatalf("round trip: %+v, %v", s2, err)
		}
		if _, err := (&Sender{}).seal(s, []byte(Payload)); err != nil {
			t.Fatalf("accepted subscription cannot be sealed for: %v", err)
		}
	})
}
