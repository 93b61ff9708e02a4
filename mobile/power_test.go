package mobile

import (
	"net"
	"testing"

	ma "github.com/multiformats/go-multiaddr"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// TestLowPower: in low-power mode and in the background a courier's phone
// follows no gossip, keeps few connections and refuses more, and catches
// up by sync: on its timer, on demand, and on wake.
func TestLowPower(t *testing.T) {
	f := newFixtureSync(t, -1) // no anti-entropy from the plain nodes: the phone's own syncs only
	ctx := f.ctx
	cust := f.plain("cust", node.RoleCustomer)
	rival := f.member("rival", node.RoleCourier, crdt.RoleCourier)
	m, rec := f.phone(t.TempDir(), "courier", map[string]any{"low_power_max_peers": 1})
	f.admitPhone(m, "Zoé")
	call[shiftResult](t, "GoOnShift", m.GoOnShift, req(map[string]any{"position": nearPos}))
	for _, n := range []*node.Node{f.resto, cust, rival} {
		must(t, n.Connect(ctx, peerInfo(m)))
	}
	f.eventually("four peers and the job board", func() bool {
		st := status(t, m)
		return st.Connection.Peers == 4 && st.Following == node.Follow{Coop: true, Orders: true}
	})

	must(t, m.SetLowPower(true))
	st := status(t, m)
	if st.Following != (node.Follow{}) || !st.Connection.Saving || !st.Connection.LowPower {
		t.Fatalf("low power: %+v", st)
	}
	// the bootstrap peer (the coop's relay) stays, beyond the cap of 1
	f.eventually("trimmed to the relay", func() bool { return status(t, m).Connection.Peers == 1 })
	if m.h.Network().Connectedness(f.admin.ID()) != 1 /* network.Connected */ {
		t.Fatal("the bootstrap peer was dropped")
	}
	// a new peer is refused by the phone's gater (the dialer may see its
	// handshake complete before the phone drops it)
	_ = cust.Connect(ctx, peerInfo(m))
	f.eventually("the extra peer is not kept", func() bool {
		return m.h.Network().Connectedness(cust.ID()) != 1 && cust.Host().Network().Connectedness(m.n.ID()) != 1
	})
	if n := len(m.h.Network().Peers()); n != 1 {
		t.Fatalf("%d peers in low-power mode, want 1", n)
	}

	// a job appears while the phone sleeps: it arrives with the next sync
	id := f.place(cust, "")
	must(t, f.resto.Accept(ctx, id, 10))
	f.everywhere(id, crdt.StatusAccepted)
	must(t, m.flush(ctx))
	rec.mu.Lock()
	gossiped := len(rec.jobs) > 0
	rec.mu.Unlock()
	if gossiped {
		t.Log("job arrived before the sync (an own-event flood from the relay is possible)")
	}
	sr := call[syncResult](t, "SyncNow", func(string) (string, error) { return m.SyncNow() }, "")
	if !sr.Synced || sr.Peer != f.admin.ID().String() {
		t.Fatalf("SyncNow: %+v", sr)
	}
	rec.wait(t, "job after sync", rec.jobFor(id, true))

	// background is the same saving mode; waking follows gossip again and syncs
	must(t, m.SetLowPower(false))
	f.eventually("awake", func() bool { return status(t, m).Following.Orders })
	must(t, m.SetAppState("background"))
	if st := status(t, m); st.Following != (node.Follow{}) || !st.Connection.Saving || st.Connection.AppState != "background" {
		t.Fatalf("background: %+v", st)
	}
	id2 := f.place(cust, "")
	must(t, f.resto.Accept(ctx, id2, 10))
	f.everywhere(id2, crdt.StatusAccepted)
	must(t, m.SetAppState("foreground"))
	rec.wait(t, "job after wake", rec.jobFor(id2, true))
	callErr(t, "bad app state", func(s string) (string, error) { return "", m.SetAppState(s) }, "asleep", codeBadArgument)
	callErr(t, "bad connectivity", func(s string) (string, error) { return "", m.SetConnectivity(s) }, `{"network":"5g"}`, codeBadArgument)
	callErr(t, "bad address", func(s string) (string, error) { return "", m.SetConnectivity(s) }, `{"network":"wifi","addrs":["nope"]}`, codeBadArgument)
}

// TestCustomerOnCellular: a customer on a metered link follows neither
// the menus nor the city's orders until it has an order open.
func TestCustomerOnCellular(t *testing.T) {
	f := newFixture(t)
	m, _ := f.phone(t.TempDir(), "customer", map[string]any{"connectivity": map[string]any{"network": "cellular"}})
	if st := status(t, m); st.Following != (node.Follow{Coop: true}) || !st.Connection.Metered {
		t.Fatalf("cellular customer: %+v", st)
	}
	must(t, m.SetConnectivity(`{"network":"wifi"}`))
	if st := status(t, m); st.Following != (node.Follow{Coop: true, Catalog: true}) {
		t.Fatalf("wifi customer: %+v", st)
	}
}

// TestAdvertised: the app's injected addresses replace what libp2p could
// not find on Android 11+ (only loopback).
func TestAdvertised(t *testing.T) {
	mk := func(s string) ma.Multiaddr { a, err := ma.NewMultiaddr(s); must(t, err); return a }
	listen := []ma.Multiaddr{mk("/ip4/0.0.0.0/tcp/4001"), mk("/ip6/::/udp/4002/quic-v1"), mk("/ip4/127.0.0.1/tcp/4003")}
	computed := []ma.Multiaddr{mk("/ip4/127.0.0.1/tcp/4001"), mk("/ip4/127.0.0.1/tcp/4003")}
	ips := []net.IP{net.ParseIP("192.0.2.7"), net.ParseIP("2001:db8::7"), net.ParseIP("127.0.0.1")}
	got := advertised(computed, listen, ips)
	want := []string{"/ip4/192.0.2.7/tcp/4001", "/ip6/2001:db8::7/udp/4002/quic-v1"}
	if len(got) != len(want) {
		t.Fatalf("advertised %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Fatalf("advertised %v, want %v", got, want)
		}
	}
	if got := advertised(computed, listen, nil); len(got) != 2 {
		t.Fatalf("without injected addresses the computed ones stay: %v", got)
	}
	if got := advertised(computed, []ma.Multiaddr{mk("/ip4/127.0.0.1/tcp/4003")}, ips); len(got) != 2 {
		t.Fatalf("no unspecified listen address: computed ones stay: %v", got)
	}
}
