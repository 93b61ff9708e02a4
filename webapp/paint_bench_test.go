package webapp_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
)

// BenchmarkDashboardFirstPaint: the restaurant's dashboard loaded on a
// node holding a month of history (1200 orders, 40 a day: cancelled,
// so terminal, and 5 open), from navigation to the open orders painted.
// Reports ms/paint. go test ./webapp -run '^$' -bench DashboardFirstPaint -benchtime 5x
func BenchmarkDashboardFirstPaint(b *testing.B) {
	c := newCoop(b)
	link := c.serve(c.resto)
	tb := tab{b, newBrowser(b, c.ctx)}
	ctx := c.ctx
	cart := market.Cart{Restaurant: c.resto.Key(), Fulfilment: crdt.FulfilDelivery, Dropoff: homePos,
		Items: []market.CartItem{{Product: "wrap", Quantity: 2, Options: []string{"harissa"}}}}
	const month, open = 1200, 5
	var last crdt.ID
	start := time.Now()
	for i := 0; i < month+open; i++ {
		id, _, err := c.cust.Checkout(ctx, cart, node.PersonalData{Name: "Léa", Dropoff: homePos}, "")
		must(b, err)
		if i < month {
			must(b, c.cust.Cancel(ctx, id, crdt.ReasonCustomer))
		}
		last = id
	}
	_, err := c.resto.WaitOrder(ctx, last, func(*crdt.OrderState) bool { return true })
	must(b, err)
	c.eventually("the history at the restaurant", func() bool {
		os, err := c.resto.Orders(ctx, node.OrderFilter{})
		return err == nil && len(os) == month+open
	})
	b.Logf("history of %d orders built in %v", month+open, time.Since(start).Round(time.Millisecond))
	tb.do("log in", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`.restaurant .live.on`)))
	home := strings.Replace(link, "/login?", "/?", 1) // logged in: the app itself
	b.ResetTimer()
	var total float64
	for i := 0; i < b.N; i++ {
		tb.do("load the dashboard", chromedp.Navigate(home))
		pctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
		ms, err := chromedp.Run(pctx, chromedp.Poll[float64](
			`document.querySelectorAll('.columns .order').length === 5 && window.coopnodeFirstPaint`))
		cancel()
		must(b, err)
		total += ms
	}
	b.ReportMetric(total/float64(b.N), "ms/paint")
}
