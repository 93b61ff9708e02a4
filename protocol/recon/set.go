package recon

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// MaxTime is reserved: on the wire it is the "infinity" upper bound that
// every item precedes, so it is not a valid item time.
const MaxTime = math.MaxUint64

// ID is an item identifier: in coopnode the SHA-256 of an event body.
type ID [32]byte

// Item is one element of a reconciled set. Sets are ordered by Time, then
// by ID compared as bytes.
type Item struct {
	Time uint64
	ID   ID
}

// Compare orders items by (Time, ID). It returns -1, 0 or +1.
func (a Item) Compare(b Item) int {
	switch {
	case a.Time < b.Time:
		return -1
	case a.Time > b.Time:
		return 1
	}
	return bytes.Compare(a.ID[:], b.ID[:])
}

// Bound is a position in the (Time, ID) order. A range of items is given by
// an inclusive lower bound and an exclusive upper bound. Prefix holds the
// significant leading ID bytes, zero-padded to 32; Len is how many of them
// are sent on the wire (trailing bytes are zero). Only Time and Prefix take
// part in comparisons.
type Bound struct {
	Time   uint64
	Prefix ID
	Len    uint8
}

// Infinity is the upper bound that follows every item.
var Infinity = Bound{Time: MaxTime}

// IsInf reports whether b is the infinity bound.
func (b Bound) IsInf() bool { return b.Time == MaxTime }

// Compare orders bounds by (Time, Prefix).
func (b Bound) Compare(c Bound) int {
	switch {
	case b.Time < c.Time:
		return -1
	case b.Time > c.Time:
		return 1
	}
	return bytes.Compare(b.Prefix[:], c.Prefix[:])
}

// BoundOf returns the bound located exactly at item it (a full 32-byte ID
// prefix): ranges with this bound as lower bound start at it.
func BoundOf(it Item) Bound { return Bound{Time: it.Time, Prefix: it.ID, Len: 32} }

// cmpItemBound compares an item with a bound: negative if it < b.
func cmpItemBound(it Item, b Bound) int {
	switch {
	case it.Time < b.Time:
		return -1
	case it.Time > b.Time:
		return 1
	}
	return bytes.Compare(it.ID[:], b.Prefix[:])
}

// boundBetween returns the shortest bound b with prev < b <= next
// (prev < next required): the time of next alone when the times differ,
// otherwise the common ID prefix plus one byte of next.
func boundBetween(prev, next Item) Bound {
	if prev.Time != next.Time {
		return Bound{Time: next.Time}
	}
	k := 0
	for k < 31 && prev.ID[k] == next.ID[k] {
		k++
	}
	b := Bound{Time: next.Time, Len: uint8(k + 1)}
	copy(b.Prefix[:k+1], next.ID[:k+1])
	return b
}

// Accumulator is the additive digest of a multiset of IDs: their sum, each
// read as a little-endian 256-bit integer, modulo 2^256, and their count.
// Because it is a group, the digest of any contiguous range is the
// difference of two prefix digests.
type Accumulator struct {
	Sum   [4]uint64
	Count uint64
}

// Add adds id to the digest.
func (a *Accumulator) Add(id ID) {
	var c uint64
	for i := 0; i < 4; i++ {
		a.Sum[i], c = bits.Add64(a.Sum[i], binary.LittleEndian.Uint64(id[8*i:]), c)
	}
	a.Count++
}

// Sub removes id from the digest.
func (a *Accumulator) Sub(id ID) {
	var c uint64
	for i := 0; i < 4; i++ {
		a.Sum[i], c = bits.Sub64(a.Sum[i], binary.LittleEndian.Uint64(id[8*i:]), c)
	}
	a.Count--
}

// Minus returns a - b.
func (a Accumulator) Minus(b Accumulator) Accumulator {
	var r Accumulator
	var c uint64
	for i := 0; i < 4; i++ {
		r.Sum[i], c = bits.Sub64(a.Sum[i], b.Sum[i], c)
	}
	r.Count = a.Count - b.Count
	return r
}

