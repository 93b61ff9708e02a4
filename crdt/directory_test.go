package crdt

import (
	"math/rand"
	"reflect"
	"testing"
)

func testCard(coop byte, wall int64, name string) (CoopCard, ID) {
	c := CoopCard{Coop: ID{coop}, Signer: PubKey{coop, 1}, City: "nantes", Wall: wall, Name: name,
		Zones: []string{"centre"}, Addrs: []string{"/ip4/127.0.0.1/tcp/1"}}
	var h ID
	h[0], h[1], h[2] = coop, byte(wall), name[0]
	return c, h
}

// TestDirectoryFoldProperty: any order of arrival, with duplicates, gives
// the same directory (SPEC.md §22.3).
func TestDirectoryFoldProperty(t *testing.T) {
	type in struct {
		c CoopCard
		h ID
	}
	var cards []in
	for coop := byte(1); coop <= 4; coop++ {
		for w := int64(1); w <= 4; w++ {
			for _, name := range []string{"a", "b"} { // same wall, two bodies: the hash decides
				c, h := testCard(coop, 1000+w, name)
				cards = append(cards, in{c, h})
			}
		}
	}
	want := NewDirectory("Nantes")
	for _, x := range cards {
		want.Apply(x.c, x.h)
	}
	if len(want.Entries()) != 4 {
		t.Fatalf("%d coops", len(want.Entries()))
	}
	for _, e := range want.Entries() {
		if e.Card.Wall != 1004 || e.Card.Name != "b" {
			t.Fatalf("kept %+v, want the latest card with the greater hash", e.Card)
		}
	}
	rng := rand.New(rand.NewSource(7))
	for trial := 0; trial < 200; trial++ {
		seq := append([]in(nil), cards...)
		for i := 0; i < 10; i++ { // duplicates
			seq = append(seq, cards[rng.Intn(len(cards))])
		}
		rng.Shuffle(len(seq), func(i, j int) { seq[i], seq[j] = seq[j], seq[i] })
		// a partition: two halves folded apart, then each other's cards
		a, b := NewDirectory("nantes"), NewDirectory(" NANTES")
		half := len(seq) / 2
		for _, x := range seq[:half] {
			a.Apply(x.c, x.h)
		}
		for _, x := range seq[half:] {
			b.Apply(x.c, x.h)
		}
		for _, x := range seq[half:] {
			a.Apply(x.c, x.h)
		}
		for _, x := range seq[:half] {
			b.Apply(x.c, x.h)
		}
		if !reflect.DeepEqual(a.Entries(), want.Entries()) || !reflect.DeepEqual(b.Entries(), want.Entries()) {
			t.Fatalf("trial %d: directories differ", trial)
		}
	}
}

// TestDirectoryRefusals: each card the directory refuses, and why
// (SPEC.md §22.3).
func TestDirectoryRefusals(t *testing.T) {
	d := NewDirectory("Nantes")
	held, hh := testCard(1, 2000, "m")
	if r := d.Apply(held, hh); r != "" {
		t.Fatal(r)
	}
	mod := func(f func(*CoopCard)) CoopCard { c, _ := testCard(2, 3000, "x"); f(&c); return c }
	long := make([]byte, MaxCardText+1)
	cases := []struct {
		name string
		card CoopCard
		hash ID
		want Reason
	}{
		{"no coop", mod(func(c *CoopCard) { c.Coop = ID{} }), ID{1}, ReasonCardFields},
		{"no signer", mod(func(c *CoopCard) { c.Signer = PubKey{} }), ID{1}, ReasonCardFields},
		{"no name", mod(func(c *CoopCard) { c.Name = "" }), ID{1}, ReasonCardFields},
		{"no time", mod(func(c *CoopCard) { c.Wall = 0 }), ID{1}, ReasonCardFields},
		{"city not normalized", mod(func(c *CoopCard) { c.City = "Nantes" }), ID{1}, ReasonCardFields},
		{"name too long", mod(func(c *CoopCard) { c.Name = string(long) }), ID{1}, ReasonCardFields},
		{"too many zones", mod(func(c *CoopCard) { c.Zones = make([]string, MaxCardZones+1) }), ID{1}, ReasonCardFields},
		{"too many addresses", mod(func(c *CoopCard) { c.Addrs = make([]string, MaxCardAddrs+1) }), ID{1}, ReasonCardFields},
		{"another city", mod(func(c *CoopCard) { c.City = "rennes" }), ID{1}, ReasonCardCity},
		{"older than held", func() CoopCard { c, _ := testCard(1, 1999, "z"); return c }(), ID{9}, ReasonCardStale},
		{"the held card again", held, hh, ReasonCardStale},
		{"same time, smaller hash", func() CoopCard { c, _ := testCard(1, 2000, "a"); return c }(), ID{}, ReasonCardStale},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := d.Apply(c.card, c.hash); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			if e, _ := d.Card(ID{1}); !reflect.DeepEqual(e.Card, held) || len(d.Entries()) != 1 {
				t.Fatalf("a refused card changed the directory: %+v", d.Entries())
			}
		})
	}
}
