package protocol

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"

	"filippo.io/edwards25519"

	"github.com/coopnode/coopnode/crdt"
	"github.com/hdevalence/ed25519consensus"
)

// Small-order keys (SPEC.md §3.3): refused as authors and as admitted keys.

// smallOrderPoint is one encoding of a point of small order.
type smallOrderPoint struct {
	enc       crdt.PubKey
	order     int
	canonical bool
}

// deriveSmallOrderEncodings computes, from the curve arithmetic alone, every
// 32-byte string that decodes (as ZIP-215 decodes: non-canonical forms
// accepted) to a point of order dividing 8. The 8 such points are the
// multiples of one point of order 8; a point with coordinate y has at most
// the encodings y and y+p (when below 2^255), each with the sign bit clear
// or set, and each is kept if it decodes to the point.
func deriveSmallOrderEncodings(t testing.TB) []smallOrderPoint {
	t.Helper()
	order8, _ := hex.DecodeString("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	T, err := new(edwards25519.Point).SetBytes(order8)
	if err != nil {
		t.Fatal(err)
	}
	id := edwards25519.NewIdentityPoint()
	p := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	le := func(b []byte) *big.Int { return new(big.Int).SetBytes(reverse(b)) }
	toLE := func(v *big.Int) []byte { return reverse(v.FillBytes(make([]byte, 32))) }
	var out []smallOrderPoint
	P := edwards25519.NewIdentityPoint()
	for i := 0; i < 8; i++ {
		order := 1
		for Q := new(edwards25519.Point).Set(P); Q.Equal(id) != 1; Q.Add(Q, P) {
			order++
		}
		can := P.Bytes()
		y := le(can)
		y.SetBit(y, 255, 0)
		for _, yy := range []*big.Int{y, new(big.Int).Add(y, p)} {
			if yy.BitLen() > 255 {
				continue
			}
			for _, sign := range []byte{0, 0x80} {
				enc := toLE(yy)
				enc[31] |= sign
				Q, err := new(edwards25519.Point).SetBytes(enc)
				if err != nil || Q.Equal(P) != 1 {
					continue
				}
				var k crdt.PubKey
				copy(k[:], enc)
				out = append(out, smallOrderPoint{k, order, bytes.Equal(enc, can)})
			}
		}
		P.Add(P, T)
	}
	return out
}

func reverse(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[len(b)-1-i] = b[i]
	}
	return out
}

// identitySig is R = identity, S = 0: under ZIP-215 it verifies for any
// message under any small-order key.
func identitySig() []byte {
	sig := make([]byte, SignatureSize)
	sig[0] = 1
	return sig
}

// TestSmallOrderKeysComplete: crdt's list of small-order encodings is
// exactly the set the curve arithmetic gives: 14 encodings of 8 points,
// each of which verifies the identity signature on any message under
// ZIP-215 (which is why they are refused).
func TestSmallOrderKeysComplete(t *testing.T) {
	derived := deriveSmallOrderEncodings(t)
	points, canonical := map[int]int{}, 0
	got := map[crdt.PubKey]bool{}
	for _, k := range crdt.SmallOrderKeys() {
		got[k] = true
	}
	for _, d := range derived {
		points[d.order]++
		if d.canonical {
			canonical++
		}
		if !got[d.enc] || !d.enc.SmallOrder() {
			t.Errorf("crdt misses small-order encoding %s (order %d)", d.enc, d.order)
		}
		delete(got, d.enc)
		if !ed25519consensus.Verify(ed25519.PublicKey(d.enc[:]), []byte("anything at all"), identitySig()) {
			t.Errorf("%s: the identity signature does not verify under ZIP-215", d.enc)
		}
	}
	for k := range got {
		t.Errorf("crdt lists %s, which is not a small-order encoding", k)
	}
	if len(derived) != 14 || canonical != 8 {
		t.Fatalf("%d encodings, %d canonical; want 14 and 8", len(derived), canonical)
	}
	if points[1] != 4 || points[2] != 2 || points[4] != 4 || points[8] != 4 {
		t.Fatalf("encodings by order %v", points)
	}
	if PubKeyOf(testKey("admin")).SmallOrder() {
		t.Fatal("an ordinary key is reported small-order")
	}
}

