package webapp_test

import (
	"github.com/chromedp/chromedp"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
)

// openIn logs a browser of its own into each node and opens the menu item
// href, waiting for ready: the same screen seen from several members'
// nodes.
func openIn(c *coop, nodes map[string]*node.Node, href, ready string) map[string]tab {
	c.t.Helper()
	tabs := map[string]tab{}
	for name, n := range nodes {
		link := c.serve(n) // served before the browser starts, so closed after it
		b := tab{c.t, newBrowser(c.t, c.ctx)}
		tabs[name] = b
		item := `.nav a[href="#` + href + `"]`
		b.do(name+": open "+href, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(item)),
			chromedp.Click(chromedp.CSS(item)), chromedp.WaitVisible(chromedp.CSS(ready)))
	}
	return tabs
}

// acceptedOrder has the customer check out two wraps with a tip and the
// restaurant accept the order once placed.
func acceptedOrder(c *coop) crdt.ID {
	t, ctx := c.t, c.ctx
	t.Helper()
	cart := market.Cart{Restaurant: c.resto.Key(), Fulfilment: crdt.FulfilDelivery, TipCents: 200, Dropoff: homePos,
		Items: []market.CartItem{{Product: "wrap", Quantity: 2, Options: []string{"tahini"}}}}
	id, _, err := c.cust.Checkout(ctx, cart, node.PersonalData{Name: "Léa", Dropoff: homePos}, "4321")
	must(t, err)
	_, err = c.resto.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusPlaced })
	must(t, err)
	must(t, c.resto.Accept(ctx, id, 10))
	return id
}

// deliverOne runs an accepted order to delivered: the courier's node
// claims, picks up and delivers with the PIN; the admin's and the
// courier's nodes hold it delivered.
func deliverOne(c *coop, courier *node.Node) crdt.ID {
	t, ctx := c.t, c.ctx
	t.Helper()
	id := acceptedOrder(c)
	_, err := courier.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusAccepted })
	must(t, err)
	claim, err := courier.Claim(ctx, id, restoPos)
	must(t, err)
	_, err = courier.AwaitClaim(ctx, id, claim)
	must(t, err)
	must(t, courier.Pickup(ctx, id))
	must(t, courier.Deliver(ctx, id, crdt.Proof{Recipient: "Léa", PIN: "4321"}))
	for _, n := range []*node.Node{c.admin, courier} {
		if _, err := n.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusDelivered }); err != nil {
			t.Fatalf("delivered: %v", err)
		}
	}
	return id
}
