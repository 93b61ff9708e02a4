package webapp_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
)

// TestBooksInBrowser (issue 16, open books in the web app): after a
// delivery, the admin's and the courier's pages, each on its own node,
// show the same books digest as the node computes; the courier's page
// shows their pay statement; a period ending before it starts is refused
// by its field; the canonical CSV downloads with the same digest.
func TestBooksInBrowser(t *testing.T) {
	c := newCoop(t)
	ctx := c.ctx
	ana := c.start("ana", node.RoleCourier)
	must(t, c.admin.Admit(ctx, ana.Key(), crdt.RoleCourier, "Ana"))
	c.eventually("Ana is a courier", func() bool { _, ok := ana.MemberKey(ctx); return ok })
	deliverOne(c, ana)

	tabs := map[string]tab{}
	for name, n := range map[string]*node.Node{"admin": c.admin, "Ana": ana} {
		link := c.serve(n)
		b := tab{t, newBrowser(t, ctx)}
		tabs[name] = b
		b.do(name+": the books", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`.nav a[href="#/coop/books"]`)),
			chromedp.Click(chromedp.CSS(`.nav a[href="#/coop/books"]`)), chromedp.WaitVisible(chromedp.CSS(`.books .digest-value`)))
	}
	from, err := chromedp.Run(tabs["admin"].ctx, chromedp.Evaluate[string](`document.querySelector('form.period input[name=from]').value`))
	must(t, err)
	want, err := c.admin.Books(ctx, market.Period{From: from})
	must(t, err)
	if len(want.Orders.Rows) != 1 {
		t.Fatalf("the node's books hold %d orders", len(want.Orders.Rows))
	}
	for name, b := range tabs {
		b.do(name+": the node's digest", chromedp.WaitVisible(chromedp.CSS(`.books[data-digest="`+want.Digest+`"]`)))
	}
	tabs["Ana"].do("Ana's statement", chromedp.WaitVisible(chromedp.CSS(`.statement[data-lines="1"]`)))
	admin := tabs["admin"]
	admin.do("a period ending before it starts", setValue(`form.period input[name=to]`, "2020-01-01"), chromedp.Click(chromedp.CSS(`form.period button`)),
		chromedp.WaitVisible(chromedp.CSS(`form.period input[name=to][aria-invalid=true]`)))
	admin.do("per courier", chromedp.Click(chromedp.CSS(`.tabs button.couriers`)),
		chromedp.WaitVisible(chromedp.CSS(`table.books-totals[data-view=couriers] tr[data-key="`+ana.Key().String()+`"]`)))
	admin.do("the CSV", chromedp.Click(chromedp.CSS(`.books button.download`)), chromedp.WaitVisible(chromedp.CSS(`.csv-done[data-digest="`+want.Digest+`"]`)))
}

// deliverOne runs one order to delivered: the customer checks out, the
// restaurant accepts, the courier's node claims, picks up and delivers
// with the PIN; the admin's and the courier's nodes hold it delivered.
func deliverOne(c *coop, courier *node.Node) crdt.ID {
	t, ctx := c.t, c.ctx
	t.Helper()
	cart := market.Cart{Restaurant: c.resto.Key(), Fulfilment: crdt.FulfilDelivery, TipCents: 200, Dropoff: homePos,
		Items: []market.CartItem{{Product: "wrap", Quantity: 2, Options: []string{"tahini"}}}}
	id, _, err := c.cust.Checkout(ctx, cart, node.PersonalData{Name: "Léa", Dropoff: homePos}, "4321")
	must(t, err)
	_, err = c.resto.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusPlaced })
	must(t, err)
	must(t, c.resto.Accept(ctx, id, 10))
	_, err = courier.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusAccepted })
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
