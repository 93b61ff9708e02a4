package protocol

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/coopnode/coopnode/crdt"
)

// Fuzz targets. Seeds are real sealed events of every kind (every field
// set, and empty payloads) plus the test vectors; testdata/fuzz holds more.
// Run one with: go test -run=^$ -fuzz=^FuzzDecode$ -fuzztime=60s ./protocol/

// seedEvents returns sealed events of every kind, full and empty.
func seedEvents(t testing.TB) [][]byte {
	priv := testKey("fuzz")
	var out [][]byte
	for _, k := range crdt.AllKinds() {
		_, raw := mustSeal(t, priv, fullDraft(t, k))
		out = append(out, raw)
		d := fullDraft(t, k)
		d.Body, _ = crdt.NewPayload(k)
		_, raw = mustSeal(t, priv, d)
		out = append(out, raw)
	}
	vs, _ := testVectors(t)
	for _, v := range vs {
		out = append(out, v.wire)
	}
	return out
}

// sentinels are the errors every failure must wrap.
var sentinels = []error{ErrOversized, ErrMalformed, ErrNonCanonical, ErrUnknownKind, ErrTooManyParents,
	ErrBadSignature, ErrSmallOrderKey, ErrClockSkew, ErrStale, ErrDuplicate, ErrDenied, ErrInternal, ErrWrongBody}

func checkSentinel(t *testing.T, err error) {
	t.Helper()
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error wraps no sentinel: %v", err)
}

// FuzzDecode: Decode never panics; every error wraps a sentinel; whatever
// decodes re-encodes to the same bytes and has the ID that ID reports.
func FuzzDecode(f *testing.F) {
	for _, raw := range seedEvents(f) {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := Decode(raw)
		id, idErr := ID(raw)
		if err != nil {
			checkSentinel(t, err)
			if idErr != nil {
				checkSentinel(t, idErr)
			}
			return
		}
		if idErr != nil || id != e.ID {
			t.Fatalf("Decode ok but ID(raw) = %s, %v", id, idErr)
		}
		body, sig, err := splitEnvelope(raw)
		if err != nil {
			t.Fatal(err)
		}
		again, err := marshalBody(e)
		if err != nil || !bytes.Equal(buildEnvelope(again, sig), raw) {
			t.Fatalf("re-encoding differs (%v):\n%x\n%x", err, again, body)
		}
	})
}

// FuzzDecodeBody reaches the body decoder without the signature in the
// way: whatever decodes re-encodes to itself, and, signed by its author,
// survives Decode unchanged.
func FuzzDecodeBody(f *testing.F) {
	for _, raw := range seedEvents(f) {
		f.Add(bodyOf(f, raw))
	}
	priv := testKey("fuzz")
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := decodeBody(body, len(body))
		if err != nil {
			checkSentinel(t, err)
			return
		}
		again, err := marshalBody(e)
		if err != nil || !bytes.Equal(again, body) {
			t.Fatalf("re-encoding differs (%v):\n%x\n%x", err, again, body)
		}
		e.Author = PubKeyOf(priv)
		signed, err := marshalBody(e)
		if err != nil {
			t.Fatal(err)
		}
		raw := resign(priv, signed)
		if len(raw) > SizeLimit(e.Kind) {
			return
		}
		got, err := Decode(raw)
		if err != nil {
			t.Fatalf("re-signed body does not decode: %v", err)
		}
		e.ID = got.ID
		if !reflect.DeepEqual(got, e) {
			t.Fatalf("re-signed body decodes differently:\n%+v\n%+v", got, e)
		}
	})
}

// FuzzDecodePayload: for any kind and bytes, DecodePayload never panics and
// whatever decodes encodes back to the same bytes.
func FuzzDecodePayload(f *testing.F) {
	for _, k := range crdt.AllKinds() {
		b, err := EncodePayload(fullPayload(f, k))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint16(k), b)
		f.Add(uint16(k), []byte{0xa0})
	}
	f.Fuzz(func(t *testing.T, kind uint16, b []byte) {
		p, err := DecodePayload(crdt.Kind(kind), b)
		if err != nil {
			checkSentinel(t, err)
			return
		}
		if p.Kind() != crdt.Kind(kind) {
			t.Fatalf("decoded a %s for kind %d", p.Kind(), kind)
		}
		again, err := EncodePayload(p)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs (%v):\n%x\n%x", err, again, b)
		}
	})
}

// FuzzValidate: Validate never panics, even when the view does, and its
// Result keeps its invariants: a valid verdict; Err nil exactly on Accept;
// an event on every Accept; the view consulted only after every check.
func FuzzValidate(f *testing.F) {
	for i, raw := range seedEvents(f) {
		f.Add(raw, testNow, uint8(i%3), uint8(i%8))
	}
	f.Add([]byte{}, int64(0), uint8(0), uint8(0))
	reasons := []crdt.Reason{crdt.ReasonOK, crdt.ReasonNotAdmin, crdt.ReasonWrongScope}
	f.Fuzz(func(t *testing.T, raw []byte, now int64, mode uint8, status uint8) {
		v := &fakeView{st: crdt.Status(status % 7), rs: reasons[int(status/7)%len(reasons)], panic: status%7 == 6}
		res := Validate(raw, now, Mode(mode), v)
		switch res.Verdict {
		case Accept, Reject, Ignore:
		default:
			t.Fatalf("invalid verdict: %s", res)
		}
		if (res.Verdict == Accept) != (res.Err == nil) {
			t.Fatalf("Err must be nil exactly on Accept: %s", res)
		}
		if res.Err != nil {
			checkSentinel(t, res.Err)
		}
		if res.Verdict == Accept && (res.Event == nil || res.Reason != ReasonOK && res.Reason != ReasonPending) {
			t.Fatalf("bad accept: %s", res)
		}
		if v.calls > 1 {
			t.Fatalf("view called %d times", v.calls)
		}
		if v.calls == 1 && res.Event == nil {
			t.Fatal("view consulted before the event verified")
		}
		_ = res.String()
	})
}
