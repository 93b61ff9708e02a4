package webapp_test

import (
	"crypto/ed25519"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/coopnode/coopnode/crdt"
)

// TestAdminMembersPricingExports (issue 15, the cooperative's screens): in
// the admin's browser the members list names roles in words; admitting a
// bad key or no role is refused by its field and signs nothing; a new
// courier is admitted and revoked from the page, live; the invite shows
// with its copy button; the pricing screen previews a sample delivery from
// the node's own pricing (fee, courier pay and why), follows a draft as it
// is typed, refuses a bad amount by its field, and puts the draft in
// force; once the constitution makes pricing a vote, saving is refused
// with vote_required and a link to a proposal; an export downloads.
func TestAdminMembersPricingExports(t *testing.T) {
	c := newCoop(t)
	ctx := c.ctx
	link := c.serve(c.admin)
	b := tab{t, newBrowser(t, ctx)}
	base := strings.Replace(link, "/login?", "/?", 1)

	b.do("the members", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`.nav a[href="#/coop/members"]`)),
		chromedp.Click(chromedp.CSS(`.nav a[href="#/coop/members"]`)), chromedp.WaitVisible(chromedp.CSS(`.members .live.on`)))
	resto := `table.members tr[data-member="` + c.resto.Key().String() + `"]`
	if got := b.text(resto); !strings.Contains(got, "Chez Mia") || !strings.Contains(got, "restaurant") || !strings.Contains(got, "active") {
		t.Fatalf("the restaurant's row: %q", got)
	}

	published := c.admin.Stats(ctx).Published
	var dan crdt.PubKey
	copy(dan[:], testKey("dan").Public().(ed25519.PublicKey))
	danKey := dan.String()
	b.do("a bad key and no role", typeFresh(`form.admit input[name=member]`, "not-a-key"), chromedp.Click(chromedp.CSS(`form.admit button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`form.admit input[name=member][aria-invalid=true]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.admit fieldset.roles[aria-invalid=true] .field-error`)))
	if msg := b.text(`form.admit .field:has(input[name=member]) .field-error`); !strings.Contains(msg, "64 characters") {
		t.Fatalf("key message %q", msg)
	}
	if c.admin.Stats(ctx).Published != published {
		t.Fatal("a refused admission was signed")
	}
	row := `table.members tr[data-member="` + danKey + `"]`
	b.do("admit Dan as a courier", typeFresh(`form.admit input[name=member]`, danKey), typeFresh(`form.admit input[name=name]`, "Dan"),
		chromedp.Click(chromedp.CSS(`form.admit input[name=role-courier]`)), chromedp.Click(chromedp.CSS(`form.admit button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(row)))
	if got := b.text(row + ` td.roles`); got != "courier" {
		t.Fatalf("Dan's roles %q", got)
	}
	c.eventually("Dan a courier at the restaurant", func() bool {
		cs, err := c.resto.CoopState(ctx)
		m := cs.Members[dan]
		return err == nil && m != nil && m.Roles == crdt.RoleCourier && m.Name == "Dan"
	})
	b.do("revoke Dan", chromedp.Click(chromedp.CSS(row+` .revoke-open`)), typeFresh(row+` form.revoke input[name=reason]`, "left the coop"),
		chromedp.Click(chromedp.CSS(row+` form.revoke button.danger`)), chromedp.WaitVisible(chromedp.CSS(row+`.revoked .status.revoked`)))

	b.do("the invite", chromedp.Navigate(base+"#/coop/invite"), chromedp.WaitVisible(chromedp.CSS(`textarea.invite-text`)))
	if v := b.eval(`document.querySelector('textarea.invite-text').value.length`); v < 20 {
		t.Fatalf("invite text of %v characters", v)
	}
	b.do("copy", chromedp.Click(chromedp.CSS(`.invite button.copy`)), chromedp.WaitVisible(chromedp.CSS(`.invite .copied`)))

	// pricing: 3 km in the city, food, tip 2.00: the "standard" rule's
	// 3.50; the courier gets the base 3.00 topped up to the minimum 4.00,
	// and the whole tip on top (the tip never fills the minimum)
	b.do("pricing", chromedp.Navigate(base+"#/coop/pricing"), chromedp.WaitVisible(chromedp.CSS(`.pricing .preview[data-fee="350"][data-pay="600"]`)))
	if why := b.text(`.pricing .preview .why`); !strings.Contains(why, "standard") {
		t.Fatalf("explanation %q", why)
	}
	b.do("a longer trip, same fee", typeFresh(`#s-km`, "6"), chromedp.WaitVisible(chromedp.CSS(`.preview[data-fee="350"] .hint`)))
	b.poll(`document.querySelector('.preview .hint').textContent.startsWith('6.00 km billed')`) // no detour in these rules
	b.do("a draft", chromedp.Click(chromedp.CSS(`.pricing input[name=edit]`)), chromedp.WaitVisible(chromedp.CSS(`form.draft input[name=rule0]`)),
		typeFresh(`form.draft input[name=rule0]`, "4.20"), chromedp.WaitVisible(chromedp.CSS(`.preview[data-fee="420"]`)))
	published = c.admin.Stats(ctx).Published
	b.do("a bad amount", typeFresh(`form.draft input[name=base_cents]`, "-2"), chromedp.Click(chromedp.CSS(`form.draft button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`form.draft input[name=base_cents][aria-invalid=true]`)))
	if c.admin.Stats(ctx).Published != published {
		t.Fatal("a refused rule set was signed")
	}
	b.do("put in force", typeFresh(`form.draft input[name=base_cents]`, "3.20"), chromedp.Click(chromedp.CSS(`form.draft button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`.pricing[data-version="2"]`)))
	c.eventually("version 2 at the customer", func() bool {
		r, err := c.cust.Rules(ctx, 0)
		return err == nil && r.Version == 2 && r.Rules[0].FixedCents == 420 && r.Pay.BaseCents == 320
	})

	must(t, c.admin.AmendConstitution(ctx, crdt.Constitution{Matters: []crdt.MatterRule{{Matter: crdt.MatterPricing}}}))
	published = c.admin.Stats(ctx).Published
	b.poll(`document.querySelector('form.draft input[name=rule0]').value === '4.20'`) // the draft starts again from version 2
	b.do("a change that needs a vote",
		typeFresh(`form.draft input[name=rule0]`, "5.00"), chromedp.Click(chromedp.CSS(`form.draft button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`form.draft .form-error[data-code="vote_required"]`)), chromedp.WaitVisible(chromedp.CSS(`form.draft .vote-link a`)))
	if c.admin.Stats(ctx).Published != published {
		t.Fatal("a rule set refused for want of a vote was signed")
	}

	b.do("an export", chromedp.Navigate(base+"#/coop/exports"), chromedp.WaitVisible(chromedp.CSS(`form.export`)),
		setValue(`form.export select[name=file]`, "pay-summary"), chromedp.Click(chromedp.CSS(`form.export button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`.exports .done[data-lines]`)))
}
