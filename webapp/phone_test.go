package webapp_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
)

// phoneCheck lists what breaks a 360 px wide phone screen: the page
// scrolling sideways, an element of the screen running past its right
// edge, and any visible link, button, field or choice smaller than 40 px
// either way (a radio or checkbox is measured by its label, which is what
// a finger taps).
const phoneCheck = `(() => {
  const de = document.documentElement, w = de.clientWidth, bad = [];
  const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : '') +
    (e.textContent ? ' "' + e.textContent.trim().slice(0, 20) + '"' : '');
  if (de.scrollWidth > w + 1) bad.push('the page scrolls sideways: ' + de.scrollWidth + ' px');
  for (const e of document.querySelectorAll('#main *')) {
    const r = e.getBoundingClientRect();
    if (r.width && r.right > w + 1 && !e.closest('svg')) bad.push('past the edge: ' + name(e) + ' right ' + Math.round(r.right));
  }
  for (const e of document.querySelectorAll('a[href], button, input, select, summary, textarea')) {
    const t = (e.type === 'radio' || e.type === 'checkbox') ? (e.closest('label') || e) : e;
    const r = t.getBoundingClientRect();
    if (!r.width && !r.height) continue;
    if (r.width < 40 || r.height < 40) bad.push('small target: ' + name(t) + ' ' + Math.round(r.width) + '×' + Math.round(r.height));
  }
  return JSON.stringify(bad.slice(0, 15));
})()`

// checkPhone fails the test with what breaks the screen shown.
func (b tab) checkPhone(screen string) {
	b.t.Helper()
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](phoneCheck))
	if err != nil {
		b.t.Fatalf("%s: %v", screen, err)
	}
	if got != "[]" {
		b.t.Errorf("%s at 360×740: %s", screen, got)
	}
}

// TestPhoneWidth (issue 15): the customer's and the courier's screens at
// 360×740 CSS pixels, a small phone: nothing scrolls sideways or runs
// past the edge, and every link, button, field and choice is at least
// 40 px each way. Customer: the restaurants, the menu with an option
// open, the cart with its quote, the tracking page. Courier: jobs near me
// with a held delivery, and earnings.
func TestPhoneWidth(t *testing.T) {
	c := newCoop(t)
	ctx := c.ctx
	ana := c.start("ana", node.RoleCourier)
	must(t, c.admin.Admit(ctx, ana.Key(), crdt.RoleCourier, "Ana"))
	cart := market.Cart{Restaurant: c.resto.Key(), Fulfilment: crdt.FulfilDelivery, TipCents: 100, Dropoff: homePos,
		Items: []market.CartItem{{Product: "wrap", Quantity: 2, Options: []string{"tahini"}}}}
	var ids []crdt.ID
	for range 2 {
		id, _, err := c.cust.Checkout(ctx, cart, node.PersonalData{Name: "Léa", Address: "3 rue Kervégan", Dropoff: homePos}, "1357")
		must(t, err)
		_, err = c.resto.WaitOrder(ctx, id, func(*crdt.OrderState) bool { return true })
		must(t, err)
		must(t, c.resto.Accept(ctx, id, 10))
		ids = append(ids, id)
	}
	c.eventually("the courier has the accepted orders", func() bool {
		js, err := ana.Jobs(ctx, crdt.Position{}, 0)
		return err == nil && len(js) == 2
	})
	c.claimWon(ana, ids[0])
	must(t, ana.StartTask(ctx, ids[0], 1))

	custLink, courierLink := c.serve(c.cust), c.serve(ana)
	b := tab{t, newBrowser(t, ctx)}
	ce := watchConsole(t, b)
	b.do("a phone's screen", chromedp.EmulateViewport(360, 740))

	b.do("restaurants", chromedp.Navigate(custLink), chromedp.WaitVisible(chromedp.CSS(`.restaurants[data-count="1"]`)),
		typeInto(`#w-lat`, "47.2103"), typeInto(`#w-lon`, "-1.5604"), chromedp.Click(chromedp.CSS(`.set-where`)),
		chromedp.WaitVisible(chromedp.CSS(`.restaurant-card .dist`)))
	b.checkPhone("restaurants")
	wrap := `.product[data-product="wrap"]`
	b.do("the menu, an option open", chromedp.Click(chromedp.CSS(`.restaurant-card a`)), chromedp.Click(chromedp.CSS(wrap+` .add`)),
		chromedp.WaitVisible(chromedp.CSS(wrap+` .option`)))
	b.checkPhone("menu")
	b.do("the cart and its quote", chromedp.Click(chromedp.CSS(wrap+` input[value="harissa"]`)), chromedp.Click(chromedp.CSS(wrap+` .add-confirm`)),
		chromedp.Click(chromedp.CSS(`.product[data-product="lemonade"] .add`)), chromedp.Click(chromedp.CSS(`.tip input[value="other"]`)),
		typeInto(`.tip-other`, "2"), chromedp.WaitVisible(chromedp.CSS(`.quote[data-state="ok"]`)), chromedp.Click(chromedp.CSS(`.quote .explain summary`)),
		chromedp.WaitVisible(chromedp.CSS(`.quote .explain li`)))
	b.checkPhone("cart and quote")
	b.do("tracking", chromedp.Navigate(strings.Replace(custLink, "/login?", "/?", 1)+"#/customer/order/"+ids[0].String()),
		chromedp.WaitVisible(chromedp.CSS(`.timeline li[data-step="courier"][data-done="1"]`)), chromedp.WaitVisible(chromedp.CSS(`.map svg`)))
	b.checkPhone("tracking")

	b.do("the courier's jobs", chromedp.Navigate(courierLink), chromedp.WaitVisible(chromedp.CSS(`.task .pickup`)),
		chromedp.WaitVisible(chromedp.CSS(`.job button.claim`)), chromedp.WaitVisible(chromedp.CSS(`.netstate[data-state="online"]`)))
	b.checkPhone("courier's jobs")
	b.do("earnings", chromedp.Click(chromedp.CSS(`a[href="#/courier/earnings"]`)), chromedp.WaitVisible(chromedp.CSS(`.earnings[data-loaded="1"]`)))
	b.checkPhone("earnings")
	ce.check(t)
}
