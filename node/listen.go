package node

import (
	"fmt"
	"net"
	"strconv"

	"github.com/multiformats/go-multiaddr"
)

// PinListenPorts returns addrs with every port 0 replaced by a port that
// is free now, one port per IP for both TCP and UDP (so tcp/0 and
// udp/0/quic-v1 on 0.0.0.0 become tcp/P and udp/P/quic-v1). `coopnode
// init` saves the result: a node then listens on the same port at every
// start, and the invites it handed out keep working after a restart
// (issue 12.4). Addresses with a port already set are returned unchanged.
func PinListenPorts(addrs []string) ([]string, error) {
	ports := map[string]string{} // IP -> chosen port
	out := make([]string, 0, len(addrs))
	for _, s := range addrs {
		m, err := multiaddr.NewMultiaddr(s)
		if err != nil {
			return nil, fmt.Errorf("%w: listen address %q: %w", ErrBadArgument, s, err)
		}
		var ip string
		var pinned multiaddr.Multiaddr
		for _, c := range m {
			switch c.Protocol().Code {
			case multiaddr.P_IP4, multiaddr.P_IP6:
				ip = c.Value()
			case multiaddr.P_TCP, multiaddr.P_UDP:
				if c.Value() == "0" && ip != "" {
					if ports[ip] == "" {
						p, err := freePort(ip)
						if err != nil {
							return nil, err
						}
						ports[ip] = strconv.Itoa(p)
					}
					nc, err := multiaddr.NewComponent(c.Protocol().Name, ports[ip])
					if err != nil {
						return nil, err
					}
					c = *nc
				}
			}
			pinned = append(pinned, c)
		}
		out = append(out, pinned.String())
	}
	return out, nil
}

// freePort finds a port free for both TCP and UDP on ip.
func freePort(ip string) (int, error) {
	var lastErr error
	for range 32 {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
		if err != nil {
			return 0, fmt.Errorf("node: pick a listen port on %s: %w", ip, err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort(ip, strconv.Itoa(port)))
		_ = l.Close()
		if err != nil {
			lastErr = err
			continue
		}
		_ = u.Close()
		return port, nil
	}
	return 0, fmt.Errorf("node: no port free for both TCP and UDP on %s: %w", ip, lastErr)
}
