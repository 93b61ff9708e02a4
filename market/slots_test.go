package market

import (
	"errors"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

func kitchen(t *testing.T, mut func(p *crdt.CatalogProfile)) *Kitchen {
	t.Helper()
	p := testProfile()
	if mut != nil {
		mut(p)
	}
	k, err := NewKitchen(pk("resto"), p, "")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSlots(t *testing.T) {
	k := kitchen(t, nil)
	now := at(2026, 3, 10, 12, 3)
	slots := k.Slots(now, nil)
	if len(slots) == 0 {
		t.Fatal("no slots")
	}
	// lead time max(20 min delay, 15 min prep) = 20: first slot 12:30
	if !slots[0].Start.Equal(at(2026, 3, 10, 12, 30)) || slots[0].End.Sub(slots[0].Start) != 10*time.Minute {
		t.Fatalf("first slot %s", slots[0].Start)
	}
	last := slots[len(slots)-1]
	if !last.Start.Before(now.Add(3*24*time.Hour)) || !last.Start.After(now.Add(2*24*time.Hour)) {
		t.Fatalf("last slot %s beyond or far from the 3-day horizon", last.Start)
	}
	for i, s := range slots {
		if err := k.CheckSlot(s.TimeSlot(), now); err != nil {
			t.Fatalf("listed slot %s refused: %v", s.Start, err)
		}
		if l := s.Start.In(paris); l.Hour() == 14 && l.Minute() >= 30 || l.Hour() < 11 || l.Hour() == 23 {
			t.Fatalf("slot %s outside the hours", l)
		}
		if i > 0 && !s.Start.After(slots[i-1].Start) {
			t.Fatal("slots not increasing")
		}
	}
	// rush mode lengthens the lead time: 15 + 20 = 35 min → 12:40
	rush := kitchen(t, func(p *crdt.CatalogProfile) { p.Rush, p.RushExtraM = true, 20 })
	if s := rush.Slots(now, nil); !s[0].Start.Equal(at(2026, 3, 10, 12, 40)) {
		t.Fatalf("rush first slot %s", s[0].Start)
	}
	// no pre-ordering: only until the current opening ends
	noPre := kitchen(t, func(p *crdt.CatalogProfile) { p.PreOrder = false })
	s := noPre.Slots(now, nil)
	if len(s) == 0 || !s[len(s)-1].End.Equal(at(2026, 3, 10, 14, 30)) {
		t.Fatalf("no pre-order: %d slots, last %v", len(s), s)
	}
	if len(noPre.Slots(at(2026, 3, 10, 16, 0), nil)) != 0 {
		t.Fatal("slots while closed without pre-ordering")
	}
	// 15-minute slots
	q := kitchen(t, func(p *crdt.CatalogProfile) { p.SlotMinutes = 15 })
	if s := q.Slots(now, nil); !s[0].Start.Equal(at(2026, 3, 10, 12, 30)) || s[1].Start.Sub(s[0].Start) != 15*time.Minute {
		t.Fatalf("15-minute slots %v", s[:2])
	}
	// a full window disappears from the list
	orders := []*crdt.OrderState{
		{Restaurant: pk("resto"), Status: crdt.StatusAccepted, Place: crdt.OrderPlace{Slot: crdt.TimeSlot{Start: at(2026, 3, 10, 12, 30).UnixMilli()}}},
		{Restaurant: pk("resto"), Status: crdt.StatusPlaced, PlacedAt: at(2026, 3, 10, 12, 45).UnixMilli()},
		{Restaurant: pk("resto"), Status: crdt.StatusCancelled, PlacedAt: at(2026, 3, 10, 13, 5).UnixMilli()},
		{Restaurant: pk("other"), Status: crdt.StatusPlaced, PlacedAt: at(2026, 3, 10, 13, 5).UnixMilli()},
	}
	s = k.Slots(now, orders)
	if !s[0].Start.Equal(at(2026, 3, 10, 13, 0)) {
		t.Fatalf("full 12:30-13:00 window still offered: %s", s[0].Start)
	}
	if k.Load(at(2026, 3, 10, 13, 10), orders) != 0 || k.Load(at(2026, 3, 10, 12, 59), orders) != 2 {
		t.Fatal("load counts cancelled or other restaurants' orders")
	}
	if len(kitchen(t, func(p *crdt.CatalogProfile) { p.Enabled = false }).Slots(now, nil)) != 0 {
		t.Fatal("slots of a disabled restaurant")
	}
}

func TestCheckSlotErrors(t *testing.T) {
	k := kitchen(t, nil)
	now := at(2026, 3, 10, 12, 3)
	slot := func(s time.Time, d time.Duration) crdt.TimeSlot {
		return crdt.TimeSlot{Start: s.UnixMilli(), End: s.Add(d).UnixMilli()}
	}
	for _, c := range []struct {
		name string
		s    crdt.TimeSlot
		want error
	}{
		{"ok", slot(at(2026, 3, 10, 13, 0), 10*time.Minute), nil},
		{"tomorrow evening", slot(at(2026, 3, 11, 19, 0), 10*time.Minute), nil},
		{"seconds", slot(at(2026, 3, 10, 13, 0).Add(time.Second), 10*time.Minute), ErrSlotUnavailable},
		{"length", slot(at(2026, 3, 10, 13, 0), 20*time.Minute), ErrSlotUnavailable},
		{"misaligned", slot(at(2026, 3, 10, 13, 5), 10*time.Minute), ErrSlotUnavailable},
		{"past", slot(at(2026, 3, 10, 11, 0), 10*time.Minute), ErrSlotUnavailable},
		{"too soon", slot(at(2026, 3, 10, 12, 20), 10*time.Minute), ErrSlotUnavailable},
		{"horizon", slot(at(2026, 3, 13, 12, 10), 10*time.Minute), ErrSlotUnavailable},
		{"straddles closing time", slot(at(2026, 3, 10, 14, 30), 10*time.Minute), ErrRestaurantClosed},
		{"afternoon", slot(at(2026, 3, 10, 16, 0), 10*time.Minute), ErrRestaurantClosed},
	} {
		if err := k.CheckSlot(c.s, now); !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}
