package webapp_test

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// consoleErrors records the page's console errors and uncaught exceptions;
// check fails the test if there were any.
type consoleErrors struct {
	mu   sync.Mutex
	errs []string
}

func watchConsole(t testing.TB, b tab) *consoleErrors {
	ce := &consoleErrors{}
	must(t, chromedp.Listen(b.ctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type != runtime.ConsoleAPICalledTypeError {
				return
			}
			for _, a := range e.Args {
				msg += string(a.Value) + " " + a.Description
			}
		case *runtime.EventExceptionThrown:
			msg = e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
		default:
			return
		}
		ce.mu.Lock()
		ce.errs = append(ce.errs, msg)
		ce.mu.Unlock()
	}))
	return ce
}

func (ce *consoleErrors) check(t testing.TB) {
	t.Helper()
	ce.mu.Lock()
	defer ce.mu.Unlock()
	if len(ce.errs) > 0 {
		t.Fatalf("console errors: %q", ce.errs)
	}
}

// TestCustomerOrderFlow (issue 15, scenario 1 from the customer's side):
// the customer's browser lists the restaurants its node knows, open and
// closed (a closing in force, with when it opens again), nearest first
// from a typed position (a bad one refused by its field); opens the menu;
// an option's minimum is enforced by the option; the restaurant's minimum
// order and the quote with its explanation come from the node; a tip and
// a slot; checkout with a missing name refused by the field, nothing
// signed; then the tracking page follows each step live: the restaurant
// accepts, a courier claims, starts, shares its position (shown on the
// map, with an ETA), picks up and delivers with the PIN the page shows;
// the page then rates, and the restaurant's node has the rating.
func TestCustomerOrderFlow(t *testing.T) {
	c := newCoop(t)
	ctx := c.ctx
	ana := c.start("ana", node.RoleCourier)
	must(t, c.admin.Admit(ctx, ana.Key(), crdt.RoleCourier, "Ana"))
	shut := c.closedRestaurant(crdt.CatalogProfile{Name: "Le Volet Clos", Position: crdt.Position{LatE6: 47_215_000, LonE6: -1_556_000}}, 3*time.Hour)

	link := c.serve(c.cust) // served before the browser starts, so closed after it
	b := tab{t, newBrowser(t, ctx)}
	ce := watchConsole(t, b)
	mia, shutKey := c.resto.Key().String(), shut.Key().String()
	card := func(k string) string { return `.restaurant-card[data-key="` + k + `"]` }
	start := time.Now()
	b.do("the restaurants", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`.restaurants[data-count="2"]`)))
	t.Logf("customer's restaurants: navigation → list painted: %v", time.Since(start).Round(time.Millisecond))
	if b.attr(card(mia), "data-open") != "1" || b.attr(card(shutKey), "data-open") != "0" {
		t.Fatal("open and closed states")
	}
	if !strings.HasPrefix(b.text(card(shutKey)+` .next-open`), "Opens ") {
		t.Fatalf("closed restaurant: %q", b.text(card(shutKey)))
	}
	b.do("a bad position", typeInto(`#w-lat`, "north"), typeInto(`#w-lon`, "-1.5604"), chromedp.Click(chromedp.CSS(`.set-where`)),
		chromedp.WaitVisible(chromedp.CSS(`.where .field-error`)))
	b.do("a good one", typeInto(`#w-addr`, "3 rue Kervégan"), typeInto(`#w-lat`, "47.2103"), chromedp.Click(chromedp.CSS(`.set-where`)),
		chromedp.WaitNotPresent(chromedp.CSS(`.where .field-error`)), chromedp.WaitVisible(chromedp.CSS(card(mia)+` .dist`)))
	// open restaurants first
	b.poll(`document.querySelector('.restaurant-card').dataset.key === '` + mia + `'`)

	b.do("the menu", chromedp.Click(chromedp.CSS(card(mia)+` a`)), chromedp.WaitVisible(chromedp.CSS(`.product[data-product="wrap"] .add`)))
	wrap := `.product[data-product="wrap"]`
	b.do("an option left unchosen", chromedp.Click(chromedp.CSS(wrap+` .add`)), chromedp.Click(chromedp.CSS(wrap+` .add-confirm`)),
		chromedp.WaitVisible(chromedp.CSS(wrap+` .option[data-option="sauce"] .field-error`)))
	if msg := b.text(wrap + ` .option .field-error`); msg != "Choose 1." {
		t.Fatalf("option message: %q", msg)
	}
	b.do("harissa", chromedp.Click(chromedp.CSS(wrap+` input[value="harissa"]`)), chromedp.Click(chromedp.CSS(wrap+` .add-confirm`)),
		chromedp.WaitVisible(chromedp.CSS(`.cart-lines li[data-line="1"][data-product="wrap"]`)))
	b.do("below the minimum", chromedp.WaitVisible(chromedp.CSS(`.quote[data-state="error"] .form-error[data-code="below_minimum"]`)))
	b.do("a lemonade", chromedp.Click(chromedp.CSS(`.product[data-product="lemonade"] .add`)),
		chromedp.WaitVisible(chromedp.CSS(`.quote[data-state="ok"] .delivery-fee`)))
	b.do("a 2 € tip", chromedp.Click(chromedp.CSS(`.tip input[value="200"]`)), chromedp.WaitVisible(chromedp.CSS(`.quote[data-state="ok"][data-total="1550"]`)))
	b.do("a tip that is not an amount", chromedp.Click(chromedp.CSS(`.tip input[value="other"]`)), typeInto(`.tip-other`, "lots"),
		chromedp.WaitVisible(chromedp.CSS(`.tip .field-error`)))
	b.do("1.50", typeInto(`.tip-other`, "1.50"), chromedp.WaitVisible(chromedp.CSS(`.quote[data-state="ok"][data-total="1500"]`)))
	// 700 + 300 items, 350 delivery, 150 tip; the explanation names the rule
	b.do("how the fee was worked out", chromedp.Click(chromedp.CSS(`.quote .explain summary`)), chromedp.WaitVisible(chromedp.CSS(`.quote .explain li.matched`)))
	if got := b.text(`.quote`); !strings.Contains(got, "standard") || !strings.Contains(got, "3.50") {
		t.Fatalf("quote: %q", got)
	}
	// a slot, when the restaurant offers one
	slot := false
	if slot = b.pickSecondDay(); slot {
		b.do("the quote for the slot", chromedp.WaitVisible(chromedp.CSS(`.quote[data-state="ok"][data-total="1500"]`)))
	}
	published := c.cust.Stats(ctx).Published
	b.do("checkout without a name", chromedp.Click(chromedp.CSS(`.checkout`)), chromedp.WaitVisible(chromedp.CSS(`#c-name[aria-invalid="true"]`)))
	if msg := b.text(`#c-name + .field-error`); !strings.Contains(msg, "Type your name") {
		t.Fatalf("name message: %q", msg)
	}
	if c.cust.Stats(ctx).Published != published {
		t.Fatal("a refused checkout signed something")
	}
	b.do("checkout", typeInto(`#c-name`, "Léa"), typeInto(`#c-phone`, "0612345678"), chromedp.Click(chromedp.CSS(`.checkout`)),
		chromedp.WaitVisible(chromedp.CSS(`.tracking[data-status="placed"] .pin-code`)))
	id, err := crdt.ParseID(b.attr(`.tracking`, "data-order"))
	must(t, err)
	pin := b.attr(`.pin-code`, "data-pin")
	if len(pin) != 4 {
		t.Fatalf("PIN %q", pin)
	}
	// the restaurant reads the sealed details; the order carries the slot chosen
	s, err := c.resto.WaitOrder(ctx, id, func(*crdt.OrderState) bool { return true })
	must(t, err)
	if s.Place.Totals.TotalCents != 1500 || s.Place.Totals.TipCents != 150 {
		t.Fatalf("totals %+v", s.Place.Totals)
	}
	if slot && s.Place.Slot.Start == 0 {
		t.Fatal("the order has no slot")
	}
	pd, err := c.resto.PersonalDataOf(ctx, id)
	must(t, err)
	if pd.Name != "Léa" || pd.Address != "3 rue Kervégan" || pd.Phone != "0612345678" {
		t.Fatalf("personal data %+v", pd)
	}

	step := func(what, name string) {
		t.Helper()
		b.do(what, chromedp.WaitVisible(chromedp.CSS(`.timeline li[data-step="`+name+`"][data-done="1"]`)))
	}
	must(t, c.resto.Accept(ctx, id, 15))
	step("accepted, live", "accepted")
	c.claimWon(ana, id)
	step("a courier", "courier")
	must(t, ana.StartTask(ctx, id, 1))
	c.eventually("the claim confirmed at the customer", func() bool {
		s, err := c.cust.Order(ctx, id)
		return err == nil && s.HolderConfirmed && s.Pickup.Status == crdt.TaskDoing
	})
	courierAt := crdt.Position{LatE6: 47_216_000, LonE6: -1_555_000}
	c.eventually("the courier's position at the customer", func() bool {
		if _, err := c.cust.Tracking(ctx, id); err == nil {
			return true
		}
		_, _ = ana.UpdatePosition(ctx, courierAt) // within protocol.TrackEvery the node drops it; sent again after
		return false
	})
	b.do("the courier on the map", chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`.map [data-point="courier"][data-pos="%d,%d"]`, courierAt.LatE6, courierAt.LonE6))),
		chromedp.WaitVisible(chromedp.CSS(`.eta[data-eta]`)))
	if eta, _ := strconv.ParseInt(b.attr(`.eta`, "data-eta"), 10, 64); eta < time.Now().UnixMilli() {
		t.Fatalf("ETA %d in the past", eta)
	}
	must(t, ana.Pickup(ctx, id))
	step("picked up", "picked_up")
	must(t, ana.StartTask(ctx, id, 2))
	must(t, ana.Deliver(ctx, id, crdt.Proof{PIN: pin}))
	step("delivered", "delivered")
	b.do("the rating form", chromedp.WaitVisible(chromedp.CSS(`.tracking[data-status="delivered"] form.rate`)))
	published = c.cust.Stats(ctx).Published
	b.do("no stars", chromedp.Click(chromedp.CSS(`.send-rating`)), chromedp.WaitVisible(chromedp.CSS(`form.rate .field-error`)))
	if c.cust.Stats(ctx).Published != published {
		t.Fatal("an empty rating signed something")
	}
	b.do("rate", chromedp.Click(chromedp.CSS(`[data-stars="restaurant"] input[value="4"]`)), chromedp.Click(chromedp.CSS(`[data-stars="courier"] input[value="5"]`)),
		typeInto(`#r-comment`, "Still warm"), chromedp.Click(chromedp.CSS(`.send-rating`)), chromedp.WaitVisible(chromedp.CSS(`.rated`)))
	r, err := c.resto.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Rating != nil })
	must(t, err)
	if r.Rating.RestaurantStars != 4 || r.Rating.CourierStars != 5 || r.Rating.Comment != "Still warm" {
		t.Fatalf("rating %+v", r.Rating)
	}
	b.do("my orders", chromedp.Click(chromedp.CSS(`a[href="#/customer/orders"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.my-orders li[data-order="`+id.String()+`"][data-status="delivered"]`)))
	ce.check(t)
}

// attrN is the attribute of the n-th (0-based) element matching sel.
func (b tab) attrN(sel string, n int, name string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelectorAll(%q)[%d].getAttribute(%q)`, sel, n, name)))
	if err != nil {
		b.t.Fatalf("%s[%d] %s: %v", sel, n, name, err)
	}
	return v
}

// claimWon has courier n claim the accepted order id, once it has it,
// and checks the claim won.
func (c *coop) claimWon(n *node.Node, id crdt.ID) {
	c.t.Helper()
	c.eventually("the courier has the accepted order", func() bool {
		s, err := n.Order(c.ctx, id)
		return err == nil && s.Status == crdt.StatusAccepted
	})
	claim, err := n.Claim(c.ctx, id, restoPos)
	must(c.t, err)
	if res, err := n.AwaitClaim(c.ctx, id, claim); err != nil || !res.Won {
		c.t.Fatalf("claim: %+v %v", res, err)
	}
}
