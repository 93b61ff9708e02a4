package protocol

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"math/rand"
	"reflect"
	"slices"
	"testing"

	"filippo.io/edwards25519"

	"github.com/coopnode/coopnode/crdt"
)

// Batch and single verification must agree on every element (SPEC.md
// §3.3): these tests compare DecodeBatch with Decode on mixes of valid,
// tampered, wrongly signed and malformed events.

// sameAsDecode fails unless (e, err) is what Decode(raw) returns: the same
// event, or an error of the same message and sentinels.
func sameAsDecode(t *testing.T, i int, raw []byte, e *crdt.Event, err error) {
	t.Helper()
	want, wantErr := Decode(raw)
	if (e == nil) == (err == nil) {
		t.Fatalf("element %d: event %v and error %v: want exactly one", i, e != nil, err)
	}
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("element %d: batch says %v, Decode says %v", i, err, wantErr)
	}
	if err != nil {
		checkSentinel(t, err)
		if err.Error() != wantErr.Error() {
			t.Fatalf("element %d: batch error %q, Decode error %q", i, err, wantErr)
		}
		for _, s := range sentinels {
			if errors.Is(err, s) != errors.Is(wantErr, s) {
				t.Fatalf("element %d: batch error %v and Decode error %v differ on %v", i, err, wantErr, s)
			}
		}
		return
	}
	if !reflect.DeepEqual(e, want) {
		t.Fatalf("element %d: batch event differs from Decode's:\n%+v\n%+v", i, e, want)
	}
}

// checkBatch runs DecodeBatch on raws and compares every element with
// Decode, and ValidateDecoded with Validate.
func checkBatch(t *testing.T, raws [][]byte) {
	t.Helper()
	events, errs := DecodeBatch(raws)
	if len(events) != len(raws) || len(errs) != len(raws) {
		t.Fatalf("%d raws, %d events, %d errors", len(raws), len(events), len(errs))
	}
	for i, raw := range raws {
		sameAsDecode(t, i, raw, events[i], errs[i])
		got, want := ValidateDecoded(events[i], errs[i], testNow, ModeSync, nil), Validate(raw, testNow, ModeSync, nil)
		if got.String() != want.String() {
			t.Fatalf("element %d: ValidateDecoded %s, Validate %s", i, got, want)
		}
	}
}

// smallOrderEvent returns an event whose author key is a point of order 8
// and whose signature is R = identity, s = 0: ZIP-215's cofactored check
// accepts it for any message. Decode refuses its author before checking
// the signature (SPEC.md §3.3), and DecodeBatch must say the same.
func smallOrderEvent(t testing.TB, lamport uint64) []byte {
	t.Helper()
	author, err := hex.DecodeString("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	if err != nil {
		t.Fatal(err)
	}
	e, _ := mustSeal(t, testKey("small order"), Draft{Kind: crdt.KindCourierClaim, Coop: testID("coop"),
		Scope: testID("scope"), Parents: []crdt.ID{testID("p")}, Lamport: lamport, Wall: testWall, Body: &crdt.CourierClaim{}})
	copy(e.Author[:], author)
	body, err := marshalBody(e)
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, SignatureSize)
	sig[0] = 1 // the identity point; s = 0
	return buildEnvelope(body, sig)
}

