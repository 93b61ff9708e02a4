package node

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// The direct payment request (SPEC.md §20.3.2): the customer's node asks
// the restaurant's node, over /coopnode/pay/1, for a way to pay an online
// order. The client secret travels on this one stream, between the two
// parties, never in an event or on a topic. The restaurant knows who asks
// from the stream's authenticated peer ID, whose key must be the order's
// customer key.

// payStreamTimeout bounds one request, the provider call included.
const payStreamTimeout = 30 * time.Second

// handlePay answers one payment request.
func (n *Node) handlePay(s network.Stream) {
	defer s.Close()
	_ = s.SetDeadline(time.Now().Add(payStreamTimeout))
	var req protocol.PayRequest
	if err := protocol.ReadPayFrame(bufio.NewReader(s), protocol.MaxPayRequest, &req); err != nil {
		n.log.Debug("pay: bad request", "peer", s.Conn().RemotePeer(), "err", err)
		_ = s.Reset()
		return
	}
	resp := n.servePay(req, s.Conn().RemotePeer())
	if err := protocol.WritePayFrame(s, resp, protocol.MaxPayResponse); err != nil {
		n.log.Debug("pay: write", "err", err)
		_ = s.Reset()
	}
}

func (n *Node) servePay(req protocol.PayRequest, from peer.ID) protocol.PayResponse {
	fail := func(err error) protocol.PayResponse {
		return protocol.PayResponse{Order: req.Order, Code: Code(err), Message: err.Error()}
	}
	id, err := req.OrderID()
	if err != nil {
		return fail(errorf(ErrBadArgument, "%v", err))
	}
	who, err := pubKeyFromPeer(from)
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(n.ctx, payStreamTimeout)
	defer cancel()
	sess, err := n.OpenPayment(ctx, id, who)
	if err != nil {
		return fail(err)
	}
	return protocol.PayResponse{Order: req.Order, Provider: sess.Provider, Ref: sess.Ref, ClientSecret: sess.ClientSecret, URL: sess.URL,
		AmountCents: sess.AmountCents, Currency: sess.Currency, State: sess.State.String()}
}

// OpenPayment is the restaurant's side of a payment request (SPEC.md
// §20.3.2): for the order's customer key only, it opens the order's
// online payment at the provider for exactly the order's total and
// records it pending, or returns the open one again.
func (n *Node) OpenPayment(ctx context.Context, order crdt.ID, customer crdt.PubKey) (PaymentSession, error) {
	n.pay.mu.Lock()
	defer n.pay.mu.Unlock()
	prov := n.pay.get()
	var req PaymentRequest
	var cur *crdt.Payment
	err := n.do(ctx, func() error {
		s, ok := n.replica.OrderView(order)
		if !ok {
			return fmt.Errorf("%w: order %s", ErrUnknown, order.Short())
		}
		refuse := func(r crdt.Reason, detail string) error {
			return &RefusedError{Kind: "payment", Reason: string(r), Detail: detail}
		}
		coop := n.replica.CoopView(n.cfg.coop)
		me, ok := coop.MemberKey(n.self, n.nowMs())
		switch {
		case !ok || s.Restaurant != me:
			return refuse(crdt.ReasonNotRestaurant, "this node is not the order's restaurant")
		case customer != s.Customer:
			return refuse(crdt.ReasonNotCustomer, "only the order's customer may ask to pay it")
		case s.Place.Payment != crdt.PayOnline:
			return refuse(crdt.ReasonPaymentMethod, fmt.Sprintf("the order is paid %s, not online", s.Place.Payment.Effective()))
		case s.Status == crdt.StatusRefused || s.Status == crdt.StatusCancelled || s.Status == crdt.StatusInvalid:
			return refuse(crdt.ReasonBadTransition, "the order is "+s.Status.String())
		case prov == nil:
			return ErrPaymentsOff
		case coop.Currency == "":
			return errorf(ErrBadArgument, "the cooperative names no currency")
		}
		if s.Payment != nil {
			p := *s.Payment
			cur = &p
		}
		attempt := 0
		for _, st := range s.Steps {
			if st.Kind == crdt.KindOrderPayment {
				attempt++
			}
		}
		name := s.Restaurant.Short()
		if e, ok := n.replica.Doc(crdt.DocKey{Coop: n.cfg.coop, Owner: s.Restaurant, Kind: crdt.KindCatalogProfile}); ok {
			if prof, ok := e.Body.(*crdt.CatalogProfile); ok && prof.Name != "" {
				name = prof.Name
			}
		}
		req = PaymentRequest{Order: order, AmountCents: s.Place.Totals.TotalCents, Currency: coop.Currency,
			Description: "Order " + order.Short() + " at " + name, IdempotencyKey: fmt.Sprintf("pay-%s-%d", order, attempt)}
		return nil
	})
	if err != nil {
		return PaymentSession{}, err
	}
	out := PaymentSession{Order: order, Provider: prov.Name(), AmountCents: req.AmountCents, Currency: req.Currency, Method: crdt.PayOnline}
	if cur != nil && cur.State != crdt.PayFailed {
		out.Ref, out.State = cur.Ref, cur.State
		if cur.State != crdt.PayPending {
			return out, nil // nothing left to pay
		}
		sess, err := prov.Session(ctx, cur.Ref)
		if err != nil {
			return PaymentSession{}, err
		}
		out.ClientSecret, out.URL = sess.ClientSecret, sess.URL
		return out, nil
	}
	sess, err := prov.Create(ctx, req)
	if err != nil {
		return PaymentSession{}, err
	}
	err = n.do(ctx, func() error {
		_, err := n.author(draft{kind: crdt.KindOrderPayment, scope: order, duty: "payment",
			body: &crdt.OrderPayment{State: crdt.PayPending, Method: crdt.PayOnline, AmountCents: req.AmountCents, Provider: prov.Name(), Ref: sess.Ref}})
		return err
	})
	if err != nil {
		return PaymentSession{}, err
	}
	out.Ref, out.ClientSecret, out.URL, out.State = sess.Ref, sess.ClientSecret, sess.URL, crdt.PayPending
	return out, nil
}

