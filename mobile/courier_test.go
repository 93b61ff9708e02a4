package mobile

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// TestCourierFlow drives a whole courier shift through the façade only,
// against real nodes and a coop that published its rules: on shift, a job
// (checked out with sealed personal data) announced nearby with its pay,
// claim won, the customer's address readable once confirmed (and not by
// another courier), position shared with the customer with an ETA, pick
// up, deliver with PIN and photo proof, the customer's rating, a failed
// pickup, a job taken by someone else withdrawn, earnings by the coop's
// pay rule, off shift.
func TestCourierFlow(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx
	cust := f.plain("cust", node.RoleCustomer)
	rival := f.member("rival", node.RoleCourier, crdt.RoleCourier)
	m, rec := f.phone(t.TempDir(), "courier", nil)
	me := f.admitPhone(m, "Zoé")

	shift := call[shiftResult](t, "GoOnShift", m.GoOnShift, req(map[string]any{"position": nearPos, "radius_m": 3000}))
	if !shift.OnShift || shift.RadiusM != 3000 || len(shift.Jobs) != 0 {
		t.Fatalf("GoOnShift: %+v", shift)
	}
	f.eventually("following the job board", func() bool { return status(t, m).Following.Orders })

	// 1. a job checked out with sealed personal data appears nearby, with
	// the pay the coop's rule gives
	pd := node.PersonalData{Name: "Léa Kervégan", Phone: "+33 6 12 34 56 78", Address: "3 rue Kervégan, 44000 Nantes", Instructions: "door code 4821"}
	id, q := f.checkout(cust, pd, "4821")
	if q.RulesVersion != 1 || q.CourierPay == nil || q.DeliveryCents != 350 {
		t.Fatalf("quote: %+v", q)
	}
	pay := q.CourierPay.TotalCents // 3.00 + 0.60/km, at least 4.00, + the whole tip (whatever tip_bps says)
	if q.CourierPay.TipCents != q.TipCents || q.TipCents == 0 || pay != q.CourierPay.CoopCents()+q.TipCents {
		t.Fatalf("the tip is not wholly the courier's: %+v, tip %d", *q.CourierPay, q.TipCents)
	}
	must(t, f.resto.Accept(ctx, id, 10))
	rec.wait(t, "job nearby", rec.jobFor(id, true))
	rec.mu.Lock()
	j := rec.jobs[len(rec.jobs)-1]
	rec.mu.Unlock()
	if j.DistanceM < 300 || j.DistanceM > 450 || j.PayCents != pay || j.PayBasis != basisRules ||
		j.Order.RestaurantName != "Chez Mia" || !j.Order.PINProtected || j.Order.RulesVersion != 1 ||
		j.Order.DistanceM != int(q.DistanceM) || j.Order.PersonalDataShared {
		t.Fatalf("job (pay %d): %+v", pay, j)
	}
	jobs := call[jobsResult](t, "Jobs", m.Jobs, "")
	if len(jobs.Jobs) != 1 || jobs.Jobs[0].Order.ID != id.String() {
		t.Fatalf("Jobs: %+v", jobs)
	}
	ord := req(map[string]any{"order": id.String()})
	callErr(t, "PersonalData before claiming", m.PersonalData, ord, codeNotShared)
	cl := call[claimResult](t, "Claim", m.Claim, ord)
	if !cl.Won || cl.Claim == "" {
		t.Fatalf("Claim: %+v", cl)
	}
	rec.wait(t, "claim won", func(r *recorder) bool {
		for _, c := range r.claims {
			if c.Claim == cl.Claim && c.Won && c.Confirmed && c.Final && c.Outcome == crdt.ClaimWon && c.Winner == me.String() {
				return true
			}
		}
		return false
	})
	aw := call[claimResult](t, "AwaitClaim", m.AwaitClaim, req(map[string]any{"order": id.String(), "claim": cl.Claim, "timeout_ms": 5000}))
	if !aw.Won || !aw.Final {
		t.Fatalf("AwaitClaim: %+v", aw)
	}

	// the restaurant re-seals the customer's details for this phone only
	rec.wait(t, "personal data shared", rec.orderWhere(id, func(o trackingView) bool { return o.Order.PersonalDataShared }))
	got := call[personalDataView](t, "PersonalData", m.PersonalData, ord)
	if got.Order != id.String() || got.Name != pd.Name || got.Phone != pd.Phone || got.Address != pd.Address ||
		got.Instructions != pd.Instructions || got.Dropoff != homePos {
		t.Fatalf("PersonalData: %+v", got)
	}
	f.eventually("the rival courier holds the order", func() bool { _, err := rival.Order(ctx, id); return err == nil })
	if _, err := rival.PersonalDataOf(ctx, id); !errors.Is(err, node.ErrNotShared) {
		t.Fatalf("another courier read the customer's details: %v", err)
	}

	// the position reaches the customer, with an ETA
	pos := call[positionResult](t, "UpdatePosition", m.UpdatePosition, req(nearPos))
	if !pos.Shared || pos.OrdersTold != 1 || pos.Position != nearPos {
		t.Fatalf("UpdatePosition: %+v", pos)
	}
	var tr node.Tracking
	f.eventually("the customer sees the courier", func() bool {
		var err error
		if tr, err = cust.Tracking(ctx, id); err == nil && tr.Position == nearPos {
			return true
		}
		// a track message is ephemeral gossip and may be lost before the
		// customer's mesh forms; the phone sends its position again, as the
		// app does (the node drops repeats within protocol.TrackEvery)
		_, _ = m.UpdatePosition(req(nearPos))
		return false
	})
	if tr.ETA <= time.Now().UnixMilli() || tr.Approaching {
		t.Fatalf("customer's tracking: %+v", tr)
	}
	if _, err := rival.Tracking(ctx, id); !errors.Is(err, node.ErrUnknown) {
		t.Fatalf("another courier sees the position: %v", err)
	}
	mine := call[trackingView](t, "FollowOrder", m.FollowOrder, ord)
	if mine.CourierPosition == nil || *mine.CourierPosition != nearPos || mine.ETA.Basis != "courier position" ||
		mine.ETA.DeliveryAt <= time.Now().UnixMilli() || mine.Order.MyRole != "courier" {
		t.Fatalf("FollowOrder on the courier's phone: %+v", mine)
	}

	call[actionResult](t, "StartTask", m.StartTask, req(map[string]any{"order": id.String(), "task": "pickup"}))
	must(t, f.resto.Ready(ctx, id))
	rec.wait(t, "order ready", rec.orderIs(id, "ready"))
	pu := call[actionResult](t, "Pickup", m.Pickup, ord)
	if pu.Order.Status != "picked_up" || !pu.Published || pu.Order.MyRole != "courier" {
		t.Fatalf("Pickup: %+v", pu)
	}
	call[actionResult](t, "StartTask", m.StartTask, req(map[string]any{"order": id.String(), "task": "dropoff"}))
	photo := strings.Repeat("ab", 32)
	err := callErr(t, "Deliver with the wrong PIN", m.Deliver,
		req(map[string]any{"order": id.String(), "proof": map[string]any{"recipient": "Léa", "pin": "0000"}}), "pin_mismatch")
	if !strings.Contains(err.Error(), "pin_mismatch") {
		t.Fatalf("wrong PIN: %v", err)
	}
	dv := call[actionResult](t, "Deliver", m.Deliver,
		req(map[string]any{"order": id.String(), "proof": map[string]any{"recipient": "Léa", "pin": "4821", "photo_sha256": photo}}))
	if dv.Order.Status != "delivered" || !dv.Published || dv.Unsent != 0 || dv.Order.Proof == nil || dv.Order.Proof.PhotoSHA256 != photo {
		t.Fatalf("Deliver: %+v", dv)
	}
	f.everywhere(id, crdt.StatusDelivered)
	if pos := call[positionResult](t, "UpdatePosition", m.UpdatePosition, req(homePos)); pos.Shared || pos.OrdersTold != 0 {
		t.Fatalf("UpdatePosition with no order held: %+v", pos)
	}
	callErr(t, "PersonalData once delivered", m.PersonalData, ord, codeNotShared)

	// the customer rates the delivery; the courier sees it
	must(t, cust.Rate(ctx, id, 5, 4, "warm and fast"))
	rec.wait(t, "rating", rec.orderWhere(id, func(o trackingView) bool {
		r := o.Order.Rating
		return r != nil && r.CourierStars == 4 && r.RestaurantStars == 5 && r.Comment == "warm and fast" && r.At > 0
	}))
	callErr(t, "Rate on a courier node", m.Rate, req(map[string]any{"order": id.String(), "courier_stars": 5}), codeWrongRole)

	// 2. a failed pickup (an order priced without rules: nothing owed)
	id2 := f.place(cust, "")
	must(t, f.resto.Accept(ctx, id2, 5))
	rec.wait(t, "second job", rec.jobFor(id2, true))
	cl2 := call[claimResult](t, "Claim", m.Claim, req(map[string]any{"order": id2.String(), "position": nearPos}))
	rec.wait(t, "second claim won", func(r *recorder) bool {
		for _, c := range r.claims {
			if c.Claim == cl2.Claim && c.Won && c.Final {
				return true
			}
		}
		return false
	})
	callErr(t, "Fail without reason", m.Fail, req(map[string]any{"order": id2.String(), "task": "pickup"}), codeBadArgument)
	fl := call[actionResult](t, "Fail", m.Fail,
		req(map[string]any{"order": id2.String(), "task": "pickup", "reason": "closed", "note": "shutters down"}))
	if fl.Order.Status != "failed" || fl.Order.PickupTask.Status != "failed" {
		t.Fatalf("Fail: %+v", fl)
	}
	f.everywhere(id2, crdt.StatusFailed)

	// 3. a job another courier takes is announced, then withdrawn
	id3 := f.place(cust, "")
	must(t, f.resto.Accept(ctx, id3, 5))
	rec.wait(t, "third job", rec.jobFor(id3, true))
	if _, err := rival.WaitOrder(ctx, id3, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusAccepted }); err != nil {
		t.Fatal(err)
	}
	if _, err := rival.Claim(ctx, id3, crdt.Position{}); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, "third job withdrawn", rec.jobFor(id3, false))

	// 4. earnings by the coop's pay rule, and the orders list
	earn := call[earningsResult](t, "Earnings", m.Earnings, "{}")
	if !earn.RulesPublished || earn.Provisional || earn.Currency != "EUR" || earn.Jobs != 1 || earn.PayCents != pay ||
		earn.TipShareCents != 150 || len(earn.Orders) != 1 || len(earn.Days) != 1 || earn.Days[0].PayCents != pay {
		t.Fatalf("Earnings (want %d): %+v", pay, earn)
	}
	l := earn.Orders[0]
	if l.Order != id.String() || l.Basis != basisRules || l.RulesVersion != 1 || l.Status != "delivered" || l.DeliveredAt == 0 ||
		l.DeliveryCents != 350 || l.TipCents != 150 || l.Pay != *q.CourierPay || l.DistanceM != q.DistanceM {
		t.Fatalf("earnings line: %+v, want pay %+v", l, *q.CourierPay)
	}
	day := call[earningsResult](t, "Earnings", m.Earnings, req(map[string]any{"day": l.Day}))
	none := call[earningsResult](t, "Earnings", m.Earnings, req(map[string]any{"day": "2001-01-01"}))
	if day.PayCents != pay || day.Day != l.Day || none.Jobs != 0 || none.PayCents != 0 {
		t.Fatalf("Earnings by day: %+v / %+v", day, none)
	}
	callErr(t, "Earnings on a bad day", m.Earnings, req(map[string]any{"day": "21/11/2026"}), codeBadArgument)
	mineOrders := call[ordersResult](t, "MyOrders", m.MyOrders, "{}")
	if len(mineOrders.Orders) != 2 {
		t.Fatalf("MyOrders: %d orders, want the delivered and the failed one", len(mineOrders.Orders))
	}

	// 5. off shift: no more job board, no more announcements
	off := call[shiftResult](t, "GoOffShift", func(string) (string, error) { return m.GoOffShift() }, "")
	if off.OnShift {
		t.Fatalf("GoOffShift: %+v", off)
	}
	f.eventually("job board unfollowed", func() bool { return !status(t, m).Following.Orders })
	id4 := f.place(cust, "")
	must(t, f.resto.Accept(ctx, id4, 5))
	f.everywhere(id4, crdt.StatusAccepted)
	call[syncResult](t, "SyncNow", func(string) (string, error) { return m.SyncNow() }, "")
	jobs = call[jobsResult](t, "Jobs", m.Jobs, req(map[string]any{"position": nearPos}))
	if len(jobs.Jobs) != 1 || jobs.Jobs[0].Order.ID != id4.String() || jobs.Jobs[0].PayBasis != basisOrderTotals || jobs.Jobs[0].PayCents != 550 {
		t.Fatalf("Jobs off shift (a courier may still look): %+v", jobs)
	}
	must(t, m.flush(ctx))
	rec.mu.Lock()
	for _, j := range rec.jobs {
		if j.Order.ID == id4.String() {
			t.Errorf("job announced off shift: %+v", j)
		}
	}
	rec.mu.Unlock()

	// a customer action on a courier node is refused before anything is signed
	callErr(t, "Checkout on a courier node", m.Checkout, "{}", codeWrongRole)
}

// orderWhere is a recorder condition: an order update for id satisfying ok.
func (r *recorder) orderWhere(id crdt.ID, ok func(trackingView) bool) func(*recorder) bool {
	return func(r *recorder) bool {
		for _, o := range r.orders {
			if o.Order.ID == id.String() && ok(o) {
				return true
			}
		}
		return false
	}
}

// refusalOf splits a market refusal's message: "<code>:
// <detail>", then the refusal as JSON on the second line.
func refusalOf(t *testing.T, err error) refusalView {
	t.Helper()
	first, rest, ok := strings.Cut(err.Error(), "\n")
	if !ok || strings.Contains(rest, "\n") {
		t.Fatalf("refusal %q: want two lines", err)
	}
	var v refusalView
	dec := json.NewDecoder(strings.NewReader(rest))
	dec.DisallowUnknownFields()
	must(t, dec.Decode(&v))
	if first != v.Code+": "+v.Detail {
		t.Fatalf("refusal's first line %q does not match %+v", first, v)
	}
	return v
}
