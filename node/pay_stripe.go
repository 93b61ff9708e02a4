package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
)

// stripeProvider is a restaurant's own Stripe account, through the
// official library (SPEC.md §20.3). Payments are PaymentIntents: the
// customer confirms one with its client secret (Stripe Elements), the
// restaurant's node learns the result by polling the intent or from a
// webhook.
type stripeProvider struct {
	sc            *stripe.Client
	webhookSecret string
}

// orderMetadata is the PaymentIntent metadata key naming the order.
const orderMetadata = "coopnode_order"

// newStripeProvider builds the provider of an account. httpClient may be
// nil (a client with a 20 s timeout).
func newStripeProvider(a PaymentAccount, httpClient *http.Client) *stripeProvider {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 20 * time.Second}
	}
	cfg := &stripe.BackendConfig{
		HTTPClient:        httpClient,
		MaxNetworkRetries: stripe.Int64(1),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
		EnableTelemetry:   stripe.Bool(false),
	}
	if a.APIBase != "" {
		cfg.URL = stripe.String(strings.TrimRight(a.APIBase, "/"))
	}
	return &stripeProvider{sc: stripe.NewClient(a.SecretKey, stripe.WithBackends(stripe.NewBackendsWithConfig(cfg))), webhookSecret: a.WebhookSecret}
}

func (p *stripeProvider) Name() string { return "stripe" }

// Create opens a PaymentIntent for exactly the order's total, naming the
// order in its metadata; the idempotency key makes a retried call one
// payment.
func (p *stripeProvider) Create(ctx context.Context, req PaymentRequest) (PaymentSession, error) {
	params := &stripe.PaymentIntentCreateParams{
		Amount:                  stripe.Int64(req.AmountCents),
		Currency:                stripe.String(strings.ToLower(req.Currency)),
		Description:             stripe.String(req.Description),
		AutomaticPaymentMethods: &stripe.PaymentIntentCreateAutomaticPaymentMethodsParams{Enabled: stripe.Bool(true)},
	}
	params.AddMetadata(orderMetadata, req.Order.String())
	params.SetIdempotencyKey(req.IdempotencyKey)
	pi, err := p.sc.V1PaymentIntents.Create(ctx, params)
	if err != nil {
		return PaymentSession{}, stripeErr("create the payment", err)
	}
	if pi.Amount != req.AmountCents || !strings.EqualFold(string(pi.Currency), req.Currency) {
		return PaymentSession{}, fmt.Errorf("%w: stripe created %d %s for %d %s", ErrPaymentProvider, pi.Amount, pi.Currency, req.AmountCents, req.Currency)
	}
	return PaymentSession{Ref: pi.ID, ClientSecret: pi.ClientSecret, AmountCents: pi.Amount, Currency: string(pi.Currency)}, nil
}

// Session returns an open payment's client secret again.
func (p *stripeProvider) Session(ctx context.Context, ref string) (PaymentSession, error) {
	pi, err := p.sc.V1PaymentIntents.Retrieve(ctx, ref, nil)
	if err != nil {
		return PaymentSession{}, stripeErr("read the payment", err)
	}
	return PaymentSession{Ref: pi.ID, ClientSecret: pi.ClientSecret, AmountCents: pi.Amount, Currency: string(pi.Currency)}, nil
}

// Status reads the PaymentIntent (polling, SPEC.md §20.3.3).
func (p *stripeProvider) Status(ctx context.Context, ref string) (market.ProviderStatus, error) {
	pi, err := p.sc.V1PaymentIntents.Retrieve(ctx, ref, nil)
	if err != nil {
		return market.ProviderStatus{}, stripeErr("read the payment", err)
	}
	return intentStatus(pi, false), nil
}

// Refund refunds the whole amount of a PaymentIntent (an uncaptured one
// is released by Stripe the same way).
func (p *stripeProvider) Refund(ctx context.Context, ref string, amountCents int64, key string) error {
	params := &stripe.RefundCreateParams{PaymentIntent: stripe.String(ref), Amount: stripe.Int64(amountCents)}
	params.SetIdempotencyKey(key)
	r, err := p.sc.V1Refunds.Create(ctx, params)
	if err != nil {
		return stripeErr("refund", err)
	}
	switch r.Status {
	case stripe.RefundStatusSucceeded, stripe.RefundStatusPending:
		return nil
	}
	return fmt.Errorf("%w: refund %s is %s", ErrPaymentProvider, r.ID, r.Status)
}

