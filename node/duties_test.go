package node

import (
	"context"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
)

// dutyScene is a coop with a restaurant on a pebble store, a courier and a
// customer, and one accepted order with sealed personal data whose
// restaurant node has been stopped: the courier's claim is then made while
// the restaurant is down.
type dutyScene struct {
	c     *cluster
	dir   string
	c1    *Node
	order crdt.ID
	claim crdt.ID
	pd    PersonalData
}

func newDutyScene(t *testing.T) *dutyScene {
	c := newCluster(t, map[string]Role{"c1": RoleCourier, "cust": RoleCustomer})
	ctx := c.ctx
	d := &dutyScene{c: c, dir: t.TempDir(), c1: c.nodes["c1"]}
	resto := c.startNode("resto", RoleRestaurant, WithDataDir(d.dir))
	c.connect(resto, c.admin)
	c.connect(resto, d.c1)
	must(t, c.admin.Admit(ctx, resto.Key(), crdt.RoleRestaurant, "resto"))
	must(t, c.admin.SetRules(ctx, testRules()))
	c.eventually("restaurant admitted, rules everywhere", func(n *Node) bool {
		cs, err := n.CoopState(ctx)
		_, rerr := n.Rules(ctx, 0)
		return err == nil && rerr == nil && len(cs.Members) == 3
	})
	must(t, resto.PublishProfile(ctx, crdt.CatalogProfile{Name: "Chez Mia", Position: restoAt, Timezone: "Europe/Paris",
		Fulfilment: crdt.FulfilDelivery, PrepMinutes: 12, Enabled: true}))
	must(t, resto.PublishMenu(ctx, testMenu()))
	c.eventually("catalogue everywhere", func(n *Node) bool {
		rs, err := n.Restaurants(ctx)
		return err == nil && len(rs) == 1 && rs[0].Menu != nil && rs[0].Profile != nil
	})
	d.pd = PersonalData{Name: "Léa", Phone: "+33 6 00 00 00 00", Address: "3 rue Kervégan"}
	cart := market.Cart{Restaurant: resto.Key(), Fulfilment: crdt.FulfilDelivery, Dropoff: crdt.Position{LatE6: 47_212_000, LonE6: -1_556_000},
		Items: []market.CartItem{{Product: "wrap", Quantity: 2, Options: []string{"tahini"}}}}
	id, _, err := c.nodes["cust"].Checkout(ctx, cart, d.pd, "")
	must(t, err)
	d.order = id
	c.eventually("placed", c.has(id))
	must(t, resto.Accept(ctx, id, 0))
	c.eventually("accepted", c.orderIs(id, crdt.StatusAccepted))

	// the restaurant goes down; the courier claims meanwhile
	must(t, resto.Close())
	delete(c.nodes, "resto")
	d.claim, err = d.c1.Claim(ctx, id, restoAt)
	must(t, err)
	return d
}

// confirmedAndShared waits until n's fold shows the courier confirmed as
// the order's holder and the personal data re-sealed to it.
func (d *dutyScene) confirmedAndShared(t *testing.T, n *Node, what string) *crdt.OrderState {
	t.Helper()
	var s *crdt.OrderState
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		s, err = n.Order(d.c.ctx, d.order)
		if err == nil && s.Holder == d.c1.Key() && s.HolderConfirmed && len(s.Shares) == 1 && s.Shares[0].Recipient == d.c1.Key() {
			return s
		}
		if time.Now().After(deadline) {
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			t.Fatalf("%s: the restaurant did not confirm and share: holder %s confirmed %v, %d shares", what, s.Holder.Short(), s.HolderConfirmed, len(s.Shares))
		}
		time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
	}
}

// stepOf returns the ID of the order's step of the given kind.
func stepOf(s *crdt.OrderState, k crdt.Kind) (crdt.ID, bool) {
	for _, st := range s.Steps {
		if st.Kind == k {
			return st.Event, true
		}
	}
	return crdt.ID{}, false
}

// TestDutiesRecomputedOnStart: a restaurant whose store holds a claim on
// one of its orders that its duties never acted upon (killed between
// persisting the claim and confirming it) confirms the courier and
// re-seals the customer's personal data to it as soon as it starts, with
// nobody to talk to (issue 12.2; SPEC.md §7.2, §15.4).
func TestDutiesRecomputedOnStart(t *testing.T) {
	d := newDutyScene(t)
	ctx := d.c.ctx
	raw, err := d.c1.store.GetEvent(ctx, d.claim)
	must(t, err)
	st, err := OpenPebble(d.dir)
	must(t, err)
	must(t, st.PutEvent(ctx, d.claim, raw)) // persisted, but no duty ran
	must(t, st.Close())

	resto := d.c.startNode("resto", RoleRestaurant, WithDataDir(d.dir)) // connected to nobody
	d.confirmedAndShared(t, resto, "alone after a restart")

	// and the courier learns it once they meet
	d.c.connect(resto, d.c1)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := d.c1.PersonalDataOf(ctx, d.order)
		if err == nil && got.Phone == d.pd.Phone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the courier cannot read the personal data: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
	}

	// duties are functions of state, not of memory: started again, the
	// restaurant owes nothing more. Its loop runs the start-up duties
	// before any request, so Stats answers after them.
	must(t, resto.Close())
	delete(d.c.nodes, "resto")
	resto = d.c.startNode("resto", RoleRestaurant, WithDataDir(d.dir))
	if p := resto.Stats(ctx).Published; p != 0 {
		t.Fatalf("restarted after its duties were done, the restaurant published %d events", p)
	}
	s, err := resto.Order(ctx, d.order)
	must(t, err)
	assigns := 0
	for _, st := range s.Steps {
		if st.Kind == crdt.KindCourierAssign {
			assigns++
		}
	}
	if assigns != 1 || len(s.Shares) != 1 {
		t.Fatalf("%d assigns and %d shares after a second start, want 1 and 1", assigns, len(s.Shares))
	}
}

// TestDutiesFromSyncArePersisted: a restaurant that learns of a claim by a
// catch-up sync confirms and shares, and those events of its own are on its
// disk (before effects as data, a duty run inside a sync batch skipped its
// own write: the batch's "already persisted" flag covered it too).
func TestDutiesFromSyncArePersisted(t *testing.T) {
	d := newDutyScene(t)
	ctx := d.c.ctx
	resto := d.c.startNode("resto", RoleRestaurant, WithDataDir(d.dir), WithSyncOnConnect(false))
	d.c.connect(resto, d.c1)
	if _, err := resto.Sync(ctx, d.c1.ID()); err != nil {
		t.Fatal(err)
	}
	s := d.confirmedAndShared(t, resto, "after a catch-up sync")
	assign, ok := stepOf(s, crdt.KindCourierAssign)
	share := s.Shares[0].Event
	if !ok {
		t.Fatal("no courier.assign step")
	}
	must(t, resto.Close())
	delete(d.c.nodes, "resto")
	st, err := OpenPebble(d.dir)
	must(t, err)
	defer st.Close()
	for name, id := range map[string]crdt.ID{"courier.assign": assign, "order.share": share} {
		if ok, err := st.HasEvent(context.Background(), id); err != nil || !ok {
			t.Errorf("the restaurant's own %s is not on its disk: %v %v", name, ok, err)
		}
	}
}
