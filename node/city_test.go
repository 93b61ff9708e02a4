package node

import (
	"context"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/protocol"
)

// cityCoop founds a coop of Nantes with a restaurant, a courier and a
// customer node; names are prefixed so that the two coops' keys differ.
// fixed is the coop's base delivery price: each coop prices by its rules.
func cityCoop(t *testing.T, ctx context.Context, prefix, name string, fixed int64) *cluster {
	t.Helper()
	c := &cluster{t: t, ctx: ctx, nodes: map[string]*Node{}}
	c.admin = c.startNode(prefix+"admin", RoleAdmin, WithCity("Nantes"))
	id, err := c.admin.Found(ctx, crdt.CoopGenesis{Name: name, City: "Nantes", Currency: "EUR"})
	must(t, err)
	c.coop = id
	resto := c.startNode(prefix+"resto", RoleRestaurant)
	courier := c.startNode(prefix+"courier", RoleCourier)
	cust := c.startNode(prefix+"cust", RoleCustomer, WithCity("nantes "))
	for _, n := range []*Node{resto, courier, cust} {
		c.connect(n, c.admin)
	}
	must(t, c.admin.Admit(ctx, resto.Key(), crdt.RoleRestaurant, prefix+"resto"))
	must(t, c.admin.Admit(ctx, courier.Key(), crdt.RoleCourier, prefix+"courier"))
	rules := testRules()
	rules.Rules[0].FixedCents = fixed
	must(t, c.admin.SetRules(ctx, rules))
	c.eventually("membership and rules", func(n *Node) bool {
		cs, err := n.CoopState(ctx)
		return err == nil && len(cs.Members) == 3 && len(cs.Rules) == 1
	})
	must(t, resto.PublishProfile(ctx, crdt.CatalogProfile{Name: name + " kitchen", Position: restoAt, Timezone: "Europe/Paris",
		Fulfilment: crdt.FulfilDelivery, PrepMinutes: 10, Enabled: true}))
	must(t, resto.PublishMenu(ctx, testMenu()))
	c.eventually("menu everywhere", func(n *Node) bool {
		rs, err := n.Restaurants(ctx)
		return err == nil && len(rs) == 1 && rs[0].Menu != nil && rs[0].Profile != nil
	})
	return c
}

