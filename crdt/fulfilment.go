package crdt

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Fulfilment is how an order reaches its customer (SPEC.md §5.3): a set of
// bits in a profile (what the restaurant offers), exactly one bit in an
// order. On the wire (CBOR) it is an unsigned integer. In JSON, the form
// people read and write (the HTTP API, example files), it is its names:
// "delivery", "collection", or "delivery,collection" for a profile that
// offers both; a JSON number is still read, for older files.
type Fulfilment uint8

// Fulfilment methods, as bits.
const (
	FulfilDelivery   Fulfilment = 1
	FulfilCollection Fulfilment = 2
)

var fulfilNames = []struct {
	f    Fulfilment
	name string
}{{FulfilDelivery, "delivery"}, {FulfilCollection, "collection"}}

// Names names the bits set, comma-separated; unknown bits are shown as a
// number. (Not String: printed with %v, as the test vectors print wire
// values, a fulfilment stays the integer it is on the wire.)
func (f Fulfilment) Names() string {
	var names []string
	rest := f
	for _, n := range fulfilNames {
		if f&n.f != 0 {
			names = append(names, n.name)
			rest &^= n.f
		}
	}
	if rest != 0 || f == 0 {
		names = append(names, fmt.Sprint(uint8(rest)))
	}
	return strings.Join(names, ",")
}

// MarshalJSON writes the names (see Names).
func (f Fulfilment) MarshalJSON() ([]byte, error) { return json.Marshal(f.Names()) }

// UnmarshalJSON reads names ("delivery", "collection", comma-separated or
// as a list, the form package mobile uses) or a number from 0 to 255.
func (f *Fulfilment) UnmarshalJSON(b []byte) error {
	var n uint8
	if err := json.Unmarshal(b, &n); err == nil {
		*f = Fulfilment(n)
		return nil
	}
	var parts []string
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		parts = strings.Split(s, ",")
	} else if err := json.Unmarshal(b, &parts); err != nil {
		return fmt.Errorf("fulfilment: want \"delivery\", \"collection\" or both, as \"delivery,collection\" or a list; got %s", b)
	}
	var out Fulfilment
	for _, part := range parts {
		part = strings.TrimSpace(part)
		found := false
		for _, n := range fulfilNames {
			if part == n.name {
				out |= n.f
				found = true
			}
		}
		if !found && part != "0" {
			return fmt.Errorf("fulfilment: unknown method %q (want delivery or collection)", part)
		}
	}
	*f = out
	return nil
}
