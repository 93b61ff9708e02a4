package crdt

import "testing"

// TestSmallOrderKeysRefused: a small-order key signs anything under ZIP-215,
// so no replica stores an event it authored, nor one that admits it as an
// admin, a member or a device (SPEC.md §3.3) — for each of the 14
// encodings of the 8 small-order points. Precheck (the gate) and Apply
// agree.
func TestSmallOrderKeysRefused(t *testing.T) {
	keys := SmallOrderKeys()
	if len(keys) != 14 {
		t.Fatalf("%d small-order encodings, want 14", len(keys))
	}
	w := newWorld(t)
	for _, k := range keys {
		if !k.SmallOrder() {
			t.Fatalf("%s not reported small-order", k)
		}
		r := w.fresh()
		place := w.place("cust", FulfilDelivery)
		w.mustStore(r, place)
		heads := r.Heads(ScopeCoop, w.coop)
		lam := r.NextLamport(heads)
		cases := map[string]*Event{
			"genesis admin": w.mk(w.k("admin"), KindCoopGenesis, ID{}, ID{}, nil, 1,
				&CoopGenesis{Name: "x", Admins: []PubKey{w.k("admin"), k}}),
			"genesis author": w.mk(k, KindCoopGenesis, ID{}, ID{}, nil, 1, &CoopGenesis{Name: "x", Admins: []PubKey{k}}),
			"member.admit":   w.mk(w.k("admin"), KindMemberAdmit, w.coop, w.coop, heads, lam, &MemberAdmit{Member: k, Roles: RoleCourier}),
			"device.link":    w.mk(w.k("c2"), KindDeviceLink, w.coop, w.coop, heads, lam, &DeviceLink{Member: w.k("c2"), Device: k}),
			"order.place author": w.mk(k, KindOrderPlace, w.coop, ID{}, nil, 1, func() Payload {
				p := *place.Body.(*OrderPlace)
				return &p
			}()),
			"claim author": w.mk(k, KindCourierClaim, w.coop, place.ID, []ID{place.ID}, 2, &CourierClaim{}),
		}
		for name, e := range cases {
			if k.IsZero() && name != "order.place author" && name != "claim author" && name != "genesis author" {
				// a zero key in a payload is an absent field: the fold
				// leaves the event out as bad_field
				if rs := r.Simulate(e); rs != ReasonBadField {
					t.Errorf("zero key %s: fold %q, want %q", name, rs, ReasonBadField)
				}
				continue
			}
			if st, rs := r.Precheck(e); st != Rejected || rs != ReasonSmallOrderKey {
				t.Errorf("%s %s: Precheck %s %q, want rejected %q", k, name, st, rs, ReasonSmallOrderKey)
			}
			if out := r.Apply(e); out.Status != Rejected || out.Reason != ReasonSmallOrderKey {
				t.Errorf("%s %s: Apply %s %q", k, name, out.Status, out.Reason)
			}
		}
	}
	// an ordinary key is not small-order
	if w.k("c1").SmallOrder() || (PubKey{}).SmallOrder() == false {
		t.Fatal("SmallOrder misjudges an ordinary or the zero key")
	}
}
