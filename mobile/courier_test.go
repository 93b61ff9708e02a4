package mobile

import (
	"strings"
	"testing"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// TestCourierFlow drives a whole courier shift through the façade only,
// against real nodes: on shift, a job announced nearby, claim won, pick
// up, deliver with PIN and photo proof, a failed pickup, a job taken by
// someone else withdrawn, earnings, off shift.
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

	// 1. a job appears nearby, is claimed, carried and delivered with proof
	id := f.place(cust, "4821")
	must(t, f.resto.Accept(ctx, id, 10))
	rec.wait(t, "job nearby", rec.jobFor(id, true))
	rec.mu.Lock()
	j := rec.jobs[len(rec.jobs)-1]
	rec.mu.Unlock()
	if j.DistanceM < 300 || j.DistanceM > 450 || j.PayCents != 550 || j.Order.RestaurantName != "Chez Mia" || !j.Order.PINProtected {
		t.Fatalf("job: %+v", j)
	}
	jobs := call[jobsResult](t, "Jobs", m.Jobs, "")
	if len(jobs.Jobs) != 1 || jobs.Jobs[0].Order.ID != id.String() {
		t.Fatalf("Jobs: %+v", jobs)
	}
	cl := call[claimResult](t, "Claim", m.Claim, req(map[string]any{"order": id.String()}))
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
	ord := req(map[string]any{"order": id.String()})
	call[actionResult](t, "StartTask", m.StartTask, req(map[string]any{"order": id.String(), "task": "pickup"}))
	must(t, f.resto.MarkReady(ctx, id))
	rec.wait(t, "order ready", rec.orderIs(id, "ready"))
	pu := call[actionResult](t, "PickUp", m.PickUp, ord)
	if pu.Order.Status != "picked_up" || !pu.Published || pu.Order.MyRole != "courier" {
		t.Fatalf("PickUp: %+v", pu)
	}
	call[actionResult](t, "StartTask", m.StartTask, req(map[string]any{"order": id.String(), "task": "dropoff"}))
	photo := strings.Repeat("ab", 32)
	err := callErr(t, "Deliver with the wrong PIN", m.Deliver,
		req(map[string]any{"order": id.String(), "proof": map[string]any{"recipient": "Léa", "pin": "0000"}}), codeRefused)
	if !strings.Contains(err.Error(), "pin_mismatch") {
		t.Fatalf("wrong PIN: %v", err)
	}
	dv := call[actionResult](t, "Deliver", m.Deliver,
		req(map[string]any{"order": id.String(), "proof": map[string]any{"recipient": "Léa", "pin": "4821", "photo_sha256": photo}}))
	if dv.Order.Status != "delivered" || !dv.Published || dv.Unsent != 0 || dv.Order.Proof == nil || dv.Order.Proof.PhotoSHA256 != photo {
		t.Fatalf("Deliver: %+v", dv)
	}
	f.everywhere(id, crdt.StatusDelivered)

	// 2. a failed pickup
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
	callErr(t, "ReportFailure without reason", m.ReportFailure, req(map[string]any{"order": id2.String(), "task": "pickup"}), codeBadArgument)
	fl := call[actionResult](t, "ReportFailure", m.ReportFailure,
		req(map[string]any{"order": id2.String(), "task": "pickup", "reason": "closed", "note": "shutters down"}))
	if fl.Order.Status != "failed" || fl.Order.PickupTask.Status != "failed" {
		t.Fatalf("ReportFailure: %+v", fl)
	}
	f.everywhere(id2, crdt.StatusFailed)

	// 3. a job another courier takes is announced, then withdrawn
	id3 := f.place(cust, "")
	must(t, f.resto.Accept(ctx, id3, 5))
	rec.wait(t, "third job", rec.jobFor(id3, true))
	if _, err := rival.Claim(ctx, id3, crdt.Position{}); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, "third job withdrawn", rec.jobFor(id3, false))

	// 4. earnings and the orders list
	pos := call[positionResult](t, "UpdatePosition", m.UpdatePosition, req(homePos))
	if pos.Shared || pos.SharedStatus != codeNotYetSupported {
		t.Fatalf("UpdatePosition: %+v", pos)
	}
	earn := call[earningsResult](t, "Earnings", m.Earnings, "{}")
	if !earn.Provisional || earn.Currency != "EUR" || earn.Deliveries != 1 || earn.DeliveryCents != 400 ||
		earn.TipCents != 150 || earn.TotalCents != 550 || len(earn.Orders) != 1 {
		t.Fatalf("Earnings: %+v", earn)
	}
	none := call[earningsResult](t, "Earnings", m.Earnings, req(map[string]any{"since_ms": earn.Orders[0].DeliveredAt + 1}))
	if none.Deliveries != 0 {
		t.Fatalf("Earnings since after the delivery: %+v", none)
	}
	mine := call[ordersResult](t, "MyOrders", m.MyOrders, "{}")
	if len(mine.Orders) != 2 {
		t.Fatalf("MyOrders: %d orders, want the delivered and the failed one", len(mine.Orders))
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
	if len(jobs.Jobs) != 1 || jobs.Jobs[0].Order.ID != id4.String() {
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
	callErr(t, "PlaceOrder on a courier node", m.PlaceOrder, "{}", codeWrongRole)
}
