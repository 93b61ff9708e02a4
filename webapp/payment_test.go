package webapp_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/internal/stripemock"
)

// TestPaymentInBrowser (issue 17): the restaurant offers online payment
// and sets its Stripe account (a bad key refused by its field) on its
// settings screen; the customer's checkout offers the
// restaurant's payment methods; an online order's page opens the payment
// (the customer's node asks the restaurant's node, which opens it at
// stripe-mock) and shows it paid once Stripe's signed webhook reaches
// the restaurant's node; the restaurant's screen shows the payment paid,
// refunds it (two clicks, the refund made at stripe-mock), and both pages
// show it refunded.
func TestPaymentInBrowser(t *testing.T) {
	mock := stripemock.Start(t)
	proxy := stripemock.NewProxy(t, mock)
	c := newCoop(t)
	ctx := c.ctx
	const secret = "whsec_browser_test"
	must(t, c.cust.Connect(ctx, peer.AddrInfo{ID: c.resto.ID(), Addrs: c.resto.Host().Addrs()}))
	custLink, restoLink := c.serve(c.cust), c.serve(c.resto)
	b := tab{t, newBrowser(t, ctx)}
	ce := watchConsole(t, b)

	// the restaurant offers online payment and sets its Stripe account
	b.do("the settings", chromedp.Navigate(restoLink), chromedp.WaitVisible(chromedp.CSS(`.restaurant .live.on`)),
		chromedp.Click(chromedp.CSS(`.nav a[href="#/restaurant/profile"]`)), chromedp.WaitVisible(chromedp.CSS(`.payment-settings[data-account="none"]`)))
	b.do("online payment offered", chromedp.Click(chromedp.CSS(`.payment-methods input[name=online]`)),
		chromedp.Click(chromedp.CSS(`.payment-methods button.primary`)), chromedp.WaitVisible(chromedp.CSS(`.payment-methods input[name=online]:checked`)))
	c.eventually("the profile with online payment at the customer", func() bool {
		rs, err := c.cust.Restaurants(ctx)
		return err == nil && len(rs) == 1 && rs[0].Profile != nil && rs[0].Profile.Payments == crdt.OfferCash|crdt.OfferOnline
	})
	b.do("a publishable key is refused by its field", typeInto(`.payment-account input[name=secret_key]`, "pk_test_browser"),
		chromedp.Click(chromedp.CSS(`.payment-account button.primary`)), chromedp.WaitVisible(chromedp.CSS(`.payment-account input[name=secret_key][aria-invalid=true]`)))
	b.do("the account", typeInto(`.payment-account input[name=secret_key]`, "sk_test_browser"), typeInto(`.payment-account input[name=webhook_secret]`, secret),
		typeInto(`.payment-account input[name=api_base]`, proxy.URL), chromedp.Click(chromedp.CSS(`.payment-account button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`.payment-settings[data-account="set"]`)))
	if p, ok := c.resto.PaymentAccountSet(); !ok || p != "stripe" {
		t.Fatal("the account did not reach the node")
	}
	b.poll(`document.querySelector('.payment-account input[name=secret_key]').value === ''`) // not left on the page
	card := `.restaurant-card[data-key="` + c.resto.Key().String() + `"]`
	wrap := `.product[data-product="wrap"]`
	b.do("the menu", chromedp.Navigate(custLink), chromedp.WaitVisible(chromedp.CSS(card+` a`)), chromedp.Click(chromedp.CSS(card+` a`)),
		chromedp.WaitVisible(chromedp.CSS(wrap+` .add`)))
	b.do("a wrap and a lemonade, to collect", chromedp.Click(chromedp.CSS(wrap+` .add`)), chromedp.Click(chromedp.CSS(wrap+` input[value="tahini"]`)),
		chromedp.Click(chromedp.CSS(wrap+` .add-confirm`)), chromedp.Click(chromedp.CSS(`.product[data-product="lemonade"] .add`)),
		chromedp.Click(chromedp.CSS(`.fulfilment input[value="collection"]`)), chromedp.WaitVisible(chromedp.CSS(`.quote[data-state="ok"]`)))
	if got := b.text(`.payment-choice`); !strings.Contains(got, "Cash on delivery") || !strings.Contains(got, "Online") || strings.Contains(got, "Card") {
		t.Fatalf("payment choice: %q", got)
	}
	b.do("pay online", chromedp.Click(chromedp.CSS(`.payment-choice input[value="online"]`)), chromedp.WaitVisible(chromedp.CSS(`.quote[data-state="ok"]`)),
		typeInto(`#c-name`, "Léa"), chromedp.Click(chromedp.CSS(`.checkout`)),
		chromedp.WaitVisible(chromedp.CSS(`.tracking .payment[data-method="online"][data-payment="none"] .pay-online`)))
	id, err := crdt.ParseID(b.attr(`.tracking`, "data-order"))
	must(t, err)
	s, err := c.resto.WaitOrder(ctx, id, func(*crdt.OrderState) bool { return true })
	must(t, err)
	if s.Place.Payment != crdt.PayOnline {
		t.Fatalf("the order is paid %s", s.Place.Payment)
	}
	b.do("the payment opened", chromedp.Click(chromedp.CSS(`.pay-online`)),
		chromedp.WaitVisible(chromedp.CSS(`.payment[data-payment="pending"] .pay-session`)))
	s, err = c.resto.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.PaymentState() == crdt.PayPending })
	must(t, err)
	if b.attr(`.pay-session`, "data-ref") != s.Payment.Ref || len(proxy.Calls(http.MethodPost, "/v1/payment_intents")) != 1 {
		t.Fatalf("session ref %q, payment %+v", b.attr(`.pay-session`, "data-ref"), s.Payment)
	}

	// Stripe reports the payment succeeded
	body, err := json.Marshal(map[string]any{"id": "evt_browser", "object": "event", "type": "payment_intent.succeeded", "api_version": stripe.APIVersion,
		"data": map[string]any{"object": map[string]any{"id": s.Payment.Ref, "object": "payment_intent", "amount": s.Place.Totals.TotalCents,
			"currency": "eur", "status": "succeeded", "metadata": map[string]any{"coopnode_order": id.String()}}}})
	must(t, err)
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: time.Now()})
	must(t, c.resto.PaymentWebhook(ctx, body, http.Header{"Stripe-Signature": {signed.Header}}))
	b.do("paid, on the customer's page", chromedp.WaitVisible(chromedp.CSS(`.payment[data-payment="paid"]`)))
	if b.eval(`document.querySelectorAll('.pay-online').length`) != 0 {
		t.Fatal("a paid order still offers to pay")
	}

	// the restaurant's screen: paid, then refunded
	row := `[data-pay-order="` + id.String() + `"] .payment-line`
	b.do("the restaurant's screen", chromedp.Navigate(restoLink), chromedp.WaitVisible(chromedp.CSS(`.restaurant .live.on`)),
		chromedp.WaitVisible(chromedp.CSS(`.order[data-order="`+id.String()+`"] .payment-line[data-method="online"][data-payment="paid"]`)),
		chromedp.WaitVisible(chromedp.CSS(row+`[data-payment="paid"] .pay-refund`)))
	b.do("refund: a first click asks to confirm", chromedp.Click(chromedp.CSS(row+` .pay-refund`)), chromedp.WaitVisible(chromedp.CSS(row+` .pay-refund`)))
	if got := b.text(row + ` .pay-refund`); got != "Confirm the refund" {
		t.Fatalf("refund button after one click: %q", got)
	}
	if len(proxy.Calls(http.MethodPost, "/v1/refunds")) != 0 {
		t.Fatal("refunded on the first click")
	}
	b.do("refund confirmed", chromedp.Click(chromedp.CSS(row+` .pay-refund`)), chromedp.WaitVisible(chromedp.CSS(row+`[data-payment="refunded"]`)))
	refunds := proxy.Calls(http.MethodPost, "/v1/refunds")
	if len(refunds) != 1 || refunds[0].Form.Get("payment_intent") != s.Payment.Ref || refunds[0].Idempotency != "refund-"+id.String() {
		t.Fatalf("refunds at stripe-mock: %+v", refunds)
	}
	b.do("refunded, on the customer's page", chromedp.Navigate(custLink), chromedp.WaitVisible(chromedp.CSS(`.restaurants`)),
		chromedp.Evaluate[chromedp.Void](`location.hash = '#/customer/order/`+id.String()+`'`),
		chromedp.WaitVisible(chromedp.CSS(`.tracking .payment[data-payment="refunded"]`)))
	ce.check(t)
}
