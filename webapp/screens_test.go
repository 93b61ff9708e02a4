package webapp_test

import (
	"flag"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
)

var update = flag.Bool("update", false, "rewrite docs/screens/*.png (go test ./webapp -run TestScreenshots -update)")

// TestScreenshots renders the restaurant's and the courier's main screens on real nodes (a
// board with orders in each column, the pop-up of a new order, the menu
// editor) and, with -update, writes docs/screens/restaurant-orders.png,
// restaurant-alert.png, restaurant-menu.png, courier-jobs.png (the
// courier's Jobs near me after a claim won) and courier-jobs-map.png (the
// same as a map, another job picked), shown in the README.
// Without -update it checks that each renders as a PNG image.
func TestScreenshots(t *testing.T) {
	c := newCoop(t)
	link := c.serve(c.resto)
	b := tab{t, newBrowser(t, c.ctx)}
	ctx := c.ctx
	order := func(items ...market.CartItem) crdt.ID {
		cart := market.Cart{Restaurant: c.resto.Key(), Fulfilment: crdt.FulfilDelivery, TipCents: 100, Dropoff: homePos, Items: items}
		id, _, err := c.cust.Checkout(ctx, cart, node.PersonalData{Name: "Léa", Dropoff: homePos}, "4321")
		must(t, err)
		_, err = c.resto.WaitOrder(ctx, id, func(*crdt.OrderState) bool { return true })
		must(t, err)
		return id
	}
	wrap := func(q uint32, sauce string) market.CartItem {
		return market.CartItem{Product: "wrap", Quantity: q, Options: []string{sauce}}
	}
	lemonade := market.CartItem{Product: "lemonade", Quantity: 2}
	ready := order(wrap(1, "tahini"), lemonade)
	cooking := order(wrap(2, "harissa"), lemonade)
	order(wrap(3, "tahini"), lemonade)
	must(t, c.resto.Accept(ctx, ready, 10))
	must(t, c.resto.Ready(ctx, ready))
	must(t, c.resto.Accept(ctx, cooking, 20))
	must(t, c.resto.StartPreparing(ctx, cooking))

	b.do("the board", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`.restaurant .live.on`)),
		chromedp.WaitVisible(chromedp.CSS(`.order.status-ready`)), chromedp.WaitVisible(chromedp.CSS(`.order.status-preparing`)))
	b.shot("restaurant-orders.png")
	id := order(wrap(1, "harissa"), lemonade)
	b.do("the pop-up", chromedp.WaitVisible(chromedp.CSS(`.popup[data-order="`+id.String()+`"]`)))
	b.shot("restaurant-alert.png")
	b.do("the menu editor", chromedp.Click(chromedp.CSS(`.popup .close`)), chromedp.Click(chromedp.CSS(`a[href="#/restaurant/menu"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.menu-editor input[data-path="sections[0].products[0].price_cents"]`)))
	b.shot("restaurant-menu.png")

	// the courier's Jobs near me, in its own browser: one delivery won
	// (its task card), the other jobs listed with distances and pay
	ana := c.start("ana", node.RoleCourier)
	must(t, c.admin.Admit(ctx, ana.Key(), crdt.RoleCourier, "Ana"))
	c.eventually("the courier sees the accepted orders", func() bool {
		js, err := ana.Jobs(ctx, crdt.Position{}, 0)
		return err == nil && len(js) >= 2
	})
	courierLink := c.serve(ana)
	cb := tab{t, newBrowser(t, ctx)}
	b = cb
	job := `.job[data-order="` + ready.String() + `"]`
	cb.do("the courier's jobs", chromedp.Navigate(courierLink), chromedp.WaitVisible(chromedp.CSS(`.courier .position`)),
		typeInto(`#c-lat`, "47.2150"), typeInto(`#c-lon`, "-1.5550"), chromedp.Click(chromedp.CSS(`.courier .search`)),
		chromedp.WaitVisible(chromedp.CSS(job+` button.claim`)))
	cb.poll(`document.querySelector('` + job + ` .distances').textContent.includes('km to the pickup')`)
	cb.do("claim", chromedp.Click(chromedp.CSS(job+` button.claim`)),
		chromedp.WaitVisible(chromedp.CSS(job+` .claim-outcome.won`)),
		chromedp.WaitVisible(chromedp.CSS(`.task[data-order="`+ready.String()+`"] .start-pickup`)))
	b.shot("courier-jobs.png")
	// the same jobs as a map, the other accepted order picked
	other := `.jobs-map [data-point="restaurant"][data-id="` + cooking.String() + `"]`
	cb.do("the jobs map", chromedp.Click(chromedp.CSS(`.view-switch .view-map`)), chromedp.WaitVisible(chromedp.CSS(other)),
		chromedp.Click(chromedp.CSS(other)), chromedp.WaitVisible(chromedp.CSS(`.jobs-map .job[data-order="`+cooking.String()+`"] button.claim`)))
	b.shot("courier-jobs-map.png")
}
