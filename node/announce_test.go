package node

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/coopnode/coopnode/crdt"

	"github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// A node listening on 0.0.0.0 with an announce address gives invites that
// carry the announce address and none of its loopback addresses.
func TestInviteAnnouncedNoLoopback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ann, err := ParseAnnounce([]string{"/ip4/203.0.113.7/tcp/4001"})
	must(t, err)
	n, err := New(ctx, WithKey(nodeKey("announcer")), WithRole(RoleRelay), WithCoop(crdt.ID{0xab, 0xcd}),
		WithListen("/ip4/0.0.0.0/tcp/0"), WithAnnounce(ann...))
	must(t, err)
	defer n.Close()
	sawLoopback := false
	for _, a := range n.host.Addrs() {
		sawLoopback = sawLoopback || manet.IsIPLoopback(a)
	}
	if !sawLoopback {
		t.Fatalf("host addresses %v: want 127.0.0.1 among them (0.0.0.0 expands to every interface)", n.host.Addrs())
	}
	inv := n.Invite()
	must(t, inv.Validate())
	found := false
	for _, a := range inv.Bootstrap {
		if manet.IsIPLoopback(a) || localOnly(a) {
			t.Fatalf("invite carries local address %s", a)
		}
		found = found || strings.HasPrefix(a.String(), "/ip4/203.0.113.7/tcp/4001/p2p/")
	}
	if !found {
		t.Fatalf("invite %v lacks the announce address", inv.Bootstrap)
	}
}

// A single-machine node (loopback only) still gives its loopback address.
func TestInviteLoopbackOnlyKept(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n, err := New(ctx, WithKey(nodeKey("loner")), WithRole(RoleRelay), WithListen("/ip4/127.0.0.1/tcp/0"))
	must(t, err)
	defer n.Close()
	inv := n.Invite()
	if len(inv.Bootstrap) == 0 || !manet.IsIPLoopback(inv.Bootstrap[0]) {
		t.Fatalf("invite %v: want the loopback address", inv.Bootstrap)
	}
}

func TestInviteAddrsFilter(t *testing.T) {
	addr := func(s string) multiaddr.Multiaddr { return mustAddr(t, s) }
	in := []multiaddr.Multiaddr{addr("/ip4/127.0.0.1/tcp/1"), addr("/ip6/::1/tcp/1"), addr("/ip6/fe80::1/tcp/1"),
		addr("/ip4/169.254.3.4/tcp/1"), addr("/ip4/192.168.1.5/tcp/1"), addr("/dns4/coop.example/tcp/1")}
	out := inviteAddrs(in)
	if len(out) != 2 || out[0].String() != "/ip4/192.168.1.5/tcp/1" || out[1].String() != "/dns4/coop.example/tcp/1" {
		t.Fatalf("got %v", out)
	}
	if got := inviteAddrs(in[:4]); len(got) != 4 {
		t.Fatalf("only local addresses: want all kept, got %v", got)
	}
}

func TestParseAnnounceRefuses(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"garbage", "is not a multiaddr"},
		{"/ip4/0.0.0.0/tcp/4001", "unspecified"},
		{"/ip4/203.0.113.7", "needs a host and a transport"},
		{"/ip4/203.0.113.7/udt", "needs /tcp/PORT"},
		{"/tcp/4001/ip4/203.0.113.7", "must start with"},
		{"/ip4/203.0.113.7/ip4/1.2.3.4", "needs /tcp/PORT"},
		{"/ip4/203.0.113.7/tcp/4001/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf", "must not carry /p2p/"},
	} {
		_, err := ParseAnnounce([]string{tc.in})
		if !errors.Is(err, ErrBadArgument) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got %v, want one line with %q", tc.in, err, tc.want)
		}
	}
	got, err := ParseAnnounce([]string{"/ip4/203.0.113.7/tcp/4001", "/dns4/coop.example/udp/4001/quic-v1"})
	if err != nil || len(got) != 2 {
		t.Fatalf("good addresses: %v %v", got, err)
	}
}
