package httpapi

import (
	"io"
	"net/http"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// Payment routes (SPEC.md §20; docs/http-api.md §13.5).
//
//	POST /v1/orders/{id}/pay       customer: a way to pay the order online
//	                                (asks the restaurant's node directly)
//	POST /v1/orders/{id}/payment   {"state": "paid"|"failed"|"refunded",
//	                                "reason"}: a payment taken or given back
//	                                by hand (cash, card; online refunds)
//	GET  /v1/payments/account      restaurant: whether an account is set
//	PUT  /v1/payments/account      restaurant: set it (sealed at rest)
//	POST /v1/payments/poll         restaurant: run the payment duties now
//
// The provider's webhook is not served here: this API listens on
// loopback behind a token the provider cannot send. WebhookHandler serves
// it on a listener of its own, authenticated by the provider's signature.
func (s *Server) payRoutes() {
	m := s.mux
	m.HandleFunc("POST /v1/orders/{id}/pay", s.pay)
	m.HandleFunc("POST /v1/orders/{id}/payment", s.recordPayment)
	m.HandleFunc("GET /v1/payments/account", s.getPaymentAccount)
	m.HandleFunc("PUT /v1/payments/account", s.putPaymentAccount)
	m.HandleFunc("POST /v1/payments/poll", s.pollPayments)
}

func (s *Server) pay(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	sess, err := s.n.Pay(ctx, id)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, sess)
}

type paymentReq struct {
	State  string `json:"state"`
	Reason string `json:"reason"`
}

func (s *Server) recordPayment(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var req paymentReq
	if !decode(w, r, &req) {
		return
	}
	var st crdt.PaymentState
	switch req.State {
	case "paid":
		st = crdt.PayPaid
	case "failed":
		st = crdt.PayFailed
	case "refunded":
		st = crdt.PayRefunded
	default:
		failf(w, node.ErrBadArgument, "state %q: want paid, failed or refunded", req.State)
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	if err := s.n.RecordPayment(ctx, id, st, req.Reason); err != nil {
		fail(w, err)
		return
	}
	o, err := s.n.Order(ctx, id)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, o.Payment)
}

func (s *Server) getPaymentAccount(w http.ResponseWriter, r *http.Request) {
	p, ok := s.n.PaymentAccountSet()
	writeJSON(w, http.StatusOK, map[string]any{"set": ok, "provider": p})
}

func (s *Server) putPaymentAccount(w http.ResponseWriter, r *http.Request) {
	var a node.PaymentAccount
	if !decode(w, r, &a) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	if err := s.n.SetPaymentAccount(ctx, a); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"set": true, "provider": a.Provider})
}

func (s *Server) pollPayments(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := ctxOf(r)
	defer cancel()
	n, err := s.n.PollPayments(ctx)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"calls": n})
}

// MaxWebhookBody bounds a provider webhook's body.
const MaxWebhookBody = 64 << 10

// WebhookPath is where WebhookHandler takes the provider's webhooks.
const WebhookPath = "/v1/payments/webhook"

// WebhookHandler serves POST /v1/payments/webhook for a restaurant node
// reachable from the internet (SPEC.md §20.3.3): no token, the provider's
// signature authenticates each call, and nothing else is served. A
// verified webhook answers 200; a refused one its code's status, with
// the code.
func WebhookHandler(n *node.Node) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w = &jsonErrors{ResponseWriter: w, r: r}
		if r.URL.Path != WebhookPath {
			failf(w, node.ErrNoRoute, "only POST %s is served here", WebhookPath)
			return
		}
		if r.Method != http.MethodPost {
			failf(w, node.ErrBadMethod, "POST only")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
		if err != nil {
			failf(w, node.ErrTooLarge, "a webhook body is at most %d bytes", MaxWebhookBody)
			return
		}
		ctx, cancel := ctxOf(r)
		defer cancel()
		if err := n.PaymentWebhook(ctx, body, r.Header); err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
	})
}
