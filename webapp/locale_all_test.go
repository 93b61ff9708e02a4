package webapp_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// frenchCheck lists what a French page shows that is not French: keys
// the French file lacks (i18n.js records every key asked for and missing
// in window.coopnodeMissing, which it then clears), and any English text
// of en.json (a run of 12 characters or more between placeholders) that
// the French file words differently — an English string built into a
// screen instead of asked for by key. It answers a JSON list.
const frenchCheck = `(async () => {
  if (!window.__i18n) window.__i18n = await Promise.all(['en', 'fr'].map((l) => fetch('/i18n/' + l + '.json').then((r) => r.json())));
  const [en, fr] = window.__i18n;
  const out = [...window.coopnodeMissing].map((k) => 'missing key ' + k);
  window.coopnodeMissing.clear();
  if (document.documentElement.lang !== 'fr') out.push('lang is ' + document.documentElement.lang);
  const text = document.body.innerText;
  for (const [k, v] of Object.entries(en)) {
    if (fr[k] === v) continue;
    for (const part of v.split(/\{\w+\}/)) {
      const p = part.trim();
      if (p.length >= 12 && !(fr[k] || '').includes(p) && text.includes(p)) out.push('English "' + p + '" (' + k + ')');
    }
  }
  return JSON.stringify(out);
})()`

// settled: the screen has its title and nothing is loading any more.
const settled = `!!document.querySelector('#main h1') && !document.querySelector('[aria-busy=true]')`

// stable: the screen's text has not changed for 300 ms (polled).
const stable = `(() => { const x = document.getElementById('main').innerText, w = window.__stable || (window.__stable = {});
  if (w.text !== x) { w.text = x; w.at = performance.now(); return false; }
  return performance.now() - w.at > 300 && !document.querySelector('[aria-busy=true]'); })()`

// TestFrenchEveryScreen (issue 15: French and English from the start): on
// real nodes, the restaurant's, the customer's, the courier's and the
// admin's and dispatcher's browsers switch to French and open every item
// of their menu (and the kitchen ticket, a restaurant's menu, an order's
// tracking page and the new-proposal form): no screen asks for a key the
// French file lacks, and none shows English text that the French file
// words otherwise.
func TestFrenchEveryScreen(t *testing.T) {
	c := newCoop(t)
	ctx := c.ctx
	ana := c.start("ana", node.RoleCourier)
	must(t, c.admin.Admit(ctx, ana.Key(), crdt.RoleCourier, "Ana"))
	must(t, c.admin.Admit(ctx, c.admin.Key(), crdt.RoleAdmin|crdt.RoleDispatcher, "Camille"))
	c.eventually("Ana is a courier", func() bool { _, ok := ana.MemberKey(ctx); return ok })
	done := deliverOne(c, ana) // a delivered order, so lists are not empty
	open := acceptedOrder(c)   // and one waiting for a courier
	_ = open

	extra := map[string][]string{
		"resto": {"/restaurant/ticket/" + done.String()},
		"cust":  {"/customer/r/" + c.resto.Key().String(), "/customer/order/" + done.String()},
		"admin": {"/coop/governance/new"},
	}
	nodes := []struct {
		name string
		n    *node.Node
	}{{"resto", c.resto}, {"cust", c.cust}, {"ana", ana}, {"admin", c.admin}}
	screens := 0
	for _, x := range nodes {
		link := c.serve(x.n) // served before the browser starts, so closed after it
		b := tab{t, newBrowser(t, ctx)}
		b.do(x.name+": French", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`.nav`)),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := chromedp.Evaluate[bool](`(localStorage.setItem('coopnode.locale', 'fr'), location.reload(), true)`)(ctx, tg)
				return err
			}),
			chromedp.WaitVisible(chromedp.CSS(`.nav`)))
		b.poll(`document.documentElement.lang === 'fr'`)
		hrefs, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.nav a')].map((a) => a.getAttribute('href').slice(1))`))
		must(t, err)
		for _, href := range append(hrefs, extra[x.name]...) {
			q, _ := json.Marshal(href)
			b.do(x.name+": open "+href, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := chromedp.Evaluate[bool](`(location.hash = `+string(q)+`, true)`)(ctx, tg)
				return err
			}))
			b.poll(`location.hash === '#' + ` + string(q) + ` && ` + settled)
			// a screen loads what it shows in a few requests: wait until
			// its text has not changed for 300 ms and nothing is loading
			b.poll(stable)
			got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](frenchCheck, chromedp.EvalAsValue, chromedp.EvalAwaitPromise))
			must(t, err)
			var problems []string
			must(t, json.Unmarshal([]byte(got), &problems))
			if len(problems) > 0 {
				t.Errorf("%s %s in French: %s", x.name, href, strings.Join(problems, "; "))
			}
			screens++
		}
	}
	t.Logf("%d screens checked in French", screens)
}