// mixedOrderEvent returns an event by an ordinary key whose signature's R
// has a small-order component: R = [r]B + T with T of order 8, and
// S = r + k·a with k = SHA-512(R || A || message). The cofactored equation
// holds ([8]T vanishes), the cofactorless one never does (it is off by T):
// exactly the case where a batching node and a crypto/ed25519 node would
// split, so ZIP-215 fixes the answer (SPEC.md §3.3).
func mixedOrderEvent(t testing.TB, lamport uint64) (raw []byte, stdlibAccepts bool) {
	t.Helper()
	priv := testKey("mixed order")
	_, unsigned := mustSeal(t, priv, Draft{Kind: crdt.KindCourierClaim, Coop: testID("coop"),
		Scope: testID("scope"), Parents: []crdt.ID{testID("p")}, Lamport: lamport, Wall: testWall, Body: &crdt.CourierClaim{}})
	body := bodyOf(t, unsigned)
	msg := signingMessage(EventID(body))
	h := sha512.Sum512(priv.Seed())
	a, err := edwards25519.NewScalar().SetBytesWithClamping(h[:32])
	if err != nil {
		t.Fatal(err)
	}
	var wide [64]byte
	wide[0] = byte(lamport) // any fixed nonce will do for a test
	wide[1] = 7
	r, err := edwards25519.NewScalar().SetUniformBytes(wide[:])
	if err != nil {
		t.Fatal(err)
	}
	order8, err := hex.DecodeString("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	if err != nil {
		t.Fatal(err)
	}
	torsion, err := new(edwards25519.Point).SetBytes(order8)
	if err != nil {
		t.Fatal(err)
	}
	R := new(edwards25519.Point).Add(new(edwards25519.Point).ScalarBaseMult(r), torsion)
	pub := PubKeyOf(priv)
	kh := sha512.New()
	kh.Write(R.Bytes())
	kh.Write(pub[:])
	kh.Write(msg)
	k, err := edwards25519.NewScalar().SetUniformBytes(kh.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	S := edwards25519.NewScalar().MultiplyAdd(k, a, r)
	sig := append(R.Bytes(), S.Bytes()...)
	return buildEnvelope(body, sig), ed25519.Verify(ed25519.PublicKey(pub[:]), msg, sig)
}

// TestZIP215SmallOrderComponent: a signature the two equations judge
// differently is accepted by Decode and by DecodeBatch alike, alone and
// among valid events.
func TestZIP215SmallOrderComponent(t *testing.T) {
	raw, stdlib := mixedOrderEvent(t, 1)
	if stdlib {
		t.Fatal("crypto/ed25519 accepts the mixed-order signature: the fixture is wrong")
	}
	if _, err := Decode(raw); err != nil {
		t.Fatalf("Decode rejects a ZIP-215-valid signature: %v", err)
	}
	batch := append([][]byte{raw}, seedEvents(t)[:5]...)
	events, errs := DecodeBatch(batch)
	for i := range batch {
		if errs[i] != nil || events[i] == nil {
			t.Fatalf("element %d: %v", i, errs[i])
		}
	}
	checkBatch(t, batch)
}

// TestZIP215SmallOrderKey: an event authored by a small-order key, with a
// signature that verifies under ZIP-215 for any body, is refused
// (small_order_key) by Decode and by DecodeBatch alike.
func TestZIP215SmallOrderKey(t *testing.T) {
	raw := smallOrderEvent(t, 1)
	if _, err := Decode(raw); !errors.Is(err, ErrSmallOrderKey) {
		t.Fatalf("Decode: %v, want %v", err, ErrSmallOrderKey)
	}
	batch := append([][]byte{raw}, seedEvents(t)[:5]...)
	_, errs := DecodeBatch(batch)
	if !errors.Is(errs[0], ErrSmallOrderKey) {
		t.Fatalf("DecodeBatch: %v", errs[0])
	}
	checkBatch(t, batch)
}

// mutator turns a valid wire event into a test case.
type mutator func(rng *rand.Rand, raw []byte) []byte

// mutators are the kinds of element the property test mixes.
func mutators(t *testing.T, pool [][]byte) map[string]mutator {
	other := testKey("batch other")
	sigAt := func(raw []byte) int { return len(raw) - SignatureSize }
	return map[string]mutator{
		"valid": func(_ *rand.Rand, raw []byte) []byte { return raw },
		"flip signature bit": func(rng *rand.Rand, raw []byte) []byte {
			c := bytes.Clone(raw)
			c[sigAt(c)+rng.Intn(SignatureSize)] ^= 1 << rng.Intn(8)
			return c
		},
		"s not below the group order": func(_ *rand.Rand, raw []byte) []byte {
			c := bytes.Clone(raw)
			c[len(c)-1] |= 0xf0
			return c
		},
		"signed by another key": func(_ *rand.Rand, raw []byte) []byte {
			return resign(other, bodyOf(t, raw))
		},
		"another event's signature": func(rng *rand.Rand, raw []byte) []byte {
			donor := pool[rng.Intn(len(pool))]
			for bytes.Equal(donor, raw) {
				donor = pool[rng.Intn(len(pool))]
			}
			return buildEnvelope(bodyOf(t, raw), donor[sigAt(donor):])
		},
		"flip body bit": func(rng *rand.Rand, raw []byte) []byte {
			c := bytes.Clone(raw)
			c[rng.Intn(sigAt(c))] ^= 1 << rng.Intn(8)
			return c
		},
		"truncated":     func(rng *rand.Rand, raw []byte) []byte { return raw[:rng.Intn(len(raw))] },
		"trailing byte": func(_ *rand.Rand, raw []byte) []byte { return append(bytes.Clone(raw), 0) },
		"random bytes": func(rng *rand.Rand, _ []byte) []byte {
			b := make([]byte, rng.Intn(400))
			rng.Read(b)
			return b
		},
		"nil": func(*rand.Rand, []byte) []byte { return nil },
		"small-order key": func(rng *rand.Rand, _ []byte) []byte {
			return smallOrderEvent(t, 1+uint64(rng.Intn(16)))
		},
		"small-order R component": func(rng *rand.Rand, _ []byte) []byte {
			raw, _ := mixedOrderEvent(t, 1+uint64(rng.Intn(16)))
			return raw
		},
	}
}

// validPool returns valid events of every kind by several authors.
func validPool(t *testing.T) [][]byte {
	pool := seedEvents(t)
	for _, name := range []string{"batch a", "batch b", "batch c"} {
		for _, k := range []crdt.Kind{crdt.KindOrderPlace, crdt.KindCourierClaim, crdt.KindTaskDeliver} {
			_, raw := mustSeal(t, testKey(name), fullDraft(t, k))
			pool = append(pool, raw)
		}
	}
	return pool
}

// TestDecodeBatchMatchesDecode is the property: for random mixes, of random
// sizes (across several sub-batches), mostly valid or mostly broken,
// DecodeBatch gives every element what Decode gives it.
func TestDecodeBatchMatchesDecode(t *testing.T) {
	pool := validPool(t)
	muts := mutators(t, pool)
	names := make([]string, 0, len(muts))
	for n := range muts {
		names = append(names, n)
	}
	// map order is random: sort so that a seed names one mix
	slices.Sort(names)
	rounds := 60
	if testing.Short() {
		rounds = 15
	}
	for round := 0; round < rounds; round++ {
		rng := rand.New(rand.NewSource(int64(round)))
		n := rng.Intn(3 * maxBatch)
		pBad := []float64{0, 0.01, 0.2, 1}[round%4]
		raws := make([][]byte, n)
		for i := range raws {
			raw := pool[rng.Intn(len(pool))]
			if rng.Float64() < pBad {
				raw = muts[names[rng.Intn(len(names))]](rng, raw)
			}
			raws[i] = raw
		}
		checkBatch(t, raws)
	}
	// each mutator on its own, in a batch of valid events
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(1))
			raws := append([][]byte(nil), pool[:20]...)
			raws[7] = muts[name](rng, raws[7])
			checkBatch(t, raws)
			_, errs := DecodeBatch(raws)
			for i, err := range errs {
				valid := i != 7 || name == "valid" || name == "small-order R component"
				if (err == nil) != valid {
					t.Fatalf("element %d: error %v, want valid = %v", i, err, valid)
				}
			}
		})
	}
}

