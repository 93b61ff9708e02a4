package protocol

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"reflect"
	"sort"
	"testing"

	"github.com/coopnode/coopnode/crdt"
	"github.com/fxamacker/cbor/v2"
)

// testKey derives a fixed key from a name, as the test vectors do.
func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("coopnode test vector " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// testID is a fixed non-zero ID.
func testID(name string) crdt.ID { return sha256.Sum256([]byte("coopnode test id " + name)) }

// testWall is 2026-01-01T10:00:00Z in ms; tests validate at testNow.
const (
	testWall int64 = 1_767_261_600_000
	testNow        = testWall + 1_000
)

// fill sets every field reachable from v to a non-zero value, so that round
// trips exercise every field of every payload, including ones added later.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d-é", *n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x := int64(*n % 100)
		if *n%2 == 1 {
			x = -x - 1000
		}
		v.SetInt(x)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n%200) + 1)
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			v.Index(i).SetUint(uint64(*n + i))
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte{byte(*n), 0, 0xff})
			return
		}
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := 0; i < 2; i++ {
			fill(s.Index(i), n)
		}
		v.Set(s)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), n)
			}
		}
	}
}

// fullPayload returns a payload of kind k with every field set.
func fullPayload(t testing.TB, k crdt.Kind) crdt.Payload {
	t.Helper()
	p, err := crdt.NewPayload(k)
	if err != nil {
		t.Fatal(err)
	}
	n := int(k)
	fill(reflect.ValueOf(p).Elem(), &n)
	return p
}

// fullDraft returns a draft of kind k with every envelope field set that the
// kind allows, and parents out of order.
func fullDraft(t testing.TB, k crdt.Kind) Draft {
	d := Draft{Kind: k, Lamport: 7, Wall: testWall, Body: fullPayload(t, k)}
	if k != crdt.KindCoopGenesis {
		d.Coop = testID("coop")
	}
	if !k.IsRoot() {
		d.Scope = testID("scope")
		d.Parents = []crdt.ID{testID("p2"), testID("p1"), testID("p3")}
	}
	return d
}

// mustSeal seals or fails the test.
func mustSeal(t testing.TB, priv ed25519.PrivateKey, d Draft) (*crdt.Event, []byte) {
	t.Helper()
	e, raw, err := Seal(priv, d)
	if err != nil {
		t.Fatalf("Seal %s: %v", d.Kind, err)
	}
	return e, raw
}

// resign wraps a body, canonical or not, in a validly signed envelope.
func resign(priv ed25519.PrivateKey, body []byte) []byte {
	return buildEnvelope(body, ed25519.Sign(priv, signingMessage(EventID(body))))
}

// bodyOf returns the body of wire bytes.
func bodyOf(t testing.TB, raw []byte) []byte {
	t.Helper()
	body, _, err := splitEnvelope(raw)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// kv is one map entry as raw CBOR.
type kv struct{ k, v []byte }

// entries splits a canonical CBOR map with unsigned keys into raw entries.
func entries(t testing.TB, m []byte) []kv {
	t.Helper()
	var raw map[uint64]cbor.RawMessage
	if err := cbor.Unmarshal(m, &raw); err != nil {
		t.Fatal(err)
	}
	keys := make([]uint64, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	out := make([]kv, 0, len(keys))
	for _, k := range keys {
		out = append(out, kv{appendHead(nil, 0, k), raw[k]})
	}
	return out
}

// buildMap joins raw entries into a map, in the order given.
func buildMap(es []kv) []byte {
	out := appendHead(nil, 5, uint64(len(es)))
	for _, e := range es {
		out = append(append(out, e.k...), e.v...)
	}
	return out
}

// setEntry replaces or adds (at the end) the entry with key k.
func setEntry(es []kv, k uint64, v []byte) []kv {
	key := appendHead(nil, 0, k)
	out := append([]kv(nil), es...)
	for i := range out {
		if string(out[i].k) == string(key) {
			out[i].v = v
			return out
		}
	}
	return append(out, kv{key, v})
}

// dropEntry removes the entry with key k.
func dropEntry(es []kv, k uint64) []kv {
	key := appendHead(nil, 0, k)
	var out []kv
	for _, e := range es {
		if string(e.k) != string(key) {
			out = append(out, e)
		}
	}
	return out
}

// enc encodes a value canonically or fails.
func enc(t testing.TB, v any) []byte {
	t.Helper()
	b, err := encMode.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fakeView answers Precheck with fixed values and counts calls.
type fakeView struct {
	st    crdt.Status
	rs    crdt.Reason
	panic bool
	calls int
}

func (f *fakeView) Precheck(*crdt.Event) (crdt.Status, crdt.Reason) {
	f.calls++
	if f.panic {
		panic("fake view exploded")
	}
	return f.st, f.rs
}
