package market

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

func parcelRequest() ParcelRequest {
	return ParcelRequest{Shop: pk("shop"), Pickup: restoPos,
		Window: crdt.TimeSlot{Start: tuesdayNoon.Add(time.Hour).UnixMilli(), End: tuesdayNoon.Add(2 * time.Hour).UnixMilli()},
		Dropoffs: []ParcelDropoff{
			{Position: nearDrop, Packages: 1, WeightG: 2000, Ref: "A-1"},
			{Position: crdt.Position{LatE6: 47_230_000, LonE6: -1_540_000}, Packages: 2, WeightG: 7000, Ref: "A-2",
				Window: crdt.TimeSlot{Start: tuesdayNoon.Add(2 * time.Hour).UnixMilli(), End: tuesdayNoon.Add(4 * time.Hour).UnixMilli()}},
			{Position: farDrop, Packages: 1, WeightG: 3000, Ref: "A-3"},
		}}
}

func TestQuoteParcel(t *testing.T) {
	r := testRules(t)
	q, err := QuoteParcel(parcelRequest(), ParcelContext{Profile: testProfile(), Rules: r, Now: tuesdayNoon})
	if err != nil {
		t.Fatal(err)
	}
	route := uint64(q.LegsM[0]) + uint64(q.LegsM[1]) + uint64(q.LegsM[2])
	if len(q.LegsM) != 3 || uint64(q.DistanceM) != route || q.Packages != 4 || q.WeightG != 12000 {
		t.Fatalf("route %v distance %d packages %d weight %d", q.LegsM, q.DistanceM, q.Packages, q.WeightG)
	}
	// parcels rule: 5.00 + 3 packages beyond the first × 1.00 + ceil(12000/5000) × 0.50
	// + 0.90 per started km beyond 3 km + 2 dropoffs beyond the first × 1.50
	km := (int64(q.DistanceM) - 3000 + 999) / 1000
	want := 500 + 300 + 150 + 90*km + 300
	if q.FeeCents != want || q.Delivery.Matched[0] != 4 {
		t.Fatalf("fee %d, want %d\n%s", q.FeeCents, want, q.Delivery)
	}
	if q.TaxCents != divHalfUp(want*2000, 12000) || q.CourierPay.DropoffsCents != 200 || q.CourierPay.TipCents != 0 {
		t.Fatalf("tax %d pay %+v", q.TaxCents, q.CourierPay)
	}
	if q.Dropoffs[0].Area != Coarse(nearDrop) || strings.Join(q.Dropoffs[0].Zones, ",") != "centre,city" || strings.Join(q.Dropoffs[2].Zones, ",") != "city" {
		t.Fatalf("dropoffs %+v", q.Dropoffs)
	}
	p := q.OrderPlace(PlaceExtras{Note: "fragile"})
	if !p.Parcel || p.Fulfilment != crdt.FulfilDelivery || len(p.Dropoffs) != 3 || p.Totals.TotalCents != want || p.Slot != q.Window || p.DropoffArea != q.Dropoffs[0].Area {
		t.Fatalf("place %+v", p)
	}
}