// Cancel cancels an open PaymentIntent.
func (p *stripeProvider) Cancel(ctx context.Context, ref string, key string) error {
	params := &stripe.PaymentIntentCancelParams{}
	params.SetIdempotencyKey(key)
	if _, err := p.sc.V1PaymentIntents.Cancel(ctx, ref, params); err != nil {
		return stripeErr("cancel the payment", err)
	}
	return nil
}

// Webhook verifies a webhook's Stripe-Signature over the exact body and
// decodes a payment_intent event. The timestamp is returned for the
// node's replay check, made against its own clock.
func (p *stripeProvider) Webhook(body []byte, header http.Header) (WebhookEvent, error) {
	if p.webhookSecret == "" {
		return WebhookEvent{}, fmt.Errorf("%w: no webhook signing secret is set", ErrWebhookSignature)
	}
	sig := header.Get("Stripe-Signature")
	ev, err := webhook.ConstructEventWithOptions(body, sig, p.webhookSecret,
		webhook.ConstructEventOptions{IgnoreTolerance: true, IgnoreAPIVersionMismatch: true})
	if err != nil {
		return WebhookEvent{}, fmt.Errorf("%w: %w", ErrWebhookSignature, err)
	}
	signed, err := signatureTime(sig)
	if err != nil {
		return WebhookEvent{}, err
	}
	out := WebhookEvent{ID: ev.ID, Signed: signed}
	if !strings.HasPrefix(string(ev.Type), "payment_intent.") || ev.Data == nil {
		return out, nil
	}
	var pi stripe.PaymentIntent
	if err := json.Unmarshal(ev.Data.Raw, &pi); err != nil || pi.ID == "" {
		return WebhookEvent{}, fmt.Errorf("%w: payment_intent event without an intent", ErrBadJSON)
	}
	out.Relevant = true
	out.Status = intentStatus(&pi, ev.Type == stripe.EventTypePaymentIntentPaymentFailed)
	return out, nil
}

// signatureTime reads t= of a Stripe-Signature header.
func signatureTime(h string) (time.Time, error) {
	for _, part := range strings.Split(h, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(part), "="); ok && k == "t" {
			sec, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				break
			}
			return time.Unix(sec, 0), nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: no timestamp in Stripe-Signature", ErrWebhookSignature)
}

// intentStatus maps a PaymentIntent to a payment state (SPEC.md
// §20.3.3). failed forces failed (a payment_failed event).
func intentStatus(pi *stripe.PaymentIntent, failed bool) market.ProviderStatus {
	st := market.ProviderStatus{Ref: pi.ID, AmountCents: pi.Amount, Currency: string(pi.Currency), State: crdt.PayPending}
	if pi.Metadata != nil {
		st.Order = pi.Metadata[orderMetadata]
	}
	decline, declined := "", false
	if e := pi.LastPaymentError; e != nil {
		declined = e.Type == stripe.ErrorTypeCard
		decline = string(e.DeclineCode)
		if decline == "" {
			decline = string(e.Code)
		}
		if decline == "" {
			decline = "payment_failed"
		}
	}
	switch {
	case pi.Status == stripe.PaymentIntentStatusSucceeded:
		st.State = crdt.PayPaid
	case pi.Status == stripe.PaymentIntentStatusRequiresCapture:
		st.State = crdt.PayAuthorised
	case pi.Status == stripe.PaymentIntentStatusCanceled:
		st.State, st.Reason = crdt.PayFailed, "canceled"
		if pi.CancellationReason != "" {
			st.Reason = string(pi.CancellationReason)
		}
	case failed || (pi.Status == stripe.PaymentIntentStatusRequiresPaymentMethod && declined):
		st.State, st.Reason = crdt.PayFailed, decline
		if st.Reason == "" {
			st.Reason = "payment_failed"
		}
	}
	return st
}

// stripeErr wraps a Stripe error: a card error is ErrPaymentDeclined,
// anything else ErrPaymentProvider.
func stripeErr(what string, err error) error {
	var se *stripe.Error
	if errors.As(err, &se) {
		if se.Type == stripe.ErrorTypeCard {
			return fmt.Errorf("%w: %s: %s (%s)", ErrPaymentDeclined, what, se.Msg, se.DeclineCode)
		}
		return fmt.Errorf("%w: %s: %s (%s, HTTP %d)", ErrPaymentProvider, what, se.Msg, se.Code, se.HTTPStatusCode)
	}
	return fmt.Errorf("%w: %s: %w", ErrPaymentProvider, what, err)
}