// Pay is the customer's side (SPEC.md §20.3.2): it asks the order's
// restaurant node, directly, for a way to pay the order online, and
// returns the client secret or payment page. The restaurant's refusals
// come back with their codes.
func (n *Node) Pay(ctx context.Context, order crdt.ID) (PaymentSession, error) {
	var targets []peer.ID
	err := n.do(ctx, func() error {
		s, ok := n.replica.OrderView(order)
		if !ok {
			return fmt.Errorf("%w: order %s", ErrUnknown, order.Short())
		}
		if s.Customer != n.self {
			return &RefusedError{Kind: "payment", Reason: string(crdt.ReasonNotCustomer), Detail: "only the node that placed the order can pay it"}
		}
		if s.Place.Payment != crdt.PayOnline {
			return &RefusedError{Kind: "payment", Reason: string(crdt.ReasonPaymentMethod), Detail: fmt.Sprintf("the order is paid %s, not online", s.Place.Payment.Effective())}
		}
		keys := []crdt.PubKey{s.Restaurant}
		if coop := n.replica.CoopView(n.cfg.coop); coop != nil {
			if m, ok := coop.Members[s.Restaurant]; ok {
				for k, d := range m.Devices {
					if d.RevokedAt == 0 {
						keys = append(keys, k)
					}
				}
			}
		}
		for _, k := range keys {
			if p, err := peerFromPubKey(k); err == nil {
				targets = append(targets, p)
			}
		}
		return nil
	})
	if err != nil {
		return PaymentSession{}, err
	}
	// connected devices first
	var connected, others []peer.ID
	for _, p := range targets {
		if n.host.Network().Connectedness(p) == network.Connected {
			connected = append(connected, p)
		} else {
			others = append(others, p)
		}
	}
	lastErr := fmt.Errorf("%w: the restaurant's node is not reachable", ErrOffline)
	for _, p := range append(connected, others...) {
		sess, err := n.askPay(ctx, p, order)
		if err == nil {
			return sess, nil
		}
		var re *RefusedError
		if errors.As(err, &re) {
			return PaymentSession{}, err // the restaurant answered
		}
		lastErr = fmt.Errorf("%w: %w", ErrOffline, err)
	}
	return PaymentSession{}, lastErr
}

func (n *Node) askPay(ctx context.Context, p peer.ID, order crdt.ID) (PaymentSession, error) {
	ctx, cancel := context.WithTimeout(ctx, payStreamTimeout)
	defer cancel()
	s, err := n.openPay(ctx, p)
	if err != nil {
		return PaymentSession{}, err
	}
	defer s.Close()
	if d, ok := ctx.Deadline(); ok {
		_ = s.SetDeadline(d)
	}
	if err := protocol.WritePayFrame(s, protocol.PayRequest{Order: order.String()}, protocol.MaxPayRequest); err != nil {
		_ = s.Reset()
		return PaymentSession{}, err
	}
	_ = s.CloseWrite()
	var resp protocol.PayResponse
	if err := protocol.ReadPayFrame(bufio.NewReader(s), protocol.MaxPayResponse, &resp); err != nil {
		_ = s.Reset()
		return PaymentSession{}, err
	}
	if resp.Code != "" {
		return PaymentSession{}, &RefusedError{Kind: "payment", Reason: resp.Code, Detail: resp.Message}
	}
	if resp.Order != order.String() {
		return PaymentSession{}, fmt.Errorf("%w: the restaurant answered for order %q", ErrPaymentProvider, resp.Order)
	}
	sess := PaymentSession{Order: order, Provider: resp.Provider, Ref: resp.Ref, ClientSecret: resp.ClientSecret, URL: resp.URL,
		AmountCents: resp.AmountCents, Currency: resp.Currency, Method: crdt.PayOnline}
	for st := crdt.PayPending; st <= crdt.PayFailed; st++ {
		if st.String() == resp.State {
			sess.State = st
		}
	}
	return sess, nil
}

// openPay opens a payment stream to the restaurant's node p, over a relayed
// (limited) link too: two NATed nodes that failed to punch a hole have only
// that (SPEC.md §10.6).
func (n *Node) openPay(ctx context.Context, p peer.ID) (network.Stream, error) {
	return n.host.NewStream(network.WithAllowLimitedConn(ctx, "payment request"), p, protocol.PayProtocolID)
}