// smallOrderCases are events that must be refused: one authored by each
// small-order encoding with the identity signature (valid under ZIP-215
// for any body), and ones admitting a small-order key as a genesis admin,
// a member or a device, properly signed by an ordinary key.
type smallOrderCase struct {
	name   string
	wire   []byte
	reason Reason
}

func smallOrderCases(t testing.TB) []smallOrderCase {
	t.Helper()
	admin := testKey("admin")
	var cases []smallOrderCase
	raw := func(author crdt.PubKey, d Draft, sign ed25519.PrivateKey) []byte {
		e := &crdt.Event{Coop: d.Coop, Scope: d.Scope, Kind: d.Kind, Author: author, Parents: d.Parents,
			Lamport: d.Lamport, Wall: d.Wall, Body: d.Body}
		body, err := marshalBody(e)
		if err != nil {
			t.Fatal(err)
		}
		if sign == nil {
			return buildEnvelope(body, identitySig())
		}
		return resign(sign, body)
	}
	place := Draft{Kind: crdt.KindOrderPlace, Coop: testID("coop"), Lamport: 1, Wall: testWall,
		Body: &crdt.OrderPlace{Restaurant: PubKeyOf(testKey("restaurant")), Fulfilment: crdt.FulfilDelivery,
			Items:       []crdt.LineItem{{Product: "margherita", Name: "Pizza", Quantity: 1, UnitCents: 1150, TotalCents: 1150}},
			Totals:      crdt.Totals{ItemsCents: 1150, TotalCents: 1150},
			Pickup:      crdt.Position{LatE6: 45_764_043, LonE6: 4_835_659},
			DropoffArea: crdt.Position{LatE6: 45_750_000, LonE6: 4_850_000}}}
	for _, k := range crdt.SmallOrderKeys() {
		want := ReasonSmallOrderKey
		if k.IsZero() {
			want = ReasonMalformed // a zero author is malformed (SPEC.md §3.4 step 7)
		}
		cases = append(cases, smallOrderCase{"order.place by " + k.String(), raw(k, place, nil), want})
		if k.IsZero() {
			continue // a zero key in a payload is an absent field: the fold's bad_field
		}
		cases = append(cases,
			smallOrderCase{"coop.genesis admitting admin " + k.String(), raw(PubKeyOf(admin), Draft{Kind: crdt.KindCoopGenesis,
				Lamport: 1, Wall: testWall, Body: &crdt.CoopGenesis{Name: "x", Admins: []crdt.PubKey{PubKeyOf(admin), k}}}, admin), ReasonSmallOrderKey},
			smallOrderCase{"member.admit of " + k.String(), raw(PubKeyOf(admin), Draft{Kind: crdt.KindMemberAdmit,
				Coop: testID("coop"), Scope: testID("coop"), Parents: []crdt.ID{testID("p")}, Lamport: 2, Wall: testWall,
				Body: &crdt.MemberAdmit{Member: k, Roles: crdt.RoleCourier}}, admin), ReasonSmallOrderKey},
			smallOrderCase{"device.link of " + k.String(), raw(PubKeyOf(admin), Draft{Kind: crdt.KindDeviceLink,
				Coop: testID("coop"), Scope: testID("coop"), Parents: []crdt.ID{testID("p")}, Lamport: 2, Wall: testWall,
				Body: &crdt.DeviceLink{Member: PubKeyOf(admin), Device: k}}, admin), ReasonSmallOrderKey},
		)
	}
	return cases
}

