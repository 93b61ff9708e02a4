package market

import (
	"strings"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// TestBoardRule: the job board rule of SPEC.md §21.2 — a courier on a
// shift covering the pickup sees a job at once, another courier after the
// head start, everyone at once when no courier is on shift; the board
// lists visible jobs nearest first and says why.
func TestBoardRule(t *testing.T) {
	c := newCoop(t)
	rules, err := RulesFor(c.state(), 0)
	if err != nil {
		t.Fatal(err)
	}
	c.emit("admin", c.id, &crdt.ConstitutionAmend{Constitution: crdt.Constitution{HeadStartSec: 60}}, tuesdayNoon.Add(-3*time.Hour))
	shift := c.emit("admin", c.id, &crdt.ShiftPlan{Start: tuesdayNoon.Add(-time.Hour).UnixMilli(), End: tuesdayNoon.Add(2 * time.Hour).UnixMilli(),
		Zone: "centre", Needed: 2}, tuesdayNoon.Add(-3*time.Hour))
	later := c.emit("admin", c.id, &crdt.ShiftPlan{Start: tuesdayNoon.Add(3 * time.Hour).UnixMilli(), End: tuesdayNoon.Add(5 * time.Hour).UnixMilli(),
		Needed: 2}, tuesdayNoon.Add(-3*time.Hour))
	c.emit("zoe", c.id, &crdt.ShiftSignup{Shift: shift.ID}, tuesdayNoon.Add(-2*time.Hour))
	c.emit("max", c.id, &crdt.ShiftSignup{Shift: later.ID}, tuesdayNoon.Add(-2*time.Hour))
	place := func(who string, now time.Time) *crdt.OrderState {
		cart := testCart()
		cart.Restaurant = c.pub("resto")
		q, err := Checkout(cart, Context{Profile: testProfile(), Menu: testMenu(), Rules: rules, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		e := c.emit(who, crdt.ID{}, q.OrderPlace(PlaceExtras{}), now)
		c.emit("resto", e.ID, &crdt.OrderAccept{}, now.Add(time.Minute))
		return c.order(e.ID)
	}
	a := place("ann", tuesdayNoon)
	b := place("bob", tuesdayNoon.Add(2*time.Minute))
	acc := a.AcceptedAt
	coop := c.state()
	for _, tc := range []struct {
		name    string
		courier string
		now     int64
		visible bool
		onShift bool
		why     string
	}{
		{"on shift: at once", "zoe", acc + 1000, true, true, "you are on shift"},
		{"off shift: not yet", "max", acc + 1000, false, false, "see it first"},
		{"off shift: after the head start", "max", acc + 60_000, true, false, "60s after it is accepted"},
		{"after the shift: no courier on shift", "max", tuesdayNoon.Add(2 * time.Hour).UnixMilli(), true, false, "no courier is on a shift"},
	} {
		o := OfferFor(coop, a, c.pub(tc.courier), nearDrop, tc.now)
		if o.Visible != tc.visible || o.Shift.IsZero() == tc.onShift || !strings.Contains(strings.Join(o.Why, "; "), tc.why) {
			t.Errorf("%s: %+v", tc.name, o)
		}
		if !tc.visible && o.VisibleAt != acc+60_000 {
			t.Errorf("%s: visible at %d, want accepted + 60 s", tc.name, o.VisibleAt)
		}
	}
	// max's board at acc+90s: a is visible; b (accepted at +3 min) is not yet
	board := Board(coop, []*crdt.OrderState{b, a, nil}, c.pub("max"), nearDrop, acc+90_000)
	if len(board) != 2 || board[0].Order != a.ID || !board[0].Visible || board[1].Order != b.ID || board[1].Visible {
		t.Fatalf("max's board: %+v", board)
	}
	// zoe sees both, same distance: the one waiting longest first
	board = Board(coop, []*crdt.OrderState{b, a}, c.pub("zoe"), nearDrop, b.AcceptedAt+1000)
	if len(board) != 2 || board[0].Order != a.ID || !board[1].Visible {
		t.Fatalf("zoe's board: %+v", board)
	}
	// no head start: everyone at once
	c.emit("admin", c.id, &crdt.ConstitutionAmend{Constitution: crdt.Constitution{}}, tuesdayNoon.Add(4*time.Minute))
	if o := OfferFor(c.state(), a, c.pub("max"), nearDrop, acc+1000); !o.Visible || !strings.Contains(o.Why[0], "no head start") {
		t.Fatalf("without a head start: %+v", o)
	}
}
