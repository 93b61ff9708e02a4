package webapp_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
)

// TestCourierClaimRace (issue 15, scenario 3): two courier nodes, each with
// its own browser (its own login cookies), see the order the restaurant
// accepted in "Jobs near me" and both click Claim: one page shows "won",
// the other "lost" naming the winner. The winner's page then runs the
// task flow (start, picked up, start the delivery, the cash taken at the
// door, a wrong PIN refused by its field, the right PIN) and the order is
// delivered and paid in cash on the restaurant's node. Prints claim click → outcome shown for both pages.
func TestCourierClaimRace(t *testing.T) {
	c := newCoop(t)
	ctx := c.ctx
	names := map[string]string{"ana": "Ana", "bruno": "Bruno"}
	couriers := map[string]*node.Node{}
	for _, k := range []string{"ana", "bruno"} {
		n := c.start(k, node.RoleCourier)
		must(t, c.admin.Admit(ctx, n.Key(), crdt.RoleCourier, names[k]))
		couriers[k] = n
	}
	cart := market.Cart{Restaurant: c.resto.Key(), Fulfilment: crdt.FulfilDelivery, TipCents: 150, Dropoff: homePos,
		Items: []market.CartItem{{Product: "wrap", Quantity: 2, Options: []string{"tahini"}}}}
	id, _, err := c.cust.Checkout(ctx, cart, node.PersonalData{Name: "Léa", Address: "3 rue Kervégan", Dropoff: homePos}, "4321")
	must(t, err)
	if _, err := c.resto.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusPlaced }); err != nil {
		t.Fatalf("placed at the restaurant: %v", err)
	}
	must(t, c.resto.Accept(ctx, id, 15))
	for k, n := range couriers {
		c.eventually(k+" knows both couriers and the accepted order", func() bool {
			cs, err := n.CoopState(ctx)
			s, oerr := n.Order(ctx, id)
			return err == nil && oerr == nil && len(cs.Members) >= 4 && s.Status == crdt.StatusAccepted
		})
	}

	// each courier's own browser, logged in to its own node
	tabs := map[string]tab{}
	job := `.job[data-order="` + id.String() + `"]`
	for _, k := range []string{"ana", "bruno"} {
		link := c.serve(couriers[k]) // served before the browser starts, so closed after it
		b := tab{t, newBrowser(t, ctx)}
		tabs[k] = b
		b.do(k+": log in and find jobs near the restaurant", chromedp.Navigate(link),
			chromedp.WaitVisible(chromedp.CSS(`.courier .position`)),
			typeInto(`#c-lat`, "47.2150"), typeInto(`#c-lon`, "-1.5550"), chromedp.Click(chromedp.CSS(`.courier .search`)),
			chromedp.WaitVisible(chromedp.CSS(job+` button.claim`)))
		// the distance to the pickup shows once the typed position is used
		b.poll(`document.querySelector('` + job + ` .distances').textContent.includes('km to the pickup')`)
	}
	// a typed position that is not one is refused by its field
	tabs["ana"].do("a bad latitude", typeInto(`#c-lat`, "north"), chromedp.Click(chromedp.CSS(`.courier .search`)),
		chromedp.WaitVisible(chromedp.CSS(`.courier .position .field-error`)))
	tabs["ana"].do("fixed", typeInto(`#c-lat`, "47.2150"), chromedp.Click(chromedp.CSS(`.courier .search`)),
		chromedp.WaitNotPresent(chromedp.CSS(`.courier .position .field-error`)))

	// both click Claim at once
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, b := range tabs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
			defer cancel()
			if err := chromedp.Do(cctx, chromedp.Click(chromedp.CSS(job+` button.claim`))); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("claim click: %v", err)
	}
	outcome := map[string]string{}
	for k, b := range tabs {
		b.poll(`(o => o && (o.dataset.outcome === 'won' || o.dataset.outcome === 'lost'))(document.querySelector('` + job + ` .claim-outcome'))`)
		outcome[k] = b.attr(job+` .claim-outcome`, "data-outcome")
		ms, _ := strconv.Atoi(b.attr(job+` .claim-outcome`, "data-claim-ms"))
		t.Logf("%s: claim click → outcome %q shown: %d ms (the claim waits for its confirmation): %q", k, outcome[k], ms, b.text(job+` .claim-outcome`))
	}
	winner, loser := "ana", "bruno"
	if outcome["bruno"] == "won" {
		winner, loser = loser, winner
	}
	if outcome[winner] != "won" || outcome[loser] != "lost" {
		t.Fatalf("outcomes %v: want one won and one lost", outcome)
	}
	if msg := tabs[loser].text(job + ` .claim-outcome`); !strings.Contains(msg, names[winner]) {
		t.Fatalf("the loser's page does not name %s: %q", names[winner], msg)
	}
	s, err := c.resto.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Holder == couriers[winner].Key() })
	if err != nil {
		t.Fatalf("holder at the restaurant: %v (%v)", err, s)
	}

	// the winner's task flow
	w := tabs[winner]
	task := `.task[data-order="` + id.String() + `"]`
	w.do("start the pickup", chromedp.Click(chromedp.CSS(task+` .start-pickup`)), chromedp.WaitVisible(chromedp.CSS(task+` .pickup`)))
	w.do("the address once confirmed", chromedp.WaitVisible(chromedp.CSS(task+` .address .street`)))
	if a := w.text(task + ` .address`); !strings.Contains(a, "3 rue Kervégan") || !strings.Contains(a, "Léa") {
		t.Fatalf("address: %q", a)
	}
	w.do("picked up", chromedp.Click(chromedp.CSS(task+` .pickup`)), chromedp.WaitVisible(chromedp.CSS(task+` .start-dropoff`)))
	w.do("start the delivery", chromedp.Click(chromedp.CSS(task+` .start-dropoff`)), chromedp.WaitVisible(chromedp.CSS(task+` input[name=pin]`)))
	w.do("cash taken at the door (SPEC.md §20.2)", chromedp.Click(chromedp.CSS(task+` .courier-payment[data-method="cash"] .pay-collect`)),
		chromedp.WaitVisible(chromedp.CSS(task+` .courier-payment[data-payment="paid"]`)))
	published := couriers[winner].Stats(ctx).Published
	w.do("a wrong PIN", typeFresh(task+` input[name=pin]`, "0000"), chromedp.Click(chromedp.CSS(task+` .delivered`)),
		chromedp.WaitVisible(chromedp.CSS(task+` .field-error[data-code="pin_mismatch"]`)))
	if msg := w.text(task + ` .field-error`); !strings.Contains(msg, "Wrong PIN") {
		t.Fatalf("wrong PIN message: %q", msg)
	}
	if couriers[winner].Stats(ctx).Published != published {
		t.Fatal("a refused PIN signed something")
	}
	w.do("the right PIN", typeFresh(task+` input[name=pin]`, "4321"), chromedp.Click(chromedp.CSS(task+` .delivered`)),
		chromedp.WaitNotPresent(chromedp.CSS(task)))
	if _, err := c.resto.WaitOrder(ctx, id, func(s *crdt.OrderState) bool {
		return s.Status == crdt.StatusDelivered && s.PaymentState() == crdt.PayPaid && s.Payment.Method == crdt.PayCash
	}); err != nil {
		t.Fatalf("delivered and paid in cash on the restaurant's node: %v", err)
	}
}

// typeFresh empties a controlled input as a person would (an input event,
// so the page's state is empty too and a re-render cannot bring the old
// text back), then types text.
func typeFresh(sel, text string) chromedp.Action[chromedp.Void] {
	q, _ := json.Marshal(sel)
	return chromedp.Steps(chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`(e => (e.value = "", e.dispatchEvent(new Event("input", {bubbles: true})), true))(document.querySelector(`+string(q)+`))`)(ctx, t)
			return err
		}),
		chromedp.Poll[chromedp.Void](`document.querySelector(`+string(q)+`).value === ""`),
		chromedp.SendKeys(chromedp.CSS(sel), text))
}
