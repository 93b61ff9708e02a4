package protocol

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/coopnode/coopnode/crdt"
)

// TestValidate covers every verdict and reason, one case at a time.
func TestValidate(t *testing.T) {
	priv := testKey("author")
	other := testKey("other")
	base := fullDraft(t, crdt.KindOrderAccept) // non-root: coop, scope, parents
	_, good := mustSeal(t, priv, base)
	body := bodyOf(t, good)
	es := entries(t, body)

	// build makes a validly signed event from body entries.
	build := func(es []kv) []byte { return resign(priv, buildMap(es)) }
	withWall := func(wall int64) []byte {
		d := base
		d.Wall = wall
		_, raw := mustSeal(t, priv, d)
		return raw
	}
	flip := func(b []byte, i int) []byte {
		c := bytes.Clone(b)
		c[i] ^= 1
		return c
	}
	// an event that only an unchecked encoder makes
	rawEvent := func(e *crdt.Event) []byte {
		b, err := marshalBody(e)
		if err != nil {
			t.Fatal(err)
		}
		return resign(priv, b)
	}
	decoded, err := Decode(good)
	if err != nil {
		t.Fatal(err)
	}
	withParents := func(ps []crdt.ID) []byte {
		e := *decoded
		e.Parents = ps
		return rawEvent(&e)
	}
	nine := make([]crdt.ID, MaxParents+1)
	for i := range nine {
		nine[i][0] = byte(i + 1)
	}
	bigPlace := func(n int) *crdt.OrderPlace {
		p := &crdt.OrderPlace{Fulfilment: 1}
		for i := 0; i < n; i++ {
			p.Items = append(p.Items, crdt.LineItem{Name: strings.Repeat("n", MaxTextLen), Quantity: 1})
		}
		return p
	}
	oversizedOrder := rawEvent(&crdt.Event{Coop: testID("c"), Kind: crdt.KindOrderPlace, Author: PubKeyOf(priv), Lamport: 1, Wall: testWall, Body: bigPlace(5)})
	bigMenu := &crdt.CatalogMenu{}
	for i := 0; i < 25; i++ {
		bigMenu.Sections = append(bigMenu.Sections, crdt.MenuSection{Name: strings.Repeat("m", MaxTextLen)})
	}
	_, menu := mustSeal(t, priv, Draft{Kind: crdt.KindCatalogMenu, Coop: testID("c"), Scope: crdt.ID(PubKeyOf(priv)), Lamport: 1, Wall: testWall, Body: bigMenu})
	if len(menu) <= MaxEventSize {
		t.Fatalf("menu too small for the test: %d", len(menu))
	}
	sig := good[len(good)-SignatureSize:]
	// the body resigned by another key, author field unchanged
	wrongSigner := buildEnvelope(body, sigBy(other, body))
	// the author field swapped for another key, original signature kept
	otherKey := PubKeyOf(other)
	swapped := buildEnvelope(buildMap(setEntry(es, keyAuthor, enc(t, otherKey[:]))), sig)
	// the body head with a non-minimal length: 0x59 00 NN instead of 0x59 NN NN or 0x58 NN
	longHead := append([]byte{0x82, 0x5a, 0, 0, byte(len(body) >> 8), byte(len(body))}, body...)
	longHead = append(append(longHead, 0x58, 0x40), sig...)

	ok := &fakeView{st: crdt.Stored}
	cases := []struct {
		name    string
		raw     []byte
		now     int64
		mode    Mode
		view    View
		verdict Verdict
		reason  Reason
		err     error
	}{
		{"valid", good, testNow, ModeGossip, ok, Accept, ReasonOK, nil},
		{"valid, no view", good, testNow, ModeGossip, nil, Accept, ReasonOK, nil},
		{"pending", good, testNow, ModeGossip, &fakeView{st: crdt.Pending}, Accept, ReasonPending, nil},
		{"duplicate", good, testNow, ModeGossip, &fakeView{st: crdt.Duplicate}, Ignore, ReasonDuplicate, ErrDuplicate},
		{"stale document", good, testNow, ModeGossip, &fakeView{st: crdt.Stale}, Ignore, ReasonStale, ErrStale},
		{"denied", good, testNow, ModeGossip, &fakeView{st: crdt.Rejected, rs: crdt.ReasonNotRestaurant}, Reject, Reason(crdt.ReasonNotRestaurant), ErrDenied},
		{"denied without reason", good, testNow, ModeGossip, &fakeView{st: crdt.Rejected}, Ignore, ReasonInternal, ErrInternal},
		{"view panics", good, testNow, ModeGossip, &fakeView{panic: true}, Ignore, ReasonInternal, ErrInternal},
		{"unknown status", good, testNow, ModeGossip, &fakeView{st: 77}, Ignore, ReasonInternal, ErrInternal},

		{"forged signature", flip(good, len(good)-1), testNow, ModeGossip, ok, Reject, ReasonBadSignature, ErrBadSignature},
		{"tampered scope", tamperScope(t, good, decoded.Scope), testNow, ModeGossip, ok, Reject, ReasonBadSignature, ErrBadSignature},
		{"signed by another key", wrongSigner, testNow, ModeGossip, ok, Reject, ReasonBadSignature, ErrBadSignature},
		{"author swapped", swapped, testNow, ModeGossip, ok, Reject, ReasonBadSignature, ErrBadSignature},

		{"unsorted keys", build(append([]kv{es[1], es[0]}, es[2:]...)), testNow, ModeGossip, ok, Reject, ReasonNonCanonical, ErrNonCanonical},
		{"non-minimal int", build(setEntry(es, keyLamport, []byte{0x18, 0x07})), testNow, ModeGossip, ok, Reject, ReasonNonCanonical, ErrNonCanonical},
		{"explicit zero lamport", build(setEntry(es, keyLamport, []byte{0x00})), testNow, ModeGossip, ok, Reject, ReasonNonCanonical, ErrNonCanonical},
		{"explicit zero in payload", build(setEntry(es, keyPayload, []byte{0xa1, 0x01, 0x00})), testNow, ModeGossip, ok, Reject, ReasonNonCanonical, ErrNonCanonical},
		{"explicit zero coop", build(setEntry(es, keyCoop, enc(t, make([]byte, 32)))), testNow, ModeGossip, ok, Reject, ReasonNonCanonical, ErrNonCanonical},
		{"empty parents array", build(setEntry(es, keyParents, []byte{0x80})), testNow, ModeGossip, ok, Reject, ReasonNonCanonical, ErrNonCanonical},
		{"non-minimal body length", longHead, testNow, ModeGossip, ok, Reject, ReasonNonCanonical, ErrNonCanonical},
		{"unsorted parents", withParents([]crdt.ID{{2}, {1}}), testNow, ModeGossip, ok, Reject, ReasonNonCanonical, ErrUnsortedParents},
		{"repeated parents", withParents([]crdt.ID{testID("a1"), testID("a1")}), testNow, ModeGossip, ok, Reject, ReasonNonCanonical, ErrUnsortedParents},
		{"too many parents", withParents(nine), testNow, ModeGossip, ok, Reject, ReasonTooManyParents, ErrTooManyParents},
		{"max parents", withParents(nine[:MaxParents]), testNow, ModeGossip, ok, Accept, ReasonOK, nil},

		{"unknown body field", build(append(es, kv{[]byte{0x0a}, []byte{0x01}})), testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrUnknownField},
		{"unknown payload field", build(setEntry(es, keyPayload, []byte{0xa1, 0x07, 0x01})), testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrUnknownField},
		{"duplicate body key", build(append(es[:1:1], es...)), testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},
		{"unknown kind", build(setEntry(es, keyKind, []byte{0x18, 99})), testNow, ModeGossip, ok, Reject, ReasonUnknownKind, ErrUnknownKind},
		{"huge kind", build(setEntry(es, keyKind, []byte{0x1a, 0, 1, 0, 20})), testNow, ModeGossip, ok, Reject, ReasonUnknownKind, ErrUnknownKind},
		{"version 2", build(setEntry(es, keyVersion, []byte{0x02})), testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},
		{"no version", build(dropEntry(es, keyVersion)), testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},
		{"no payload", build(dropEntry(es, keyPayload)), testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},
		{"no author", build(dropEntry(es, keyAuthor)), testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},
		{"zero author", build(setEntry(es, keyAuthor, enc(t, make([]byte, 32)))), testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},
		{"short coop", build(setEntry(es, keyCoop, enc(t, make([]byte, 31)))), testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},
		{"short parent", build(setEntry(es, keyParents, enc(t, [][]byte{{1}}))), testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},
		{"float wall", build(setEntry(es, keyWall, []byte{0xfb, 0x42, 0x79, 0xb7, 0x8f, 0xff, 0x90, 0, 0})), testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},
		{"wall beyond int64", build(setEntry(es, keyWall, []byte{0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0})), testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},
		{"tagged wall", build(setEntry(es, keyWall, append([]byte{0xc1}, es[7].v...))), testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},
		{"indefinite body", resign(priv, append(append([]byte{0xbf}, buildMap(es)[1:]...), 0xff)), testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},
		{"payload not a map", build(setEntry(es, keyPayload, []byte{0x80})), testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},
		{"body not a map", resign(priv, []byte{0x01}), testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},

		{"empty", nil, testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},
		{"truncated", good[:len(good)-1], testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},
		{"truncated head", good[:2], testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},
		{"trailing byte", append(bytes.Clone(good), 0), testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},
		{"array of 3", append([]byte{0x83}, append(good[1:], 0x40)...), testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},
		{"not an array", good[1:], testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},
		{"short signature", buildEnvelope(body, sig[:63]), testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},
		{"indefinite envelope", append([]byte{0x9f}, append(good[1:], 0xff)...), testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},
		{"reserved head", []byte{0x9c}, testNow, ModeGossip, ok, Reject, ReasonMalformed, ErrMalformed},

		{"oversized input", make([]byte, MaxDocSize+1), testNow, ModeGossip, ok, Reject, ReasonOversized, ErrOversized},
		{"oversized order event", oversizedOrder, testNow, ModeGossip, ok, Reject, ReasonOversized, ErrOversized},
		{"large menu", menu, testNow, ModeGossip, ok, Accept, ReasonOK, nil},

		{"clock skew", withWall(testNow + MaxClockSkew + 1), testNow, ModeGossip, ok, Reject, ReasonClockSkew, ErrClockSkew},
		{"clock skew in sync", withWall(testNow + MaxClockSkew + 1), testNow, ModeSync, ok, Reject, ReasonClockSkew, ErrClockSkew},
		{"clock skew, local", withWall(testNow + MaxClockSkew + 1), testNow, ModeLocal, ok, Reject, ReasonClockSkew, ErrClockSkew},
		{"at skew limit", withWall(testNow + MaxClockSkew), testNow, ModeGossip, ok, Accept, ReasonOK, nil},
		{"stale gossip", withWall(testNow - MaxGossipAge - 1), testNow, ModeGossip, ok, Ignore, ReasonStale, ErrStale},
		{"stale, unknown mode", withWall(testNow - MaxGossipAge - 1), testNow, Mode(9), ok, Ignore, ReasonStale, ErrStale},
		{"at gossip age limit", withWall(testNow - MaxGossipAge), testNow, ModeGossip, ok, Accept, ReasonOK, nil},
		{"old event by sync", withWall(testNow - 30*24*3600*1000), testNow, ModeSync, ok, Accept, ReasonOK, nil},
		{"old event, local", withWall(1), testNow, ModeLocal, ok, Accept, ReasonOK, nil},
		{"now at minimum", good, math.MinInt64, ModeGossip, ok, Reject, ReasonClockSkew, ErrClockSkew},
		{"now at maximum", good, math.MaxInt64, ModeGossip, ok, Ignore, ReasonStale, ErrStale},
		{"now at maximum, sync", good, math.MaxInt64, ModeSync, ok, Accept, ReasonOK, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := Validate(c.raw, c.now, c.mode, c.view)
			t.Log(res)
			if res.Verdict != c.verdict || res.Reason != c.reason {
				t.Fatalf("got %s, want %s %q", res, c.verdict, c.reason)
			}
			if c.err == nil && res.Err != nil || c.err != nil && !errors.Is(res.Err, c.err) {
				t.Fatalf("err %v, want %v", res.Err, c.err)
			}
			if (res.Verdict == Accept) != (res.Err == nil) {
				t.Fatalf("Err must be nil exactly on Accept: %s", res)
			}
			if res.Verdict == Accept && res.Event == nil {
				t.Fatal("accepted without an event")
			}
			if res.Err != nil && ReasonOf(res.Err) != res.Reason && !errors.Is(res.Err, ErrDenied) {
				t.Fatalf("ReasonOf(%v) = %q, Result says %q", res.Err, ReasonOf(res.Err), res.Reason)
			}
		})
	}
}

