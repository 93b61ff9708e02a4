package protocol

import (
	"errors"
	"testing"

	"github.com/coopnode/coopnode/crdt"
)

// TestMarketLimits: the limits of the marketplace payloads
// (SPEC.md §16.9) hold on encode and decode, and a rules.set may
// be as large as a catalogue document.
func TestMarketLimits(t *testing.T) {
	manySteps := crdt.PriceRule{Steps: make([]crdt.PriceStep, crdt.MaxPriceSteps+1)}
	for _, p := range []crdt.Payload{
		&crdt.OrderPlace{Parcel: true, Dropoffs: make([]crdt.Dropoff, crdt.MaxDropoffs+1)},
		&crdt.RulesSet{Zones: make([]crdt.Zone, crdt.MaxZones+1)},
		&crdt.RulesSet{Rules: make([]crdt.PriceRule, crdt.MaxRules+1)},
		&crdt.RulesSet{Rules: []crdt.PriceRule{manySteps}},
	} {
		if _, err := EncodePayload(p); !errors.Is(err, ErrOversized) {
			t.Errorf("%T: EncodePayload: %v, want ErrOversized", p, err)
		}
		b, err := encMode.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodePayload(p.Kind(), b); !errors.Is(err, ErrOversized) {
			t.Errorf("%T: DecodePayload: %v, want ErrOversized", p, err)
		}
	}
	if SizeLimit(crdt.KindRulesSet) != MaxDocSize || SizeLimit(crdt.KindOrderRate) != MaxEventSize {
		t.Fatal("size limits of the new kinds")
	}
	// a city's worth of zone polygons: ~60 KiB, too big for an ordinary event
	zone := crdt.Zone{Name: "city"}
	ring := make([]crdt.Position, 1000)
	for i := range ring {
		ring[i] = crdt.Position{LatE6: 47_000_000 + int32(i)*1234, LonE6: -1_500_000 - int32(i)*987}
	}
	for i := 0; i < 5; i++ {
		zone.Rings = append(zone.Rings, ring)
	}
	set := &crdt.RulesSet{Version: 1, Strategy: crdt.StrategyFind, Zones: []crdt.Zone{zone}}
	d := Draft{Kind: crdt.KindRulesSet, Coop: testID("c"), Scope: testID("c"), Parents: []crdt.ID{testID("p")}, Lamport: 2, Wall: testWall, Body: set}
	e, raw := mustSeal(t, testKey("admin"), d)
	if len(raw) <= MaxEventSize {
		t.Fatalf("test rule set only %d bytes", len(raw))
	}
	got, err := Decode(raw)
	if err != nil || got.ID != e.ID {
		t.Fatalf("large rules.set: %v", err)
	}
	// the deepest rules.set item (a zone's position) fits the nesting limit
	if _, err := DecodePayload(crdt.KindRulesSet, enc(t, set)); err != nil {
		t.Fatal(err)
	}
}
