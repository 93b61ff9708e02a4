package webapp_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// TestDispatcherBoard (issue 15, the dispatcher): the founder (admin and
// dispatcher) sees an accepted order waiting for a courier, live; assigning
// with no courier picked is refused by the field; it assigns the order to
// Ana from the card's list, unassigns it, then drags the card onto
// Bruno's column; the restaurant's node holds each change.
func TestDispatcherBoard(t *testing.T) {
	c := newCoop(t)
	ctx := c.ctx
	couriers := map[string]*node.Node{}
	for _, name := range []string{"Ana", "Bruno"} {
		n := c.start(name, node.RoleCourier)
		must(t, c.admin.Admit(ctx, n.Key(), crdt.RoleCourier, name))
		couriers[name] = n
	}
	link := c.serve(c.admin)
	b := tab{t, newBrowser(t, ctx)}
	b.do("the board", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`.nav a[href="#/dispatch"]`)),
		chromedp.Click(chromedp.CSS(`.nav a[href="#/dispatch"]`)), chromedp.WaitVisible(chromedp.CSS(`.dispatch .live.on`)))

	id := acceptedOrder(c)
	card := `.dcard[data-order="` + id.String() + `"]`
	col := func(n *node.Node) string { return `.dcol[data-courier="` + n.Key().String() + `"]` }
	holder := func(want crdt.PubKey) {
		t.Helper()
		if _, err := c.resto.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Holder == want }); err != nil {
			t.Fatalf("holder at the restaurant: %v", err)
		}
	}
	b.do("the order waits for a courier", chromedp.WaitVisible(chromedp.CSS(`.dcol[data-courier=""] `+card+` form.assign`)))
	b.do("no courier picked", chromedp.Click(chromedp.CSS(card+` form.assign button`)),
		chromedp.WaitVisible(chromedp.CSS(card+` select[name=courier][aria-invalid=true]`)))
	b.do("assign to Ana", setValue(card+` select[name=courier]`, couriers["Ana"].Key().String()), chromedp.Click(chromedp.CSS(card+` form.assign button`)),
		chromedp.WaitVisible(chromedp.CSS(col(couriers["Ana"])+` `+card+` form.unassign`)))
	holder(couriers["Ana"].Key())
	b.do("unassign", chromedp.Click(chromedp.CSS(card+` form.unassign button`)), chromedp.WaitVisible(chromedp.CSS(`.dcol[data-courier=""] `+card)))
	holder(crdt.PubKey{})
	b.do("drag onto Bruno", chromedp.DragAndDrop(chromedp.CSS(card+` header`), chromedp.CSS(col(couriers["Bruno"])+` h2`)),
		chromedp.WaitVisible(chromedp.CSS(col(couriers["Bruno"])+` `+card)))
	holder(couriers["Bruno"].Key())
}
