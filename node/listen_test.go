package node

import (
	"errors"
	"strings"
	"testing"
)

func TestPinListenPorts(t *testing.T) {
	in := []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1", "/ip4/127.0.0.1/tcp/4001"}
	out, err := PinListenPorts(in)
	must(t, err)
	if len(out) != 3 || out[2] != in[2] {
		t.Fatalf("pinned %v", out)
	}
	tcp := strings.TrimPrefix(out[0], "/ip4/127.0.0.1/tcp/")
	if tcp == "0" || tcp == out[0] || out[1] != "/ip4/127.0.0.1/udp/"+tcp+"/quic-v1" {
		t.Fatalf("want one free port for TCP and QUIC, got %v", out)
	}
	if _, err := PinListenPorts([]string{"/ip4/nope/tcp/0"}); !errors.Is(err, ErrBadArgument) {
		t.Fatalf("bad address: %v", err)
	}
}
