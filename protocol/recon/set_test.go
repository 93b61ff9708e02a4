package recon

import (
	"bytes"
	"errors"
	"math/rand"
	"slices"
	"testing"
)

func naiveDigest(items []Item) Accumulator {
	var a Accumulator
	for _, it := range items {
		a.Add(it.ID)
	}
	return a
}

func TestSortedSetDigestAndEdits(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	s := mustSet(t, history(rng, 500, 10, 2))
	ref := map[Item]bool{}
	for _, it := range s.Items() {
		ref[it] = true
	}
	for step := 0; step < 2000; step++ {
		switch rng.Intn(3) {
		case 0: // insert, often at the end
			it := Item{Time: uint64(rng.Intn(1200)), ID: randID(rng)}
			if rng.Intn(2) == 0 && s.Len() > 0 {
				it.Time = s.At(s.Len()-1).Time + uint64(rng.Intn(3))
			}
			added, err := s.Insert(it)
			if err != nil || added == ref[it] {
				t.Fatalf("insert: %v %v", added, err)
			}
			ref[it] = true
		case 1: // remove
			if s.Len() == 0 {
				continue
			}
			it := s.At(rng.Intn(s.Len()))
			if !s.Remove(it) || s.Remove(it) {
				t.Fatal("remove")
			}
			delete(ref, it)
		case 2: // re-insert an existing item
			if s.Len() > 0 {
				if added, _ := s.Insert(s.At(0)); added {
					t.Fatal("duplicate insert")
				}
			}
		}
		if s.Len() != len(ref) {
			t.Fatalf("len %d, want %d", s.Len(), len(ref))
		}
		i := rng.Intn(s.Len() + 1)
		j := i + rng.Intn(s.Len()-i+1)
		if got, want := s.Digest(i, j), naiveDigest(s.Items()[i:j]); got != want {
			t.Fatalf("digest [%d,%d): %v, want %v", i, j, got, want)
		}
	}
	for i := 1; i < s.Len(); i++ {
		if s.At(i-1).Compare(s.At(i)) >= 0 {
			t.Fatal("not sorted")
		}
	}
	c := s.Clone()
	c.Insert(Item{Time: 5000})
	if c.Len() != s.Len()+1 {
		t.Fatal("clone shares state")
	}
}

func TestInvalidItems(t *testing.T) {
	if _, err := NewSet([]Item{{Time: MaxTime}}); !errors.Is(err, ErrInvalidItem) {
		t.Errorf("NewSet: %v", err)
	}
	s := mustSet(t, nil)
	if _, err := s.Insert(Item{Time: MaxTime}); !errors.Is(err, ErrInvalidItem) {
		t.Errorf("Insert: %v", err)
	}
}

func TestBoundBetween(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for i := 0; i < 10000; i++ {
		a, b := Item{Time: uint64(rng.Intn(3)), ID: randID(rng)}, Item{Time: uint64(rng.Intn(3)), ID: randID(rng)}
		k := rng.Intn(33)
		copy(b.ID[:k], a.ID[:k]) // shared prefixes
		if c := a.Compare(b); c == 0 {
			continue
		} else if c > 0 {
			a, b = b, a
		}
		bd := boundBetween(a, b)
		if cmpItemBound(a, bd) >= 0 || cmpItemBound(b, bd) < 0 {
			t.Fatalf("bound %+v not in (%v, %v]", bd, a, b)
		}
		if !zeroFrom(bd.Prefix[:], int(bd.Len)) || (a.Time != b.Time && bd.Len != 0) {
			t.Fatalf("bound %+v not minimal", bd)
		}
		if bd.Compare(BoundOf(b)) > 0 || BoundOf(a).Compare(bd) >= 0 {
			t.Fatalf("bound %+v vs BoundOf", bd)
		}
	}
}

func TestSearch(t *testing.T) {
	items := []Item{{Time: 1, ID: ID{1}}, {Time: 2, ID: ID{1}}, {Time: 2, ID: ID{2}}, {Time: 3}}
	s := mustSet(t, items)
	for _, c := range []struct {
		b    Bound
		want int
	}{
		{Bound{}, 0}, {Bound{Time: 2}, 1}, {Bound{Time: 2, Prefix: ID{1, 5}, Len: 2}, 2},
		{Bound{Time: 2, Prefix: ID{2}, Len: 1}, 2}, {Bound{Time: 4}, 4}, {Infinity, 4},
	} {
		if got := s.Search(c.b); got != c.want {
			t.Errorf("Search(%+v) = %d, want %d", c.b, got, c.want)
		}
	}
}

func TestFingerprintSalted(t *testing.T) {
	var a Accumulator
	a.Add(ID{1})
	s2 := testSalt
	s2[3]++
	if a.Fingerprint(&testSalt) == a.Fingerprint(&s2) {
		t.Error("salt ignored")
	}
	b := a
	b.Add(ID{2})
	b.Sub(ID{2})
	if a != b {
		t.Error("Add/Sub not inverse")
	}
	x, y := shortID(&testSalt, ID{1}, 8), shortID(&testSalt, ID{1}, 32)
	if !bytes.Equal(x[:8], y[:8]) || !zeroFrom(x[:], 8) {
		t.Error("short IDs are not prefixes of one hash")
	}
}

// TestSetWith: With equals a set built from scratch from the same items,
// for random bases and changes, and leaves the base unchanged.
func TestSetWith(t *testing.T) {
	rng := rand.New(rand.NewSource(14))
	item := func() Item {
		var id ID
		for i := range id {
			id[i] = byte(rng.Intn(4)) // small alphabet: equal prefixes, collisions of add and remove
		}
		return Item{Time: uint64(rng.Intn(20)), ID: id}
	}
	for round := 0; round < 500; round++ {
		var base, add, remove []Item
		for i := rng.Intn(40); i > 0; i-- {
			base = append(base, item())
		}
		for i := rng.Intn(10); i > 0; i-- {
			add = append(add, item())
		}
		for i := rng.Intn(10); i > 0; i-- {
			if len(base) > 0 && rng.Intn(2) == 0 {
				remove = append(remove, base[rng.Intn(len(base))])
			} else if len(add) > 0 && rng.Intn(2) == 0 {
				remove = append(remove, add[rng.Intn(len(add))])
			} else {
				remove = append(remove, item())
			}
		}
		s, err := NewSet(base)
		if err != nil {
			t.Fatal(err)
		}
		before := s.Clone()
		got, err := s.With(add, remove)
		if err != nil {
			t.Fatal(err)
		}
		var want []Item
		for _, it := range append(slices.Clone(base), add...) {
			if !slices.Contains(remove, it) {
				want = append(want, it)
			}
		}
		ws, _ := NewSet(want)
		if !slices.Equal(got.Items(), ws.Items()) || !slices.Equal(got.prefix, ws.prefix) {
			t.Fatalf("round %d: With differs from a rebuild", round)
		}
		if !slices.Equal(s.Items(), before.Items()) || !slices.Equal(s.prefix, before.prefix) {
			t.Fatalf("round %d: With changed the base", round)
		}
	}
	if _, err := (&SortedSet{prefix: make([][4]uint64, 1)}).With([]Item{{Time: MaxTime}}, nil); !errors.Is(err, ErrInvalidItem) {
		t.Fatalf("MaxTime added: %v", err)
	}
}
