package node

import "testing"

// TestLinkAndTransport: a /p2p-circuit address is relayed, its transport
// the hop to the relay; others are direct.
func TestLinkAndTransport(t *testing.T) {
	relay := "/ip4/203.0.113.7/udp/4001/quic-v1/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf/p2p-circuit"
	for _, tc := range []struct {
		addr, transport string
		relayed         bool
	}{
		{"/ip4/127.0.0.1/tcp/4001", "tcp", false},
		{"/ip6/::1/udp/4001/quic-v1", "quic", false},
		{"/ip4/10.0.0.2/tcp/443/ws", "websocket", false},
		{"/ip4/10.0.0.2/udp/443/quic-v1/webtransport", "webtransport", false},
		{relay, "quic", true},
		{"/ip4/203.0.113.7/tcp/4001/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf/p2p-circuit", "tcp", true},
	} {
		a := mustAddr(t, tc.addr)
		if got := transportOf(a); got != tc.transport {
			t.Errorf("%s: transport %q, want %q", tc.addr, got, tc.transport)
		}
		if got := isRelayed(a); got != tc.relayed {
			t.Errorf("%s: relayed %v, want %v", tc.addr, got, tc.relayed)
		}
	}
}
