package webapp_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
)

// TestRestaurantSettings (issue 15, the restaurant's settings): rush mode
// and auto-accept switched on in one tap each reach the customer's node,
// and an order placed then is accepted by the restaurant's node by
// itself; a bad opening-hours line is refused by the node with its path
// and shown by the hours field, a closing that ends before it starts and
// an empty name are refused by their fields, and a time zone the node
// does not know by its field, nothing published; fixed, the hours and
// the closing reach the customer. Then the restaurant requests a parcel
// delivery: a drop-off outside the coop's zone is refused by its position,
// a good one is priced and published as a job couriers see.
func TestRestaurantSettings(t *testing.T) {
	c := newCoop(t)
	ctx := c.ctx
	link := c.serve(c.resto)
	b := tab{t, newBrowser(t, ctx)}
	base := strings.Replace(link, "/login?", "/?", 1)
	profile := func(n *node.Node) *crdt.CatalogProfile {
		rs, err := n.Restaurants(ctx)
		if err != nil || len(rs) != 1 {
			return nil
		}
		return rs[0].Profile
	}

	b.do("the settings", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`.restaurant .live.on`)),
		chromedp.Click(chromedp.CSS(`.nav a[href="#/restaurant/profile"]`)), chromedp.WaitVisible(chromedp.CSS(`.settings .live.on`)))
	b.do("rush mode", chromedp.Click(chromedp.CSS(`button.toggle.rush`)), chromedp.WaitVisible(chromedp.CSS(`.settings[data-rush=true] button.toggle.rush.on`)))
	b.do("auto-accept", chromedp.Click(chromedp.CSS(`button.toggle.auto_accept`)), chromedp.WaitVisible(chromedp.CSS(`.settings[data-auto=true]`)))
	c.eventually("rush and auto-accept at the customer", func() bool { p := profile(c.cust); return p != nil && p.Rush && p.AutoAccept })
	cart := market.Cart{Restaurant: c.resto.Key(), Fulfilment: crdt.FulfilDelivery, Dropoff: homePos,
		Items: []market.CartItem{{Product: "wrap", Quantity: 2, Options: []string{"tahini"}}}}
	id, _, err := c.cust.Checkout(ctx, cart, node.PersonalData{Name: "Léa", Dropoff: homePos}, "4321")
	must(t, err)
	if _, err := c.cust.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusAccepted }); err != nil {
		t.Fatalf("auto-accepted: %v", err)
	}

	published := c.resto.Stats(ctx).Published
	hours := `.hours-form textarea[name=hours]`
	b.do("a bad hours line", setValue(hours, "Mo-Fr 11:30-14:30\nSu 25:00-26:00"), chromedp.Click(chromedp.CSS(`.hours-form button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(hours+`[aria-invalid=true]`)))
	if msg := b.text(`.hours-form .field.wide .field-error`); msg == "" {
		t.Fatal("no message by the hours")
	}
	b.do("a closing ending before it starts", setValue(hours, "Mo-Fr 11:30-14:30\nSa 12:00-15:00"), chromedp.Click(chromedp.CSS(`.hours-form .add-closing`)),
		setValue(`.hours-form input[name=end0]`, "2020-01-01T10:00"), chromedp.Click(chromedp.CSS(`.hours-form button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`.hours-form input[name=end0][aria-invalid=true]`)))
	b.do("an empty name", typeFresh(`.profile-form input[name=name]`, " "), chromedp.Click(chromedp.CSS(`.profile-form button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`.profile-form input[name=name][aria-invalid=true]`)))
	b.do("an unknown time zone", typeFresh(`.profile-form input[name=name]`, "Chez Mia"), typeFresh(`.profile-form input[name=timezone]`, "Mars/Olympus"),
		chromedp.Click(chromedp.CSS(`.profile-form button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`.profile-form input[name=timezone][aria-invalid=true]`)))
	if code := b.attr(`.profile-form .field:has(input[name=timezone]) .field-error`, "data-code"); code != "bad_timezone" {
		t.Fatalf("time zone refused with %q", code)
	}
	if c.resto.Stats(ctx).Published != published {
		t.Fatal("a refused profile was published")
	}
	b.do("hours and a closing", setValue(`.hours-form input[name=end0]`, "2099-01-02T10:00"), setValue(`.hours-form input[name=start0]`, "2099-01-01T10:00"),
		typeFresh(`.hours-form input[name=reason0]`, "holidays"), chromedp.Click(chromedp.CSS(`.hours-form button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`.hours-form .closing input[name=reason0]`)))
	c.eventually("hours and closing at the customer", func() bool {
		p := profile(c.cust)
		return p != nil && len(p.Hours) == 2 && p.Hours[1] == "Sa 12:00-15:00" && len(p.Closings) == 1 && p.Closings[0].Reason == "holidays" && p.Rush
	})

	// a parcel: first outside the coop's zone (Paris), then in Nantes
	b.do("a parcel outside the zone", chromedp.Navigate(base+"#/restaurant/parcel"), chromedp.WaitVisible(chromedp.CSS(`.parcel-form`)),
		typeFresh(`.parcel-form input[name=lat0]`, "48.8566"), typeFresh(`.parcel-form input[name=lon0]`, "2.3522"),
		typeFresh(`.parcel-form input[name=ref0]`, "INV-42"), chromedp.Click(chromedp.CSS(`.parcel-form button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`.parcel-form input[name=lat0][aria-invalid=true]`)))
	if code := b.attr(`.parcel-form .field:has(input[name=lat0]) .field-error`, "data-code"); code != "outside_zone" {
		t.Fatalf("parcel refused with %q", code)
	}
	b.do("a parcel in Nantes", typeFresh(`.parcel-form input[name=lat0]`, "47.2103"), typeFresh(`.parcel-form input[name=lon0]`, "-1.5604"),
		chromedp.Click(chromedp.CSS(`.parcel-form button.primary`)), chromedp.WaitVisible(chromedp.CSS(`.parcel .done[data-order]`)))
	pid, err := crdt.ParseID(b.attr(`.parcel .done`, "data-order"))
	must(t, err)
	if msg := b.text(`.parcel .done`); !strings.Contains(msg, "€3.50") {
		t.Fatalf("parcel confirmation %q", msg)
	}
	c.eventually("the parcel at the admin's node", func() bool { s, err := c.admin.Order(ctx, pid); return err == nil && s.Place.Parcel })
}
