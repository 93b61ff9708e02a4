package metrics

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

func start(t *testing.T, ctx context.Context, name string, role node.Role, opts ...node.Option) *node.Node {
	t.Helper()
	seed := sha256.Sum256([]byte("metrics test " + name))
	n, err := node.New(ctx, append([]node.Option{node.WithKey(ed25519.NewKeyFromSeed(seed[:])), node.WithRole(role),
		node.WithListen("/ip4/127.0.0.1/tcp/0"), node.WithSyncInterval(-1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want the Prometheus text format", ct)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRelayMetrics: a relay serving metrics on a loopback address answers
// an HTTP GET of /metrics with Prometheus text holding the named series,
// and their values follow the node: one connected peer, the coop's
// genesis stored.
func TestRelayMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	relay := start(t, ctx, "relay", node.RoleRelay)
	if _, err := relay.Found(ctx, crdt.CoopGenesis{Name: "Metrics Coop", City: "Nantes", Currency: "EUR"}); err != nil {
		t.Fatal(err)
	}
	other := start(t, ctx, "other", node.RoleCourier)
	if err := other.Connect(ctx, peer.AddrInfo{ID: relay.ID(), Addrs: relay.Host().Addrs()}); err != nil {
		t.Fatal(err)
	}
	srv, err := Serve("127.0.0.1:0", relay)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	url := "http://" + srv.Addr().String() + "/metrics"

	var body string
	deadline := time.Now().Add(10 * time.Second)
	for {
		body = scrape(t, url)
		if strings.Contains(body, "\ncoopnode_peers 1\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("coopnode_peers never 1:\n%s", body)
		}
		time.Sleep(20 * time.Millisecond) // polling interval of a condition wait
	}
	for _, series := range []string{
		`coopnode_peers 1`,
		`coopnode_events_stored [1-9]`,
		`coopnode_events_pending 0`,
		`coopnode_sync_sessions_total \d+`,
		`coopnode_sync_cut_total \d+`,
		`coopnode_sync_caught_up [01]`,
		`coopnode_sync_catch_up_events \d+`,
		`coopnode_sync_events_total\{direction="in"\} \d+`,
		`coopnode_sync_bytes_total\{direction="out"\} \d+`,
		`coopnode_events_accepted_total\{source="gossip"\} \d+`,
		`coopnode_rejects_total\{reason="gossip_invalid"\} 0`,
		`coopnode_rejects_total\{reason="rate_limited"\} 0`,
		`coopnode_rejects_total\{reason="peer_blocked"\} 0`,
		`coopnode_published_total [1-9]`,
		`coopnode_wakeups_total\{result="sent"\} 0`,
		`go_goroutines \d+`,
	} {
		if !regexp.MustCompile(`(?m)^` + series + `$`).MatchString(body) {
			t.Errorf("no series matching %q", series)
		}
	}
	for _, help := range []string{"# HELP coopnode_rejects_total", "# TYPE coopnode_sync_sessions_total counter", "# TYPE coopnode_peers gauge"} {
		if !strings.Contains(body, help) {
			t.Errorf("missing %q", help)
		}
	}
	if t.Failed() {
		t.Logf("scraped:\n%s", body)
	}
}

// TestServeBadAddress: an address that cannot be listened on is a clear
// error, not a panic or a silent node without metrics.
func TestServeBadAddress(t *testing.T) {
	for _, addr := range []string{"not an address", "127.0.0.1:99999"} {
		if _, err := Serve(addr, nil); !errors.Is(err, ErrAddr) {
			t.Errorf("Serve(%q): %v, want ErrAddr", addr, err)
		}
	}
}

// waitSeries scrapes url until every series regexp matches a line.
func waitSeries(t *testing.T, url string, series ...string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		body, missing := scrape(t, url), ""
		for _, s := range series {
			if !regexp.MustCompile(`(?m)^` + s + `$`).MatchString(body) {
				missing = s
				break
			}
		}
		if missing == "" {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("no series matching %q:\n%s", missing, body)
		}
		time.Sleep(20 * time.Millisecond) // polling interval of a condition wait
	}
}

// TestRelayCircuitMetrics: a relay-role node with NAT traversal on
// (node.WithNAT) counts the reservation a NATed node holds on it, and the
// node counts its held reservation (SPEC.md §10.6; issue 13 item 2).
func TestRelayCircuitMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	relay := start(t, ctx, "nat relay", node.RoleRelay, node.WithNAT(true))
	boot, err := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: relay.ID(), Addrs: relay.Host().Addrs()})
	if err != nil {
		t.Fatal(err)
	}
	client := start(t, ctx, "nat client", node.RoleRestaurant, node.WithNAT(true), node.WithBootstrap(boot...))
	rs, err := Serve("127.0.0.1:0", relay)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	cs, err := Serve("127.0.0.1:0", client)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	waitSeries(t, "http://"+rs.Addr().String()+"/metrics",
		`coopnode_relay_reservations 1`, `coopnode_relay_circuits 0`, `coopnode_relay_circuits_total 0`,
		`coopnode_relay_refused_total\{kind="reservation"\} 0`, `coopnode_relay_bytes_total 0`,
		`coopnode_peer_links\{link="direct"\} 1`, `coopnode_peer_links\{link="relayed"\} 0`)
	waitSeries(t, "http://"+cs.Addr().String()+"/metrics",
		`coopnode_relay_reservations_held 1`, `coopnode_hole_punch_total\{result="success"\} 0`,
		`coopnode_hole_punch_total\{result="failure"\} 0`)
}
