package crdt

import (
	"encoding/hex"
	"slices"
)

// Small-order keys (SPEC.md §3.3). Signatures are verified under ZIP-215,
// which accepts small-order points as keys. For a key A of order dividing 8
// the cofactored equation [8][S]B = [8]R + [8][k]A holds with R = identity
// and S = 0 whatever the message, so anyone can sign anything "as" such a
// key. No honest key is small-order (a key made from a seed never is), so
// such a key is refused wherever it could act: as an event's author, and
// wherever a payload admits a key to act later (coop.genesis admins,
// member.admit member, device.link device).
//
// The curve has 8 points of small order. ZIP-215 also accepts their
// non-canonical encodings (y ≥ p, and x = 0 with the sign bit set), so the
// list holds all 14 byte strings that decode to one of them; protocol's
// TestSmallOrderKeysComplete derives the list from the curve arithmetic and
// checks it against this one.
var smallOrderKeys = func() map[PubKey]bool {
	m := map[PubKey]bool{}
	for _, s := range []string{
		// identity (0, 1), order 1
		"0100000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000080", // x = 0, sign bit set
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p+1
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", // y = p+1, sign bit set
		// (0, -1), order 2
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", // x = 0, sign bit set
		// (±sqrt(-1), 0), order 4
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0000000000000000000000000000000000000000000000000000000000000080",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", // y = p, sign bit set
		// order 8
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
	} {
		var k PubKey
		if n, err := hex.Decode(k[:], []byte(s)); err != nil || n != len(k) {
			panic("crdt: bad small-order key constant " + s)
		}
		m[k] = true
	}
	return m
}()

// SmallOrder reports whether k encodes a point of small order (order 1, 2, 4
// or 8), canonically or not. Such a key signs any message under ZIP-215 and
// is refused as an author and as a member or device key (SPEC.md §3.3).
func (k PubKey) SmallOrder() bool { return smallOrderKeys[k] }

// SmallOrderKeys returns the 14 encodings SmallOrder reports, in byte order,
// for test vectors.
func SmallOrderKeys() []PubKey {
	out := make([]PubKey, 0, len(smallOrderKeys))
	for k := range smallOrderKeys {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b PubKey) int { return ID(a).Compare(ID(b)) })
	return out
}
