package httpapi

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
	"github.com/libp2p/go-libp2p/core/peer"
)

// TestPeersOnRealNodes (issue 13 item 7): two nodes on loopback, the
// second a restaurant in the first's coop log; GET /v1/peers on the first
// lists the second, direct over TCP with its role, and a round-trip time.
func TestPeersOnRealNodes(t *testing.T) {
	f := newFixture(t)
	if code, m, _ := f.do("GET", "/v1/peers", "", f.token); code != http.StatusOK {
		t.Fatalf("peers before any: %d %v", code, m)
	}
	code, m, _ := f.do("POST", "/v1/coop/found", `{"name":"Peers Coop","city":"Lille"}`, f.token)
	if code != http.StatusCreated {
		t.Fatalf("found: %d %v", code, m)
	}
	resto := crdt.PubKey(key("resto").Public().(ed25519.PublicKey))
	if code, m, _ = f.do("POST", "/v1/coop/members", `{"member":"`+resto.String()+`","roles":["restaurant"],"name":"R"}`, f.token); code >= 300 {
		t.Fatalf("admit: %d %v", code, m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := node.New(ctx, node.WithKey(key("resto")), node.WithRole(node.RoleRestaurant), node.WithListen("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	stranger, err := node.New(ctx, node.WithKey(key("stranger")), node.WithRole(node.RoleCustomer), node.WithListen("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	ais, err := peer.AddrInfosFromP2pAddrs(f.n.Addrs()...)
	if err != nil || len(ais) != 1 {
		t.Fatalf("addrs %v: %v", f.n.Addrs(), err)
	}
	for _, n := range []*node.Node{r, stranger} {
		if err := n.Connect(ctx, ais[0]); err != nil {
			t.Fatal(err)
		}
	}
	var got []node.PeerInfo
	for {
		_, _, b := f.do("GET", "/v1/peers", "", f.token)
		got = nil
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("peers answer %s: %v", b, err)
		}
		if len(got) == 2 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("peers never listed both nodes: %s", b)
		case <-time.After(20 * time.Millisecond):
		}
	}
	byKey := map[crdt.PubKey]node.PeerInfo{}
	for _, p := range got {
		byKey[p.Key] = p
	}
	rp, ok := byKey[resto]
	if !ok || rp.PeerID != r.ID().String() {
		t.Fatalf("restaurant not listed: %+v", got)
	}
	if !rp.Member || rp.Name != "R" || rp.Role != "restaurant" || rp.Link != node.LinkDirect || rp.Transport != "tcp" || rp.RTTMs <= 0 {
		t.Fatalf("restaurant listed as %+v: want member R, role restaurant, direct, tcp, a round trip", rp)
	}
	sp := byKey[crdt.PubKey(key("stranger").Public().(ed25519.PublicKey))]
	if sp.Member || sp.Name != "" || sp.Role != "" || sp.Link != node.LinkDirect || sp.Transport != "tcp" {
		t.Fatalf("stranger listed as %+v: want not a member, direct, tcp", sp)
	}
	t.Logf("restaurant: %+v", rp)
}