// TestTwoCoopsOneCity (issue 17.2, SPEC.md §22): two coops of one city
// publish their cards; a customer app of one node per coop (City) lists
// both coops and both coops' restaurants, and orders from each; each
// order is priced by its coop's rules, its events stay on its coop's nodes
// (the other coop's nodes, though connected, never store one), and each
// coop's books show its own order only.
func TestTwoCoopsOneCity(t *testing.T) {
	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	a := cityCoop(t, ctx, "a-", "Vélo Nantes", 350)
	b := cityCoop(t, ctx, "b-", "Roue Libre", 500)
	// one city: the admins and the customer nodes all meet on the city topic
	city := []*Node{a.admin, b.admin, a.nodes["a-cust"], b.nodes["b-cust"]}
	for i, x := range city {
		for _, y := range city[i+1:] {
			if x.ID() != y.ID() {
				a.connect(x, y)
			}
		}
	}
	topic := protocol.TopicCity("Nantes")
	for _, adm := range []*Node{a.admin, b.admin} {
		wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
		must(t, adm.gossip.waitForPeers(wctx, topic, 3))
		wcancel()
	}
	if _, err := a.admin.PublishCard(ctx, CardInfo{Zones: []string{"centre"}, Contact: "hello@velo.example"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.admin.PublishCard(ctx, CardInfo{Zones: []string{"nord"}, Contact: "+33 2 40 00 00 00"}); err != nil {
		t.Fatal(err)
	}
	// a restaurant is no admin: its card is refused before it leaves
	if _, err := a.nodes["a-resto"].PublishCard(ctx, CardInfo{City: "Nantes"}); err == nil {
		t.Fatal("a restaurant published its coop's card")
	}

	app, err := NewCity(a.nodes["a-cust"], b.nodes["b-cust"])
	must(t, err)
	deadline := time.Now().Add(20 * time.Second)
	for {
		name, cards, err := app.Directory(ctx)
		if err == nil && len(cards) == 2 {
			if name != "nantes" || cards[0].Card.Name != "Roue Libre" || cards[1].Card.Name != "Vélo Nantes" ||
				cards[1].Card.Coop != a.coop || len(cards[1].Card.Addrs) == 0 || cards[0].Card.Contact == "" {
				t.Fatalf("directory %q: %+v", name, cards)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the directory never showed both coops: %+v %v", cards, err)
		}
		time.Sleep(20 * time.Millisecond) // polling interval of a condition wait
	}
	rs, err := app.Restaurants(ctx)
	must(t, err)
	if len(rs) != 2 || rs[0].Coop != a.coop || rs[1].Coop != b.coop || rs[0].CoopName != "Vélo Nantes" {
		t.Fatalf("city catalogue: %+v", rs)
	}

	order := func(c *cluster, prefix string) (crdt.ID, *market.Quote) {
		resto, courier := c.nodes[prefix+"resto"], c.nodes[prefix+"courier"]
		cart := market.Cart{Restaurant: resto.Key(), Fulfilment: crdt.FulfilDelivery,
			Dropoff: crdt.Position{LatE6: 47_210_123, LonE6: -1_560_456},
			Items:   []market.CartItem{{Product: "wrap", Quantity: 1, Options: []string{"tahini"}}}}
		id, coop, q, err := app.Checkout(ctx, crdt.ID{}, cart, PersonalData{Name: "Léa"}, "")
		must(t, err)
		if coop != c.coop {
			t.Fatalf("order routed to coop %s, want %s", coop.Short(), c.coop.Short())
		}
		c.eventually("placed", c.has(id))
		must(t, resto.Accept(ctx, id, 0))
		c.eventually("accepted", c.orderIs(id, crdt.StatusAccepted))
		claim, err := courier.Claim(ctx, id, restoAt)
		must(t, err)
		if r, err := courier.AwaitClaim(ctx, id, claim); err != nil || !r.Won {
			t.Fatalf("claim %+v %v", r, err)
		}
		must(t, courier.Pickup(ctx, id))
		must(t, courier.Deliver(ctx, id, crdt.Proof{Recipient: "door"}))
		c.eventually("delivered", c.orderIs(id, crdt.StatusDelivered))
		return id, q
	}
	idA, qA := order(a, "a-")
	idB, qB := order(b, "b-")
	if qB.DeliveryCents-qA.DeliveryCents != 150 {
		t.Fatalf("delivery prices %d and %d: each coop's rules should price its order", qA.DeliveryCents, qB.DeliveryCents)
	}

	// each coop's nodes store events of their own coop only
	own := func(c *cluster, other crdt.ID, otherOrder crdt.ID) {
		for name, n := range c.nodes {
			if n.gossip.subscribed(protocol.TopicOrders(other)) || n.gossip.subscribed(protocol.TopicCoop(other)) {
				t.Errorf("%s follows the other coop's topics", name)
			}
			if has, err := n.store.HasEvent(ctx, otherOrder); err != nil || has {
				t.Errorf("%s stores the other coop's order (%v)", name, err)
			}
			mine := 0
			must(t, n.store.ForEachEvent(ctx, func(id crdt.ID, raw []byte) error {
				e, err := protocol.Decode(raw)
				if err != nil {
					return err
				}
				if e.Coop == other || e.ID == other {
					t.Errorf("%s stores event %s (%s) of the other coop", name, id.Short(), e.Kind)
				}
				if e.Coop == c.coop || e.ID == c.coop {
					mine++
				}
				return nil
			}))
			if mine == 0 {
				t.Errorf("%s stores no event of its own coop: the check saw nothing", name)
			}
		}
	}
	own(a, b.coop, idB)
	own(b, a.coop, idA)

	// each coop's books show its own order only
	books := func(c *cluster, want, not crdt.ID) {
		bk, err := c.admin.Books(ctx, market.Period{})
		must(t, err)
		if len(bk.Orders.Rows) != 1 || bk.Orders.Rows[0][1] != want.String() {
			t.Fatalf("coop %s's books: %v, want one line for order %s (not %s)", c.coop.Short(), bk.Orders.Rows, want, not)
		}
	}
	books(a, idA, idB)
	books(b, idB, idA)
}
