package webapp_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// shiftClock is the wall clock moved forward by a test: every node of a
// governance test shares one, so a vote's close and grace period (SPEC.md
// §19.4) pass at once without the test sleeping. Timers run on the wall
// clock.
type shiftClock struct{ off atomic.Int64 }

func (c *shiftClock) Now() time.Time                    { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *shiftClock) advance(d time.Duration)           { c.off.Add(int64(d)) }
func (*shiftClock) NewTimer(d time.Duration) node.Timer { return wallTimer{time.NewTimer(d)} }
func (*shiftClock) NewTicker(d time.Duration) node.Ticker {
	return wallTicker{time.NewTicker(d)}
}
func (*shiftClock) AfterFunc(d time.Duration, f func()) node.Timer {
	return wallTimer{time.AfterFunc(d, f)}
}

type wallTimer struct{ t *time.Timer }

func (t wallTimer) C() <-chan time.Time        { return t.t.C }
func (t wallTimer) Stop() bool                 { return t.t.Stop() }
func (t wallTimer) Reset(d time.Duration) bool { return t.t.Reset(d) }

type wallTicker struct{ t *time.Ticker }

func (t wallTicker) C() <-chan time.Time { return t.t.C }
func (t wallTicker) Stop()               { t.t.Stop() }

// setValue sets a form control's value as a person picking it would (an
// input and a change event), for selects and date-time inputs.
func setValue(sel, value string) chromedp.Action[chromedp.Void] {
	q, _ := json.Marshal(sel)
	v, _ := json.Marshal(value)
	return chromedp.Steps(chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`(e => (e.value = `+string(v)+`, e.dispatchEvent(new Event("input", {bubbles: true})),
				e.dispatchEvent(new Event("change", {bubbles: true})), true))(document.querySelector(`+string(q)+`))`)(ctx, t)
			return err
		}),
		chromedp.Poll[chromedp.Void](`document.querySelector(`+string(q)+`).value === `+string(v)))
}

