package node

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// Announced and invite addresses (issue 13 item 3). A node listening on
// 0.0.0.0 has its loopback and link-local addresses among its host
// addresses; put in an invite, they make a node behind another NAT dial
// its own 127.0.0.1. A node behind a router may also know an external
// address that no interface carries (a forwarded port, a VPS's public IP):
// it announces it with WithAnnounce (coopnode -announce).

// WithAnnounce adds external multiaddrs (without /p2p/) the node
// advertises: libp2p's address factory adds them to the host's addresses
// (so identify tells peers) and invites carry them. Check them first with
// ParseAnnounce. Ignored with WithHost (pass HostConfig.Announce instead).
func WithAnnounce(addrs ...multiaddr.Multiaddr) Option {
	return func(c *config) error {
		for _, a := range addrs {
			if err := checkAnnounce(a); err != nil {
				return err
			}
		}
		c.announce = append([]multiaddr.Multiaddr(nil), addrs...)
		return nil
	}
}

// ParseAnnounce parses and checks announce addresses, such as
// "/ip4/203.0.113.7/tcp/4001" or "/dns4/relay.example.org/udp/4001/quic-v1".
func ParseAnnounce(list []string) ([]multiaddr.Multiaddr, error) {
	out := make([]multiaddr.Multiaddr, 0, len(list))
	for _, s := range list {
		m, err := multiaddr.NewMultiaddr(s)
		if err != nil {
			return nil, fmt.Errorf("%w: announce address %q is not a multiaddr (such as /ip4/203.0.113.7/tcp/4001): %v", ErrBadArgument, s, err)
		}
		if err := checkAnnounce(m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// checkAnnounce requires an address others can dial: an IP or DNS name
// that is not unspecified, then tcp or udp with a port, and no /p2p/ (the
// node adds its own peer ID).
func checkAnnounce(m multiaddr.Multiaddr) error {
	if len(m) < 2 {
		return fmt.Errorf("%w: announce address %q needs a host and a transport, such as /ip4/203.0.113.7/tcp/4001", ErrBadArgument, m)
	}
	switch m[0].Code() {
	case multiaddr.P_IP4, multiaddr.P_IP6, multiaddr.P_DNS, multiaddr.P_DNS4, multiaddr.P_DNS6:
	default:
		return fmt.Errorf("%w: announce address %q must start with /ip4, /ip6 or /dns", ErrBadArgument, m)
	}
	if manet.IsIPUnspecified(m) {
		return fmt.Errorf("%w: announce address %q is unspecified (0.0.0.0 or ::): give the address others dial", ErrBadArgument, m)
	}
	switch m[1].Code() {
	case multiaddr.P_TCP, multiaddr.P_UDP:
	default:
		return fmt.Errorf("%w: announce address %q needs /tcp/PORT or /udp/PORT/quic-v1 after the host", ErrBadArgument, m)
	}
	for _, c := range m {
		if c.Code() == multiaddr.P_P2P {
			return fmt.Errorf("%w: announce address %q must not carry /p2p/: the node adds its own", ErrBadArgument, m)
		}
	}
	return nil
}

// announceFactory returns an address factory that adds announce to the
// host's addresses, then applies next (if any).
func announceFactory(announce []multiaddr.Multiaddr, next func([]multiaddr.Multiaddr) []multiaddr.Multiaddr) func([]multiaddr.Multiaddr) []multiaddr.Multiaddr {
	if len(announce) == 0 {
		return next
	}
	return func(addrs []multiaddr.Multiaddr) []multiaddr.Multiaddr {
		out := slices.Clone(announce)
		for _, a := range addrs {
			if !slices.ContainsFunc(out, a.Equal) {
				out = append(out, a)
			}
		}
		if next != nil {
			out = next(out)
		}
		return out
	}
}

// inviteAddrs keeps the addresses worth giving to another machine: it
// drops loopback and link-local addresses when any other address
// remains, and keeps them all when nothing else does (a single-machine
// coop on 127.0.0.1 keeps working).
func inviteAddrs(addrs []multiaddr.Multiaddr) []multiaddr.Multiaddr {
	var out []multiaddr.Multiaddr
	for _, a := range addrs {
		if !localOnly(a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return addrs
	}
	return out
}

// localOnly reports whether a is a loopback or link-local IP address.
func localOnly(a multiaddr.Multiaddr) bool {
	if manet.IsIPLoopback(a) || manet.IsIP6LinkLocal(a) {
		return true
	}
	if len(a) > 0 && a[0].Code() == multiaddr.P_IP4 {
		ip, ok := netip.AddrFromSlice(a[0].RawValue())
		return ok && ip.IsLinkLocalUnicast()
	}
	return false
}

// inviteWithRelays puts the relays' addresses (loopback and link-local
// left out as in inviteAddrs) before own, so that a full invite keeps a
// way in for a node behind NAT, and cuts the list at maxInviteAddrs.
func inviteWithRelays(own []multiaddr.Multiaddr, relays []peer.AddrInfo) []multiaddr.Multiaddr {
	var out []multiaddr.Multiaddr
	for _, r := range relays {
		ai := r
		addrs, err := peer.AddrInfoToP2pAddrs(&ai)
		if err != nil {
			continue
		}
		out = append(out, inviteAddrs(addrs)...)
	}
	out = mergeAddrs(out, own)
	return out[:min(len(out), maxInviteAddrs)]
}
