package node

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	"github.com/multiformats/go-multiaddr"
)

func p2pAddrs(t testing.TB, h host.Host) []multiaddr.Multiaddr {
	t.Helper()
	out, err := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func newTestDiscovery(t testing.TB, h host.Host, cfg discoveryConfig) *discovery {
	t.Helper()
	d, err := newDiscovery(context.Background(), h, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.close)
	return d
}

// waitConnected reads d.connected() until p is reported.
func waitConnected(t testing.TB, d *discovery, p peer.ID, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case got := <-d.connected():
			if got == p {
				return
			}
		case <-deadline:
			t.Fatalf("%s not reported connected within %v", p, timeout)
		}
	}
}

// closedPort returns a loopback TCP port with nothing listening on it.
func closedPort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	return port
}

func TestDiscoverBackoffSchedule(t *testing.T) {
	t.Cleanup(leakCheck(t))
	h := newTestHost(t, nil)
	gone := testPeerID(t)
	addr := mustAddr(t, "/ip4/127.0.0.1/tcp/"+strconv.Itoa(closedPort(t))+"/p2p/"+gone.String())
	clk := newFakeClock()
	d := newTestDiscovery(t, h, discoveryConfig{
		Bootstrap:  []multiaddr.Multiaddr{addr},
		Clock:      clk,
		Rand:       func() float64 { return 0.5 },
		MinBackoff: time.Second,
		MaxBackoff: 8 * time.Second,
	})
	// With jitter fixed at 0.5 each wait is 3/4 of min·2^n, capped.
	want := []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond, 3 * time.Second, 6 * time.Second, 6 * time.Second}
	for i, w := range want {
		// the keeper waits on the injected clock: exactly one timer
		if got := clk.waitNewTimer(t, 0, 5*time.Second); got != w {
			t.Fatalf("wait %d = %v, want %v", i, got, w)
		}
		clk.advance(w)
	}
	d.close()
	d.close() // idempotent
}

func TestDiscoverBackoffJitter(t *testing.T) {
	d := &discovery{cfg: discoveryConfig{MinBackoff: time.Second, MaxBackoff: time.Minute}}
	for _, c := range []struct {
		r       float64
		attempt int
		want    time.Duration
	}{
		{0, 0, 500 * time.Millisecond},
		{0.999999, 0, time.Second - time.Microsecond/2},
		{0, 3, 4 * time.Second},
		{0.5, 100, 45 * time.Second}, // capped, no overflow
		{math.NaN(), 1, 1500 * time.Millisecond},
		{-1, 1, 1500 * time.Millisecond},
		{7, 1, 1500 * time.Millisecond},
	} {
		d.cfg.Rand = func() float64 { return c.r }
		got := d.backoff(c.attempt)
		if diff := got - c.want; diff < -time.Microsecond || diff > time.Microsecond {
			t.Errorf("backoff(r=%v, attempt=%d) = %v, want %v", c.r, c.attempt, got, c.want)
		}
	}
}

func TestDiscoverReconnectAfterRestart(t *testing.T) {
	t.Cleanup(leakCheck(t))
	bKey := testKey(t)
	b, err := NewHost(HostConfig{Key: bKey, ListenAddrs: []string{tcpLoopback}})
	if err != nil {
		t.Fatal(err)
	}
	bAddrs := p2pAddrs(t, b)
	listen := make([]string, 0, len(b.Addrs()))
	for _, a := range b.Addrs() {
		listen = append(listen, a.String())
	}

	a := newTestHost(t, nil)
	d := newTestDiscovery(t, a, discoveryConfig{
		Bootstrap:  bAddrs,
		MinBackoff: 20 * time.Millisecond,
		MaxBackoff: 100 * time.Millisecond,
		Rand:       func() float64 { return 0.3 },
	})
	waitConnected(t, d, b.ID(), 5*time.Second)

	// b goes away; a notices.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "a to see b disconnect", func() bool {
		return a.Network().Connectedness(b.ID()) != network.Connected
	})
	// b comes back on the same address with the same key; a redials.
	b2, err := NewHost(HostConfig{Key: bKey, ListenAddrs: listen})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b2.Close() })
	waitConnected(t, d, b.ID(), 5*time.Second)
	if a.Network().Connectedness(b.ID()) != network.Connected {
		t.Fatal("reported but not connected")
	}
	// Bootstrap links are protected from the connection manager.
	if !a.ConnManager().IsProtected(b.ID(), "coopnode-bootstrap") {
		t.Error("bootstrap peer not protected")
	}
	d.close()
	if a.ConnManager().IsProtected(b.ID(), "coopnode-bootstrap") {
		t.Error("bootstrap peer still protected after close")
	}
}

func TestDiscoverReportsInboundPeers(t *testing.T) {
	t.Cleanup(leakCheck(t))
	a := newTestHost(t, nil)
	d := newTestDiscovery(t, a, discoveryConfig{})
	others := []host.Host{newTestHost(t, nil), newTestHost(t, nil), newTestHost(t, nil)}
	// Nobody reads while they connect: reports queue up, none is lost.
	for _, o := range others {
		connect(t, o, a)
	}
	seen := map[peer.ID]bool{}
	deadline := time.After(5 * time.Second)
	for len(seen) < len(others) {
		select {
		case p := <-d.connected():
			seen[p] = true
		case <-deadline:
			t.Fatalf("reported %d of %d peers", len(seen), len(others))
		}
	}
}

type fakeMDNS struct {
	name    string
	notifee mdns.Notifee
	started chan struct{}
	closed  chan struct{}
}

