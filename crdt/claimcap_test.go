package crdt

import "testing"

// TestClaimCapPerCourier: a courier cannot fill an order's log with claims
// (SPEC.md §9, §15.3). Its claims beyond MaxClaimsPerCourier are refused at
// the gate (Precheck) and by Apply with too_many_claims, counted per member
// whichever of its keys signs, and whatever order they arrive in; other
// couriers still claim, and the order still completes. Before the cap, 300
// claims from one courier filled the order to MaxOrderEvents.
func TestClaimCapPerCourier(t *testing.T) {
	w := newWorld(t)
	r := w.fresh()
	place := w.place("cust", FulfilDelivery)
	w.mustStore(r, place)
	w.act(r, "resto", place.ID, &OrderAccept{})
	stored := 0
	for i := 0; i < 300; i++ {
		who := []string{"c1", "c1phone"}[i%2] // one member, two keys
		e := w.on(r, who, place.ID, &CourierClaim{})
		st, rs := r.Precheck(e)
		out := r.Apply(e)
		if out.Status != st {
			t.Fatalf("claim %d: Precheck %s, Apply %s", i, st, out.Status)
		}
		switch {
		case out.Status == Stored:
			stored++
		case out.Status == Rejected && rs == ReasonTooManyClaims && out.Reason == ReasonTooManyClaims:
		default:
			t.Fatalf("claim %d: %s %q / %q", i, out.Status, rs, out.Reason)
		}
	}
	if stored != MaxClaimsPerCourier {
		t.Fatalf("%d claims of one courier stored, want %d", stored, MaxClaimsPerCourier)
	}
	if _, out := w.act(r, "c2", place.ID, &CourierClaim{}); out.Status != Stored {
		t.Fatalf("another courier's claim: %s %q", out.Status, out.Reason)
	}
	s := w.order(r, place.ID)
	if s.Holder != w.k("c1") {
		t.Fatalf("holder %s", s.Holder.Short())
	}
	for _, step := range []struct {
		who  string
		body Payload
	}{{"resto", &OrderReady{}}, {"c1", &TaskPickup{}}, {"c1", &TaskDeliver{}}} {
		if _, out := w.act(r, step.who, place.ID, step.body); out.Status != Stored {
			t.Fatalf("%s: %s %q", step.body.Kind(), out.Status, out.Reason)
		}
	}
	if s := w.order(r, place.ID); s.Status != StatusDelivered {
		t.Fatalf("order %s after the claim flood (%d rejected: %v)", s.Status, len(s.Rejected), s.Rejected)
	}
}

// TestClaimCapAnyArrivalOrder: claims made as siblings and delivered in
// reverse fold order are capped all the same.
func TestClaimCapAnyArrivalOrder(t *testing.T) {
	w := newWorld(t)
	r := w.fresh()
	place := w.place("cust", FulfilDelivery)
	w.mustStore(r, place)
	w.act(r, "resto", place.ID, &OrderAccept{})
	var claims []*Event
	for i := 0; i < 3*MaxClaimsPerCourier; i++ {
		claims = append(claims, w.on(r, "c3", place.ID, &CourierClaim{})) // siblings: same parents
	}
	stored := 0
	for i := len(claims) - 1; i >= 0; i-- {
		if out := r.Apply(claims[i]); out.Status == Stored {
			stored++
		}
	}
	if stored != MaxClaimsPerCourier {
		t.Fatalf("%d stored, want %d", stored, MaxClaimsPerCourier)
	}
}
