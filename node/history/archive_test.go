package history

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
	"github.com/coopnode/coopnode/protocol"
)

// TestArchivedExports: an admin node started at the end of a 12-day
// history archives the orders finished more than 7 days before (SPEC.md
// §4.5) and keeps them in its cold store; its exports (every kind, with
// and without filters), its orders by party and each order read exactly
// what a replica folding every event, archiving nothing, gives.
func TestArchivedExports(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := Coop(12)
	s.Restaurants, s.Couriers, s.Customers, s.OrdersPerDay, s.Open = 3, 4, 40, 20, 5
	g := New(s)
	store := node.OpenMemory()
	if _, err := g.Write(ctx, g.Orders(), []*node.Store{store}, []Holder{Everything}); err != nil {
		t.Fatal(err)
	}
	ref := crdt.NewReplica(crdt.Limits{CheckDocument: market.ValidateDocument})
	apply := func(evs []Event) error {
		for _, ge := range evs {
			e, err := protocol.Decode(ge.Raw)
			if err != nil {
				return err
			}
			ref.Apply(e)
		}
		return nil
	}
	if err := apply(g.Base()); err != nil {
		t.Fatal(err)
	}
	if err := g.Each(0, g.Orders(), apply); err != nil {
		t.Fatal(err)
	}
	n, err := node.New(ctx, node.WithKey(g.Admin), node.WithRole(node.RoleAdmin), node.WithStore(store), node.WithCoop(g.Coop),
		node.WithClock(Clock(g.End())), node.WithListen("/ip4/127.0.0.1/tcp/0"), node.WithSyncInterval(-1),
		node.WithSyncOnConnect(false), node.WithArchiveInterval(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	st := n.Stats(ctx)
	all := ref.Orders(g.Coop, nil)
	if st.Archived < len(all)/3 || st.Archived == len(all) {
		t.Fatalf("%d of %d orders archived at start, want those of the first days", st.Archived, len(all))
	}
	coop, _ := ref.Coop(g.Coop)
	r0, c0 := pub(g.Restaurants[0]), pub(g.Couriers[0])
	filters := map[string]market.Filter{
		"all": {}, "restaurant": {Restaurant: r0}, "courier": {Courier: c0},
		"archived day": {Day: s.Start.Add(24 * time.Hour).Format("2006-01-02")},
	}
	exports := map[string]func(*crdt.CoopState, []*crdt.OrderState, market.Filter) (*market.Table, error){
		"orders": market.ExportOrders, "deliveries": market.ExportDeliveries, "pay": market.ExportCourierPay, "pay-summary": market.ExportPaySummary,
	}
	for kind, export := range exports {
		for fname, f := range filters {
			want, err := export(coop, all, f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := n.Export(ctx, kind, f)
			if err != nil {
				t.Fatalf("%s %s: %v", kind, fname, err)
			}
			if len(want.Rows) == 0 && (kind == "orders" || kind == "deliveries") {
				t.Fatalf("%s %s: the reference export is empty", kind, fname)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s %s: %d rows, want %d\ngot  %v\nwant %v", kind, fname, len(got.Rows), len(want.Rows), got.Rows, want.Rows)
			}
		}
	}
	mine, err := n.Orders(ctx, node.OrderFilter{Party: r0})
	if err != nil {
		t.Fatal(err)
	}
	wantMine := ref.Orders(g.Coop, func(o *crdt.OrderState) bool { return o.IsParty(r0) })
	if len(mine) != len(wantMine) {
		t.Fatalf("restaurant 0's orders: %d, want %d", len(mine), len(wantMine))
	}
	for i := range mine {
		if mine[i].ID != wantMine[i].ID || mine[i].Hash() != wantMine[i].Hash() {
			t.Fatalf("restaurant 0's order %d differs", i)
		}
	}
	for _, o := range all {
		got, err := n.Order(ctx, o.ID)
		if err != nil || got.Hash() != o.Hash() {
			t.Fatalf("order %s: %v", o.ID.Short(), err)
		}
	}
	t.Logf("%d of %d orders archived; %d live events", st.Archived, len(all), st.EventsStored)
}
