package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
)

// Payments (SPEC.md §20). The restaurant's node holds its own provider
// account and does every provider call: it opens a payment when the
// customer's node asks (pay_stream.go), learns the result by polling the
// provider or from a webhook, and refunds when a paid order is cancelled
// or refused. Each result becomes a signed order.payment event of the
// restaurant's, folded like any event.
//
// Who does what, and on which goroutine:
//
//   - the loop decides, on the fold, what each payment is owed
//     (market.PaymentDuty) and never talks to the provider;
//   - provider calls run on the caller's goroutine (a pay request, a
//     webhook, PollPayments) or on the payer goroutine (a timer, and a
//     kick when an order with a payment changes), one at a time under
//     payState.mu;
//   - each result goes back to the loop as an order.payment draft, checked
//     against the order by market.PaymentUpdate first: nothing is recorded
//     for another payment, order or amount.

// PaymentProvider is a restaurant's payment provider account, as the node
// uses it. The reference implements Stripe (pay_stripe.go); tests may
// pass another with WithPaymentProvider.
type PaymentProvider interface {
	Name() string
	Create(ctx context.Context, req PaymentRequest) (PaymentSession, error)
	Session(ctx context.Context, ref string) (PaymentSession, error)
	Status(ctx context.Context, ref string) (market.ProviderStatus, error)
	Refund(ctx context.Context, ref string, amountCents int64, idempotencyKey string) error
	Cancel(ctx context.Context, ref string, idempotencyKey string) error
	// Webhook verifies a webhook's signature over the exact body (an
	// error wrapping ErrWebhookSignature otherwise) and decodes it.
	Webhook(body []byte, header http.Header) (WebhookEvent, error)
}

// PaymentRequest asks the provider for a payment of one order.
type PaymentRequest struct {
	Order          crdt.ID
	AmountCents    int64
	Currency       string
	Description    string
	IdempotencyKey string
}

// PaymentSession is a way for the customer to pay: the client secret of a
// PaymentIntent (Stripe Elements), or a hosted page's URL.
type PaymentSession struct {
	Order        crdt.ID            `json:"order"`
	Provider     string             `json:"provider"`
	Ref          string             `json:"ref"`
	ClientSecret string             `json:"client_secret,omitempty"`
	URL          string             `json:"url,omitempty"`
	AmountCents  int64              `json:"amount_cents"`
	Currency     string             `json:"currency"`
	State        crdt.PaymentState  `json:"state"`
	Method       crdt.PaymentMethod `json:"method"`
}

// WebhookEvent is a verified provider webhook.
type WebhookEvent struct {
	ID     string    // the provider's event ID, for the replay check
	Signed time.Time // when the provider signed it
	// Relevant is false for an event about something else than a
	// payment: accepted and ignored.
	Relevant bool
	Status   market.ProviderStatus
}

// Payment timing (SPEC.md §20.3.3; the poll schedule is market.PollDue's).
const (
	payPollFast      = market.PollFast // the payer's tick
	webhookTolerance = 300 * time.Second
	webhookMemory    = 2 * webhookTolerance
)

// payState is the node's payment machinery; nil fields when the node has
// no account.
type payState struct {
	mu       sync.Mutex // one provider job at a time; guards lastPoll
	lastPoll map[crdt.ID]time.Time

	// provMu guards provider only, never held across a call: the loop
	// reads it (kickPayments).
	provMu   sync.RWMutex
	provider PaymentProvider
	http     *http.Client // for the Stripe provider (tests: loopback)

	seenMu sync.Mutex
	seen   map[string]time.Time // webhook event IDs processed, by arrival

	kick      chan struct{}
	payerOnce sync.Once
}

func newPayState(p PaymentProvider, hc *http.Client) *payState {
	return &payState{provider: p, http: hc, lastPoll: map[crdt.ID]time.Time{}, seen: map[string]time.Time{}, kick: make(chan struct{}, 1)}
}

// WithPaymentProvider gives a restaurant node a payment provider directly,
// instead of the account sealed in its store (tests, fakes).
func WithPaymentProvider(p PaymentProvider) Option {
	return func(c *config) error { c.payProvider = p; return nil }
}

// WithPaymentHTTPClient sets the HTTP client of the Stripe provider built
// from the stored account (tests point it at a loopback stripe-mock).
func WithPaymentHTTPClient(hc *http.Client) Option {
	return func(c *config) error { c.payHTTP = hc; return nil }
}

func (s *payState) get() PaymentProvider {
	s.provMu.RLock()
	defer s.provMu.RUnlock()
	return s.provider
}

func (s *payState) set(p PaymentProvider) {
	s.provMu.Lock()
	defer s.provMu.Unlock()
	s.provider = p
}

