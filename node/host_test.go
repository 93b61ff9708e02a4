package node

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	coreconnmgr "github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/multiformats/go-multiaddr"
)

// Loopback listen addresses: tests never listen on other interfaces.
const (
	tcpLoopback  = "/ip4/127.0.0.1/tcp/0"
	quicLoopback = "/ip4/127.0.0.1/udp/0/quic-v1"
)

func testKey(t testing.TB) crypto.PrivKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := libp2pKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newTestHost starts a host on loopback with the given key (nil: a fresh
// one) and closes it at cleanup.
func newTestHost(t testing.TB, key crypto.PrivKey, listen ...string) host.Host {
	t.Helper()
	if key == nil {
		key = testKey(t)
	}
	if len(listen) == 0 {
		listen = []string{tcpLoopback}
	}
	h, err := NewHost(HostConfig{Key: key, ListenAddrs: listen})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

func connect(t testing.TB, a, b host.Host) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Connect(ctx, peer.AddrInfo{ID: b.ID(), Addrs: b.Addrs()}); err != nil {
		t.Fatalf("connect %s -> %s: %v", a.ID(), b.ID(), err)
	}
}

// eventually polls cond every 10 ms until it holds or d elapses.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		<-tick.C
	}
}

func TestHostTCPAndQUIC(t *testing.T) {
	t.Cleanup(leakCheck(t))
	tcpOnly := newTestHost(t, nil, tcpLoopback)
	quicOnly := newTestHost(t, nil, quicLoopback)
	both := newTestHost(t, nil, tcpLoopback, quicLoopback)

	for _, h := range []host.Host{tcpOnly, quicOnly, both} {
		for _, a := range h.Addrs() {
			if ip, err := a.ValueForProtocol(multiaddr.P_IP4); err != nil || ip != "127.0.0.1" {
				t.Fatalf("host listens on %s, want loopback only", a)
			}
		}
	}
	connect(t, both, tcpOnly)
	connect(t, both, quicOnly)

	transport := func(p peer.ID, code int) bool {
		for _, c := range both.Network().ConnsToPeer(p) {
			if _, err := c.RemoteMultiaddr().ValueForProtocol(code); err == nil {
				return true
			}
		}
		return false
	}
	if !transport(tcpOnly.ID(), multiaddr.P_TCP) {
		t.Error("no TCP connection to the TCP-only host")
	}
	if !transport(quicOnly.ID(), multiaddr.P_QUIC_V1) {
		t.Error("no QUIC connection to the QUIC-only host")
	}
	// Streams work across both: identify has run, so the peers' protocols
	// are known.
	eventually(t, 5*time.Second, "identify", func() bool {
		p1, _ := both.Peerstore().GetProtocols(tcpOnly.ID())
		p2, _ := both.Peerstore().GetProtocols(quicOnly.ID())
		return len(p1) > 0 && len(p2) > 0
	})
	for _, h := range []host.Host{tcpOnly, quicOnly, both} {
		if err := h.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestHostRejectsBadConfig(t *testing.T) {
	t.Cleanup(leakCheck(t))
	// A failed start must not leave the resource or connection manager's
	// goroutines behind.
	if _, err := NewHost(HostConfig{Key: testKey(t), ListenAddrs: []string{"not a multiaddr"}}); err == nil {
		t.Fatal("bad listen address accepted")
	}
	if _, err := NewHost(HostConfig{}); !errors.Is(err, ErrNotEd25519) {
		t.Fatalf("nil key: got %v, want ErrNotEd25519", err)
	}
	sk, _, err := crypto.GenerateSecp256k1Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewHost(HostConfig{Key: sk, ListenAddrs: []string{tcpLoopback}}); !errors.Is(err, ErrNotEd25519) {
		t.Fatalf("secp256k1 key: got %v, want ErrNotEd25519", err)
	}
	if _, err := libp2pKey(ed25519.PrivateKey{1, 2, 3}); !errors.Is(err, ErrNotEd25519) {
		t.Fatalf("short key: got %v, want ErrNotEd25519", err)
	}
	id, err := peer.IDFromPrivateKey(sk)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pubKeyFromPeer(id); !errors.Is(err, ErrNotEd25519) {
		t.Fatalf("secp256k1 peer: got %v, want ErrNotEd25519", err)
	}
	if _, err := pubKeyFromPeer(peer.ID("not a peer id")); !errors.Is(err, ErrNotEd25519) {
		t.Fatalf("garbage peer ID: got %v, want ErrNotEd25519", err)
	}
}

func TestHostKeyRoundTrip(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := libp2pKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := pubKeyFromPeer(id)
	if err != nil {
		t.Fatal(err)
	}
	if string(pk[:]) != string(pub) {
		t.Fatalf("pubKeyFromPeer = %x, want %x", pk, pub)
	}
	back, err := peerFromPubKey(pk)
	if err != nil || back != id {
		t.Fatalf("peerFromPubKey = %s, %v; want %s", back, err, id)
	}
}

func TestHostResourceLimits(t *testing.T) {
	l := resourceLimits(64, rcmgrMemory, rcmgrFDs).ToPartialLimitConfig()
	if got := int(l.System.Conns); got != 128 {
		t.Errorf("system conns = %d, want 128", got)
	}
	if got := int(l.System.ConnsInbound); got != 64 {
		t.Errorf("system inbound conns = %d, want 64", got)
	}
	if got := int64(l.System.Memory); got != rcmgrMemory {
		t.Errorf("system memory = %d, want %d", got, rcmgrMemory)
	}
	if got := int(l.System.FD); got != rcmgrFDs {
		t.Errorf("system FDs = %d, want %d", got, rcmgrFDs)
	}
	// The connection manager must be able to act before the resource
	// manager refuses connections.
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(resourceLimits(defaultHighWater, rcmgrMemory, rcmgrFDs)))
	if err != nil {
		t.Fatal(err)
	}
	defer rm.Close()
	cm, err := connmgr.NewConnManager(defaultLowWater, defaultHighWater)
	if err != nil {
		t.Fatal(err)
	}
	defer cm.Close()
	lim, ok := rm.(coreconnmgr.GetConnLimiter)
	if !ok {
		t.Fatal("resource manager has no connection limit")
	}
	if err := cm.CheckLimit(lim); err != nil {
		t.Fatal(err)
	}
}
