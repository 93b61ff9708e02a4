package webapp_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// TestShiftsInBrowser (issue 16, shifts in the web app): the constitution
// asks three hours' notice to drop a shift. The admin publishes a shift
// for two couriers starting within two hours (bad input first: no seats,
// an end before the start, refused by their fields, nothing signed). Ana
// signs up in her browser and Bruno on his node; the shift is full, so
// Chloé's sign-up is refused with shift_full; Ana's drop is refused with
// short_notice; Ana offers her seat to Chloé, whose page shows the offer
// live, and Chloé takes it: Bruno and Chloé are on the shift on every node.
func TestShiftsInBrowser(t *testing.T) {
	c := newCoop(t)
	ctx := c.ctx
	must(t, c.admin.AmendConstitution(ctx, crdt.Constitution{DropNoticeMin: 180}))
	couriers := map[string]*node.Node{}
	for _, name := range []string{"Ana", "Bruno", "Chloé"} {
		n := c.start(strings.ToLower(name), node.RoleCourier)
		must(t, c.admin.Admit(ctx, n.Key(), crdt.RoleCourier, name))
		couriers[name] = n
	}
	for name, n := range couriers {
		c.eventually(name+" knows the coop", func() bool {
			cs, err := n.CoopState(ctx)
			return err == nil && len(cs.Members) == 5 && cs.Constitution.DropNoticeMin == 180
		})
	}
	tabs := map[string]tab{}
	for name, n := range map[string]*node.Node{"admin": c.admin, "Ana": couriers["Ana"], "Chloé": couriers["Chloé"]} {
		link := c.serve(n)
		b := tab{t, newBrowser(t, ctx)}
		tabs[name] = b
		b.do(name+": shifts", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`.nav a[href="#/coop/shifts"]`)),
			chromedp.Click(chromedp.CSS(`.nav a[href="#/coop/shifts"]`)), chromedp.WaitVisible(chromedp.CSS(`.shifts .live.on`)))
	}

	admin := tabs["admin"]
	published := c.admin.Stats(ctx).Published
	form := `form.plan-shift`
	admin.do("no seats, an end before the start", typeFresh(form+` input[name=needed]`, "0"), setValue(form+` input[name=end]`, "2020-01-01T10:00"),
		chromedp.Click(chromedp.CSS(form+` button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(form+` input[name=needed][aria-invalid=true]`)), chromedp.WaitVisible(chromedp.CSS(form+` input[name=end][aria-invalid=true]`)))
	if c.admin.Stats(ctx).Published != published {
		t.Fatal("a refused shift was signed")
	}
	// three hours after the start the form proposes (within two hours from now)
	end, err := chromedp.Run(admin.ctx, chromedp.Evaluate[string](`(s => new Date(new Date(s).getTime() + 3 * 3600000 - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16))(document.querySelector('form.plan-shift input[name=start]').value)`))
	must(t, err)
	admin.do("a shift for two", setValue(form+` input[name=end]`, end), typeFresh(form+` input[name=needed]`, "2"), typeFresh(form+` input[name=guarantee]`, "12.00"),
		chromedp.Click(chromedp.CSS(form+` button.primary`)), chromedp.WaitVisible(chromedp.CSS(`.shift[data-shift]`)))
	sid, err := crdt.ParseID(admin.attr(`.shift`, "data-shift"))
	must(t, err)
	shift := `.shift[data-shift="` + sid.String() + `"]`
	if g := admin.text(shift + ` .guarantee`); !strings.Contains(g, "12.00") {
		t.Fatalf("guarantee shown %q", g)
	}

	ana, chloe := tabs["Ana"], tabs["Chloé"]
	ana.do("Ana signs up", chromedp.WaitVisible(chromedp.CSS(shift+` form.signup`)), chromedp.Click(chromedp.CSS(shift+` form.signup button`)),
		chromedp.WaitVisible(chromedp.CSS(shift+`[data-mine=true][data-seats="1"]`)))
	c.eventually("the shift at Bruno's node", func() bool {
		ss, err := couriers["Bruno"].Shifts(ctx)
		return err == nil && len(ss) == 1 && len(ss[0].Seats) == 1
	})
	must(t, couriers["Bruno"].SignUp(ctx, sid))
	for _, b := range []tab{ana, chloe} {
		b.do("full, live", chromedp.WaitVisible(chromedp.CSS(shift+`[data-seats="2"]`)))
	}
	published = couriers["Chloé"].Stats(ctx).Published
	chloe.do("Chloé: full", chromedp.Click(chromedp.CSS(shift+` form.signup button`)),
		chromedp.WaitVisible(chromedp.CSS(shift+` form.signup .form-error[data-code="shift_full"]`)))
	if couriers["Chloé"].Stats(ctx).Published != published {
		t.Fatal("a refused sign-up was signed")
	}
	ana.do("Ana: too late to drop", typeFresh(shift+` form.drop input[name=reason]`, "sick"), chromedp.Click(chromedp.CSS(shift+` form.drop button`)),
		chromedp.WaitVisible(chromedp.CSS(shift+` form.drop .form-error[data-code="short_notice"]`)))
	ana.do("Ana offers her seat to Chloé", setValue(shift+` form.offer select[name=to]`, couriers["Chloé"].Key().String()),
		chromedp.Click(chromedp.CSS(shift+` form.offer button`)), chromedp.WaitVisible(chromedp.CSS(shift+` .offers li[data-offer]`)))
	chloe.do("Chloé takes it", chromedp.WaitVisible(chromedp.CSS(shift+` .offers form.accept button`)), chromedp.Click(chromedp.CSS(shift+` .offers form.accept button`)),
		chromedp.WaitVisible(chromedp.CSS(shift+`[data-mine=true][data-seats="2"]`)))
	ana.do("Ana's page: not on it", chromedp.WaitVisible(chromedp.CSS(shift+`[data-mine=false] form.signup`)))
	for _, n := range []*node.Node{c.admin, c.resto, couriers["Bruno"]} {
		c.eventually("Bruno and Chloé seated", func() bool {
			ss, err := n.Shifts(ctx)
			if err != nil || len(ss) != 1 || len(ss[0].Seats) != 2 {
				return false
			}
			return ss[0].Seated(couriers["Bruno"].Key()) && ss[0].Seated(couriers["Chloé"].Key()) && !ss[0].Seated(couriers["Ana"].Key())
		})
	}
}
