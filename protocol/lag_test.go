package protocol

import (
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/coopnode/coopnode/crdt"
)

// TestLagIsIgnoredNotRejected: a refusal that may only mean our coop log
// lags the sender's is an Ignore with Retry, not a Reject that scores the
// honest forwarder down (SPEC.md §10.2, §15.3); once the admission arrives
// the same bytes are accepted. Refusals no coop event can lift stay Rejects,
// and Final says which IDs a node may stop fetching. Before the fix, the
// claim of a courier whose admission had not arrived was a Reject.
func TestLagIsIgnoredNotRejected(t *testing.T) {
	w := newWorld(t)
	placeRaw := w.place(t, 1)
	place := w.r.Apply(Validate(placeRaw, testNow, ModeSync, w.r).Event)
	if place.Status != crdt.Stored {
		t.Fatal("place")
	}
	placeID, _ := ID(placeRaw)
	on := func(k ed25519.PrivateKey, body crdt.Payload) []byte {
		_, raw := mustSeal(t, k, Draft{Kind: body.Kind(), Coop: w.genesis.ID, Scope: placeID, Parents: []crdt.ID{placeID},
			Lamport: 2, Wall: testWall + 10, Body: body})
		return raw
	}
	newcomer := testKey("newcomer courier") // admitted below, after its claim arrives
	coopEvent := func(k ed25519.PrivateKey, body crdt.Payload) []byte {
		_, raw := mustSeal(t, k, Draft{Kind: body.Kind(), Coop: w.genesis.ID, Scope: w.genesis.ID,
			Parents: []crdt.ID{w.last.ID}, Lamport: w.last.Lamport + 1, Wall: testWall + 5, Body: body})
		return raw
	}
	for _, tc := range []struct {
		name         string
		raw          []byte
		verdict      Verdict
		reason       crdt.Reason
		retry, final bool
	}{
		{"claim by a courier not yet admitted", on(newcomer, &crdt.CourierClaim{}), Ignore, crdt.ReasonNotCourier, true, false},
		{"accept by an unknown key (a device not yet linked?)", on(testKey("someone"), &crdt.OrderAccept{}), Ignore, crdt.ReasonNotRestaurant, true, false},
		{"claim by the restaurant (the courier role may come)", on(w.restaurant, &crdt.CourierClaim{}), Ignore, crdt.ReasonNotCourier, true, false},
		{"admit by a member not (yet) admin", coopEvent(w.courier, &crdt.MemberAdmit{Member: PubKeyOf(testKey("x")), Roles: crdt.RoleCourier}), Ignore, crdt.ReasonNotAdmin, true, false},
		{"accept by a known courier: never its restaurant", on(w.courier, &crdt.OrderAccept{}), Reject, crdt.ReasonNotRestaurant, false, true},
		{"rating by someone not the customer", on(w.courier, &crdt.OrderRate{RestaurantStars: 5}), Reject, crdt.ReasonNotCustomer, false, true},
	} {
		res := Validate(tc.raw, testNow, ModeGossip, w.r)
		if res.Verdict != tc.verdict || res.Reason != Reason(tc.reason) || res.Retry() != tc.retry || res.Final() != tc.final {
			t.Errorf("%s: %s (retry %v, final %v); want %s %s, retry %v, final %v",
				tc.name, res, res.Retry(), res.Final(), tc.verdict, tc.reason, tc.retry, tc.final)
		}
		if tc.verdict == Ignore && (!errors.Is(res.Err, ErrNotYet) || !errors.Is(res.Err, ErrDenied)) {
			t.Errorf("%s: error %v does not wrap ErrNotYet and ErrDenied", tc.name, res.Err)
		}
	}
	// the admission arrives: the same claim is now accepted
	claim := on(newcomer, &crdt.CourierClaim{})
	w.last = w.apply(t, w.admin, Draft{Kind: crdt.KindMemberAdmit, Coop: w.genesis.ID, Scope: w.genesis.ID,
		Parents: []crdt.ID{w.last.ID}, Lamport: w.last.Lamport + 1, Wall: testWall + 5,
		Body: &crdt.MemberAdmit{Member: PubKeyOf(newcomer), Roles: crdt.RoleCourier}})
	if res := Validate(claim, testNow, ModeGossip, w.r); res.Verdict != Accept {
		t.Fatalf("claim after the admission: %s", res)
	}
	// a view that cannot say whether it lags keeps the old answer
	if res := Validate(on(newcomer, &crdt.OrderAccept{}), testNow, ModeGossip, &fakeView{st: crdt.Rejected, rs: crdt.ReasonNotCourier}); res.Verdict != Reject || res.Retry() {
		t.Fatalf("plain view: %s", res)
	}
	// a clock-skew Reject is not final: the same bytes become valid as time passes
	_, future := mustSeal(t, w.courier, Draft{Kind: crdt.KindOrderPlace, Coop: w.genesis.ID, Lamport: 1, Wall: testNow + MaxClockSkew + 1, Body: samplePlace(PubKeyOf(w.restaurant), 2)})
	if res := Validate(future, testNow, ModeSync, w.r); res.Verdict != Reject || res.Final() {
		t.Fatalf("clock skew: %s final=%v", res, res.Final())
	}
	// a forged signature is never final: its ID is the real event's
	raw := on(w.courier, &crdt.CourierClaim{})
	raw[len(raw)-1] ^= 1
	if res := Validate(raw, testNow, ModeSync, w.r); res.Verdict != Reject || res.Final() {
		t.Fatalf("forged: %s final=%v", res, res.Final())
	}
}

// TestTooManyClaimsIsIgnoredAndFinal: the claim cap depends on arrival
// order, so another honest node may hold a claim we refuse: Ignore (no
// penalty), no retry, and final (sync need not fetch it again).
func TestTooManyClaimsIsIgnoredAndFinal(t *testing.T) {
	w := newWorld(t)
	placeRaw := w.place(t, 1)
	placeID, _ := ID(placeRaw)
	w.r.Apply(Validate(placeRaw, testNow, ModeSync, w.r).Event)
	_, acc := mustSeal(t, w.restaurant, Draft{Kind: crdt.KindOrderAccept, Coop: w.genesis.ID, Scope: placeID,
		Parents: []crdt.ID{placeID}, Lamport: 2, Wall: testWall + 1, Body: &crdt.OrderAccept{}})
	accept := Validate(acc, testNow, ModeSync, w.r).Event
	w.r.Apply(accept)
	var last Result
	for i := 0; i <= crdt.MaxClaimsPerCourier; i++ {
		_, raw := mustSeal(t, w.courier, Draft{Kind: crdt.KindCourierClaim, Coop: w.genesis.ID, Scope: placeID,
			Parents: []crdt.ID{accept.ID}, Lamport: 3, Wall: testWall + 2 + int64(i), Body: &crdt.CourierClaim{}})
		last = Validate(raw, testNow, ModeGossip, w.r)
		if i < crdt.MaxClaimsPerCourier {
			if last.Verdict != Accept {
				t.Fatalf("claim %d: %s", i, last)
			}
			w.r.Apply(last.Event)
		}
	}
	if last.Verdict != Ignore || last.Reason != Reason(crdt.ReasonTooManyClaims) || last.Retry() || !last.Final() {
		t.Fatalf("claim over the cap: %s retry=%v final=%v", last, last.Retry(), last.Final())
	}
}
