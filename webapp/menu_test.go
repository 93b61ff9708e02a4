package webapp_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestMenuEditorFieldErrors (issue 15, scenario 4 in part): in the
// restaurant's menu editor, a negative price and an option whose fewest
// choices are above its most are refused by the node with the field's
// path, shown by that field, and nothing is published; once fixed, the
// menu is published and reaches the customer's node.
func TestMenuEditorFieldErrors(t *testing.T) {
	c := newCoop(t)
	link := c.serve(c.resto)
	b := tab{t, newBrowser(t, c.ctx)}
	ctx := c.ctx
	version := func() uint64 {
		rs, err := c.resto.Restaurants(ctx)
		must(t, err)
		return rs[0].Version
	}
	before := version()
	published := c.resto.Stats(ctx).Published

	price := `input[data-path="sections[0].products[0].price_cents"]`
	minSel := `input[data-path="sections[0].products[0].options[0].min"]`
	publish := chromedp.Click(chromedp.CSS(`.menu-actions button.primary`))
	b.do("open the menu editor", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`.restaurant .live.on`)),
		chromedp.Navigate(strings.Replace(link, "/login?", "/?", 1)+"#/restaurant/menu"), chromedp.WaitVisible(chromedp.CSS(price)))
	if v := b.eval(`parseFloat(document.querySelector('` + price + `').value)`); v != 6.5 {
		t.Fatalf("the editor shows price %v, want 6.50", v)
	}

	b.do("a negative price", typeInto(price, "-1"), publish, chromedp.WaitVisible(chromedp.CSS(price+`[aria-invalid=true]`)))
	if msg := b.text(`#m-sections-0-products-0-price-cents-err`); msg != "Enter a price of zero or more, like 6.50." {
		t.Fatalf("price message %q", msg)
	}
	b.do("max below min", typeInto(price, "7.00"), typeInto(minSel, "3"), publish,
		chromedp.WaitVisible(chromedp.CSS(minSel+`[aria-invalid=true]`)))
	if msg := b.text(`#m-sections-0-products-0-options-0-min-err`); msg != "The most choices must be at least the fewest." {
		t.Fatalf("min/max message %q", msg)
	}
	if version() != before || c.resto.Stats(ctx).Published != published {
		t.Fatal("a refused menu was published")
	}

	b.do("fixed", typeInto(minSel, "1"), publish, chromedp.WaitVisible(chromedp.CSS(`.menu-state.saved`)))
	c.eventually("the new price at the customer", func() bool {
		rs, err := c.cust.Restaurants(ctx)
		return err == nil && len(rs) == 1 && rs[0].Menu != nil && rs[0].Menu.Sections[0].Products[0].PriceCents == 700
	})
}
