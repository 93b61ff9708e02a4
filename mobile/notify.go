package mobile

import (
	"context"
	"encoding/json"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// The watcher: one goroutine turns the node's changes and the host's
// connection events into the app's callbacks, in order, one at a time.

func (m *Node) watch() {
	defer m.wg.Done()
	for {
		select {
		case <-m.ctx.Done():
			return
		case ch, ok := <-m.sub.C:
			if !ok {
				return
			}
			m.onChange(ch)
		case e, ok := <-m.bus.Out():
			if !ok {
				return
			}
			if ev, ok := e.(event.EvtPeerConnectednessChanged); ok && ev.Connectedness == network.Connected {
				select {
				case m.newPeer <- ev.Peer:
				default: // the scheduler is busy; the periodic sync covers it
				}
			}
			m.emitConn()
		case <-m.connSig:
			m.emitConn()
		case id := <-m.recheck:
			m.recheckOrder(id)
		case done := <-m.barrier:
			m.drain()
			close(done)
		}
	}
}

// drain processes every change and recheck already queued. Changes the
// node announced before a call returned are queued by then (announce runs
// on the node's loop before the call's answer), so a barrier after such a
// call sees their callbacks made.
func (m *Node) drain() {
	for {
		select {
		case ch, ok := <-m.sub.C:
			if !ok {
				return
			}
			m.onChange(ch)
		case id := <-m.recheck:
			m.recheckOrder(id)
		default:
			return
		}
	}
}

// flush waits until the watcher has processed everything queued so far
// (tests use it to check that a callback did not happen).
func (m *Node) flush(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case m.barrier <- done:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m *Node) recheckOrder(id crdt.ID) {
	ctx, cancel := context.WithTimeout(m.ctx, m.cfg.callTimeout())
	defer cancel()
	if s, err := m.n.Order(ctx, id); err == nil {
		m.onOrder(ctx, s)
	}
}

func (m *Node) onChange(ch node.Change) {
	switch ch.Scope {
	case "coop", "catalog":
		m.staleViews() // names, membership, rules
		if ch.Scope == "coop" {
			m.requestReapply() // membership may start or end this courier's rights
		}
	case "tracking":
		ctx, cancel := context.WithTimeout(m.ctx, m.cfg.callTimeout())
		defer cancel()
		m.onTracking(ctx, ch.ID)
		return
	}
	if ch.Order == nil {
		return
	}
	ctx, cancel := context.WithTimeout(m.ctx, m.cfg.callTimeout())
	defer cancel()
	m.onOrder(ctx, ch.Order)
}

// onTracking reports a courier position that reached this device (sealed
// to it: it is a party of the order) with the order's new ETA. The order
// state did not change, so it is reported whatever was reported before;
// the network lets through at most one position per order every 4 s.
func (m *Node) onTracking(ctx context.Context, id crdt.ID) {
	s, err := m.n.Order(ctx, id)
	if err != nil {
		return
	}
	vc := m.viewCtx(ctx)
	if !vc.involved(s) {
		return
	}
	t := vc.tracking(s, m.courierTrack(ctx, s), time.Now().UnixMilli())
	if t.CourierPosition == nil {
		return
	}
	m.fire("order", t, func(b []byte) { m.cb.OnOrderUpdate(b) })
}

// claimable is node.Jobs's rule: a delivery in a kitchen status whose
// holder is not confirmed.
func claimable(s *crdt.OrderState) bool {
	switch s.Status {
	case crdt.StatusAccepted, crdt.StatusPreparing, crdt.StatusReady:
	default:
		return false
	}
	return s.Place.Fulfilment == crdt.FulfilDelivery && !s.HolderConfirmed
}

// onOrder decides the callbacks one order state calls for.
func (m *Node) onOrder(ctx context.Context, s *crdt.OrderState) {
	vc := m.viewCtx(ctx)
	now := time.Now().UnixMilli()
	var jobs []jobView
	var claims []claimResult
	var update *trackingView
	courier := nodeRole(m.cfg.Role) == node.RoleCourier
	var track *courierTrack
	involved := vc.involved(s)
	if involved {
		track = m.courierTrack(ctx, s)
	}

	m.mu.Lock()
	if courier && m.st.onShift {
		mine := vc.isMe(s.Holder)
		for _, c := range s.Claims {
			mine = mine || vc.isMe(c.Courier)
		}
		near := m.st.pos == nil || m.st.radiusM <= 0 || distanceM(*m.st.pos, s.Place.Pickup) <= m.st.radiusM
		avail := claimable(s) && !mine && near
		switch {
		case avail && !m.st.notified[s.ID]:
			m.st.notified[s.ID] = true
			jobs = append(jobs, vc.job(s, m.st.pos, true))
		case !avail && m.st.notified[s.ID]:
			m.st.notified[s.ID] = false
			jobs = append(jobs, vc.job(s, m.st.pos, false))
		}
	}
	if claim, ok := m.st.claims[s.ID]; ok {
		if res, found := claimOutcome(s, claim); found && res.Final {
			delete(m.st.claims, s.ID)
			claims = append(claims, res)
		}
	}
	reapply := false
	if involved {
		h := s.Hash()
		prev, seen := m.st.lastOrder[s.ID]
		if !seen || prev != h {
			m.st.lastOrder[s.ID] = h
			t := vc.tracking(s, track, now)
			update = &t
			// the policy follows order gossip only while an order of ours is open
			reapply = !seen || s.Status.Terminal()
		}
	}
	m.mu.Unlock()

	for _, j := range jobs {
		m.fire("job", j, func(b []byte) { m.cb.OnJobNearby(b) })
	}
	for _, c := range claims {
		m.fire("claim", c, func(b []byte) { m.cb.OnClaimResult(b) })
	}
	if update != nil {
		m.fire("order", update, func(b []byte) { m.cb.OnOrderUpdate(b) })
	}
	if reapply {
		m.requestReapply()
	}
}

// emitConn reports the connection state if it changed since last time.
func (m *Node) emitConn() {
	v := m.connState()
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	m.mu.Lock()
	same := m.st.lastConn == string(b)
	m.st.lastConn = string(b)
	m.mu.Unlock()
	if !same {
		m.fire("connection", v, func(b []byte) { m.cb.OnConnectionState(b) })
	}
}

// fire encodes v and calls the app, shielding the node from a callback
// that panics.
func (m *Node) fire(what string, v any, call func([]byte)) {
	if m.cb == nil || m.ctx.Err() != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		m.log.Error("encode callback", "what", what, "err", err)
		return
	}
	defer func() {
		if r := recover(); r != nil {
			m.log.Error("callback panicked", "what", what, "panic", r)
		}
	}()
	call(b)
}