// startPayments loads the sealed account, if any, and starts the payer.
func (n *Node) startPayments(ctx context.Context) error {
	n.pay = newPayState(n.cfg.payProvider, n.cfg.payHTTP)
	n.loadWebhookSeen(ctx)
	if n.pay.get() == nil {
		a, err := n.loadPaymentAccount(ctx)
		if err != nil {
			return err
		}
		if a != nil {
			n.pay.set(newStripeProvider(*a, n.pay.http))
		}
	}
	if n.pay.get() != nil {
		n.startPayer()
	}
	return nil
}

// startPayer starts the payer goroutine once, when the node has a
// provider: a node without one runs no payment timer.
func (n *Node) startPayer() {
	n.pay.payerOnce.Do(func() {
		n.wg.Add(1)
		go n.payer()
	})
}

// SetPaymentAccount stores the restaurant's provider account, sealed
// (SPEC.md §20.3.1), and uses it from now on.
func (n *Node) SetPaymentAccount(ctx context.Context, a PaymentAccount) error {
	if err := a.Validate(); err != nil {
		return err
	}
	plain, err := json.Marshal(a)
	if err != nil {
		return err
	}
	sealed, err := sealSecret(n.key, plain, rand.Reader)
	if err != nil {
		return err
	}
	if err := n.store.PutMeta(ctx, paymentMeta, sealed); err != nil {
		return err
	}
	n.pay.set(newStripeProvider(a, n.pay.http))
	n.startPayer()
	n.kickPayer()
	return nil
}

// PaymentAccountSet reports whether the node has a provider account, and
// which provider; the secrets are never returned.
func (n *Node) PaymentAccountSet() (string, bool) {
	if p := n.pay.get(); p != nil {
		return p.Name(), true
	}
	return "", false
}

// payer runs the payment duties on a timer and when kicked.
func (n *Node) payer() {
	defer n.wg.Done()
	t := n.cfg.clock.NewTicker(payPollFast)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C():
		case <-n.pay.kick:
		}
		if n.pay.get() == nil {
			continue
		}
		if _, err := n.PollPayments(n.ctx); err != nil && n.ctx.Err() == nil {
			n.log.Warn("payments", "err", err)
		}
	}
}

func (n *Node) kickPayer() {
	if n.pay == nil {
		return
	}
	select {
	case n.pay.kick <- struct{}{}:
	default:
	}
}

// kickPayments, on the loop after a batch: wake the payer when one of the
// changed orders owes its payment a refund or a cancellation.
func (n *Node) kickPayments(orders []crdt.ID) {
	if n.pay == nil || n.pay.get() == nil {
		return
	}
	for _, id := range orders {
		if s, ok := n.replica.OrderView(id); ok && s.Payment != nil {
			if a := market.PaymentDuty(s); a == market.PayRefund || a == market.PayVoid {
				n.kickPayer()
				return
			}
		}
	}
}

// payJob is one provider call a payment duty asks for.
type payJob struct {
	action market.PayAction
	order  crdt.ID
	ref    string
	amount int64
	reason string // refund or void: the order's status
	expire bool   // void because the payment stayed open too long
}

