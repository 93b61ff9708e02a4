package webapp_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
)

// applied records when the restaurant's node applied each order event
// (its change reached subscribers: the moment the API's event stream
// sends it), keyed by order and kind.
type applied struct {
	mu sync.Mutex
	at map[string]time.Time
}

func watchApplied(t testing.TB, n *node.Node) *applied {
	a := &applied{at: map[string]time.Time{}}
	sub := n.Subscribe(256)
	t.Cleanup(sub.Close)
	go func() {
		for ch := range sub.C {
			now := time.Now()
			if ch.Scope == "order" {
				a.mu.Lock()
				if _, seen := a.at[ch.ID.String()+" "+ch.Kind]; !seen {
					a.at[ch.ID.String()+" "+ch.Kind] = now
				}
				a.mu.Unlock()
			}
		}
	}()
	return a
}

func (a *applied) get(id crdt.ID, kind string) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	at, ok := a.at[id.String()+" "+kind]
	return at, ok
}

// tab runs browser steps with a deadline.
type tab struct {
	t   testing.TB
	ctx context.Context
}

func (b tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		html, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`JSON.stringify([...document.querySelectorAll('.field-error,.form-error,[aria-invalid],[role=alert]')].map(e => (e.id || e.dataset.path || e.dataset.code) + ': ' + e.textContent)) + ' ' + (document.querySelector('.popup')||document.getElementById('main')||document.body).outerHTML.slice(0, 1500)`))
		b.t.Fatalf("%s: %v\npage: %s", what, err, html)
	}
}

func (b tab) attr(sel, name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	r, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil || !r.Exists {
		b.t.Fatalf("%s[%s]: %v", sel, name, err)
	}
	return r.Value
}

func (b tab) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// poll waits until the JavaScript expression is truthy.
func (b tab) poll(expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		b.t.Fatalf("waiting for %s: %v", expr, err)
	}
}

func (b tab) eval(expr string) float64 {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[float64](expr))
	if err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// typeInto replaces an input's text as a person would (input events).
func typeInto(sel, text string) chromedp.Action[chromedp.Void] {
	q, _ := json.Marshal(sel)
	return chromedp.Steps(chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`(e => (e.value = "", true))(document.querySelector(`+string(q)+`))`)(ctx, t)
			return err
		}),
		chromedp.SendKeys(chromedp.CSS(sel), text))
}

// latency is how long after the node applied the event the pop-up showed.
func (b tab) latency(popup string, at time.Time) time.Duration {
	b.t.Helper()
	// the stamp is set by an effect that runs after the paint, so the
	// element can be visible a frame before it carries data-shown-at
	b.do("the pop-up's shown-at stamp", chromedp.WaitReady(chromedp.CSS(popup+`[data-shown-at]`)))
	ms, err := strconv.ParseInt(b.attr(popup, "data-shown-at"), 10, 64)
	if err != nil {
		b.t.Fatalf("data-shown-at: %v", err)
	}
	return time.UnixMilli(ms).Sub(at.Truncate(time.Millisecond))
}

func (c *coop) appliedAt(a *applied, id crdt.ID, kind string) time.Time {
	c.t.Helper()
	var at time.Time
	c.eventually(kind+" applied at the restaurant", func() bool { var ok bool; at, ok = a.get(id, kind); return ok })
	return at
}

