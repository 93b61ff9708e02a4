package httpapi

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// TestCityServerRoutes (SPEC.md §22.4): one API over two coops' nodes.
// Status lists both coops; the restaurants of both are listed with their
// coop; a restaurant's route goes to its coop; and each request that
// names what no followed coop has is refused with its code.
func TestCityServerRoutes(t *testing.T) {
	ctx := context.Background()
	var nodes []*node.Node
	for _, name := range []string{"Vélo Nantes", "Roue Libre"} {
		n, err := node.New(ctx, node.WithKey(key("city "+name)), node.WithRole(node.RoleAdmin), node.WithListen("/ip4/127.0.0.1/tcp/0"))
		must(t, err)
		t.Cleanup(func() { _ = n.Close() })
		_, err = n.Found(ctx, crdt.CoopGenesis{Name: name, City: "Nantes", Currency: "EUR", Timezone: "Europe/Paris"})
		must(t, err)
		must(t, n.Admit(ctx, n.Key(), crdt.RoleAdmin|crdt.RoleRestaurant, name))
		must(t, n.PublishProfile(ctx, crdt.CatalogProfile{Name: name + " kitchen", Position: crdt.Position{LatE6: 47_218_000, LonE6: -1_553_000},
			Timezone: "Europe/Paris", Fulfilment: crdt.FulfilDelivery, Enabled: true}))
		nodes = append(nodes, n)
	}
	a, b := nodes[0], nodes[1]
	city, err := node.NewCity(a, b)
	must(t, err)
	s, err := NewCity(city, "s3cret", nil)
	must(t, err)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	f := &apiFixture{t: t, n: a, srv: srv, token: "s3cret"}

	if code, m, _ := f.do("GET", "/v1/restaurants", "", ""); code != 401 || m["code"] != "unauthorized" {
		t.Fatalf("no token: %d %v", code, m)
	}
	_, st, _ := f.do("GET", "/v1/status", "", f.token)
	coops, _ := st["coops"].([]any)
	if st["key"] != a.Key().String() || len(coops) != 2 || coops[1].(map[string]any)["key"] != b.Key().String() ||
		coops[1].(map[string]any)["name"] != "Roue Libre" {
		t.Fatalf("status: %v", st)
	}
	code, _, raw := f.do("GET", "/v1/restaurants", "", f.token)
	var rs []node.CityRestaurant
	must(t, json.Unmarshal(raw, &rs))
	if code != 200 || len(rs) != 2 || rs[0].Coop != a.Coop() || rs[1].Coop != b.Coop() || rs[1].CoopName != "Roue Libre" || rs[1].Key != b.Key() {
		t.Fatalf("restaurants: %d %s", code, raw)
	}
	// routed by the restaurant: each coop's node answers for its own
	for _, n := range nodes {
		if code, _, raw := f.do("GET", "/v1/restaurants/"+n.Key().String()+"/slots", "", f.token); code != 200 {
			t.Fatalf("slots of %s: %d %s", n.Key().Short(), code, raw)
		}
	}
	if code, _, raw := f.do("GET", "/v1/coop?coop="+b.Coop().String(), "", f.token); code != 200 || !strings.Contains(string(raw), "Roue Libre") {
		t.Fatalf("?coop= the second coop: %d %s", code, raw)
	}
	if code, _, raw := f.do("GET", "/v1/orders", "", f.token); code != 200 || string(raw) != "[]\n" {
		t.Fatalf("orders: %d %q", code, raw)
	}
	unknown := crdt.ID{7}
	for _, c := range []struct{ method, path, body, code string }{
		{"GET", "/v1/coop?coop=nope", "", "bad_argument"},
		{"GET", "/v1/coop?coop=" + unknown.String(), "", "not_found"},
		{"GET", "/v1/orders/" + unknown.String(), "", "not_found"},
		{"POST", "/v1/orders/" + unknown.String() + "/cancel", `{}`, "not_found"},
		{"POST", "/v1/quote", `{"restaurant":"` + crdt.PubKey{9}.String() + `"}`, "not_found"},
		{"POST", "/v1/checkout", `{"cart":{"restaurant":"` + crdt.PubKey{9}.String() + `"}}`, "not_found"},
		{"GET", "/v1/restaurants/" + crdt.PubKey{9}.String() + "/slots", "", "not_found"},
		{"POST", "/v1/coop/join", `{"invite":"coopnode1:nonsense"}`, "bad_invite"},
		// a City of given nodes has no data folder to add a coop to
		{"POST", "/v1/coop/join", `{"invite":"` + (node.Invite{Coop: crdt.ID{5}}).String() + `"}`, "bad_argument"},
	} {
		if code, m, _ := f.do(c.method, c.path, c.body, f.token); m["code"] != c.code || code < 400 {
			t.Errorf("%s %s: %d %v, want %s", c.method, c.path, code, m, c.code)
		}
	}
	// an invite to a coop the city follows is that node's
	if code, m, _ := f.do("POST", "/v1/coop/join", `{"invite":"`+b.Invite().String()+`"}`, f.token); code != 200 || m["coop"] != b.Coop().String() || m["key"] != b.Key().String() {
		t.Fatalf("join the followed coop: %d %v", code, m)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
