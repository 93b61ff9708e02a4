package node

import (
	"slices"
	"testing"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/protocol"
)

// TestWakeTargetsFollowShifts (issue 13 item 5): on order.accept the relay
// wakes the couriers seated on a shift in progress whose zone holds the
// pickup, with their live devices; not a courier off shift, on a shift of
// another zone, or revoked; and every courier when no courier is on a
// shift covering the job. Other order events wake only the parties. The
// decision is the pure function wakeTargets over the folded state.
func TestWakeTargetsFollowShifts(t *testing.T) {
	key := func(name string) crdt.PubKey { return protocol.PubKeyOf(nodeKey(name)) }
	const hour = 3600 * 1000
	now := int64(1_800_000_000_000)
	square := func(lat, lon int32) [][]crdt.Position {
		return [][]crdt.Position{{{LatE6: lat, LonE6: lon}, {LatE6: lat + 10_000, LonE6: lon},
			{LatE6: lat + 10_000, LonE6: lon + 10_000}, {LatE6: lat, LonE6: lon + 10_000}}}
	}
	rules := &crdt.RulesSet{Version: 1, Strategy: crdt.StrategyFind, Zones: []crdt.Zone{
		{Name: "centre", Rings: square(47_210_000, -1_560_000)},
		{Name: "north", Rings: square(47_300_000, -1_560_000)}}}
	pickup := crdt.Position{LatE6: 47_215_000, LonE6: -1_555_000} // in centre
	if r, err := market.Compile(rules, ""); err != nil || !slices.Equal(r.ZonesAt(pickup), []string{"centre"}) {
		t.Fatalf("fixture: rules %v, err %v", r, err)
	}

	resto, cust := key("resto"), key("cust")
	zoe, zoePhone, zoeOld := key("zoe"), key("zoe-phone"), key("zoe-old-phone")
	max, nina, ola, rev := key("max"), key("nina"), key("ola"), key("revoked")
	coopState := func(shifts ...*crdt.Shift) *crdt.CoopState {
		c := &crdt.CoopState{Members: map[crdt.PubKey]*crdt.Member{}, Shifts: map[crdt.ID]*crdt.Shift{},
			Rules: []crdt.RulesVersion{{Version: 1, Set: rules}}}
		for _, k := range []crdt.PubKey{zoe, max, nina, ola, rev} {
			c.Members[k] = &crdt.Member{Key: k, Roles: crdt.RoleCourier}
		}
		c.Members[rev].RevokedAt = now - hour
		c.Members[zoe].Devices = map[crdt.PubKey]crdt.Device{zoePhone: {Key: zoePhone}, zoeOld: {Key: zoeOld, RevokedAt: now - hour}}
		c.Members[resto] = &crdt.Member{Key: resto, Roles: crdt.RoleRestaurant}
		for i, s := range shifts {
			s.ID = crdt.ID{byte(i + 1)}
			c.Shifts[s.ID] = s
		}
		return c
	}
	shift := func(start, end int64, zone string, seated ...crdt.PubKey) *crdt.Shift {
		s := &crdt.Shift{Plan: crdt.ShiftPlan{Start: start, End: end, Zone: zone, Needed: 5}}
		for _, k := range seated {
			s.Seats = append(s.Seats, crdt.Seat{Courier: k})
		}
		return s
	}
	order := &crdt.OrderState{Customer: cust, Restaurant: resto,
		Place: crdt.OrderPlace{Restaurant: resto, Pickup: pickup, RulesVersion: 1}}
	accept := &crdt.Event{Kind: crdt.KindOrderAccept, Author: resto, Wall: now}
	everyone := []crdt.PubKey{cust, zoe, zoePhone, max, nina, ola}

	for _, tc := range []struct {
		name string
		coop *crdt.CoopState
		e    *crdt.Event
		want []crdt.PubKey
	}{
		{"on shift in zone woken with devices, off shift and other zone not",
			coopState(shift(now-hour, now+hour, "centre", zoe, rev), // rev: revoked, seated
				shift(now-hour, now+hour, "north", nina),    // other zone
				shift(now+hour, now+2*hour, "", max),        // not yet
				shift(now-2*hour, now-hour, "centre", ola)), // over
			accept, []crdt.PubKey{cust, zoe, zoePhone}},
		{"a shift without zone covers every pickup",
			coopState(shift(now-hour, now+hour, "", max), shift(now-hour, now+hour, "north", nina)),
			accept, []crdt.PubKey{cust, max}},
		{"no shifts planned: every courier",
			coopState(), accept, everyone},
		{"no shift in progress: every courier",
			coopState(shift(now+hour, now+2*hour, "centre", zoe)), accept, everyone},
		{"shifts in progress cover only another zone: every courier",
			coopState(shift(now-hour, now+hour, "north", nina)), accept, everyone},
		{"a covering shift with nobody seated but the revoked: every courier",
			coopState(shift(now-hour, now+hour, "centre", rev)), accept, everyone},
		{"not a job: the parties only",
			coopState(), &crdt.Event{Kind: crdt.KindOrderReady, Author: resto, Wall: now}, []crdt.PubKey{cust}},
	} {
		got := wakeTargets(tc.coop, order, tc.e)
		less := func(a, b crdt.PubKey) int { return slices.Compare(a[:], b[:]) }
		slices.SortFunc(got, less)
		want := slices.Clone(tc.want)
		slices.SortFunc(want, less)
		if !slices.Equal(got, want) {
			t.Errorf("%s: woke %d keys %v, want %d %v", tc.name, len(got), got, len(want), want)
		}
	}
	if got := wakeTargets(nil, order, accept); !slices.Equal(got, []crdt.PubKey{cust}) {
		t.Errorf("no coop state: %v, want the customer", got)
	}
}
