package market

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// checkErr fails unless err wraps one of the package's sentinels.
func checkErr(t *testing.T, err error) {
	t.Helper()
	if err != nil && Code(err) == "" {
		t.Fatalf("error wraps no sentinel: %v", err)
	}
}

// FuzzRules: any rules.set payload that decodes either compiles or is
// refused with ErrBadRules; a compiled one prices any job without panic,
// deterministically, and its explanation accounts for every rule.
func FuzzRules(f *testing.F) {
	full, _ := protocol.EncodePayload(testRulesSet())
	f.Add(full, uint32(4200), uint64(3), int64(600), int64(1_773_140_400_000))
	f.Add([]byte{0xa0}, uint32(0), uint64(0), int64(0), int64(0))
	f.Fuzz(func(t *testing.T, b []byte, dist uint32, n uint64, items int64, wall int64) {
		p, err := protocol.DecodePayload(crdt.KindRulesSet, b)
		if err != nil {
			return
		}
		set := p.(*crdt.RulesSet)
		r, err := Compile(set, "Europe/Paris")
		if err != nil {
			if !errors.Is(err, ErrBadRules) {
				t.Fatalf("compile: %v", err)
			}
			return
		}
		var zones [][]string
		for i := uint64(0); i < n%5; i++ {
			zones = append(zones, r.ZonesAt(crdt.Position{LatE6: int32(dist), LonE6: int32(i) * 1000}))
		}
		j := Job{Target: uint8(n % 3), DistanceM: dist, DropoffZones: zones, ItemsCents: items % (MaxCents + 1),
			WeightG: n, Packages: n % 100, At: time.UnixMilli(wall % (1 << 50))}
		e1, err1 := r.DeliveryFee(j)
		e2, err2 := r.DeliveryFee(j)
		checkErr(t, err1)
		if Code(err1) != Code(err2) || (e1 == nil) != (e2 == nil) || (e1 != nil && e1.String() != e2.String()) {
			t.Fatal("not deterministic")
		}
		if e1 != nil && len(e1.Rules) != len(set.Rules) {
			t.Fatalf("%d traces for %d rules", len(e1.Rules), len(set.Rules))
		}
		if err1 == nil && e1.FeeCents < 0 {
			t.Fatal("negative fee")
		}
		_, err = r.CourierPay(dist, int(n%40), items%(MaxCents+1), int64(n%MaxCents))
		checkErr(t, err)
	})
}

// FuzzCheckout: any cart against the test restaurant is priced or refused
// with a sentinel; a quote's totals add up.
func FuzzCheckout(f *testing.F) {
	f.Add([]byte("wrap\x02harissa\x00feta\x00\x01soda\x01"), int64(200), int32(47_213_000), int32(-1_556_000), uint8(1), int64(0))
	f.Add([]byte("soda\x09"), int64(0), int32(0), int32(0), uint8(2), int64(600_000))
	f.Fuzz(func(t *testing.T, spec []byte, tip int64, lat, lon int32, fulfil uint8, slotOffset int64) {
		cart := Cart{Restaurant: pk("resto"), Fulfilment: crdt.Fulfilment(fulfil), TipCents: tip, Dropoff: crdt.Position{LatE6: lat, LonE6: lon}}
		// spec: product NUL-separated options, a quantity byte, repeated
		for len(spec) > 0 && len(cart.Items) < 80 {
			var it CartItem
			i := 0
			for i < len(spec) && spec[i] >= 0x20 {
				i++
			}
			it.Product = string(spec[:i])
			spec = spec[i:]
			for len(spec) > 0 && spec[0] == 0 {
				spec = spec[1:]
				k := 0
				for k < len(spec) && spec[k] >= 0x20 {
					k++
				}
				it.Options = append(it.Options, string(spec[:k]))
				spec = spec[k:]
			}
			if len(spec) > 0 {
				it.Quantity = uint32(spec[0])
				spec = spec[1:]
			}
			cart.Items = append(cart.Items, it)
		}
		if slotOffset != 0 {
			start := tuesdayNoon.Add(time.Duration(slotOffset%(1<<40)) * time.Millisecond)
			cart.Slot = crdt.TimeSlot{Start: start.UnixMilli(), End: start.Add(10 * time.Minute).UnixMilli()}
		}
		q, err := Checkout(cart, testCtx(t, tuesdayNoon))
		checkErr(t, err)
		if err != nil {
			return
		}
		if q.TotalCents != q.ItemsCents+q.DeliveryCents+q.TipCents || q.ItemsCents < testProfile().MinOrderCents {
			t.Fatalf("quote does not add up: %+v", q)
		}
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], uint64(q.TotalCents))
		if _, err := protocol.EncodePayload(q.OrderPlace(PlaceExtras{})); err != nil {
			t.Fatalf("the order.place does not encode: %v", err)
		}
	})
}

// FuzzValidateDocument: any catalog.profile or catalog.menu payload that
// decodes is judged without panic, the same way twice, and a refusal
// names a field and wraps a sentinel with a code.
func FuzzValidateDocument(f *testing.F) {
	prof, _ := protocol.EncodePayload(testProfile())
	menu, _ := protocol.EncodePayload(testMenu())
	f.Add(prof, false)
	f.Add(menu, true)
	f.Add([]byte{0xa0}, true)
	f.Fuzz(func(t *testing.T, b []byte, isMenu bool) {
		kind := crdt.KindCatalogProfile
		if isMenu {
			kind = crdt.KindCatalogMenu
		}
		p, err := protocol.DecodePayload(kind, b)
		if err != nil {
			return
		}
		err1, err2 := ValidateDocument(p), ValidateDocument(p)
		if (err1 == nil) != (err2 == nil) || (err1 != nil && err1.Error() != err2.Error()) {
			t.Fatal("not deterministic")
		}
		var r *Refusal
		if err1 != nil && (!errors.As(err1, &r) || r.Field == "" || Code(err1) == "") {
			t.Fatalf("refusal without field or code: %v", err1)
		}
	})
}
