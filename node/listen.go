package node

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/multiformats/go-multiaddr"
)

// PinListenPorts returns addrs with every port 0 replaced by a port that
// is free now, one port per IP for both TCP and UDP (so tcp/0 and
// udp/0/quic-v1 on 0.0.0.0 become tcp/P and udp/P/quic-v1). `coopnode
// init` saves the result: a node then listens on the same port at every
// start, and the invites it handed out keep working after a restart
// (issue 12.4). Addresses with a port already set are returned unchanged.
//
// The port is chosen below the kernel's ephemeral range, at a point intn
// picks (nil: math/rand/v2), never by binding port 0: a port from the
// ephemeral range is handed out again to the next outgoing connection of
// any program, which can hold it when the node starts and listens, so the
// node would fail to bind the port its invites name.
func PinListenPorts(addrs []string, intn func(n int) int) ([]string, error) {
	if intn == nil {
		intn = rand.IntN
	}
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
						p, err := freePort(ip, intn)
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

// Pinned ports are picked in [pinLow, the ephemeral range's low end).
const (
	pinLow           = 20000
	defaultEphemeral = 32768 // Linux's default low end, when unreadable
)

// ephemeralLow is the low end of the kernel's ephemeral port range.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return defaultEphemeral
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return defaultEphemeral
	}
	lo, err := strconv.Atoi(f[0])
	if err != nil {
		return defaultEphemeral
	}
	return lo
}

// freePort finds a port free for both TCP and UDP on ip, below the
// ephemeral range, trying ports in order from a point intn picks.
func freePort(ip string, intn func(int) int) (int, error) {
	hi := ephemeralLow()
	if hi-pinLow < 1000 { // a machine whose ephemeral range starts low
		return kernelPort(ip)
	}
	n := hi - pinLow
	start := intn(n)
	var lastErr error
	for i := range 256 {
		port := pinLow + (start+i*7919)%n
		if err := tryPort(ip, port); err != nil {
			lastErr = err
			continue
		}
		return port, nil
	}
	return 0, fmt.Errorf("node: no port free for both TCP and UDP on %s in [%d, %d): %w", ip, pinLow, hi, lastErr)
}

// tryPort reports whether port is free for both TCP and UDP on ip now.
func tryPort(ip string, port int) error {
	addr := net.JoinHostPort(ip, strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	defer l.Close()
	u, err := net.ListenPacket("udp", addr)
	if err != nil {
		return err
	}
	return u.Close()
}

// kernelPort lets the kernel pick a port free for both TCP and UDP.
func kernelPort(ip string) (int, error) {
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
