package webapp_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
)

// screenshot captures the tab; with -update it writes docs/screens/name.
func screenshot(t *testing.T, b tab, name string) {
	t.Helper()
	cctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	img, err := chromedp.Run(cctx, chromedp.CaptureScreenshot())
	must(t, err)
	if _, err := png.Decode(bytes.NewReader(img)); err != nil {
		t.Fatalf("%s: not a PNG: %v", name, err)
	}
	if *update {
		must(t, os.WriteFile(filepath.Join("..", "docs", "screens", name), img, 0o644))
		t.Logf("wrote docs/screens/%s (%d bytes)", name, len(img))
	}
}

// TestScreenshotsCoop renders the cooperative's screens on real nodes and,
// with -update, writes docs/screens/coop-governance.png (the decisions
// list), coop-proposal.png (a pay vote with its results), coop-members.png,
// coop-pricing.png (the live preview), coop-shifts.png, coop-books.png,
// dispatch-board.png
// and restaurant-settings.png. Without -update it checks that each renders.
func TestScreenshotsCoop(t *testing.T) {
	c := newCoop(t)
	ctx := c.ctx
	must(t, c.admin.Admit(ctx, c.admin.Key(), crdt.RoleAdmin|crdt.RoleDispatcher, "Camille"))
	must(t, c.admin.AmendConstitution(ctx, crdt.Constitution{DropNoticeMin: 120, HeadStartSec: 60, Matters: []crdt.MatterRule{
		{Matter: crdt.MatterPay, Rule: crdt.RuleMajority, Role: crdt.RoleCourier}, {Matter: crdt.MatterConstitution, Rule: crdt.RuleTwoThirds}}}))
	couriers := map[string]*node.Node{}
	for _, name := range []string{"Ana", "Bruno", "Chloé", "Dario"} {
		n := c.start(strings.ToLower(name), node.RoleCourier)
		must(t, c.admin.Admit(ctx, n.Key(), crdt.RoleCourier, name))
		couriers[name] = n
	}
	for _, n := range couriers {
		c.eventually("members everywhere", func() bool { cs, err := n.CoopState(ctx); return err == nil && len(cs.Members) == 6 })
	}
	rise := testRules()
	rise.Version, rise.Pay.BaseCents, rise.Pay.MinCents = 2, 450, 500
	now := time.Now()
	pid, err := couriers["Ana"].Propose(ctx, crdt.ProposalOpen{Title: "Base pay 4.50 per delivery", Text: "Raise the base pay from 3.00 to 4.50 and the minimum to 5.00.\nPrices stay as they are.",
		Closes: now.Add(72 * time.Hour).UnixMilli(), Rule: crdt.RuleMajority, Role: crdt.RoleCourier, Decision: crdt.Decision{Kind: crdt.KindRulesSet, Rules: rise}})
	must(t, err)
	_, err = c.admin.Propose(ctx, crdt.ProposalOpen{Title: "Weekly open books meeting", Text: "Every Monday at 18:00.", Closes: now.Add(48 * time.Hour).UnixMilli(), Rule: crdt.RuleConsent, Blocks: 2})
	must(t, err)
	for name, n := range couriers {
		c.eventually("the proposal at "+name, func() bool { _, err := n.Tally(ctx, pid); return err == nil })
	}
	must(t, couriers["Ana"].Vote(ctx, pid, crdt.ChoiceAgree, "we earn too little on short trips"))
	must(t, couriers["Bruno"].Vote(ctx, pid, crdt.ChoiceAgree, ""))
	must(t, couriers["Chloé"].Vote(ctx, pid, crdt.ChoiceDisagree, "raise per km instead"))
	must(t, couriers["Dario"].Delegate(ctx, pid, couriers["Ana"].Key()))
	c.eventually("the votes at the admin", func() bool { tl, err := c.admin.Tally(ctx, pid); return err == nil && tl.Turnout == 4 })

	start := now.Truncate(time.Hour).Add(time.Hour)
	for i, needed := range []uint32{3, 2} {
		s := start.Add(time.Duration(i) * 5 * time.Hour)
		sid, err := c.admin.PlanShift(ctx, crdt.ShiftPlan{Start: s.UnixMilli(), End: s.Add(4 * time.Hour).UnixMilli(), Zone: "city", Needed: needed, GuaranteeCents: 1200, Note: []string{"lunch", "dinner"}[i]})
		must(t, err)
		for name, n := range couriers {
			c.eventually("the shift at "+name, func() bool { ss, err := n.Shifts(ctx); return err == nil && len(ss) == i+1 })
		}
		must(t, couriers[[]string{"Ana", "Chloé"}[i]].SignUp(ctx, sid))
		if i == 0 {
			must(t, couriers["Bruno"].SignUp(ctx, sid))
		}
	}
	cart := market.Cart{Restaurant: c.resto.Key(), Fulfilment: crdt.FulfilDelivery, TipCents: 100, Dropoff: homePos,
		Items: []market.CartItem{{Product: "wrap", Quantity: 2, Options: []string{"tahini"}}}}
	var orders []crdt.ID
	for i := 0; i < 3; i++ {
		id, _, err := c.cust.Checkout(ctx, cart, node.PersonalData{Name: "Léa", Dropoff: homePos}, "4321")
		must(t, err)
		_, err = c.resto.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusPlaced })
		must(t, err)
		must(t, c.resto.Accept(ctx, id, 15))
		orders = append(orders, id)
	}
	c.eventually("the orders at the admin", func() bool {
		for _, id := range orders {
			if s, err := c.admin.Order(ctx, id); err != nil || s.Status != crdt.StatusAccepted {
				return false
			}
		}
		return true
	})
	must(t, c.admin.Assign(ctx, orders[0], couriers["Bruno"].Key()))

	link := c.serve(c.admin)
	b := tab{t, newBrowser(t, ctx)}
	base := strings.Replace(link, "/login?", "/?", 1)
	b.do("log in", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`.nav a[href="#/coop/governance"]`)))
	b.do("decisions", chromedp.Navigate(base+"#/coop/governance"), chromedp.WaitVisible(chromedp.CSS(`.governance .live.on`)),
		chromedp.WaitVisible(chromedp.CSS(`.proposal[data-proposal="`+pid.String()+`"]`)))
	screenshot(t, b, "coop-governance.png")
	b.do("members", chromedp.Navigate(base+"#/coop/members"), chromedp.WaitVisible(chromedp.CSS(`.members .live.on`)))
	screenshot(t, b, "coop-members.png")
	b.do("pricing", chromedp.Navigate(base+"#/coop/pricing"), chromedp.WaitVisible(chromedp.CSS(`.pricing .preview[data-fee]`)))
	screenshot(t, b, "coop-pricing.png")
	b.do("shifts", chromedp.Navigate(base+"#/coop/shifts"), chromedp.WaitVisible(chromedp.CSS(`.shifts[data-count="2"] .shift`)))
	screenshot(t, b, "coop-shifts.png")
	b.do("dispatch", chromedp.Navigate(base+"#/dispatch"), chromedp.WaitVisible(chromedp.CSS(`.dispatch[data-open="2"] .dcol[data-courier="`+couriers["Bruno"].Key().String()+`"] .dcard`)))
	screenshot(t, b, "dispatch-board.png")
	b.do("books", chromedp.Navigate(base+"#/coop/books"), chromedp.WaitVisible(chromedp.CSS(`.books .digest-value`)))
	screenshot(t, b, "coop-books.png")

	// the proposal as a courier sees it: the ballot, then the results
	alink := c.serve(couriers["Chloé"])
	ab := tab{t, newBrowser(t, ctx)}
	ab.do("the proposal", chromedp.EmulateViewport(1280, 1500), chromedp.Navigate(alink), chromedp.WaitVisible(chromedp.CSS(`.nav a[href="#/coop/governance"]`)),
		chromedp.Navigate(strings.Replace(alink, "/login?", "/?", 1)+"#/coop/governance/"+pid.String()),
		chromedp.WaitVisible(chromedp.CSS(`.proposal-page[data-turnout="4"] table.votes`)), chromedp.WaitVisible(chromedp.CSS(`form.vote`)))
	screenshot(t, ab, "coop-proposal.png")

	rlink := c.serve(c.resto)
	rb := tab{t, newBrowser(t, ctx)}
	rb.do("restaurant settings", chromedp.Navigate(rlink), chromedp.WaitVisible(chromedp.CSS(`.restaurant .live.on`)),
		chromedp.Navigate(strings.Replace(rlink, "/login?", "/?", 1)+"#/restaurant/profile"), chromedp.WaitVisible(chromedp.CSS(`.settings .live.on`)))
	screenshot(t, rb, "restaurant-settings.png")
}
