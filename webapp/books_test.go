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

	tabs := openIn(c, map[string]*node.Node{"admin": c.admin, "Ana": ana}, "/coop/books", `.books .digest-value`)
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