// TestParcelThroughTheFold: a quoted parcel delivery is a valid order for
// the crdt fold, couriers carry it stop by stop, and any node re-prices it.
func TestParcelThroughTheFold(t *testing.T) {
	c := newCoop(t)
	rules, err := RulesFor(c.state(), 0)
	if err != nil {
		t.Fatal(err)
	}
	req := parcelRequest()
	req.Shop = c.pub("shop")
	q, err := QuoteParcel(req, ParcelContext{Rules: rules, Now: tuesdayNoon})
	if err != nil {
		t.Fatal(err)
	}
	place := c.emit("shop", crdt.ID{}, q.OrderPlace(PlaceExtras{}), time.UnixMilli(q.PricedAt))
	if s := c.order(place.ID); s.Status != crdt.StatusAccepted || len(s.Stops) != 3 {
		t.Fatalf("parcel order %s, %d stops", s.Status, len(s.Stops))
	}
	rc, err := Reprice(c.state(), c.order(place.ID))
	if err != nil || !rc.Matches() || rc.DeliveryCents != q.FeeCents || rc.Pay != q.CourierPay || rc.PlatformFeeCents != 0 {
		t.Fatalf("reprice %v %+v", err, rc)
	}
	w := tuesdayNoon.Add(time.Hour)
	c.emit("zoe", place.ID, &crdt.CourierClaim{}, w)
	c.emit("zoe", place.ID, &crdt.TaskPickup{}, w.Add(5*time.Minute))
	c.emit("zoe", place.ID, &crdt.TaskDeliver{Stop: 1, Proof: crdt.Proof{Recipient: "Ana"}}, w.Add(15*time.Minute))
	c.emit("zoe", place.ID, &crdt.TaskFail{Task: crdt.TaskDropoffN, Stop: 3, Reason: "no_answer"}, w.Add(30*time.Minute))
	c.emit("zoe", place.ID, &crdt.TaskDeliver{Stop: 2, Proof: crdt.Proof{Recipient: "Léa"}}, w.Add(40*time.Minute))
	c.emit("shop", place.ID, &crdt.OrderRate{CourierStars: 5}, w.Add(50*time.Minute))
	if s := c.order(place.ID); s.Status != crdt.StatusDelivered || s.Rating.CourierStars != 5 || s.Stops[2].Status != crdt.TaskFailed {
		t.Fatalf("after the round: %s", s.Status)
	}
}

func TestQuoteParcelRefusals(t *testing.T) {
	past := crdt.TimeSlot{Start: tuesdayNoon.Add(-2 * time.Hour).UnixMilli(), End: tuesdayNoon.Add(-time.Hour).UnixMilli()}
	for _, c := range []struct {
		name string
		req  func(r *ParcelRequest)
		ctx  func(x *ParcelContext)
		want error
	}{
		{"disabled shop", nil, func(x *ParcelContext) { x.Profile.Enabled = false }, ErrRestaurantClosed},
		{"no rules", nil, func(x *ParcelContext) { x.Rules = nil }, ErrNoRules},
		{"no dropoffs", func(r *ParcelRequest) { r.Dropoffs = nil }, nil, ErrBadParcel},
		{"too many dropoffs", func(r *ParcelRequest) { r.Dropoffs = make([]ParcelDropoff, crdt.MaxDropoffs+1) }, nil, ErrBadParcel},
		{"no pickup", func(r *ParcelRequest) { r.Pickup = crdt.Position{} }, func(x *ParcelContext) { x.Profile = nil }, ErrBadPosition},
		{"pickup window over", func(r *ParcelRequest) { r.Window = past }, nil, ErrBadParcel},
		{"pickup window inverted", func(r *ParcelRequest) { r.Window.Start, r.Window.End = r.Window.End, r.Window.Start }, nil, ErrBadParcel},
		{"dropoff off globe", func(r *ParcelRequest) { r.Dropoffs[1].Position.LonE6 = 200_000_000 }, nil, ErrBadPosition},
		{"no packages", func(r *ParcelRequest) { r.Dropoffs[2].Packages = 0 }, nil, ErrBadParcel},
		{"short PIN hash", func(r *ParcelRequest) { r.Dropoffs[0].PINHash = []byte{1} }, nil, ErrBadParcel},
		{"dropoff window over", func(r *ParcelRequest) { r.Dropoffs[0].Window = past }, nil, ErrBadParcel},
		{"dropoff before pickup", func(r *ParcelRequest) {
			r.Dropoffs[0].Window = crdt.TimeSlot{Start: tuesdayNoon.UnixMilli(), End: tuesdayNoon.Add(30 * time.Minute).UnixMilli()}
		}, nil, ErrBadParcel},
		{"outside zone", func(r *ParcelRequest) { r.Dropoffs[1].Position = outsideDrp }, nil, ErrOutsideZone},
		{"too heavy", func(r *ParcelRequest) { r.Dropoffs[1].WeightG = 40_000 }, nil, ErrNoRuleMatched},
	} {
		req := parcelRequest()
		if c.req != nil {
			c.req(&req)
		}
		ctx := ParcelContext{Profile: testProfile(), Rules: testRules(t), Now: tuesdayNoon}
		if c.ctx != nil {
			c.ctx(&ctx)
		}
		if q, err := QuoteParcel(req, ctx); !errors.Is(err, c.want) || q != nil || Code(err) == "" {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}
