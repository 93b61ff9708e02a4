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

// TestFrenchScreen (issue 15): in French the restaurant's screen reads
// French, amounts are in the coop's currency in the French format and
// times in the restaurant's zone (Europe/Paris) whatever the browser's.
func TestFrenchScreen(t *testing.T) {
	c := newCoop(t)
	link := c.serve(c.resto)
	b := tab{t, newBrowser(t, c.ctx)}
	cart := market.Cart{Restaurant: c.resto.Key(), Fulfilment: crdt.FulfilDelivery, Dropoff: homePos,
		Items: []market.CartItem{{Product: "wrap", Quantity: 2, Options: []string{"harissa"}}, {Product: "lemonade", Quantity: 1}}}
	id, _, err := c.cust.Checkout(c.ctx, cart, node.PersonalData{Name: "Léa", Dropoff: homePos}, "")
	must(t, err)
	o, err := c.resto.WaitOrder(c.ctx, id, func(*crdt.OrderState) bool { return true })
	must(t, err)
	card := `.order[data-order="` + id.String() + `"]`
	b.do("French", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`.restaurant .live.on`)),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`(localStorage.setItem('coopnode.locale', 'fr'), location.reload(), true)`)(ctx, tg)
			return err
		}),
		chromedp.WaitVisible(chromedp.CSS(card)))
	b.poll(`document.documentElement.lang === 'fr'`)
	if h := b.text(`.restaurant h1`); !strings.HasPrefix(h, "Commandes") {
		t.Fatalf("title %q", h)
	}
	total := b.text(card + ` .total strong`)
	want := strings.ReplaceAll(strings.ReplaceAll(total, "\u202f", " "), "\u00a0", " ")
	if want != "20,50 €" {
		t.Fatalf("total %q, want 20,50 € (the French format of the coop's EUR)", total)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	if meta := b.text(card + ` .meta`); !strings.HasPrefix(meta, time.UnixMilli(o.PlacedAt).In(paris).Format("15:04")) {
		t.Fatalf("placed at %q, want Paris time %s", meta, time.UnixMilli(o.PlacedAt).In(paris).Format("15:04"))
	}
}
