package crdt

import (
	"bytes"
	"sort"
	"strings"
)

// The city directory (SPEC.md §22): each coop of a city publishes a signed
// card saying who it is, where it works and how to reach it, so that one
// customer app can show every coop of the city without a central server.
// Cards are not events: they belong to no coop log and change no coop
// state. The directory keeps, per coop, the card with the latest signed
// time; this file holds that fold. Signatures and the self-certification by
// the coop's genesis are checked in package protocol before a card gets
// here.

// CoopCard is the body of a directory card (SPEC.md §22.2).
type CoopCard struct {
	Coop    ID       `cbor:"1,keyasint,omitempty,omitzero" json:"coop"`
	Signer  PubKey   `cbor:"2,keyasint,omitempty,omitzero" json:"signer"`
	City    string   `cbor:"3,keyasint,omitempty" json:"city"` // normalized (NormalizeCity)
	Wall    int64    `cbor:"4,keyasint,omitempty" json:"wall"` // signed time, ms since the epoch
	Name    string   `cbor:"5,keyasint,omitempty" json:"name"`
	Zones   []string `cbor:"6,keyasint,omitempty" json:"zones,omitempty"`
	Contact string   `cbor:"7,keyasint,omitempty" json:"contact,omitempty"`
	Addrs   []string `cbor:"8,keyasint,omitempty" json:"addrs,omitempty"` // relays and bootstrap peers (multiaddrs)
}

// Card limits (SPEC.md §22.2).
const (
	MaxCardText  = 200 // bytes of name, contact, city, each zone and each address
	MaxCardZones = 32
	MaxCardAddrs = 8
)

// NormalizeCity gives the directory's spelling of a city name (SPEC.md
// §22.1): lower case, surrounding spaces dropped, inner runs of white space
// as one space.
func NormalizeCity(name string) string {
	return strings.Join(strings.Fields(strings.ToLower(name)), " ")
}

// Directory card refusal reasons (SPEC.md §22.3).
const (
	ReasonCardFields   Reason = "card_fields"     // a field missing or over its limit
	ReasonCardCity     Reason = "card_wrong_city" // the card names another city than the directory's
	ReasonCardStale    Reason = "card_stale"      // the directory holds a later (or the same) card of that coop
	ReasonCardNotAdmin Reason = "card_not_admin"  // the signer is neither the coop's founder nor a genesis admin
)

// CheckCard checks a card's fields against the limits of SPEC.md §22.2.
func CheckCard(c *CoopCard) Reason {
	if c.Coop.IsZero() || c.Signer.IsZero() || c.City == "" || c.Name == "" || c.Wall <= 0 ||
		c.City != NormalizeCity(c.City) || len(c.Zones) > MaxCardZones || len(c.Addrs) > MaxCardAddrs {
		return ReasonCardFields
	}
	for _, s := range append(append([]string{c.City, c.Name, c.Contact}, c.Zones...), c.Addrs...) {
		if len(s) > MaxCardText {
			return ReasonCardFields
		}
	}
	return ""
}

// DirectoryEntry is a card the directory holds, with the hash of its signed
// body (the tie-break of SPEC.md §22.3).
type DirectoryEntry struct {
	Card CoopCard `json:"card"`
	Hash ID       `json:"hash"`
}

// Directory is the fold of one city's cards: per coop, the card with the
// greatest (wall, hash). It is a last-writer-wins map, so any order of
// arrival, with duplicates, gives the same state.
type Directory struct {
	city  string
	cards map[ID]DirectoryEntry
}

// NewDirectory returns an empty directory of a city (any spelling).
func NewDirectory(city string) *Directory {
	return &Directory{city: NormalizeCity(city), cards: map[ID]DirectoryEntry{}}
}

// City is the directory's normalized city name.
func (d *Directory) City() string { return d.city }

// Apply folds a card whose signature and signer protocol has checked;
// hash is the SHA-256 of its signed body. It returns "" when the card is
// now the coop's, or the reason it changed nothing.
func (d *Directory) Apply(c CoopCard, hash ID) Reason {
	if r := CheckCard(&c); r != "" {
		return r
	}
	if c.City != d.city {
		return ReasonCardCity
	}
	if old, ok := d.cards[c.Coop]; ok {
		if old.Card.Wall > c.Wall || (old.Card.Wall == c.Wall && bytes.Compare(old.Hash[:], hash[:]) >= 0) {
			return ReasonCardStale
		}
	}
	c.Zones = append([]string(nil), c.Zones...)
	c.Addrs = append([]string(nil), c.Addrs...)
	d.cards[c.Coop] = DirectoryEntry{Card: c, Hash: hash}
	return ""
}

// Card returns the coop's current card.
func (d *Directory) Card(coop ID) (DirectoryEntry, bool) {
	e, ok := d.cards[coop]
	return e, ok
}

// Entries returns the cards, by coop name then coop ID.
func (d *Directory) Entries() []DirectoryEntry {
	out := make([]DirectoryEntry, 0, len(d.cards))
	for _, e := range d.cards {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Card.Name != out[j].Card.Name {
			return out[i].Card.Name < out[j].Card.Name
		}
		return out[i].Card.Coop.Compare(out[j].Card.Coop) < 0
	})
	return out
}
