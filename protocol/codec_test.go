package protocol

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/coopnode/coopnode/crdt"
	"github.com/fxamacker/cbor/v2"
)

// TestRoundTripAllKinds: for every kind with every field set, Seal and
// Decode agree on the event and its ID, and the payload codec round-trips.
func TestRoundTripAllKinds(t *testing.T) {
	priv := testKey("author")
	for _, k := range crdt.AllKinds() {
		t.Run(k.String(), func(t *testing.T) {
			d := fullDraft(t, k)
			sealed, raw := mustSeal(t, priv, d)
			got, err := Decode(raw)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, sealed) {
				t.Fatalf("Decode differs from Seal:\n got %+v\nwant %+v", got, sealed)
			}
			if !reflect.DeepEqual(got.Body, d.Body) {
				t.Fatalf("body changed:\n got %+v\nwant %+v", got.Body, d.Body)
			}
			if got.ID != EventID(bodyOf(t, raw)) {
				t.Fatal("ID is not the SHA-256 of the body")
			}
			id, err := ID(raw)
			if err != nil || id != got.ID {
				t.Fatalf("ID(raw) = %s, %v; want %s", id, err, got.ID)
			}
			if got.Author != PubKeyOf(priv) || got.Kind != k || got.Lamport != 7 || got.Wall != testWall {
				t.Fatalf("envelope fields wrong: %+v", got)
			}
			if !k.IsRoot() && (len(got.Parents) != 3 || got.Parents[0].Compare(got.Parents[1]) >= 0) {
				t.Fatalf("parents not sorted: %v", got.Parents)
			}
			pb, err := EncodePayload(d.Body)
			if err != nil {
				t.Fatal(err)
			}
			p, err := DecodePayload(k, pb)
			if err != nil {
				t.Fatalf("DecodePayload: %v", err)
			}
			if !reflect.DeepEqual(p, d.Body) {
				t.Fatalf("payload round trip:\n got %+v\nwant %+v", p, d.Body)
			}
			again, err := marshalBody(got)
			if err != nil || !bytes.Equal(again, bodyOf(t, raw)) {
				t.Fatalf("re-encoding the decoded event differs (%v)", err)
			}
		})
	}
}

// TestEmptyPayloads: zero payloads round-trip, and encode as the empty map
// unless they hold a fixed-size key (see TestZeroKeyInPayload).
func TestEmptyPayloads(t *testing.T) {
	withKeys := map[crdt.Kind]bool{crdt.KindMemberAdmit: true, crdt.KindMemberRevoke: true, crdt.KindDeviceLink: true,
		crdt.KindDeviceRevoke: true, crdt.KindOrderPlace: true, crdt.KindCourierAssign: true}
	for _, k := range crdt.AllKinds() {
		p, _ := crdt.NewPayload(k)
		b, err := EncodePayload(p)
		if err != nil || (!withKeys[k] && !bytes.Equal(b, []byte{0xa0})) {
			t.Fatalf("%s: EncodePayload(zero) = %x, %v; want a0", k, b, err)
		}
		if q, err := DecodePayload(k, b); err != nil || !reflect.DeepEqual(q, p) {
			t.Fatalf("%s: DecodePayload: %v", k, err)
		}
		d := Draft{Kind: k, Coop: testID("c"), Scope: testID("s"), Parents: []crdt.ID{testID("p")}, Lamport: 2, Wall: testWall, Body: p}
		e, raw := mustSeal(t, testKey("a"), d)
		got, err := Decode(raw)
		if err != nil || !reflect.DeepEqual(got, e) {
			t.Fatalf("%s: %v", k, err)
		}
		if !withKeys[k] && !bytes.HasSuffix(bodyOf(t, raw), []byte{0x09, 0xa0}) {
			t.Fatalf("%s: empty payload not encoded as 09 a0", k)
		}
	}
}

