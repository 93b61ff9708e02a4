package webapp_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/coopnode/coopnode/node"
)

// TestCityCoops (issue 17, SPEC.md §22): the customer's "coops in your
// city" screen offers to follow a city while its node follows none; once
// the customer follows Nantes there (POST /v1/city) and the admin
// publishes its coop's card, the card reaches the customer's node by
// gossip and the page lists the coop by name, marked as the customer's
// coop, with its contact and zone count.
func TestCityCoops(t *testing.T) {
	c := newCoop(t)
	ctx := c.ctx
	link := c.serve(c.cust)
	b := tab{t, newBrowser(t, ctx)}
	b.do("the city screen", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`a[href="#/customer/city"]`)),
		chromedp.Click(chromedp.CSS(`a[href="#/customer/city"]`)), chromedp.WaitVisible(chromedp.CSS(`form.follow-city`)))
	b.do("follow Nantes", chromedp.SendKeys(chromedp.CSS(`#city-name`), "Nantes"), chromedp.Click(chromedp.CSS(`button.follow`)),
		chromedp.WaitVisible(chromedp.CSS(`.city-name`)))
	if city, _, err := c.cust.Directory(ctx); err != nil || city != "nantes" {
		t.Fatalf("the customer's node follows %q: %v", city, err)
	}
	must(t, c.admin.FollowCity(ctx, "Nantes"))
	// A card is ephemeral gossip: publish again until the customer's node
	// has it (its subscription to the city's topic may not have reached
	// the admin's mesh yet).
	var last time.Time
	c.eventually("the card at the customer", func() bool {
		if time.Since(last) > 500*time.Millisecond {
			_, err := c.admin.PublishCard(ctx, node.CardInfo{Zones: []string{"centre", "île"}, Contact: "hello@velo.coop"})
			must(t, err)
			last = time.Now()
		}
		_, cards, err := c.cust.Directory(ctx)
		return err == nil && len(cards) == 1
	})
	b.poll(`[...document.querySelectorAll('.city-coops[data-count="1"] .coop-card.mine h2')].some(e => e.textContent.includes('Vélo Coop'))`)
	if got := b.text(`.coop-card .contact`); got != "hello@velo.coop" {
		t.Fatalf("contact %q", got)
	}
	if got := b.attr(`.coop-card`, "data-coop"); got != c.id.String() {
		t.Fatalf("card of %s, want %s", got, c.id)
	}
	if b.eval(`document.querySelector('.coop-card .zones').textContent.includes('2') ? 1 : 0`) != 1 {
		t.Fatal("zones count not shown")
	}
}