// PollPayments does, once, what this restaurant's online payments are
// owed (SPEC.md §20.3.3, §20.3.4): polls those due, refunds paid orders
// that were cancelled or refused, cancels open payments of such orders,
// and expires payments open too long. It returns how many provider calls
// it made. The payer calls it on a timer; tests and the CLI may call it.
func (n *Node) PollPayments(ctx context.Context) (int, error) {
	n.pay.mu.Lock()
	defer n.pay.mu.Unlock()
	prov := n.pay.get()
	if prov == nil {
		return 0, ErrPaymentsOff
	}
	now := n.cfg.clock.Now()
	var jobs []payJob
	err := n.do(ctx, func() error {
		me, ok := n.replica.CoopView(n.cfg.coop).MemberKey(n.self, n.nowMs())
		if !ok {
			return nil
		}
		for _, s := range n.replica.Orders(n.cfg.coop, func(s *crdt.OrderState) bool { return s.Restaurant == me && s.Payment != nil }) {
			p := s.Payment
			j := payJob{action: market.PaymentDuty(s), order: s.ID, ref: p.Ref, amount: p.AmountCents, reason: s.Status.String()}
			switch j.action {
			case market.PayNothing:
				continue
			case market.PayPoll:
				switch market.PollDue(p, now, n.pay.lastPoll[s.ID]) {
				case market.PollLater:
					continue
				case market.PollExpired:
					j.action, j.expire = market.PayVoid, true
				}
			}
			jobs = append(jobs, j)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, j := range jobs {
		if err := n.runPayJob(ctx, prov, j, now); err != nil {
			n.log.Warn("payment duty", "order", j.order.Short(), "action", j.action.String(), "err", err)
		}
	}
	return len(jobs), nil
}

func (n *Node) runPayJob(ctx context.Context, prov PaymentProvider, j payJob, now time.Time) error {
	switch j.action {
	case market.PayPoll:
		n.pay.lastPoll[j.order] = now
		st, err := prov.Status(ctx, j.ref)
		if err != nil {
			return err
		}
		return n.applyProviderStatus(ctx, j.order, st)
	case market.PayRefund:
		if err := prov.Refund(ctx, j.ref, j.amount, "refund-"+j.order.String()); err != nil {
			return err
		}
		return n.recordOwnPayment(ctx, j.order, crdt.PayRefunded, j.reason)
	case market.PayVoid:
		if err := prov.Cancel(ctx, j.ref, "void-"+j.order.String()); err != nil {
			return err
		}
		reason := j.reason
		if j.expire {
			reason = "expired"
		}
		return n.recordOwnPayment(ctx, j.order, crdt.PayFailed, reason)
	}
	return nil
}

// recordOwnPayment authors the restaurant's order.payment for the
// order's online payment in a new state.
func (n *Node) recordOwnPayment(ctx context.Context, order crdt.ID, state crdt.PaymentState, reason string) error {
	return n.do(ctx, func() error {
		s, ok := n.replica.OrderView(order)
		if !ok || s.Payment == nil {
			return fmt.Errorf("%w: order %s has no payment", ErrUnknown, order.Short())
		}
		p := s.Payment
		b := &crdt.OrderPayment{State: state, Method: p.Method, AmountCents: p.AmountCents, Provider: p.Provider, Ref: p.Ref, Reason: reason}
		if state == crdt.PayFailed {
			b.AmountCents = 0
		}
		_, err := n.author(draft{kind: crdt.KindOrderPayment, scope: order, body: b, duty: "payment"})
		return err
	})
}

// applyProviderStatus records what the provider says of an order's
// payment, after market.PaymentUpdate's checks.
func (n *Node) applyProviderStatus(ctx context.Context, order crdt.ID, st market.ProviderStatus) error {
	return n.do(ctx, func() error {
		s, ok := n.replica.OrderView(order)
		if !ok {
			return fmt.Errorf("%w: order %s", ErrUnknown, order.Short())
		}
		currency := ""
		if coop := n.replica.CoopView(n.cfg.coop); coop != nil {
			currency = coop.Currency
		}
		body, changed, err := market.PaymentUpdate(s, currency, st)
		if err != nil {
			return refusal("order.payment", err)
		}
		if !changed {
			return nil
		}
		_, err = n.author(draft{kind: crdt.KindOrderPayment, scope: order, body: body, duty: "payment"})
		return err
	})
}

// PaymentWebhook handles a provider webhook (SPEC.md §20.3.3): it verifies
// the signature (ErrWebhookSignature), refuses a replay or a stale
// signature (ErrWebhookReplayed), then records what it reports, with the
// checks of polling.
func (n *Node) PaymentWebhook(ctx context.Context, body []byte, header http.Header) error {
	prov := n.pay.get()
	if prov == nil {
		return ErrPaymentsOff
	}
	ev, err := prov.Webhook(body, header)
	if err != nil {
		return err
	}
	now := n.cfg.clock.Now()
	if d := now.Sub(ev.Signed); d > webhookTolerance || d < -webhookTolerance {
		return fmt.Errorf("%w: signed %s ago", ErrWebhookReplayed, d.Round(time.Second))
	}
	if !n.pay.remember(ev.ID, now) {
		return fmt.Errorf("%w: event %s was already processed", ErrWebhookReplayed, ev.ID)
	}
	if err := n.saveWebhookSeen(ctx); err != nil {
		n.pay.forget(ev.ID)
		return err
	}
	if !ev.Relevant {
		return nil
	}
	order, err := n.orderOfPayment(ctx, ev.Status)
	if err == nil {
		err = n.applyProviderStatus(ctx, order, ev.Status)
	}
	if err != nil && Code(err) == CodeInternal {
		n.pay.forget(ev.ID) // a retry may succeed
	}
	return err
}

// remember records a webhook event ID; false if it was already there.
func (s *payState) remember(id string, now time.Time) bool {
	s.seenMu.Lock()
	defer s.seenMu.Unlock()
	for k, t := range s.seen {
		if now.Sub(t) > webhookMemory {
			delete(s.seen, k)
		}
	}
	if _, dup := s.seen[id]; dup {
		return false
	}
	s.seen[id] = now
	return true
}

// webhookMeta is the store metadata name of the webhook event IDs
// processed in the last webhookMemory, so a restart does not reopen them.
const webhookMeta = "webhook_seen"

func (n *Node) saveWebhookSeen(ctx context.Context) error {
	n.pay.seenMu.Lock()
	b, err := json.Marshal(n.pay.seen)
	n.pay.seenMu.Unlock()
	if err != nil {
		return err
	}
	return n.store.PutMeta(ctx, webhookMeta, b)
}

// loadWebhookSeen reads the IDs saved by saveWebhookSeen; a missing or
// unreadable record is an empty memory (the 300 s window still holds).
func (n *Node) loadWebhookSeen(ctx context.Context) {
	b, err := n.store.GetMeta(ctx, webhookMeta)
	if err != nil {
		return
	}
	seen := map[string]time.Time{}
	if json.Unmarshal(b, &seen) == nil {
		n.pay.seen = seen
	}
}

func (s *payState) forget(id string) {
	s.seenMu.Lock()
	defer s.seenMu.Unlock()
	delete(s.seen, id)
}

// orderOfPayment finds the order a provider's report is about: the order
// its metadata names, else the restaurant's order with that reference.
func (n *Node) orderOfPayment(ctx context.Context, st market.ProviderStatus) (crdt.ID, error) {
	var id crdt.ID
	if b, err := hex.DecodeString(st.Order); err == nil && len(b) == len(id) {
		copy(id[:], b)
		return id, nil
	}
	err := n.do(ctx, func() error {
		for _, s := range n.replica.Orders(n.cfg.coop, func(s *crdt.OrderState) bool { return s.Payment != nil && s.Payment.Ref == st.Ref }) {
			id = s.ID
			return nil
		}
		return refusal("order.payment", fmt.Errorf("%w: no order has payment %s", market.ErrPaymentMismatch, st.Ref))
	})
	return id, err
}

// RecordPayment records a payment taken or given back by hand (SPEC.md
// §20.2): cash or card at the handover (paid or failed, by the holder or
// the restaurant), or a refund by the restaurant. An online refund is
// made at the provider first.
func (n *Node) RecordPayment(ctx context.Context, order crdt.ID, state crdt.PaymentState, reason string) error {
	var online bool
	var b *crdt.OrderPayment
	err := n.do(ctx, func() error {
		s, ok := n.replica.OrderView(order)
		if !ok {
			return fmt.Errorf("%w: order %s", ErrUnknown, order.Short())
		}
		m := s.Place.Payment.Effective()
		me := n.memberKeyOrSelf()
		party := me == s.Restaurant || (me == s.Holder && !s.Holder.IsZero()) // else the fold names the author's fault
		if re := payRefusal(s, state); re != nil && party && (m != crdt.PayOnline || state == crdt.PayRefunded) {
			return re
		}
		b = &crdt.OrderPayment{State: state, Method: m, AmountCents: s.Place.Totals.TotalCents, Reason: reason}
		if p := s.Payment; p != nil {
			b.Provider, b.Ref = p.Provider, p.Ref
			if state == crdt.PayRefunded {
				b.AmountCents = p.AmountCents
			}
		}
		if state == crdt.PayFailed {
			b.AmountCents = 0
		}
		if m == crdt.PayOnline {
			if state != crdt.PayRefunded {
				return errorf(ErrBadArgument, "an online payment's state comes from the provider; only a refund is made by hand")
			}
			online = true
			return nil
		}
		_, err := n.author(draft{kind: crdt.KindOrderPayment, scope: order, body: b})
		return err
	})
	if err != nil || !online {
		return err
	}
	n.pay.mu.Lock()
	defer n.pay.mu.Unlock()
	prov := n.pay.get()
	if prov == nil {
		return ErrPaymentsOff
	}
	if err := prov.Refund(ctx, b.Ref, b.AmountCents, "refund-"+order.String()); err != nil {
		return err
	}
	return n.recordOwnPayment(ctx, order, crdt.PayRefunded, reason)
}

// AwaitPaid waits until the order's payment is paid (nil), failed
// (ErrPaymentDeclined, with the provider's reason), or ctx ends.
func (n *Node) AwaitPaid(ctx context.Context, order crdt.ID) (*crdt.Payment, error) {
	s, err := n.WaitOrder(ctx, order, func(s *crdt.OrderState) bool {
		st := s.PaymentState()
		return st == crdt.PayPaid || st == crdt.PayFailed || st == crdt.PayRefunded
	})
	if err != nil {
		return nil, err
	}
	if s.PaymentState() != crdt.PayPaid {
		return s.Payment, fmt.Errorf("%w: %s (%s)", ErrPaymentDeclined, s.Payment.State, s.Payment.Reason)
	}
	return s.Payment, nil
}
