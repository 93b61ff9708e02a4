package webapp_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
)

// TestScreenshotsCustomer renders the customer's screens and the
// courier's earnings on real nodes and, with -update (the same command as
// TestScreenshots: go test ./webapp -run TestScreenshots -update), writes
// docs/screens/customer-restaurants.png (open and closed restaurants near
// an address), customer-menu.png (the menu, the cart and the quote with
// how the delivery fee was derived), customer-tracking.png (the timeline,
// the courier on the map, the ETA and the PIN), customer-tracking-phone.png
// (the same at 360×740) and courier-earnings.png. Without -update it
// checks that each renders as a PNG image.
func TestScreenshotsCustomer(t *testing.T) {
	c := newCoop(t)
	ctx := c.ctx
	ana := c.start("ana", node.RoleCourier)
	must(t, c.admin.Admit(ctx, ana.Key(), crdt.RoleCourier, "Ana"))
	c.closedRestaurant(crdt.CatalogProfile{Name: "Le Volet Clos", Description: "Crêpes and galettes", Tags: []string{"crêperie", "vegetarian"},
		Position: crdt.Position{LatE6: 47_213_500, LonE6: -1_549_000}}, 20*time.Hour)

	// a delivery on its way, for the tracking page, and one delivered
	// earlier, for the courier's earnings
	cart := market.Cart{Restaurant: c.resto.Key(), Fulfilment: crdt.FulfilDelivery, TipCents: 200, Dropoff: homePos,
		Items: []market.CartItem{{Product: "wrap", Quantity: 2, Options: []string{"harissa"}}, {Product: "lemonade", Quantity: 1}}}
	place := func(pin string) crdt.ID {
		id, _, err := c.cust.Checkout(ctx, cart, node.PersonalData{Name: "Léa", Address: "3 rue Kervégan", Dropoff: homePos}, pin)
		must(t, err)
		_, err = c.resto.WaitOrder(ctx, id, func(*crdt.OrderState) bool { return true })
		must(t, err)
		must(t, c.resto.Accept(ctx, id, 12))
		c.claimWon(ana, id)
		must(t, ana.StartTask(ctx, id, 1))
		must(t, ana.Pickup(ctx, id))
		return id
	}
	done := place("1111")
	must(t, ana.StartTask(ctx, done, 2))
	must(t, ana.Deliver(ctx, done, crdt.Proof{PIN: "1111"}))
	onWay := place("")

	custLink, courierLink := c.serve(c.cust), c.serve(ana)
	b := tab{t, newBrowser(t, ctx)}
	b.do("restaurants", chromedp.Navigate(custLink), chromedp.WaitVisible(chromedp.CSS(`.restaurants[data-count="2"]`)),
		typeInto(`#w-addr`, "3 rue Kervégan"), typeInto(`#w-lat`, "47.2103"), typeInto(`#w-lon`, "-1.5604"), chromedp.Click(chromedp.CSS(`.set-where`)),
		chromedp.WaitVisible(chromedp.CSS(`.restaurant-card .dist`)))
	b.shot("customer-restaurants.png")
	wrap := `.product[data-product="wrap"]`
	b.do("the menu and the cart", chromedp.Click(chromedp.CSS(`.restaurant-card.open a`)),
		chromedp.Click(chromedp.CSS(wrap+` .add`)), chromedp.Click(chromedp.CSS(wrap+` input[value="harissa"]`)), chromedp.Click(chromedp.CSS(wrap+` .add-confirm`)),
		chromedp.Click(chromedp.CSS(wrap+` .add`)), chromedp.Click(chromedp.CSS(wrap+` input[value="tahini"]`)), chromedp.Click(chromedp.CSS(wrap+` .add-confirm`)),
		chromedp.Click(chromedp.CSS(`.product[data-product="lemonade"] .add`)), chromedp.Click(chromedp.CSS(`.tip input[value="200"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.quote[data-state="ok"]`)), chromedp.Click(chromedp.CSS(`.quote .explain summary`)),
		chromedp.WaitVisible(chromedp.CSS(`.quote .explain li.matched`)), typeInto(`#c-name`, "Léa"),
		chromedp.EmulateViewport(1280, 1250), jsDo(`document.activeElement.blur()`), jsDo(`window.scrollTo(0, 0)`))
	b.shot("customer-menu.png")
	b.do("back to the usual size", chromedp.EmulateViewport(1280, 900))

	courierAt := crdt.Position{LatE6: 47_214_000, LonE6: -1_557_500}
	c.eventually("the courier's position at the customer", func() bool {
		if _, err := c.cust.Tracking(ctx, onWay); err == nil {
			return true
		}
		_, _ = ana.UpdatePosition(ctx, courierAt)
		return false
	})
	home := strings.Replace(custLink, "/login?", "/?", 1)
	b.do("tracking", chromedp.Navigate(home+"#/customer/order/"+onWay.String()),
		chromedp.WaitVisible(chromedp.CSS(`.timeline li[data-step="picked_up"][data-done="1"]`)), chromedp.WaitVisible(chromedp.CSS(`.map [data-point="courier"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.eta[data-eta]`)),
		// this order was placed without a PIN; the page shows the one
		// kept on this device, as after a checkout in the browser
		jsDo(`localStorage.setItem('coopnode.pin.`+onWay.String()+`', '4821')`), chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`.pin-code`)), chromedp.WaitVisible(chromedp.CSS(`.map [data-point="courier"]`)))
	b.shot("customer-tracking.png")
	b.do("tracking on a phone", chromedp.EmulateViewport(360, 740), chromedp.WaitVisible(chromedp.CSS(`.pin-code`)))
	b.shot("customer-tracking-phone.png")
	b.do("the courier's earnings", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(courierLink),
		chromedp.WaitVisible(chromedp.CSS(`.task`)), chromedp.Click(chromedp.CSS(`a[href="#/courier/earnings"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.earnings .figures-card[data-period="today"][data-jobs="2"]`)))
	b.shot("courier-earnings.png")
}

