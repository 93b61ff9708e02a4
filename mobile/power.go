package mobile

import (
	"context"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// Power modes, connectivity and the sync schedule.
//
// A node is "active" in the foreground and "saving" in the background or
// in low-power mode. The policy (apply) decides, from the app's state:
//
//   - which gossip topics to follow. Saving: none, so the node relays
//     nothing for others and receives no city traffic; it catches up by
//     sync sessions. Active courier: the coop log, plus every order event
//     while on shift or carrying an order (the job board); never the
//     menus. Active customer: the coop log, the menus unless the link is
//     metered, and the order events only while one of its orders is open.
//     Gossip runs as a leaf (config mesh_router: false) in every mode, so
//     a phone never forwards the city's messages as a mesh router.
//   - how many peers to keep: max_peers active, low_power_max_peers
//     saving (bootstrap peers always stay); the gater refuses more.
//   - how often to sync: sync_seconds active, low_power_sync_seconds
//     saving (on_shift_low_power_sync_seconds for a courier on shift);
//     also on wake, when connectivity returns, and with each new peer.
//   - offline: the gater refuses every connection and every dial, so
//     discovery's retries cost no radio time; actions still work on the
//     local replica and are handed over by the first sync once online.

// SetAppState tells the node whether the app is in the "foreground" or
// the "background" (Android: onStart/onStop of the last activity; iOS:
// sceneDidBecomeActive / sceneDidEnterBackground).
func (m *Node) SetAppState(appState string) error {
	_, err := m.call(func(ctx context.Context) (any, error) {
		if appState != appForeground && appState != appBackground {
			return nil, errorf(node.ErrBadArgument, "app state %q: want foreground or background", appState)
		}
		m.mu.Lock()
		wasSaving := m.st.saving()
		m.st.appState = appState
		wake := wasSaving && !m.st.saving()
		m.st.wake = m.st.wake || wake
		m.mu.Unlock()
		err := m.apply(ctx)
		m.kick()
		return nil, err
	})
	return err
}

// SetLowPower turns low-power mode on or off (Android: battery saver or
// the app's own setting; iOS: Low Power Mode).
func (m *Node) SetLowPower(on bool) error {
	_, err := m.call(func(ctx context.Context) (any, error) {
		m.mu.Lock()
		wasSaving := m.st.saving()
		m.st.lowPower = on
		m.st.wake = m.st.wake || (wasSaving && !m.st.saving())
		m.mu.Unlock()
		err := m.apply(ctx)
		m.kick()
		return nil, err
	})
	return err
}

// SetConnectivity passes the device's network state as JSON (API.md,
// "SetConnectivity"): {"network":"wifi","metered":false,"addrs":["192.168.1.23"]}.
// Call it on every change the OS reports.
func (m *Node) SetConnectivity(infoJSON string) error {
	_, err := m.call(func(ctx context.Context) (any, error) {
		var c connectivity
		if err := decode(infoJSON, &c); err != nil {
			return nil, err
		}
		ips, err := c.check()
		if err != nil {
			return nil, err
		}
		m.gate.setAddrs(ips)
		m.mu.Lock()
		prev := m.st.conn
		m.st.conn = c
		concrete := func(n string) bool { return n == netWifi || n == netCellular || n == netEthernet }
		// Connections made over the old network are dead or soon will be.
		switched := concrete(prev.Network) && concrete(c.Network) &&
			(prev.Network != c.Network || (len(prev.Addrs) > 0 && !slices.Equal(prev.Addrs, c.Addrs)))
		back := !c.offline() && (prev.Network != c.Network || switched)
		m.st.reconnect = m.st.reconnect || back
		m.mu.Unlock()
		if switched {
			m.closeAll()
		}
		err = m.apply(ctx)
		m.kick()
		return nil, err
	})
	return err
}

// syncResult is SyncNow's answer.
type syncResult struct {
	Synced     bool   `json:"synced"`
	Peer       string `json:"peer,omitempty"`
	EventsIn   int    `json:"events_in"`
	EventsOut  int    `json:"events_out"`
	BytesIn    int    `json:"bytes_in"`
	BytesOut   int    `json:"bytes_out"`
	RoundTrips int    `json:"round_trips"`
	Unsent     int    `json:"unsent"`
}

// SyncNow runs one catch-up session with the best connected peer and
// waits for it: for a background fetch (Android WorkManager, iOS
// BGAppRefreshTask) or pull-to-refresh. With no peer it redials the
// bootstrap peers first.
func (m *Node) SyncNow() (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		if m.gate.isOffline() {
			return nil, errorf(node.ErrTimeout, "offline")
		}
		if len(m.h.Network().Peers()) == 0 {
			_, _ = m.n.Reconnect(ctx)
		}
		rep, ok := m.syncPreferred(ctx)
		res := syncResult{Synced: ok}
		if ok {
			res = syncResult{Synced: true, Peer: rep.Peer.String(), EventsIn: rep.EventsIn, EventsOut: rep.EventsOut,
				BytesIn: rep.BytesIn, BytesOut: rep.BytesOut, RoundTrips: rep.RoundTrips}
		}
		m.mu.Lock()
		res.Unsent = len(m.st.unsent)
		m.mu.Unlock()
		if !ok {
			return nil, errorf(node.ErrTimeout, "no peer answered a sync session")
		}
		return res, nil
	})
}

