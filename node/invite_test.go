package node

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/coopnode/coopnode/crdt"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multiaddr"
)

func testPeerID(t testing.TB) peer.ID {
	t.Helper()
	id, err := peer.IDFromPrivateKey(testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustAddr(t testing.TB, s string) multiaddr.Multiaddr {
	t.Helper()
	m, err := multiaddr.NewMultiaddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func testInvite(t testing.TB) Invite {
	p1, p2 := testPeerID(t), testPeerID(t)
	return Invite{
		Coop: crdt.ID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32},
		Bootstrap: []multiaddr.Multiaddr{
			mustAddr(t, "/ip4/127.0.0.1/tcp/4001/p2p/"+p1.String()),
			mustAddr(t, "/ip4/127.0.0.1/udp/4001/quic-v1/p2p/"+p1.String()),
			mustAddr(t, "/dns4/coop.example/tcp/443/p2p/"+p2.String()),
		},
	}
}

func TestInviteRoundTrip(t *testing.T) {
	inv := testInvite(t)
	s := inv.String()
	if !strings.HasPrefix(s, "coopnode1:") {
		t.Fatalf("invite %q", s)
	}
	got, err := ParseInvite("  " + s + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if got.Coop != inv.Coop || len(got.Bootstrap) != len(inv.Bootstrap) {
		t.Fatalf("got %+v", got)
	}
	for i := range got.Bootstrap {
		if !got.Bootstrap[i].Equal(inv.Bootstrap[i]) {
			t.Fatalf("addr %d: %s, want %s", i, got.Bootstrap[i], inv.Bootstrap[i])
		}
	}
	if got.String() != s {
		t.Fatal("re-encoding differs")
	}
	ais, err := got.AddrInfos()
	if err != nil || len(ais) != 2 {
		t.Fatalf("AddrInfos = %v, %v", ais, err)
	}
	// No bootstrap addresses is fine (LAN-only coops rely on mDNS).
	if _, err := ParseInvite(Invite{Coop: inv.Coop}.String()); err != nil {
		t.Fatal(err)
	}
	t.Logf("a 3-address invite is %d characters", len(s))
}

// encodeRaw builds an invite string from raw payload bytes.
func encodeRaw(b []byte) string { return invitePrefix + base64.RawURLEncoding.EncodeToString(b) }

func TestInviteRejects(t *testing.T) {
	inv := testInvite(t)
	good := inv.String()
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(good, invitePrefix))
	if err != nil {
		t.Fatal(err)
	}
	noP2P := mustAddr(t, "/ip4/127.0.0.1/tcp/1")
	onlyP2P := mustAddr(t, "/p2p/"+testPeerID(t).String())
	many := Invite{Coop: inv.Coop}
	for i := range 17 {
		_ = i
		many.Bootstrap = append(many.Bootstrap, mustAddr(t, "/ip4/127.0.0.1/tcp/1/p2p/"+testPeerID(t).String()))
	}
	with := func(f func(b []byte) []byte) string {
		return encodeRaw(f(append([]byte(nil), payload...)))
	}
	cases := map[string]string{
		"empty":           "",
		"no prefix":       strings.TrimPrefix(good, invitePrefix),
		"wrong prefix":    "coopnode2:" + strings.TrimPrefix(good, invitePrefix),
		"upper prefix":    "COOPNODE1:" + strings.TrimPrefix(good, invitePrefix),
		"padding":         good + "==",
		"std alphabet":    strings.NewReplacer("-", "+", "_", "/").Replace(good) + "+/",
		"bad base64":      good + "!",
		"truncated":       good[:len(good)-5],
		"too long":        good + strings.Repeat("A", maxInviteLen),
		"trailing bytes":  with(func(b []byte) []byte { return append(b, 0) }),
		"version 0":       with(func(b []byte) []byte { b[0] = 0; return b }),
		"version 2":       with(func(b []byte) []byte { b[0] = 2; return b }),
		"count too high":  with(func(b []byte) []byte { b[33] = 4; return b }),
		"count 200":       with(func(b []byte) []byte { b[33] = 200; return b }),
		"header only":     encodeRaw(payload[:20]),
		"zero coop":       Invite{Bootstrap: inv.Bootstrap}.String(),
		"17 addrs":        many.String(),
		"no p2p":          Invite{Coop: inv.Coop, Bootstrap: []multiaddr.Multiaddr{noP2P}}.String(),
		"no transport":    Invite{Coop: inv.Coop, Bootstrap: []multiaddr.Multiaddr{onlyP2P}}.String(),
		"duplicate addr":  Invite{Coop: inv.Coop, Bootstrap: []multiaddr.Multiaddr{inv.Bootstrap[0], inv.Bootstrap[0]}}.String(),
		"zero length":     encodeRaw(append(append([]byte{1}, inv.Coop[:]...), 1, 0)),
		"overlong varint": encodeRaw(append(append([]byte{1}, inv.Coop[:]...), 1, 0x80, 0x00)),
		"garbage addr":    encodeRaw(append(append([]byte{1}, inv.Coop[:]...), 1, 3, 0xff, 0xff, 0xff)),
		"addr past end":   encodeRaw(append(append([]byte{1}, inv.Coop[:]...), 1, 50, 4, 127, 0, 0, 1)),
	}
	for name, s := range cases {
		if _, err := ParseInvite(s); !errors.Is(err, ErrBadInvite) {
			t.Errorf("%s: ParseInvite = %v, want ErrBadInvite", name, err)
		}
	}
	if err := many.Validate(); !errors.Is(err, ErrBadInvite) {
		t.Errorf("Validate(17 addrs) = %v", err)
	}
	if err := inv.Validate(); err != nil {
		t.Errorf("Validate(good) = %v", err)
	}
}

// TestInviteSeedCorpus pins the committed fuzz seeds: files named valid_*
// must parse, the others must be rejected. They were written by hand from
// the format description, so they also check the encoder against it.
func TestInviteSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzParseInvite")
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != 2 || lines[0] != "go test fuzz v1" {
			t.Fatalf("%s: not a fuzz corpus file", f.Name())
		}
		lit, ok := strings.CutPrefix(lines[1], "string(")
		if !ok {
			t.Fatalf("%s: %q", f.Name(), lines[1])
		}
		s, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
		if err != nil {
			t.Fatalf("%s: %v", f.Name(), err)
		}
		inv, err := ParseInvite(s)
		if strings.HasPrefix(f.Name(), "valid_") {
			if err != nil {
				t.Errorf("%s: %v", f.Name(), err)
			} else if inv.String() != s {
				t.Errorf("%s: re-encodes as %q", f.Name(), inv.String())
			}
		} else if !errors.Is(err, ErrBadInvite) {
			t.Errorf("%s: got %v, want ErrBadInvite", f.Name(), err)
		}
	}
}

func FuzzParseInvite(f *testing.F) {
	f.Add(testInvite(f).String())
	f.Add(Invite{Coop: crdt.ID{9}}.String())
	f.Add("coopnode1:AQ")
	f.Fuzz(func(t *testing.T, s string) {
		inv, err := ParseInvite(s)
		if err != nil {
			if !errors.Is(err, ErrBadInvite) {
				t.Fatalf("error does not wrap ErrBadInvite: %v", err)
			}
			return
		}
		// Anything accepted is valid and has exactly one encoding.
		if err := inv.Validate(); err != nil {
			t.Fatalf("accepted invalid invite: %v", err)
		}
		if enc := inv.String(); enc != strings.TrimSpace(s) {
			t.Fatalf("re-encoding %q gives %q", s, enc)
		}
		if _, err := inv.AddrInfos(); err != nil {
			t.Fatalf("AddrInfos: %v", err)
		}
	})
}