// jsDo runs a JavaScript statement as a browser step.
func jsDo(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool]("("+expr+", true)")(ctx, tg)
		return err
	})
}

// shot captures the tab's screen as a PNG; with -update it writes
// docs/screens/name.
func (b tab) shot(name string) {
	b.t.Helper()
	cctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	img, err := chromedp.Run(cctx, chromedp.CaptureScreenshot())
	must(b.t, err)
	if _, err := png.Decode(bytes.NewReader(img)); err != nil {
		b.t.Fatalf("%s: not a PNG: %v", name, err)
	}
	if *update {
		must(b.t, os.WriteFile(filepath.Join("..", "docs", "screens", name), img, 0o644))
		b.t.Logf("wrote docs/screens/%s (%d bytes)", name, len(img))
	}
}

// closedRestaurant adds a second restaurant ("shut") with p's name and
// position, taking deliveries but in a closing from an hour ago until
// `for` from now, with the usual menu; the customer's node has it.
func (c *coop) closedRestaurant(p crdt.CatalogProfile, closedFor time.Duration) *node.Node {
	ctx := c.ctx
	shut := c.start("shut", node.RoleRestaurant)
	must(c.t, c.admin.Admit(ctx, shut.Key(), crdt.RoleRestaurant, p.Name))
	c.eventually("the second restaurant is a member", func() bool { _, ok := shut.MemberKey(ctx); return ok })
	now := time.Now()
	p.Timezone, p.Fulfilment, p.Enabled = "Europe/Paris", crdt.FulfilDelivery, true
	p.Closings = []crdt.Closing{{Start: now.Add(-time.Hour).UnixMilli(), End: now.Add(closedFor).UnixMilli(), Reason: "holiday"}}
	must(c.t, shut.PublishProfile(ctx, p))
	must(c.t, shut.PublishMenu(ctx, testMenu()))
	c.eventually("both restaurants at the customer", func() bool { rs, err := c.cust.Restaurants(ctx); return err == nil && len(rs) == 2 })
	return shut
}