// Fingerprint is the 16-byte range fingerprint sent on the wire.
type Fingerprint [FingerprintSize]byte

// Fingerprint returns SHA-256(0x01 || salt || sum (32 bytes LE) || count
// (8 bytes LE)) truncated to 16 bytes. The per-session salt stops a peer
// from precomputing collisions of the truncated hash.
func (a Accumulator) Fingerprint(salt *[SaltSize]byte) Fingerprint {
	var buf [1 + SaltSize + 32 + 8]byte
	buf[0] = 0x01
	copy(buf[1:], salt[:])
	for i := 0; i < 4; i++ {
		binary.LittleEndian.PutUint64(buf[1+SaltSize+8*i:], a.Sum[i])
	}
	binary.LittleEndian.PutUint64(buf[1+SaltSize+32:], a.Count)
	h := sha256.Sum256(buf[:])
	var fp Fingerprint
	copy(fp[:], h[:FingerprintSize])
	return fp
}

// shortID returns the first n bytes of SHA-256(0x02 || salt || id),
// zero-padded to 32 bytes so it can key a map.
func shortID(salt *[SaltSize]byte, id ID, n int) ID {
	var buf [1 + SaltSize + 32]byte
	buf[0] = 0x02
	copy(buf[1:], salt[:])
	copy(buf[1+SaltSize:], id[:])
	h := sha256.Sum256(buf[:])
	var s ID
	copy(s[:n], h[:n])
	return s
}

// Set is what reconciliation needs from a store: an immutable (for the
// duration of a session) sequence of distinct items in (Time, ID) order with
// range digests. SortedSet implements it in memory; a node can implement it
// over its database. Implementations must not return items with Time ==
// MaxTime.
type Set interface {
	// Len is the number of items.
	Len() int
	// At returns the i-th item, 0 <= i < Len().
	At(i int) Item
	// Search returns the smallest index i with At(i) >= b (Len() if none).
	Search(b Bound) int
	// Digest returns the Accumulator of the items with index in [i, j).
	Digest(i, j int) Accumulator
}

// SortedSet is an in-memory Set: a sorted slice with a prefix-sum array of
// ID digests, so any range digest costs O(1) after an O(log n) search.
// Insert and Remove cost O(n - position), which is cheap for the usual
// append of a recent item. A SortedSet is safe for concurrent reads but not
// for reads concurrent with writes; do not modify a set while a
// reconciliation session is using it (Clone it first).
type SortedSet struct {
	items  []Item
	prefix [][4]uint64 // prefix[i] = sum of items[:i].ID; len(items)+1 entries
}

// NewSet returns a set of items (in any order; duplicates are dropped). It
// fails with ErrInvalidItem if an item has Time == MaxTime.
func NewSet(items []Item) (*SortedSet, error) {
	s := &SortedSet{items: slices.Clone(items)}
	for _, it := range s.items {
		if it.Time == MaxTime {
			return nil, fmt.Errorf("%w: time %d is reserved", ErrInvalidItem, it.Time)
		}
	}
	slices.SortFunc(s.items, Item.Compare)
	s.items = slices.Compact(s.items)
	s.prefix = make([][4]uint64, 1, len(s.items)+1)
	s.rebuild(0)
	return s, nil
}

// rebuild recomputes prefix sums from index i on.
func (s *SortedSet) rebuild(i int) {
	s.prefix = s.prefix[:i+1]
	for _, it := range s.items[i:] {
		a := Accumulator{Sum: s.prefix[len(s.prefix)-1]}
		a.Add(it.ID)
		s.prefix = append(s.prefix, a.Sum)
	}
}

// Clone returns an independent copy of s.
func (s *SortedSet) Clone() *SortedSet {
	return &SortedSet{items: slices.Clone(s.items), prefix: slices.Clone(s.prefix)}
}