func (f *fakeMDNS) Start() error { close(f.started); return nil }
func (f *fakeMDNS) Close() error { close(f.closed); return nil }

func TestDiscoverMDNS(t *testing.T) {
	t.Cleanup(leakCheck(t))
	a := newTestHost(t, nil)
	b := newTestHost(t, nil)
	coop := crdt.ID{0xab, 0xcd, 0xef, 0x01, 0x23}
	fake := &fakeMDNS{started: make(chan struct{}), closed: make(chan struct{})}
	d := newTestDiscovery(t, a, discoveryConfig{
		Coop: coop,
		MDNS: true,
		newMDNS: func(h host.Host, name string, n mdns.Notifee) mdns.Service {
			fake.name, fake.notifee = name, n
			return fake
		},
	})
	<-fake.started
	if fake.name != "coopnode-abcdef01" {
		t.Fatalf("service name %q", fake.name)
	}
	// Finding ourselves is ignored; finding b dials it.
	fake.notifee.HandlePeerFound(peer.AddrInfo{ID: a.ID(), Addrs: a.Addrs()})
	fake.notifee.HandlePeerFound(peer.AddrInfo{ID: b.ID(), Addrs: b.Addrs()})
	waitConnected(t, d, b.ID(), 5*time.Second)
	d.close()
	select {
	case <-fake.closed:
	default:
		t.Fatal("mdns service not closed")
	}
	// After close, results are dropped without blocking.
	fake.notifee.HandlePeerFound(peer.AddrInfo{ID: b.ID(), Addrs: b.Addrs()})
}

func TestDiscoverMDNSOffByDefault(t *testing.T) {
	h := newTestHost(t, nil)
	called := false
	newTestDiscovery(t, h, discoveryConfig{newMDNS: func(host.Host, string, mdns.Notifee) mdns.Service {
		called = true
		return &fakeMDNS{started: make(chan struct{}), closed: make(chan struct{})}
	}})
	if called {
		t.Fatal("mDNS started without cfg.MDNS")
	}
}

func TestDiscoverBadBootstrap(t *testing.T) {
	h := newTestHost(t, nil)
	_, err := newDiscovery(context.Background(), h, discoveryConfig{
		Bootstrap: []multiaddr.Multiaddr{mustAddr(t, "/ip4/127.0.0.1/tcp/1")},
	})
	if !errors.Is(err, ErrBadBootstrap) {
		t.Fatalf("got %v, want ErrBadBootstrap", err)
	}
	// Our own address in the list is skipped, not dialed.
	d := newTestDiscovery(t, h, discoveryConfig{Bootstrap: p2pAddrs(t, h)})
	if len(d.wake) != 0 {
		t.Fatalf("keeping %d bootstrap peers, want 0", len(d.wake))
	}
}

func TestDiscoverMergeAddrInfos(t *testing.T) {
	p1, p2, self := testPeerID(t), testPeerID(t), testPeerID(t)
	a1, a2 := mustAddr(t, "/ip4/127.0.0.1/tcp/1"), mustAddr(t, "/ip4/127.0.0.1/tcp/2")
	got := mergeAddrInfos([]peer.AddrInfo{
		{ID: p1, Addrs: []multiaddr.Multiaddr{a1}},
		{ID: self, Addrs: []multiaddr.Multiaddr{a1}},
		{ID: p2, Addrs: []multiaddr.Multiaddr{a2}},
		{ID: p1, Addrs: []multiaddr.Multiaddr{a2}},
	}, self)
	if len(got) != 2 || got[0].ID != p1 || len(got[0].Addrs) != 2 || got[1].ID != p2 {
		t.Fatalf("got %v", got)
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDiscoverWarnsWhenNoBootstrapReachable (issue 12.4): a node none of
// whose bootstrap peers answers says so once at Warn level, not at every
// retry, and says when one is back.
func TestDiscoverWarnsWhenNoBootstrapReachable(t *testing.T) {
	t.Cleanup(leakCheck(t))
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	port := strconv.Itoa(closedPort(t))
	bootKey := testKey(t)
	bootID, err := peer.IDFromPrivateKey(bootKey)
	if err != nil {
		t.Fatal(err)
	}
	h := newTestHost(t, nil)
	clk := newFakeClock()
	newTestDiscovery(t, h, discoveryConfig{
		Bootstrap: []multiaddr.Multiaddr{mustAddr(t, "/ip4/127.0.0.1/tcp/"+port+"/p2p/"+bootID.String())},
		Logger:    log, Clock: clk,
	})
	const warning = `level=WARN msg="no bootstrap peer reachable`
	for i := 0; i < 3; i++ { // three failed dials, one warning
		clk.advance(clk.waitNewTimer(t, 0, 10*time.Second))
	}
	clk.waitNewTimer(t, 0, 10*time.Second)
	if n := strings.Count(logs.String(), warning); n != 1 {
		t.Fatalf("%d warnings after four failed dials, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), port) {
		t.Errorf("the warning does not name the bootstrap address:\n%s", logs.String())
	}
	boot := newTestHost(t, bootKey, "/ip4/127.0.0.1/tcp/"+port)
	clk.advance(time.Hour)
	eventually(t, 10*time.Second, "reconnection to be logged", func() bool {
		return strings.Contains(logs.String(), "bootstrap peer reachable again")
	})
	if h.Network().Connectedness(boot.ID()) != network.Connected {
		t.Fatal("logged but not connected")
	}
}
