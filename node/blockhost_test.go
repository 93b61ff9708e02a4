package node

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// TestWithHostRefusesBlockedPeer (issue 11.3): a node keeps its blocklist
// of peers that fell below the graylist score on a host it was given
// WithHost, as it does on a host it built. A host from NewHost (what
// package mobile builds) refuses the peer in its gater, inbound and
// outbound; any other host drops the peer's connection as soon as it opens.
func TestWithHostRefusesBlockedPeer(t *testing.T) {
	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	seed := sha256.Sum256([]byte("blocked host test"))
	key := ed25519.NewKeyFromSeed(seed[:])
	lk, err := libp2pKey(key)
	must(t, err)

	shared, err := NewHost(HostConfig{Key: lk, ListenAddrs: []string{tcpLoopback}})
	must(t, err)
	foreign, err := libp2p.New(libp2p.Identity(lk), libp2p.ListenAddrStrings(tcpLoopback), libp2p.DisableMetrics())
	must(t, err)

	for _, c := range []struct {
		name     string
		h        host.Host
		fromNode bool // the host's gater also refuses the node's own dials
	}{{"NewHost", shared, true}, {"libp2p.New", foreign, false}} {
		n, err := New(ctx, WithKey(key), WithHost(c.h), WithSyncInterval(-1))
		must(t, err)
		mallory := newTestHost(t, nil)
		friend := newTestHost(t, nil)
		n.blocks.block(mallory.ID(), BlockFor)

		connect(t, friend, n.Host()) // others still get in
		// the dialer may see its side of the handshake succeed; the node
		// does not keep the connection
		_ = mallory.Connect(ctx, peer.AddrInfo{ID: n.ID(), Addrs: n.Host().Addrs()})
		eventually(t, 10*time.Second, c.name+": the blocked peer's connection to close", func() bool {
			return n.Host().Network().Connectedness(mallory.ID()) != network.Connected
		})
		if c.fromNode {
			err := n.Host().Connect(ctx, peer.AddrInfo{ID: mallory.ID(), Addrs: mallory.Addrs()})
			if err == nil {
				t.Errorf("%s: the node dialed a blocked peer", c.name)
			}
		}
		if n.Host().Network().Connectedness(friend.ID()) != network.Connected {
			t.Errorf("%s: an unblocked peer was dropped", c.name)
		}
		must(t, n.Close())
	}
}