// Len returns the number of items.
func (s *SortedSet) Len() int { return len(s.items) }

// At returns the i-th item in order.
func (s *SortedSet) At(i int) Item { return s.items[i] }

// Items returns the items in order. The slice must not be modified.
func (s *SortedSet) Items() []Item { return s.items }

// Search returns the index of the first item >= b.
func (s *SortedSet) Search(b Bound) int {
	if b.IsInf() {
		return len(s.items)
	}
	i, _ := slices.BinarySearchFunc(s.items, b, cmpItemBound)
	return i
}

// Digest returns the accumulator of items [i, j).
func (s *SortedSet) Digest(i, j int) Accumulator {
	hi := Accumulator{Sum: s.prefix[j], Count: uint64(j)}
	return hi.Minus(Accumulator{Sum: s.prefix[i], Count: uint64(i)})
}

// Has reports whether it is in the set.
func (s *SortedSet) Has(it Item) bool {
	_, ok := slices.BinarySearchFunc(s.items, it, Item.Compare)
	return ok
}

// Insert adds it. It reports whether the item was new, and fails with
// ErrInvalidItem if it.Time == MaxTime.
func (s *SortedSet) Insert(it Item) (bool, error) {
	if it.Time == MaxTime {
		return false, fmt.Errorf("%w: time %d is reserved", ErrInvalidItem, it.Time)
	}
	i, ok := slices.BinarySearchFunc(s.items, it, Item.Compare)
	if ok {
		return false, nil
	}
	s.items = slices.Insert(s.items, i, it)
	s.rebuild(i)
	return true, nil
}

// Remove deletes it, reporting whether it was present.
func (s *SortedSet) Remove(it Item) bool {
	i, ok := slices.BinarySearchFunc(s.items, it, Item.Compare)
	if !ok {
		return false
	}
	s.items = slices.Delete(s.items, i, i+1)
	s.rebuild(i)
	return true
}

// With returns a new set holding s's items, plus add, minus remove (an
// item in both is removed), leaving s unchanged: a session still using s
// is unaffected. It costs O(n + k log k) for k changes, so that an index
// kept up to date as items come and go hands each session a set without
// rebuilding it from scratch (SPEC.md §8.6.2). It fails with
// ErrInvalidItem if an added item has Time == MaxTime.
func (s *SortedSet) With(add, remove []Item) (*SortedSet, error) {
	add = slices.Clone(add)
	for _, it := range add {
		if it.Time == MaxTime {
			return nil, fmt.Errorf("%w: time %d is reserved", ErrInvalidItem, it.Time)
		}
	}
	slices.SortFunc(add, Item.Compare)
	add = slices.Compact(add)
	remove = slices.Clone(remove)
	slices.SortFunc(remove, Item.Compare)
	gone := func(it Item) bool {
		_, ok := slices.BinarySearchFunc(remove, it, Item.Compare)
		return ok
	}
	out := &SortedSet{items: make([]Item, 0, len(s.items)+len(add))}
	i, j := 0, 0
	for i < len(s.items) || j < len(add) {
		var it Item
		switch {
		case j == len(add) || (i < len(s.items) && s.items[i].Compare(add[j]) < 0):
			it, i = s.items[i], i+1
		case i == len(s.items) || s.items[i].Compare(add[j]) > 0:
			it, j = add[j], j+1
		default: // in both
			it, i, j = s.items[i], i+1, j+1
		}
		if len(remove) == 0 || !gone(it) {
			out.items = append(out.items, it)
		}
	}
	// the prefix sums hold until the first change
	k := 0
	for k < len(out.items) && k < len(s.items) && out.items[k] == s.items[k] {
		k++
	}
	out.prefix = make([][4]uint64, k+1, len(out.items)+1)
	copy(out.prefix, s.prefix[:k+1])
	out.rebuild(k)
	return out, nil
}