// peerCap is the gater's connection cap for st.
func (m *Node) peerCap(st *state) int {
	if st.saving() {
		return m.cfg.LowPowerMaxPeers
	}
	return m.cfg.MaxPeers
}

// apply enforces the policy described at the top of this file.
func (m *Node) apply(ctx context.Context) error {
	m.applyMu.Lock()
	defer m.applyMu.Unlock()
	m.mu.Lock()
	st := m.st
	m.mu.Unlock()
	offline := st.conn.offline()
	limit := m.peerCap(&st)
	m.gate.set(offline, limit)

	want := node.Follow{}
	if !st.saving() {
		want.Coop = true
		switch nodeRole(m.cfg.Role) {
		case node.RoleCourier:
			want.Orders = st.onShift || m.hasOpen(ctx, true)
		default:
			want.Catalog = !st.conn.metered()
			want.Orders = m.hasOpen(ctx, false)
			// couriers' positions only while the customer waits for a delivery
			want.Tracking = want.Orders
		}
	}
	if m.lastFollow == nil || *m.lastFollow != want {
		if err := m.n.SetFollow(ctx, want); err != nil {
			return err
		}
		m.lastFollow = &want
	}
	switch {
	case offline:
		m.closeAll()
	case st.saving():
		m.n.TrimConnections(limit)
	}
	m.connChanged()
	return nil
}

// hasOpen reports whether this device has an open order: as its holder
// (courier) or as its customer.
func (m *Node) hasOpen(ctx context.Context, asCourier bool) bool {
	f := node.OrderFilter{Open: true, Customer: m.self}
	if asCourier {
		mk, ok := m.n.MemberKey(ctx)
		if !ok {
			return false
		}
		f = node.OrderFilter{Open: true, Party: mk}
	}
	orders, err := m.n.Orders(ctx, f)
	if err != nil {
		return false
	}
	if asCourier {
		mk, _ := m.n.MemberKey(ctx)
		return slices.ContainsFunc(orders, func(s *crdt.OrderState) bool { return s.Holder == mk })
	}
	return len(orders) > 0
}

func (m *Node) closeAll() {
	for _, p := range m.h.Network().Peers() {
		_ = m.h.Network().ClosePeer(p)
	}
}

// kick wakes the scheduler; it never blocks.
func (m *Node) kick() {
	select {
	case m.signal <- struct{}{}:
	default:
	}
}

func (m *Node) requestReconnect() {
	m.mu.Lock()
	m.st.reconnect = true
	m.mu.Unlock()
	m.kick()
}

func (m *Node) requestReapply() {
	m.mu.Lock()
	m.st.reapply = true
	m.mu.Unlock()
	m.kick()
}

// connChanged asks the watcher to report the connection state if it
// changed; it never blocks.
func (m *Node) connChanged() {
	select {
	case m.connSig <- struct{}{}:
	default:
	}
}

// interval is the periodic sync period in the current mode; zero while
// offline.
func (m *Node) interval() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.st.conn.offline():
		return 0
	case !m.st.saving():
		return time.Duration(m.cfg.SyncSeconds) * time.Second
	case m.st.onShift:
		return time.Duration(m.cfg.OnShiftLowPowerSyncSeconds) * time.Second
	}
	return time.Duration(m.cfg.LowPowerSyncSeconds) * time.Second
}