// TestDecodeBatchEmpty: no input, no output, no panic.
func TestDecodeBatchEmpty(t *testing.T) {
	for _, raws := range [][][]byte{nil, {}, {nil}, {{}}} {
		checkBatch(t, raws)
	}
}

// FuzzVerifyBatch: for any two byte strings placed among valid events, and
// any number of those, DecodeBatch agrees with Decode on every element and
// never panics.
func FuzzVerifyBatch(f *testing.F) {
	seeds := seedEvents(f)
	for i, raw := range seeds {
		other := seeds[(i+1)%len(seeds)]
		f.Add(raw, other, uint8(i))
		tampered := bytes.Clone(raw)
		tampered[len(tampered)-1-i%SignatureSize] ^= 0x40
		f.Add(raw, tampered, uint8(i*7))
	}
	f.Add([]byte{}, []byte{0x82}, uint8(0))
	f.Fuzz(func(t *testing.T, a, b []byte, layout uint8) {
		// layout: the low 5 bits say how many valid events, the next 2
		// where a goes among them, the top one whether b goes first or last
		n := int(layout & 31)
		raws := make([][]byte, 0, n+2)
		for i := 0; i < n; i++ {
			raws = append(raws, seeds[i%len(seeds)])
		}
		at := func(bits uint8) int { return int(bits) * len(raws) / 3 }
		raws = insertAt(raws, at((layout>>5)&3), a)
		raws = insertAt(raws, at(3*(layout>>7)), b)
		checkBatch(t, raws)
	})
}

// insertAt inserts x at index i (clamped) of s.
func insertAt(s [][]byte, i int, x []byte) [][]byte {
	i = min(max(i, 0), len(s))
	s = append(s, nil)
	copy(s[i+1:], s[i:])
	s[i] = x
	return s
}
