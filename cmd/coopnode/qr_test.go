package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multiformats/go-multiaddr"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// TestInviteQR: `coopnode invite -qr -png FILE` prints the invite, a QR
// code in the terminal and a PNG that a QR scanner (zbarimg) reads back
// to the very invite, which parses (issue 13 item 3).
func TestInviteQR(t *testing.T) {
	relay := multiaddr.StringCast("/ip4/203.0.113.7/udp/4001/quic-v1/p2p/12D3KooWPqoWKv2UqBNqv5u4MKu1ru9SkHo1yKJrxxa2SvmPXZ6D")
	own := multiaddr.StringCast("/ip4/198.51.100.20/tcp/4002/p2p/12D3KooWLiHdjCieD5ohiPEWo4orfya1pN1D4igLHUfhprnp6CvS")
	inv := node.Invite{Coop: crdt.ID{1, 2, 3}, Bootstrap: []multiaddr.Multiaddr{relay, own}}.String()
	body, _ := json.Marshal(map[string]string{"invite": inv})
	png := filepath.Join(t.TempDir(), "invite.png")
	var out bytes.Buffer
	if err := fmtInviteQR(&out, body, true, png); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	if lines[0] != inv {
		t.Errorf("first line %q, want the invite string", lines[0])
	}
	if !strings.ContainsAny(out.String(), "█▀▄") || len(lines) < 20 {
		t.Errorf("no QR code in the terminal output:\n%s", out.String())
	}
	if _, err := os.Stat(png); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("zbarimg"); err != nil {
		msg := "zbarimg is missing (apt-get install zbar-tools): cannot scan the QR code back"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	scanned, err := exec.Command("zbarimg", "--raw", "-q", png).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	got := strings.TrimSpace(string(scanned))
	if got != inv {
		t.Fatalf("scanned %q, want %q", got, inv)
	}
	if _, err := node.ParseInvite(got); err != nil {
		t.Fatalf("the scanned invite does not parse: %v", err)
	}
	// a PNG path that cannot be written is a usage error, not a crash
	if err := fmtInviteQR(&out, body, false, filepath.Join(t.TempDir(), "no", "such", "dir.png")); err == nil {
		t.Error("writing into a missing folder succeeded")
	}
}