// peerSyncGap is how soon a peer that just synced is skipped when it
// connects again (flapping links, reconnect plus connect event).
const peerSyncGap = 10 * time.Second

// schedule runs every sync session and reconnection the façade starts, one
// at a time, until Stop.
func (m *Node) schedule() {
	defer m.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	next := time.Now().Add(m.interval())
	synced := map[peer.ID]time.Time{}
	syncPeer := func(p peer.ID) {
		if time.Since(synced[p]) < peerSyncGap && !m.hasUnsent() {
			return
		}
		if _, err := m.syncWith(m.ctx, p); err == nil {
			synced[p] = time.Now()
			next = time.Now().Add(m.interval())
		}
	}
	for {
		if iv := m.interval(); iv > 0 {
			timer.Reset(max(time.Until(next), 0))
		} else {
			timer.Reset(time.Hour)
		}
		select {
		case <-m.ctx.Done():
			return
		case <-timer.C:
			if m.interval() > 0 {
				if rep, ok := m.syncPreferred(m.ctx); ok {
					synced[rep.Peer] = time.Now()
				}
			}
			next = time.Now().Add(m.interval())
		case p := <-m.newPeer:
			syncPeer(p)
		case <-m.signal:
			m.mu.Lock()
			reconnect, wake, reapply := m.st.reconnect, m.st.wake, m.st.reapply
			m.st.reconnect, m.st.wake, m.st.reapply = false, false, false
			m.mu.Unlock()
			if reapply {
				if err := m.apply(m.ctx); err != nil {
					m.log.Debug("apply", "err", err)
				}
			}
			if reconnect && !m.gate.isOffline() {
				if _, err := m.n.Reconnect(m.ctx); err != nil {
					m.log.Debug("reconnect", "err", err)
				}
			}
			// a wake always syncs (saving mode missed gossip); a reconnect
			// skips the session if one just succeeded and nothing waits
			if !m.gate.isOffline() && (wake || reconnect && (m.hasUnsent() || !m.syncedWithin(peerSyncGap))) {
				if rep, ok := m.syncPreferred(m.ctx); ok {
					synced[rep.Peer] = time.Now()
					next = time.Now().Add(m.interval())
				}
			}
			if m.interval() > 0 && time.Until(next) > m.interval() {
				next = time.Now().Add(m.interval())
			}
		}
	}
}

func (m *Node) hasUnsent() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.st.unsent) > 0
}

func (m *Node) syncedWithin(d time.Duration) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st.lastSync > 0 && time.Since(time.UnixMilli(m.st.lastSync)) < d
}

// syncPreferred syncs with one connected peer, bootstrap peers first,
// trying up to three.
func (m *Node) syncPreferred(ctx context.Context) (node.SyncReport, bool) {
	connected := m.h.Network().Peers()
	var order []peer.ID
	for _, b := range m.n.BootstrapPeers() {
		if slices.Contains(connected, b) {
			order = append(order, b)
		}
	}
	for _, p := range connected {
		if !slices.Contains(order, p) {
			order = append(order, p)
		}
	}
	for i, p := range order {
		if i == 3 || ctx.Err() != nil {
			break
		}
		if rep, err := m.syncWith(ctx, p); err == nil {
			return rep, true
		}
	}
	return node.SyncReport{}, false
}

// syncWith runs one session; on success it clears the unsent list (the
// session handed every event of ours in our interest to the peer).
func (m *Node) syncWith(ctx context.Context, p peer.ID) (node.SyncReport, error) {
	rep, err := m.n.Sync(ctx, p)
	if err != nil {
		m.log.Debug("sync", "peer", p, "err", err)
		return rep, err
	}
	m.mu.Lock()
	m.st.lastSync = time.Now().UnixMilli()
	cleared := len(m.st.unsent) > 0
	m.st.unsent = nil
	m.mu.Unlock()
	if cleared {
		if err := saveUnsent(m.dir, nil); err != nil {
			m.log.Warn("save unsent list", "err", err)
		}
	}
	m.connChanged()
	return rep, nil
}
