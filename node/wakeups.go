package node

import (
	"context"
	"errors"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node/wakeup"
)

// Wake-ups for sleeping phones (issue 13 item 5; node/wakeup).
//
// Why: a phone in background keeps no connections, so neither gossip nor
// party push reaches it. A relay given WithWakeups sends a wake-up to the
// registered push endpoint of each member an applied order event concerns
// and who is not connected: the order's parties on any order event, and
// when a job appears (order.accept) the couriers on a shift covering it, or
// all couriers when none is (wakeTargets). The phone then
// reconnects and syncs; the wake-up itself carries no order content.
//
// The loop only names whom to wake (effectsOf → advance, step 6); one
// goroutine, wakeSender, does the HTTP work, so the loop never waits on a
// push service.

// Waker sends one wake-up; *wakeup.Sender is one.
type Waker interface {
	Wake(ctx context.Context, sub wakeup.Subscription) error
}

const (
	// wakeQueueLen bounds the keys waiting for a wake-up; beyond it a
	// wake-up is dropped (the phone catches up on its next sync anyway).
	wakeQueueLen = 256
	// wakeInterval is the least time between two wake-ups of one key: one
	// wake-up makes the phone sync everything, and iOS allows only a few
	// background pushes an hour (docs/wakeups.md).
	wakeInterval = 30 * time.Second
	// wakeTimeout bounds one request to a push service.
	wakeTimeout = 10 * time.Second
)

// WithWakeups makes the node wake the phones registered in reg (keyed by
// crdt.PubKey.String() of the member or device key) through w. Meant for a
// relay, which follows every order event.
func WithWakeups(reg *wakeup.Registry, w Waker) Option {
	return func(c *config) error {
		if reg == nil || w == nil {
			return errors.New("node: WithWakeups needs a registry and a waker")
		}
		c.wakeReg, c.waker = reg, w
		return nil
	}
}

// wakeTargetsFor names the keys an applied order event concerns
// (wakeTargets). It runs on the loop.
func (n *Node) wakeTargetsFor(e *crdt.Event) []crdt.PubKey {
	if n.wakes == nil || e.Kind.Class() != crdt.ScopeOrder || n.cfg.coop.IsZero() {
		return nil
	}
	s, _ := n.replica.OrderView(e.ScopeID())
	return wakeTargets(n.replica.CoopView(n.cfg.coop), s, e)
}

// wakeTargets decides, as a pure function of the folded coop state coop
// (nil if unknown), the order's state s (nil if unknown) and the applied
// order event e, whom e concerns: the order's parties on any order event,
// and when a job appears (order.accept) the couriers who should hear of it:
//
//   - the couriers seated on a shift in progress at e's wall time whose
//     zone, if set, contains the pickup (market.Covering, the same rule as
//     the job board's head start, SPEC.md §21.2);
//   - if no courier sits on such a shift (the coop plans no shift then, or
//     none covering this pickup, or nobody signed up), every courier of the
//     coop: a job must wake someone, as every courier then sees it at once
//     on the board.
//
// Revoked members and the author are left out; each member named brings
// its live (non-revoked) devices. docs/wakeups.md explains the rule.
func wakeTargets(coop *crdt.CoopState, s *crdt.OrderState, e *crdt.Event) []crdt.PubKey {
	var members []crdt.PubKey
	if s != nil {
		members = append(members, s.Parties()...)
	}
	courier := func(k crdt.PubKey) bool {
		m, ok := coop.Members[k]
		return ok && m.RevokedAt == 0 && m.Roles.Has(crdt.RoleCourier)
	}
	if coop != nil && e.Kind == crdt.KindOrderAccept {
		var onShift []crdt.PubKey
		seen := map[crdt.PubKey]bool{}
		if s != nil {
			for _, sh := range market.Covering(coop, s, e.Wall) {
				for _, st := range sh.Seats {
					if !seen[st.Courier] && courier(st.Courier) {
						seen[st.Courier] = true
						onShift = append(onShift, st.Courier)
					}
				}
			}
		}
		if len(onShift) == 0 { // no courier on a covering shift: all couriers
			for k := range coop.Members {
				if courier(k) {
					onShift = append(onShift, k)
				}
			}
		}
		members = append(members, onShift...)
	}
	out := make([]crdt.PubKey, 0, len(members))
	for _, k := range members {
		if k == e.Author {
			continue
		}
		out = append(out, k)
		if coop == nil {
			continue
		}
		if m, ok := coop.Members[k]; ok {
			for d, dev := range m.Devices {
				if dev.RevokedAt == 0 {
					out = append(out, d)
				}
			}
		}
	}
	return out
}

// queueWakes hands keys to wakeSender without blocking the loop.
func (n *Node) queueWakes(keys []crdt.PubKey) {
	for _, k := range keys {
		select {
		case n.wakes <- k:
		default:
			n.log.Warn("wake-up queue full; dropped", "key", k.String()[:8])
		}
	}
}

// wakeSender sends the wake-ups: to a registered key whose peer is not
// connected, at most once per wakeInterval. A push service answering
// wakeup.ErrGone drops the subscription.
func (n *Node) wakeSender() {
	defer n.wg.Done()
	last := map[crdt.PubKey]time.Time{}
	for {
		var k crdt.PubKey
		select {
		case <-n.ctx.Done():
			return
		case k = <-n.wakes:
		}
		owner := k.String()
		sub, ok := n.cfg.wakeReg.Lookup(owner)
		if !ok {
			continue
		}
		if p, err := peerFromPubKey(k); err == nil && n.host.Network().Connectedness(p) == network.Connected {
			continue // awake: gossip or push reaches it
		}
		now := n.cfg.clock.Now()
		if t, ok := last[k]; ok && now.Sub(t) < wakeInterval {
			continue
		}
		last[k] = now
		ctx, cancel := context.WithTimeout(n.ctx, wakeTimeout)
		err := n.cfg.waker.Wake(ctx, sub)
		cancel()
		n.countWake(err == nil)
		switch {
		case err == nil:
			n.log.Debug("wake-up sent", "key", owner[:8])
		case errors.Is(err, wakeup.ErrGone):
			n.cfg.wakeReg.Remove(owner)
			n.log.Info("push subscription gone; removed", "key", owner[:8], "err", err)
		default:
			n.log.Warn("wake-up failed", "key", owner[:8], "err", err)
		}
	}
}

func wakeQueue(w Waker) chan crdt.PubKey {
	if w == nil {
		return nil
	}
	return make(chan crdt.PubKey, wakeQueueLen)
}

// countWake counts a wake-up on the loop. It may wait for the loop: it
// runs on wakeSender, which the loop never waits for.
func (n *Node) countWake(sent bool) {
	f := func() {
		if sent {
			n.stats.WakeupsSent++
		} else {
			n.stats.WakeupsFailed++
		}
	}
	select {
	case n.reqs <- f:
	case <-n.ctx.Done():
	}
}