// TestKeysAreByteStrings: IDs and keys, in the body and nested in payloads,
// are CBOR byte strings (0x58 0x20 ...), never arrays of integers.
func TestKeysAreByteStrings(t *testing.T) {
	key := PubKeyOf(testKey("member"))
	claim := testID("claim")
	bstr := func(b [32]byte) []byte { return append([]byte{0x58, 0x20}, b[:]...) }
	cases := []struct {
		p    crdt.Payload
		want []byte
	}{
		{&crdt.MemberAdmit{Member: key}, append([]byte{0xa1, 0x01}, bstr(key)...)},
		{&crdt.OrderPlace{Restaurant: key}, append([]byte{0xa1, 0x01}, bstr(key)...)},
		{&crdt.CoopGenesis{Admins: []crdt.PubKey{key}}, append([]byte{0xa1, 0x03, 0x81}, bstr(key)...)},
		{&crdt.CourierAssign{Courier: key, Claim: claim}, append(append([]byte{0xa2, 0x01}, bstr(key)...), append([]byte{0x02}, bstr(claim)...)...)},
	}
	for _, c := range cases {
		got, err := EncodePayload(c.p)
		if err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("%T: got %x (%v), want %x", c.p, got, err, c.want)
		}
	}
	d := fullDraft(t, crdt.KindOrderAccept)
	e, raw := mustSeal(t, testKey("a"), d)
	body := bodyOf(t, raw)
	for _, want := range [][]byte{bstr(e.Coop), bstr(e.Scope), bstr(e.Author), append([]byte{0x83}, bstr(e.Parents[0])...)} {
		if !bytes.Contains(body, want) {
			t.Errorf("body lacks %x", want[:4])
		}
	}
}

// TestZeroKeyInPayload pins how a zero ID or key inside a payload encodes:
// omitted, like every other zero field (SPEC.md §3.1), because crdt tags such
// fields "omitempty,omitzero". An explicit 32 zero bytes is non-canonical.
func TestZeroKeyInPayload(t *testing.T) {
	got, err := EncodePayload(&crdt.CourierAssign{Courier: PubKeyOf(testKey("c"))})
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != 0xa1 || len(got) != 1+1+2+32 {
		t.Fatalf("zero Claim not omitted: %x", got)
	}
	if _, err := DecodePayload(crdt.KindCourierAssign, got); err != nil {
		t.Fatal(err)
	}
	long := append([]byte{0xa2}, got[1:]...)
	long = append(long, append([]byte{0x02, 0x58, 0x20}, make([]byte, 32)...)...)
	if _, err := DecodePayload(crdt.KindCourierAssign, long); !errors.Is(err, ErrNonCanonical) {
		t.Fatalf("explicit zero key: %v, want ErrNonCanonical", err)
	}
}

// TestEnvelopeMatchesLibrary: the hand-built envelope is what the CBOR
// library makes of [body, sig], at every length boundary of the body head.
func TestEnvelopeMatchesLibrary(t *testing.T) {
	sig := bytes.Repeat([]byte{7}, SignatureSize)
	for _, n := range []int{0, 1, 23, 24, 255, 256, 65535, 65536} {
		body := bytes.Repeat([]byte{0xa0}, n)
		want, err := encMode.Marshal([][]byte{body, sig})
		if err != nil {
			t.Fatal(err)
		}
		got := buildEnvelope(body, sig)
		if !bytes.Equal(got, want) {
			t.Fatalf("n=%d: envelope %x, library %x", n, got[:8], want[:8])
		}
		if n > MaxDocSize-100 {
			continue
		}
		b, s, err := splitEnvelope(got)
		if err != nil || !bytes.Equal(b, body) || !bytes.Equal(s, sig) {
			t.Fatalf("n=%d: split: %v", n, err)
		}
	}
	if _, err := encMode.Marshal(struct{}{}); err != nil {
		t.Fatal(err)
	}
}

