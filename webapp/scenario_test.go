package webapp_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// pickSecondDay books the first slot of the second day offered (today's
// first slot may pass its ordering deadline while a test runs).
func (b tab) pickSecondDay() bool {
	b.t.Helper()
	n := int(b.eval(`document.querySelectorAll('#c-day option').length`))
	if n < 2 {
		return false
	}
	b.do("a slot", chromedp.SetValue(chromedp.CSS(`#c-day`), b.attrN(`#c-day option`, min(n-1, 2), "value")),
		jsDo(`document.querySelector('#c-day').dispatchEvent(new Event('change', {bubbles: true}))`), chromedp.WaitVisible(chromedp.CSS(`#c-when`)))
	return true
}

// TestThreeBrowsersOrder (issue 15, scenario 1): three nodes, each in its
// own browser. The customer orders with an option, a tip and a slot; the
// restaurant's page shows the pop-up and plays the alert, and accepts; the
// courier's page claims and sees "won", starts, picks up and delivers with
// the PIN the customer's page shows; the customer's page follows every
// step live, shows delivered, and rates. Prints the alert latency (the
// order applied on the restaurant's node → pop-up shown).
func TestThreeBrowsersOrder(t *testing.T) {
	c := newCoop(t)
	ctx := c.ctx
	ana := c.start("ana", node.RoleCourier)
	must(t, c.admin.Admit(ctx, ana.Key(), crdt.RoleCourier, "Ana"))
	c.eventually("the courier is a member", func() bool { _, ok := ana.MemberKey(ctx); return ok })
	seen := watchApplied(t, c.resto)
	custLink, restoLink, courierLink := c.serve(c.cust), c.serve(c.resto), c.serve(ana)
	cust, resto, cour := tab{t, newBrowser(t, ctx)}, tab{t, newBrowser(t, ctx)}, tab{t, newBrowser(t, ctx)}
	consoles := []*consoleErrors{watchConsole(t, cust), watchConsole(t, resto), watchConsole(t, cour)}
	resto.do("the restaurant's orders", chromedp.Navigate(restoLink), chromedp.WaitVisible(chromedp.CSS(`.restaurant .live.on`)))
	cour.do("the courier's jobs", chromedp.Navigate(courierLink), chromedp.WaitVisible(chromedp.CSS(`.courier .position`)),
		typeInto(`#c-lat`, "47.2150"), typeInto(`#c-lon`, "-1.5550"), chromedp.Click(chromedp.CSS(`.courier .search`)))

	// the customer orders
	wrap := `.product[data-product="wrap"]`
	cust.do("the menu", chromedp.Navigate(custLink), chromedp.WaitVisible(chromedp.CSS(`.restaurants[data-count="1"]`)),
		typeInto(`#w-addr`, "3 rue Kervégan"), typeInto(`#w-lat`, "47.2103"), typeInto(`#w-lon`, "-1.5604"), chromedp.Click(chromedp.CSS(`.set-where`)),
		chromedp.WaitVisible(chromedp.CSS(`.restaurant-card .dist`)), chromedp.Click(chromedp.CSS(`.restaurant-card a`)),
		chromedp.Click(chromedp.CSS(wrap+` .add`)), chromedp.Click(chromedp.CSS(wrap+` input[value="harissa"]`)), chromedp.Click(chromedp.CSS(wrap+` .add-confirm`)),
		chromedp.Click(chromedp.CSS(`.product[data-product="lemonade"] .add`)), chromedp.Click(chromedp.CSS(`.tip input[value="300"]`)))
	slot := cust.pickSecondDay()
	cust.do("checkout", chromedp.WaitVisible(chromedp.CSS(`.quote[data-state="ok"][data-total="1650"]`)), typeInto(`#c-name`, "Léa"),
		chromedp.Click(chromedp.CSS(`.checkout`)), chromedp.WaitVisible(chromedp.CSS(`.tracking[data-status="placed"] .pin-code`)))
	id, err := crdt.ParseID(cust.attr(`.tracking`, "data-order"))
	must(t, err)
	pin := cust.attr(`.pin-code`, "data-pin")
	step := func(what, name string) {
		t.Helper()
		cust.do("the customer's page: "+what, chromedp.WaitVisible(chromedp.CSS(`.timeline li[data-step="`+name+`"][data-done="1"]`)))
	}

	// the restaurant: pop-up, alert, accept
	popup := `.popup[data-type="new"][data-order="` + id.String() + `"]`
	resto.do("the pop-up", chromedp.WaitVisible(chromedp.CSS(popup)))
	resto.poll(`window.coopnodeAlerts >= 1`)
	t.Logf("order applied on the restaurant's node → pop-up shown: %v", resto.latency(popup, c.appliedAt(seen, id, "order.place")))
	if items := resto.text(popup + ` .items`); !strings.Contains(items, "1× Falafel wrap (Harissa)") {
		t.Fatalf("pop-up items: %q", items)
	}
	resto.do("accept", typeInto(popup+` .accept input[name=prep_minutes]`, "15"), chromedp.Click(chromedp.CSS(popup+` .accept button`)),
		chromedp.WaitNotPresent(chromedp.CSS(popup)))
	step("accepted", "accepted")

	// the courier: claim, won, the task flow
	job := `.job[data-order="` + id.String() + `"]`
	task := `.task[data-order="` + id.String() + `"]`
	cour.do("claim", chromedp.WaitVisible(chromedp.CSS(job+` button.claim`)), chromedp.Click(chromedp.CSS(job+` button.claim`)),
		chromedp.WaitVisible(chromedp.CSS(job+` .claim-outcome.won`)))
	step("a courier", "courier")
	cour.do("start", chromedp.Click(chromedp.CSS(task+` .start-pickup`)), chromedp.WaitVisible(chromedp.CSS(task+` .pickup`)))
	cour.do("picked up", chromedp.Click(chromedp.CSS(task+` .pickup`)), chromedp.WaitVisible(chromedp.CSS(task+` .start-dropoff`)))
	step("picked up", "picked_up")
	cour.do("to the customer", chromedp.Click(chromedp.CSS(task+` .start-dropoff`)), chromedp.WaitVisible(chromedp.CSS(task+` input[name=pin]`)))
	cour.do("delivered with the PIN", typeFresh(task+` input[name=pin]`, pin), chromedp.Click(chromedp.CSS(task+` .delivered`)),
		chromedp.WaitNotPresent(chromedp.CSS(task)))

	// the customer: delivered, rates
	step("delivered", "delivered")
	cust.do("rate", chromedp.WaitVisible(chromedp.CSS(`.tracking[data-status="delivered"] form.rate`)),
		chromedp.Click(chromedp.CSS(`[data-stars="restaurant"] input[value="5"]`)), chromedp.Click(chromedp.CSS(`[data-stars="courier"] input[value="5"]`)),
		chromedp.Click(chromedp.CSS(`.send-rating`)), chromedp.WaitVisible(chromedp.CSS(`.rated`)))
	s, err := c.resto.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Rating != nil })
	must(t, err)
	if s.Status != crdt.StatusDelivered || s.Holder != ana.Key() || s.Rating.CourierStars != 5 || s.Place.Totals.TipCents != 300 ||
		len(s.Place.Items) != 2 || (slot && s.Place.Slot.Start == 0) {
		t.Fatalf("at the restaurant: %v holder %v rating %+v totals %+v slot %+v", s.Status, s.Holder.Short(), s.Rating, s.Place.Totals, s.Place.Slot)
	}
	for _, ce := range consoles {
		ce.check(t)
	}
}
