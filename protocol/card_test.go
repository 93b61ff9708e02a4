package protocol

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/coopnode/coopnode/crdt"
)

// cardFixture founds a coop with a founder and a second genesis admin and
// returns the genesis wire form and a valid card (SPEC.md §22.2).
func cardFixture(t testing.TB) (genesis []byte, card crdt.CoopCard) {
	founder, admin2 := testKey("card founder"), testKey("card admin2")
	g, raw := mustSeal(t, founder, Draft{Kind: crdt.KindCoopGenesis, Lamport: 1, Wall: testWall,
		Body: &crdt.CoopGenesis{Name: "Vélo Nantes", City: "Nantes", Admins: []crdt.PubKey{PubKeyOf(admin2)}}})
	return raw, crdt.CoopCard{Coop: g.ID, City: "nantes", Wall: testWall, Name: "Vélo Nantes",
		Zones: []string{"centre", "île de nantes"}, Contact: "hello@velo.example", Addrs: []string{"/ip4/127.0.0.1/tcp/4001"}}
}

func TestCardRoundTrip(t *testing.T) {
	genesis, card := cardFixture(t)
	for _, who := range []string{"card founder", "card admin2"} {
		raw, err := SealCard(testKey(who), card, genesis)
		if err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		got, h, err := OpenCard(raw)
		if err != nil || got.Name != card.Name || got.Signer != PubKeyOf(testKey(who)) || h.IsZero() {
			t.Fatalf("%s: %+v %v", who, got, err)
		}
	}
	if TopicCity("  NANTES ") != TopicCity("nantes") || TopicCity("Nantes") == TopicCity("Rennes") ||
		!strings.HasPrefix(TopicCity("Nantes"), "/cn/1/city/") || len(CityID("x")) != 16 {
		t.Fatalf("city topics: %s %s", TopicCity("Nantes"), TopicCity("Rennes"))
	}
}

// TestCardRefusals: every way a card is refused (SPEC.md §22.3).
func TestCardRefusals(t *testing.T) {
	genesis, card := cardFixture(t)
	founder := testKey("card founder")
	good, err := SealCard(founder, card, genesis)
	if err != nil {
		t.Fatal(err)
	}
	_, otherRaw := mustSeal(t, founder, Draft{Kind: crdt.KindCoopGenesis, Lamport: 1, Wall: testWall + 1,
		Body: &crdt.CoopGenesis{Name: "Other"}})
	var parts [][]byte
	if err := decMode.Unmarshal(good, &parts); err != nil {
		t.Fatal(err)
	}
	rewrap := func(body, sig, gen []byte) []byte { return enc(t, [][]byte{body, sig, gen}) }
	badSig := append([]byte(nil), parts[1]...)
	badSig[0] ^= 1
	long := card
	long.Name = strings.Repeat("x", crdt.MaxCardText+1)
	longBody := enc(t, long)
	cases := []struct {
		name string
		raw  []byte
		want string
	}{
		{"oversized", bytes.Repeat([]byte{0}, MaxCardSize+1), "bytes"},
		{"not cbor", []byte{0xff}, "envelope"},
		{"two parts", enc(t, [][]byte{parts[0], parts[1]}), "envelope"},
		{"short signature", rewrap(parts[0], parts[1][:10], parts[2]), "envelope"},
		{"body not a card", rewrap([]byte{0x01}, parts[1], parts[2]), "bad coop card"},
		{"field over its limit", rewrap(longBody, resignCard(founder, longBody), parts[2]), string(crdt.ReasonCardFields)},
		{"forged signature", rewrap(parts[0], badSig, parts[2]), "signature"},
		{"genesis garbage", rewrap(parts[0], parts[1], []byte{1, 2, 3}), "genesis"},
		{"another coop's genesis", rewrap(parts[0], parts[1], otherRaw), "not the coop's"},
		{"signer not an admin", func() []byte {
			c := card
			c.Signer = PubKeyOf(testKey("stranger"))
			b := enc(t, c)
			return rewrap(b, resignCard(testKey("stranger"), b), parts[2])
		}(), string(crdt.ReasonCardNotAdmin)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := OpenCard(c.raw)
			if !errors.Is(err, ErrBadCard) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want ErrBadCard naming %q", err, c.want)
			}
		})
	}
	if _, err := SealCard(testKey("stranger"), card, genesis); !errors.Is(err, ErrBadCard) {
		t.Fatalf("a stranger sealed a card: %v", err)
	}
}

func resignCard(priv ed25519.PrivateKey, body []byte) []byte {
	h := sha256.Sum256(body)
	return ed25519.Sign(priv, append([]byte(cardDomain), h[:]...))
}

// FuzzOpenCard: no input panics OpenCard, and whatever it accepts
// re-seals to the same card (SPEC.md §22.2).
func FuzzOpenCard(f *testing.F) {
	genesis, card := cardFixture(f)
	good, err := SealCard(testKey("card founder"), card, genesis)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{0x83, 0x40, 0x40, 0x40})
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, h, err := OpenCard(raw)
		if err != nil {
			if !errors.Is(err, ErrBadCard) {
				t.Fatalf("error %v does not wrap ErrBadCard", err)
			}
			return
		}
		if h.IsZero() || crdt.CheckCard(&c) != "" {
			t.Fatalf("accepted a card %+v", c)
		}
		d := crdt.NewDirectory(c.City)
		if r := d.Apply(c, h); r != "" {
			t.Fatalf("an opened card refused by the directory: %s", r)
		}
	})
}