// TestChangedPayloadBreaksSignature: a payload changed after signing, still
// canonical, fails on the signature.
func TestChangedPayloadBreaksSignature(t *testing.T) {
	priv := testKey("author")
	_, good := mustSeal(t, priv, fullDraft(t, crdt.KindOrderAccept))
	es := entries(t, bodyOf(t, good))
	changed := buildMap(setEntry(es, keyPayload, enc(t, &crdt.OrderAccept{PrepMinutes: 99})))
	raw := buildEnvelope(changed, good[len(good)-SignatureSize:])
	if res := Validate(raw, testNow, ModeGossip, nil); res.Reason != ReasonBadSignature {
		t.Fatalf("got %s", res)
	}
}

// tamperScope flips one bit of the scope ID inside the body: the body stays
// canonical, so only the signature can catch it.
func tamperScope(t *testing.T, raw []byte, scope crdt.ID) []byte {
	t.Helper()
	i := bytes.Index(raw, scope[:])
	if i < 0 {
		t.Fatal("scope not found")
	}
	c := bytes.Clone(raw)
	c[i+5] ^= 0x10
	return c
}

// sigBy signs body as the given key would.
func sigBy(priv ed25519.PrivateKey, body []byte) []byte {
	return ed25519.Sign(priv, signingMessage(EventID(body)))
}