// TestSmallOrderKeysRefused: every case is a Reject with its reason in every
// mode, from Decode, DecodeBatch and Validate alike; and Seal will not sign
// an event admitting a small-order key. Before the fix, the order.place
// authored by the identity key verified and was accepted.
func TestSmallOrderKeysRefused(t *testing.T) {
	cases := smallOrderCases(t)
	if len(cases) != 14+3*13 {
		t.Fatalf("%d cases", len(cases))
	}
	raws := make([][]byte, len(cases))
	for i, c := range cases {
		raws[i] = c.wire
		for _, mode := range []Mode{ModeGossip, ModeSync, ModeLocal} {
			if res := Validate(c.wire, testNow, mode, nil); res.Verdict != Reject || res.Reason != c.reason {
				t.Errorf("%s (%s): %s, want reject %s", c.name, mode, res, c.reason)
			}
		}
		if _, err := Decode(c.wire); c.reason == ReasonSmallOrderKey && !errors.Is(err, ErrSmallOrderKey) {
			t.Errorf("%s: Decode %v", c.name, err)
		}
	}
	checkBatch(t, raws)
	_, _, err := Seal(testKey("admin"), Draft{Kind: crdt.KindMemberAdmit, Coop: testID("coop"), Scope: testID("coop"),
		Parents: []crdt.ID{testID("p")}, Lamport: 2, Wall: testWall,
		Body: &crdt.MemberAdmit{Member: crdt.SmallOrderKeys()[3], Roles: crdt.RoleCourier}})
	if !errors.Is(err, ErrSmallOrderKey) {
		t.Fatalf("Seal admits a small-order member: %v", err)
	}
}

// renderSmallOrderVectors writes SPEC.md §11.5 (in testdata/vectors.md
// after §11.4; TestVectors keeps both in step with the code).
func renderSmallOrderVectors(t testing.TB) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("### 11.5 Refused: small-order keys\n\n")
	w("Generated with the vectors above (protocol/smallorder_test.go). These 14\n")
	w("byte strings are every encoding, canonical or not, of the 8 points of\n")
	w("order 1, 2, 4 or 8 (§3.3). Under ZIP-215 the signature R = identity,\n")
	w("S = 0 (`01` followed by 63 zero bytes) verifies for any message under\n")
	w("each of them. A receiver MUST refuse, with Reject `small_order_key`, an\n")
	w("event whose author is one of them (the all-zero one is already\n")
	w("`malformed`, §3.4 step 7) and a `coop.genesis`, `member.admit` or\n")
	w("`device.link` that names one as an admin, member or device.\n\n")
	w("| encoding (hex) | order | canonical |\n|---|---:|---|\n")
	enc := deriveSmallOrderEncodings(t)
	slices.SortStableFunc(enc, func(a, b smallOrderPoint) int { return cmp.Compare(a.order, b.order) })
	for _, d := range enc {
		w("| `%s` | %d | %v |\n", d.enc, d.order, map[bool]string{true: "yes", false: "no"}[d.canonical])
	}
	var identity crdt.PubKey
	identity[0] = 1
	for _, c := range smallOrderCases(t) {
		if c.name != "order.place by "+identity.String() && c.name != "member.admit of c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a" {
			continue
		}
		w("\n#### %s\n\n", strings.Replace(c.name, identity.String(), "the identity key", 1))
		w("%s\n\n", map[bool]string{true: "A one-line delivery order in coop `" + testID("coop").String() +
			"`, signed R = identity, S = 0.", false: "Admits the order-8 key as a courier; signed by the §11 admin key."}[c.reason == ReasonSmallOrderKey && strings.HasPrefix(c.name, "order.place")])
		w("Wire (%d bytes), expected verdict Reject `%s`:\n\n```\n", len(c.wire), c.reason)
		h := hex.EncodeToString(c.wire)
		for len(h) > 64 {
			w("%s\n", h[:64])
			h = h[64:]
		}
		w("%s\n```\n", h)
	}
	return b.String()
}

// TestSmallOrderTrackRefused: a Track from a small-order key, whose identity
// signature verifies under ZIP-215, is refused too (SPEC.md §3.3, §16.11).
func TestSmallOrderTrackRefused(t *testing.T) {
	for _, k := range crdt.SmallOrderKeys() {
		if k.IsZero() {
			continue // missing field
		}
		body, err := encMode.Marshal(Track{Order: testID("o"), Courier: k, Seq: 1, Wall: testWall, Boxes: [][]byte{{1}}})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := encMode.Marshal([][]byte{body, identitySig()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := OpenTrack(raw); !errors.Is(err, ErrSmallOrderKey) || !errors.Is(err, ErrBadTrack) {
			t.Errorf("%s: %v", k, err)
		}
	}
}