// TestCouriersVotePayRuleInBrowser (issue 16, the web app's governance
// screens): the coop's constitution makes courier pay a couriers' vote.
// In her browser Ana opens a proposal raising the base pay (bad input first:
// no title and a negative amount, refused by their fields, nothing signed);
// the form takes the rule and electorate the constitution requires. Ana
// votes agree; Bruno votes disagree, then changes his vote; Chloé delegates
// to Ana; every page follows the tally live; results name who voted how.
// After the close and the grace period the result is final and Ana puts
// it in force from the page: every node's pay rule changes.
func TestCouriersVotePayRuleInBrowser(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	clk := &shiftClock{}
	c := &coop{t: t, ctx: ctx}
	c.admin = c.start("admin", node.RoleAdmin, node.WithClock(clk))
	id, err := c.admin.Found(ctx, crdt.CoopGenesis{Name: "Vélo Coop", City: "Nantes", Currency: "EUR", Timezone: "Europe/Paris"})
	must(t, err)
	c.id = id
	must(t, c.admin.SetRules(ctx, testRules()))
	must(t, c.admin.AmendConstitution(ctx, crdt.Constitution{Matters: []crdt.MatterRule{
		{Matter: crdt.MatterPay, Rule: crdt.RuleMajority, Role: crdt.RoleCourier}}}))
	names := []string{"Ana", "Bruno", "Chloé"}
	couriers := map[string]*node.Node{}
	for _, name := range names {
		n := c.start(strings.ToLower(name), node.RoleCourier, node.WithClock(clk))
		must(t, c.admin.Admit(ctx, n.Key(), crdt.RoleCourier, name))
		couriers[name] = n
	}
	all := []*node.Node{c.admin, couriers["Ana"], couriers["Bruno"], couriers["Chloé"]}
	for _, n := range all {
		c.eventually("members, rules and constitution everywhere", func() bool {
			cs, err := n.CoopState(ctx)
			return err == nil && len(cs.Members) == 4 && len(cs.Constitution.Matters) == 1 && len(cs.Rules) == 1
		})
	}

	tabs := map[string]tab{}
	for _, name := range names {
		link := c.serve(couriers[name])
		b := tab{t, newBrowser(t, ctx)}
		tabs[name] = b
		b.do(name+": log in, open Decisions", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`.nav a[href="#/coop/governance"]`)),
			chromedp.Click(chromedp.CSS(`.nav a[href="#/coop/governance"]`)), chromedp.WaitVisible(chromedp.CSS(`.governance[data-loaded] .live.on`)))
	}

	// Ana opens the proposal; bad input first
	ana := tabs["Ana"]
	form := `.proposal-form`
	published := couriers["Ana"].Stats(ctx).Published
	ana.do("the new proposal form", chromedp.Click(chromedp.CSS(`a.new-proposal`)), chromedp.WaitVisible(chromedp.CSS(form)),
		setValue(form+` select[name=decision]`, "pay"), chromedp.WaitVisible(chromedp.CSS(form+` input[name=base_cents]`)))
	if v := ana.eval(`parseFloat(document.querySelector('` + form + ` input[name=base_cents]').value)`); v != 3 {
		t.Fatalf("the form starts from base pay %v, want the 3.00 in force", v)
	}
	ana.poll(`document.querySelector('` + form + ` select[name=role]').value === 'courier' && document.querySelector('` + form + ` select[name=rule]').value === '1'`)
	ana.do("no title, a negative base pay", typeFresh(form+` input[name=base_cents]`, "-1"), chromedp.Click(chromedp.CSS(form+` button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(form+` input[name=title][aria-invalid=true]`)),
		chromedp.WaitVisible(chromedp.CSS(form+` input[name=base_cents][aria-invalid=true]`)))
	if msg := ana.text(form + ` .field:has(input[name=base_cents]) .field-error`); !strings.Contains(msg, "zero or more") {
		t.Fatalf("base pay message %q", msg)
	}
	if msg := ana.text(form + ` .field:has(input[name=title]) .field-error`); msg != "Give the proposal a title." {
		t.Fatalf("title message %q", msg)
	}
	if couriers["Ana"].Stats(ctx).Published != published {
		t.Fatal("a refused proposal was signed")
	}
	// closes in 5 minutes (the browser's zone; the nodes' clocks are the wall clock so far)
	closesIn := `new Date(Date.now() + 300000 - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16)`
	closes, err := chromedp.Run(ana.ctx, chromedp.Evaluate[string](closesIn))
	must(t, err)
	ana.do("a valid proposal", typeFresh(form+` input[name=title]`, "Base pay 4.50"),
		typeFresh(form+` input[name=base_cents]`, "4.50"), setValue(form+` input[name=closes]`, closes),
		chromedp.Click(chromedp.CSS(form+` button.primary`)), chromedp.WaitVisible(chromedp.CSS(`.proposal-page[data-status=open] form.vote`)))
	pid, err := crdt.ParseID(ana.attr(`.proposal-page`, "data-proposal"))
	must(t, err)
	if d := ana.text(`.proposal-page .decision`); !strings.Contains(d, "Base per delivery") || !strings.Contains(d, "4.50") {
		t.Fatalf("decision shown: %q", d)
	}
	page := `.proposal-page[data-proposal="` + pid.String() + `"]`

	ana.do("Ana votes agree", chromedp.Click(chromedp.CSS(`form.vote input[value="1"]`)), typeFresh(`form.vote input[name=reason]`, "fair pay"),
		chromedp.Click(chromedp.CSS(`form.vote button.primary`)), chromedp.WaitVisible(chromedp.CSS(page+`[data-agree="1"]`)))

	// Bruno and Chloé open it from their list, which shows it live
	for _, name := range []string{"Bruno", "Chloé"} {
		tabs[name].do(name+": the proposal in the list, awaiting their vote", chromedp.WaitVisible(chromedp.CSS(`.group.open .proposal[data-proposal="`+pid.String()+`"] .reminder`)),
			chromedp.Click(chromedp.CSS(`.proposal[data-proposal="`+pid.String()+`"] a`)), chromedp.WaitVisible(chromedp.CSS(page+` form.vote`)))
	}
	bruno := tabs["Bruno"]
	bruno.do("no choice", chromedp.Click(chromedp.CSS(`form.vote button.primary`)), chromedp.WaitVisible(chromedp.CSS(`form.vote fieldset[aria-invalid=true] .field-error`)))
	bruno.do("Bruno disagrees", chromedp.Click(chromedp.CSS(`form.vote input[value="3"]`)), chromedp.Click(chromedp.CSS(`form.vote button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`table.votes tr[data-member="`+couriers["Bruno"].Key().String()+`"][data-choice="3"]`)))
	bruno.do("Bruno changes his vote", chromedp.WaitVisible(chromedp.CSS(`form.vote legend`)), chromedp.Click(chromedp.CSS(`form.vote input[value="1"]`)),
		typeFresh(`form.vote input[name=reason]`, "convinced"), chromedp.Click(chromedp.CSS(`form.vote button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`table.votes tr[data-member="`+couriers["Bruno"].Key().String()+`"][data-choice="1"]`)))
	tabs["Chloé"].do("Chloé delegates to Ana", setValue(`form.delegate select[name=to]`, couriers["Ana"].Key().String()),
		chromedp.Click(chromedp.CSS(`form.delegate button`)), chromedp.WaitVisible(chromedp.CSS(`form.delegate .done[data-delegated]`)))

	// every page shows the same live tally: three agree, one by delegation
	for name, b := range tabs {
		b.do(name+": three agree", chromedp.WaitVisible(chromedp.CSS(page+`[data-agree="3"][data-turnout="3"][data-passed=true]`)))
	}
	row := ana.text(`table.votes tr[data-member="` + couriers["Chloé"].Key().String() + `"]`)
	if !strings.Contains(row, "Chloé") || !strings.Contains(row, "Agree (through Ana)") {
		t.Fatalf("Chloé's row: %q", row)
	}
	if row := ana.text(`table.votes tr[data-member="` + couriers["Bruno"].Key().String() + `"]`); !strings.Contains(row, "convinced") {
		t.Fatalf("Bruno's row: %q", row)
	}
	if err := c.admin.Vote(ctx, pid, crdt.ChoiceBlock, ""); node.Code(err) != "not_eligible" {
		t.Fatalf("the admin's vote on the couriers' pay: %v", err)
	}

	// the close and the grace period pass; the result is final
	clk.advance(5*time.Minute + crdt.TallyGrace*time.Millisecond + 30*time.Second)
	ana.do("final", chromedp.Click(chromedp.CSS(page+` .refresh`)), chromedp.WaitVisible(chromedp.CSS(page+`[data-status=final] form.enact`)))
	if r := ana.text(page + ` .result`); r != "passed" {
		t.Fatalf("result %q", r)
	}
	ana.do("put in force", chromedp.Click(chromedp.CSS(page+` form.enact button`)), chromedp.WaitVisible(chromedp.CSS(page+`[data-enacted=true] .enacted`)))
	for _, n := range all {
		c.eventually("the new pay rule in force", func() bool {
			r, err := n.Rules(ctx, 0)
			return err == nil && r.Version == 2 && r.Pay.BaseCents == 450 && r.Proposal == pid
		})
	}
	bruno.do("Bruno's page shows it in force", chromedp.Click(chromedp.CSS(page+` .refresh`)), chromedp.WaitVisible(chromedp.CSS(page+`[data-enacted=true]`)))
}