// TestValidateCallsViewOnce: the view is consulted once, and only for
// events that passed every other check.
func TestValidateCallsViewOnce(t *testing.T) {
	_, good := mustSeal(t, testKey("a"), fullDraft(t, crdt.KindOrderAccept))
	v := &fakeView{st: crdt.Stored}
	Validate(good, testNow, ModeGossip, v)
	if v.calls != 1 {
		t.Fatalf("%d calls", v.calls)
	}
	Validate(good[:10], testNow, ModeGossip, v)
	Validate(good, testNow+MaxGossipAge+MaxClockSkew, ModeGossip, v)
	if v.calls != 1 {
		t.Fatalf("view consulted for invalid or stale bytes: %d calls", v.calls)
	}
}

// TestResultString pins the log format.
func TestResultString(t *testing.T) {
	e := &crdt.Event{Kind: crdt.KindOrderPlace, ID: crdt.ID{0xab, 0xcd, 0xef, 0x01}}
	cases := []struct {
		r    Result
		want string
	}{
		{Result{Verdict: Accept, Event: e}, "accept order.place abcdef01"},
		{Result{Verdict: Accept, Reason: ReasonPending, Event: e}, "accept pending order.place abcdef01"},
		{Result{Verdict: Reject, Reason: ReasonMalformed, Err: ErrMalformed}, "reject malformed: protocol: malformed event"},
		{Result{}, "invalid"},
	}
	for _, c := range cases {
		if got := c.r.String(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
	for v, s := range map[Verdict]string{Accept: "accept", Reject: "reject", Ignore: "ignore", 0: "invalid"} {
		if v.String() != s {
			t.Errorf("%d: %q", v, v.String())
		}
	}
	for m, s := range map[Mode]string{ModeGossip: "gossip", ModeSync: "sync", ModeLocal: "local", 7: "mode(7)"} {
		if m.String() != s {
			t.Errorf("%d: %q", m, m.String())
		}
	}
	if ReasonOf(nil) != ReasonOK || ReasonOf(errors.New("x")) != ReasonMalformed {
		t.Error("ReasonOf fallbacks")
	}
}