// TestPayloadCodecErrors covers DecodePayload and EncodePayload refusals.
func TestPayloadCodecErrors(t *testing.T) {
	cases := []struct {
		name string
		k    crdt.Kind
		b    []byte
		want error
	}{
		{"unknown kind", 99, []byte{0xa0}, ErrUnknownKind},
		{"not a map", crdt.KindOrderAccept, []byte{0x01}, ErrMalformed},
		{"unknown key", crdt.KindOrderAccept, []byte{0xa1, 0x05, 0x01}, ErrUnknownField},
		{"explicit zero", crdt.KindOrderAccept, []byte{0xa1, 0x01, 0x00}, ErrNonCanonical},
		{"non-minimal int", crdt.KindOrderAccept, []byte{0xa1, 0x01, 0x18, 0x05}, ErrNonCanonical},
		{"explicit false", crdt.KindCatalogProfile, []byte{0xa1, 0x0d, 0xf4}, ErrNonCanonical},
		{"null", crdt.KindOrderReady, []byte{0xf6}, ErrNonCanonical},
		{"float", crdt.KindOrderAccept, []byte{0xa1, 0x01, 0xf9, 0x3c, 0x00}, ErrMalformed},
		{"negative into uint", crdt.KindOrderAccept, []byte{0xa1, 0x01, 0x20}, ErrMalformed},
		{"uint8 overflow", crdt.KindTaskStart, []byte{0xa1, 0x01, 0x19, 0x01, 0x00}, ErrMalformed},
		{"bstr into text", crdt.KindOrderRefuse, []byte{0xa1, 0x01, 0x41, 0x61}, ErrMalformed},
		{"bad utf-8", crdt.KindOrderRefuse, []byte{0xa1, 0x01, 0x61, 0xff}, ErrMalformed},
		{"duplicate key", crdt.KindOrderRefuse, []byte{0xa2, 0x01, 0x61, 0x61, 0x01, 0x61, 0x62}, ErrMalformed},
		{"text key", crdt.KindOrderRefuse, []byte{0xa1, 0x61, 0x31, 0x61, 0x61}, ErrNonCanonical},
		{"tag", crdt.KindOrderAccept, []byte{0xa1, 0x01, 0xc1, 0x05}, ErrMalformed},
		{"indefinite", crdt.KindOrderAccept, []byte{0xbf, 0x01, 0x05, 0xff}, ErrMalformed},
		{"trailing", crdt.KindOrderAccept, []byte{0xa0, 0x00}, ErrMalformed},
		{"short key", crdt.KindCourierAssign, []byte{0xa1, 0x01, 0x41, 0x01}, ErrNonCanonical},
		{"empty", crdt.KindOrderAccept, nil, ErrMalformed},
		{"too long for kind", crdt.KindOrderAccept, make([]byte, MaxEventSize+1), ErrOversized},
	}
	for _, c := range cases {
		_, err := DecodePayload(c.k, c.b)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	var nilPtr *crdt.OrderReady
	for _, p := range []crdt.Payload{nil, nilPtr, otherPayload{}} {
		if _, err := EncodePayload(p); !errors.Is(err, ErrWrongBody) {
			t.Errorf("EncodePayload(%T): %v, want ErrWrongBody", p, err)
		}
	}
}

// otherPayload claims a kind but is not crdt's type for it.
type otherPayload struct{}

func (otherPayload) Kind() crdt.Kind { return crdt.KindOrderReady }

// TestLimits: every field limit is enforced on both encode and decode.
func TestLimits(t *testing.T) {
	long := strings.Repeat("x", MaxTextLen+1)
	items := make([]crdt.LineItem, MaxLineItems+1)
	cases := []struct {
		name string
		p    crdt.Payload
	}{
		{"text", &crdt.OrderRefuse{Reason: long}},
		{"nested text", &crdt.CatalogMenu{Sections: []crdt.MenuSection{{Products: []crdt.Product{{Options: []crdt.Option{{Values: []crdt.OptionValue{{Name: long}}}}}}}}}},
		{"blob", &crdt.OrderPlace{Sealed: make([]byte, MaxBlobLen+1)}},
		{"line items", &crdt.OrderPlace{Items: items}},
		{"item options", &crdt.OrderPlace{Items: []crdt.LineItem{{Options: make([]string, MaxItemOptions+1)}}}},
		{"admins", &crdt.CoopGenesis{Admins: make([]crdt.PubKey, MaxAdmins+1)}},
		{"list", &crdt.CatalogProfile{Tags: make([]string, MaxListLen+1)}},
	}
	for _, c := range cases {
		if _, err := EncodePayload(c.p); !errors.Is(err, ErrOversized) {
			t.Errorf("%s: EncodePayload: %v, want ErrOversized", c.name, err)
		}
		b, err := encMode.Marshal(c.p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodePayload(c.p.Kind(), b); !errors.Is(err, ErrOversized) {
			t.Errorf("%s: DecodePayload: %v, want ErrOversized", c.name, err)
		}
	}
	ok := &crdt.OrderPlace{Items: make([]crdt.LineItem, MaxLineItems), Note: strings.Repeat("y", MaxTextLen)}
	for i := range ok.Items {
		ok.Items[i] = crdt.LineItem{Product: "p", Quantity: 1}
	}
	if _, err := EncodePayload(ok); err != nil {
		t.Errorf("at the limits: %v", err)
	}
}

// TestDeepestMenuDecodes: the deepest nesting v1 allows fits maxNesting.
func TestDeepestMenuDecodes(t *testing.T) {
	menu := &crdt.CatalogMenu{Sections: []crdt.MenuSection{{Name: "s", Products: []crdt.Product{{
		ID: "p", Options: []crdt.Option{{ID: "o", Values: []crdt.OptionValue{{ID: "v", Enabled: true}}}}}}}}}
	d := Draft{Kind: crdt.KindCatalogMenu, Coop: testID("c"), Scope: testID("r"), Lamport: 1, Wall: testWall, Body: menu}
	_, raw := mustSeal(t, testKey("r"), d)
	if _, err := Decode(raw); err != nil {
		t.Fatal(err)
	}
}

// TestSeal covers what Seal does to a draft and what it refuses.
func TestSeal(t *testing.T) {
	priv := testKey("author")
	d := fullDraft(t, crdt.KindCourierClaim)
	d.Parents = append(d.Parents, d.Parents[0], d.Parents[1])
	e, raw := mustSeal(t, priv, d)
	if len(e.Parents) != 3 {
		t.Fatalf("repeats not dropped: %d parents", len(e.Parents))
	}
	// The event shares nothing with the draft.
	d.Body.(*crdt.CourierClaim).Position.LatE6 = 1
	d.Parents[0] = crdt.ID{}
	if got, _ := Decode(raw); !reflect.DeepEqual(got, e) {
		t.Fatal("sealed event aliases the draft")
	}
	// Sealing is deterministic.
	d2 := fullDraft(t, crdt.KindCourierClaim)
	_, raw1 := mustSeal(t, priv, d2)
	_, raw2 := mustSeal(t, priv, d2)
	if !bytes.Equal(raw1, raw2) {
		t.Fatal("Seal is not deterministic")
	}
	// No parents gives nil, not an empty slice.
	r, _ := mustSeal(t, priv, Draft{Kind: crdt.KindOrderReady, Parents: []crdt.ID{}, Lamport: 1, Body: &crdt.OrderReady{}})
	if r.Parents != nil {
		t.Fatal("empty parents not nil")
	}

	var nilReady *crdt.OrderReady
	tooMany := make([]crdt.ID, MaxParents+1)
	for i := range tooMany {
		tooMany[i] = testID(string(rune('a' + i)))
	}
	bigItems := make([]crdt.LineItem, 5)
	for i := range bigItems {
		bigItems[i].Name = strings.Repeat("n", MaxTextLen)
	}
	bad := []struct {
		name string
		key  ed25519.PrivateKey
		d    Draft
		want error
	}{
		{"short key", priv[:10], fullDraft(t, crdt.KindOrderReady), ErrBadKey},
		{"nil key", nil, fullDraft(t, crdt.KindOrderReady), ErrBadKey},
		{"nil body", priv, Draft{Kind: crdt.KindOrderReady}, ErrWrongBody},
		{"typed nil body", priv, Draft{Kind: crdt.KindOrderReady, Body: nilReady}, ErrWrongBody},
		{"body of another kind", priv, Draft{Kind: crdt.KindOrderReady, Body: &crdt.OrderAccept{}}, ErrWrongBody},
		{"foreign body type", priv, Draft{Kind: crdt.KindOrderReady, Body: otherPayload{}}, ErrWrongBody},
		{"unknown kind", priv, Draft{Kind: 99, Body: &crdt.OrderReady{}}, ErrUnknownKind},
		{"negative wall", priv, Draft{Kind: crdt.KindOrderReady, Wall: -1, Body: &crdt.OrderReady{}}, ErrInvalidDraft},
		{"too many parents", priv, Draft{Kind: crdt.KindOrderReady, Parents: tooMany, Body: &crdt.OrderReady{}}, ErrTooManyParents},
		{"oversized", priv, Draft{Kind: crdt.KindOrderPlace, Body: &crdt.OrderPlace{Items: bigItems}}, ErrOversized},
	}
	for _, c := range bad {
		if _, _, err := Seal(c.key, c.d); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if PubKeyOf(priv[:5]) != (crdt.PubKey{}) {
		t.Error("PubKeyOf of a short key is not zero")
	}
	if PubKeyOf(priv) != crdt.PubKey(priv.Public().(ed25519.PublicKey)) {
		t.Error("PubKeyOf differs from Public")
	}
}

// TestDecodeOptionsAreStrict double-checks the decoder settings the wire
// format relies on.
func TestDecodeOptionsAreStrict(t *testing.T) {
	o := decMode.DecOptions()
	if o.DupMapKey != cbor.DupMapKeyEnforcedAPF || o.IndefLength != cbor.IndefLengthForbidden ||
		o.TagsMd != cbor.TagsForbidden || o.ExtraReturnErrors&cbor.ExtraDecErrorUnknownField == 0 ||
		o.BinaryUnmarshaler != cbor.BinaryUnmarshalerNone || o.TextUnmarshaler != cbor.TextUnmarshalerNone {
		t.Fatalf("decoder options not strict: %+v", o)
	}
	eo := encMode.EncOptions()
	if eo.Sort != cbor.SortCoreDeterministic || eo.ByteArray != cbor.ByteArrayToByteSlice ||
		eo.BinaryMarshaler != cbor.BinaryMarshalerNone || eo.TextMarshaler != cbor.TextMarshalerNone {
		t.Fatalf("encoder options not deterministic: %+v", eo)
	}
}
