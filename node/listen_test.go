package node

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
)

func TestPinListenPorts(t *testing.T) {
	in := []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1", "/ip4/127.0.0.1/tcp/4001"}
	out, err := PinListenPorts(in, nil)
	must(t, err)
	if len(out) != 3 || out[2] != in[2] {
		t.Fatalf("pinned %v", out)
	}
	tcp := strings.TrimPrefix(out[0], "/ip4/127.0.0.1/tcp/")
	if tcp == "0" || tcp == out[0] || out[1] != "/ip4/127.0.0.1/udp/"+tcp+"/quic-v1" {
		t.Fatalf("want one free port for TCP and QUIC, got %v", out)
	}
	if _, err := PinListenPorts([]string{"/ip4/nope/tcp/0"}, nil); !errors.Is(err, ErrBadArgument) {
		t.Fatalf("bad address: %v", err)
	}
}

// TestPinnedPortOutsideEphemeralRange: a pinned port is below the kernel's
// ephemeral range, which outgoing connections draw from, so no other
// program's connection holds it when the node starts; a port in use is
// skipped (TestWalkthrough failed once when `run` could not bind the port
// `init` had taken from the ephemeral range).
func TestPinnedPortOutsideEphemeralRange(t *testing.T) {
	first := func() int {
		out, err := PinListenPorts([]string{"/ip4/127.0.0.1/tcp/0"}, func(int) int { return 0 })
		must(t, err)
		port, err := strconv.Atoi(strings.TrimPrefix(out[0], "/ip4/127.0.0.1/tcp/"))
		must(t, err)
		return port
	}
	free := first()
	if free < pinLow || free >= ephemeralLow() {
		t.Fatalf("pinned port %d, want it in [%d, %d)", free, pinLow, ephemeralLow())
	}
	busy, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(free))
	must(t, err)
	defer busy.Close()
	if again := first(); again == free {
		t.Fatalf("pinned port %d, which is in use", again)
	}
	for range 20 {
		out, err := PinListenPorts([]string{"/ip4/127.0.0.1/tcp/0"}, nil)
		must(t, err)
		p, _ := strconv.Atoi(strings.TrimPrefix(out[0], "/ip4/127.0.0.1/tcp/"))
		if p < pinLow || p >= ephemeralLow() {
			t.Fatalf("pinned port %d, want it in [%d, %d)", p, pinLow, ephemeralLow())
		}
	}
}