// TestRestaurantAlerts (issue 15, scenarios 2 and 4 in part): a customer's
// node checks out; the restaurant's page, following its node's event
// stream, shows the pop-up and plays the alert; bad input in the pop-up's
// forms gets its message by the field and signs nothing; the restaurant
// accepts in the browser; a second order cancelled by the customer before
// acceptance alerts again. Prints the alert latencies and the first paint.
func TestRestaurantAlerts(t *testing.T) {
	c := newCoop(t)
	link := c.serve(c.resto)
	b := tab{t, newBrowser(t, c.ctx)}
	seen := watchApplied(t, c.resto)
	ctx := c.ctx

	b.do("open the login link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`.restaurant .live.on`)))
	b.poll(`window.coopnodeFirstPaint > 0`)
	t.Logf("restaurant dashboard first paint (navigation start, login redirect included → open orders painted): %.0f ms", b.eval(`window.coopnodeFirstPaint`))
	if got := b.text(`.top .who`); got != "Chez Mia" {
		t.Fatalf("header names %q", got)
	}

	cart := market.Cart{Restaurant: c.resto.Key(), Fulfilment: crdt.FulfilDelivery, TipCents: 150, Dropoff: homePos,
		Items: []market.CartItem{{Product: "wrap", Quantity: 2, Options: []string{"harissa"}}, {Product: "lemonade", Quantity: 1}}}
	id1, _, err := c.cust.Checkout(ctx, cart, node.PersonalData{Name: "Léa", Phone: "0612", Dropoff: homePos}, "4321")
	must(t, err)
	at := c.appliedAt(seen, id1, "order.place")
	popup := `.popup[data-type="new"][data-order="` + id1.String() + `"]`
	b.do("the new-order pop-up", chromedp.WaitVisible(chromedp.CSS(popup)))
	b.poll(`window.coopnodeAlerts >= 1`)
	t.Logf("new order: applied on the restaurant's node → pop-up shown: %v", b.latency(popup, at))
	if items := b.text(popup + ` .items`); !strings.Contains(items, "2× Falafel wrap (Harissa)") || !strings.Contains(items, "1× Lemonade") {
		t.Fatalf("pop-up items: %q", items)
	}

	// bad input: nothing is signed, the message sits by its field
	steps := func() int { o, err := c.resto.Order(ctx, id1); must(t, err); return len(o.Steps) }
	published := c.resto.Stats(ctx).Published
	before := steps()
	b.do("accept with prep time abc", typeInto(popup+` .accept input[name=prep_minutes]`, "abc"), chromedp.Click(chromedp.CSS(popup+` .accept button`)),
		chromedp.WaitVisible(chromedp.CSS(popup+` .accept .field-error`)))
	if msg := b.text(popup + ` .accept .field-error`); !strings.Contains(msg, "1 to 1440") {
		t.Fatalf("prep time message: %q", msg)
	}
	if v := b.attr(popup+` .accept input[name=prep_minutes]`, "aria-invalid"); v != "true" {
		t.Fatalf("prep input aria-invalid=%q", v)
	}
	b.do("refuse with no reason", chromedp.Click(chromedp.CSS(popup+` .refuse button`)),
		chromedp.WaitVisible(chromedp.CSS(popup+` .refuse .field-error[data-code="bad_reason"]`)))
	if msg := b.text(popup + ` .refuse .field-error`); msg != "Pick a reason from the list." {
		t.Fatalf("refusal message: %q", msg)
	}
	if steps() != before || c.resto.Stats(ctx).Published != published {
		t.Fatal("a refused form signed something")
	}

	b.do("accept in 20 min", typeInto(popup+` .accept input[name=prep_minutes]`, "20"), chromedp.Click(chromedp.CSS(popup+` .accept button`)),
		chromedp.WaitNotPresent(chromedp.CSS(popup)))
	for _, n := range []*node.Node{c.resto, c.cust} {
		if _, err := n.WaitOrder(ctx, id1, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusAccepted && s.PrepMinutes == 20 }); err != nil {
			t.Fatalf("accepted with 20 min: %v", err)
		}
	}
	b.do("the order in the kitchen column", chromedp.WaitVisible(chromedp.CSS(`.columns .order.status-accepted[data-order="`+id1.String()+`"]`)))

	// a second order, cancelled by the customer before acceptance
	id2, _, err := c.cust.Checkout(ctx, cart, node.PersonalData{Name: "Tom", Dropoff: homePos}, "1111")
	must(t, err)
	at = c.appliedAt(seen, id2, "order.place")
	popup2 := `.popup[data-type="new"][data-order="` + id2.String() + `"]`
	b.do("the second pop-up", chromedp.WaitVisible(chromedp.CSS(popup2)))
	b.poll(`window.coopnodeAlerts >= 2`)
	t.Logf("second order: applied → pop-up shown: %v", b.latency(popup2, at))
	b.do("later", chromedp.Click(chromedp.CSS(popup2+` .close`)), chromedp.WaitNotPresent(chromedp.CSS(popup2)))
	must(t, c.cust.Cancel(ctx, id2, crdt.ReasonCustomer))
	at = c.appliedAt(seen, id2, "order.cancel")
	cancelled := `.popup[data-type="cancel"][data-order="` + id2.String() + `"]`
	b.do("the cancellation pop-up", chromedp.WaitVisible(chromedp.CSS(cancelled)))
	b.poll(`window.coopnodeAlerts >= 3`)
	t.Logf("cancellation: applied → pop-up shown: %v", b.latency(cancelled, at))
	b.do("ok", chromedp.Click(chromedp.CSS(cancelled+` .close`)), chromedp.WaitNotPresent(chromedp.CSS(cancelled)))
	b.poll(`document.querySelector('[data-today-count]').textContent.startsWith('1 ')`)

	// the kitchen ticket of the accepted order: items, the customer's
	// name (shared with the restaurant), and a print layout without the
	// app's chrome
	b.do("the ticket", chromedp.Click(chromedp.CSS(`.order[data-order="`+id1.String()+`"] .ticket-link`)),
		chromedp.WaitVisible(chromedp.CSS(`.ticket .customer`)))
	if got := b.text(`.ticket`); !strings.Contains(got, "2× Falafel wrap (Harissa)") || !strings.Contains(got, "Léa") {
		t.Fatalf("ticket: %q", got)
	}
	b.do("print media", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	}))
	b.poll(`getComputedStyle(document.querySelector('.nav')).display === 'none' && getComputedStyle(document.querySelector('.no-print')).display === 'none' && getComputedStyle(document.querySelector('.ticket')).display !== 'none'`)
}
