package node

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
)

// TestShiftCouriersSeeJobsFirst: on real nodes sharing one injected clock,
// the constitution gives couriers on shift a 60 s head start; a courier on
// the shift covering the pickup sees a new job at once and the board says
// why; another courier's node shows it later and refuses its claim with
// not_offered_yet until the head start has passed (issue 16; SPEC.md
// §21.2).
func TestShiftCouriersSeeJobsFirst(t *testing.T) {
	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	clk := newFakeClock()
	c := &cluster{t: t, ctx: ctx, nodes: map[string]*Node{}}
	c.admin = c.startNode("admin", RoleAdmin, WithClock(clk))
	id, err := c.admin.Found(ctx, crdt.CoopGenesis{Name: "Shift Coop", City: "Nantes", Currency: "EUR", Timezone: "Europe/Paris"})
	must(t, err)
	c.coop = id
	for _, m := range []struct {
		name  string
		role  Role
		roles crdt.Roles
	}{{"resto", RoleRestaurant, crdt.RoleRestaurant}, {"c1", RoleCourier, crdt.RoleCourier}, {"c2", RoleCourier, crdt.RoleCourier}, {"cust", RoleCustomer, 0}} {
		n := c.startNode(m.name, m.role, WithClock(clk))
		c.connect(n, c.admin)
		if m.roles != 0 {
			must(t, c.admin.Admit(ctx, n.Key(), m.roles, m.name))
		}
	}
	resto, c1, c2, cust := c.nodes["resto"], c.nodes["c1"], c.nodes["c2"], c.nodes["cust"]
	c.eventually("membership everywhere", func(n *Node) bool { cs, err := n.CoopState(ctx); return err == nil && len(cs.Members) == 4 })
	must(t, c.admin.SetRules(ctx, testRules()))
	must(t, c.admin.AmendConstitution(ctx, crdt.Constitution{HeadStartSec: 60}))
	must(t, resto.PublishProfile(ctx, crdt.CatalogProfile{Name: "Chez Mia", Position: restoAt, Timezone: "Europe/Paris",
		Fulfilment: crdt.FulfilDelivery, MinOrderCents: 800, PrepMinutes: 12, Enabled: true}))
	must(t, resto.PublishMenu(ctx, testMenu()))
	now := clk.Now()
	shift, err := c.admin.PlanShift(ctx, crdt.ShiftPlan{Start: now.Add(-time.Minute).UnixMilli(), End: now.Add(2 * time.Hour).UnixMilli(), Zone: "city", Needed: 1})
	must(t, err)
	c.eventually("the shift everywhere", func(n *Node) bool { s, err := n.Shifts(ctx); return err == nil && len(s) == 1 })
	must(t, c1.SignUp(ctx, shift))
	c.eventually("c1 seated everywhere", func(n *Node) bool { s, err := n.Shifts(ctx); return err == nil && len(s[0].Seats) == 1 })
	if err := c2.SignUp(ctx, shift); Code(err) != "shift_full" {
		t.Fatalf("c2 on a full shift: %v", err)
	}
	c.eventually("menu everywhere", func(n *Node) bool {
		rs, err := n.Restaurants(ctx)
		return err == nil && len(rs) == 1 && rs[0].Menu != nil
	})

	cart := market.Cart{Restaurant: resto.Key(), Fulfilment: crdt.FulfilDelivery, Dropoff: crdt.Position{LatE6: 47_210_123, LonE6: -1_560_456},
		Items: []market.CartItem{{Product: "wrap", Quantity: 2, Options: []string{"harissa"}}}}
	order, _, err := cust.Checkout(ctx, cart, PersonalData{}, "")
	must(t, err)
	c.eventually("placed", c.has(order))
	must(t, resto.Accept(ctx, order, 0))
	c.eventually("accepted", c.orderIs(order, crdt.StatusAccepted))

	board := func(n *Node) market.Offer {
		t.Helper()
		b, err := n.Board(ctx, restoAt)
		must(t, err)
		if len(b) != 1 || b[0].Order != order {
			t.Fatalf("board %+v", b)
		}
		return b[0]
	}
	if o := board(c1); !o.Visible || o.Shift != shift || !strings.Contains(o.Why[0], "you are on shift") {
		t.Fatalf("c1, on shift: %+v", o)
	}
	o := board(c2)
	if o.Visible || o.ShiftCouriers != 1 || !strings.Contains(o.Why[0], "see it first") {
		t.Fatalf("c2, off shift: %+v", o)
	}
	if _, err := c2.Claim(ctx, order, restoAt); Code(err) != "not_offered_yet" {
		t.Fatalf("c2's claim during the head start: %v (code %q)", err, Code(err))
	}
	clk.advance(time.Duration(o.VisibleAt-clk.Now().UnixMilli()) * time.Millisecond)
	if o := board(c2); !o.Visible {
		t.Fatalf("c2 after the head start: %+v", o)
	}
	claim, err := c2.Claim(ctx, order, restoAt)
	must(t, err)
	if r, err := c2.AwaitClaim(ctx, order, claim); err != nil || !r.Won {
		t.Fatalf("c2's claim after the head start: %+v %v", r, err)
	}
}
