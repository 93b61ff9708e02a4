package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coopnode/coopnode/node"
)

// TestCheckTileURL: OpenStreetMap-compatible templates pass; each bad one
// is refused with ErrBadTiles (code bad_argument) and words naming what to
// fix.
func TestCheckTileURL(t *testing.T) {
	for _, ok := range []string{
		"https://tile.openstreetmap.org/{z}/{x}/{y}.png",
		"https://tiles.example.coop:8443/osm/{z}/{x}/{y}.png?key=abc",
		"https://example.org/{z}/{y}/{x}.png",
		"http://127.0.0.1:8080/{z}/{x}/{y}.png",
		"http://localhost/{z}/{x}/{y}.png",
		"http://[::1]:9000/{z}/{x}/{y}.png",
	} {
		if err := CheckTileURL(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"", "empty"},
		{"https://tile.example.org/{z}/{x}.png", "no {y}"},
		{"https://tile.example.org/tiles.png", "no {z}"},
		{"https://tile.example.org/{z}/{x}/{y}/{z}.png", "{z} more than once"},
		{"https://{s}.tile.example.org/{z}/{x}/{y}.png", "unknown placeholder {s}"},
		{"https://tile.example.org/{z}/{x}/{y}{r}.png", "unknown placeholder {r}"},
		{"https://tile.example.org/{z}/{x}/{y}.png}", "stray brace"},
		{"http://tile.example.org/{z}/{x}/{y}.png", "must be https"},
		{"ftp://tile.example.org/{z}/{x}/{y}.png", "must be https"},
		{"tile.example.org/{z}/{x}/{y}.png", "must be https"},
		{"https:///{z}/{x}/{y}.png", "no host"},
		{"https://me:pw@tile.example.org/{z}/{x}/{y}.png", "no user name"},
		{"https://tile.example.org/{z}/{x}/{y}.png#top", "no #fragment"},
		{"https://tile.example.org/" + strings.Repeat("a", MaxTileURL) + "/{z}/{x}/{y}.png", "longer than"},
	} {
		err := CheckTileURL(tc.in)
		if !errors.Is(err, ErrBadTiles) || node.Code(err) != "bad_argument" || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v (want ErrBadTiles saying %q)", tc.in, err, tc.want)
		}
	}
}

// TestConfigTiles: GET /v1/config gives null tiles by default and the app's
// CSP admits no other image origin; with WithTiles it gives the template
// and its credit, and the CSP admits that one origin; New refuses a bad
// template.
func TestConfigTiles(t *testing.T) {
	f := newFixture(t)
	if code, m, b := f.do("GET", "/v1/config", "", f.token); code != 200 || m["tiles"] != nil || !strings.Contains(string(b), `"tiles":null`) {
		t.Fatalf("config without tiles: %d %s", code, b)
	}
	csp := func(srv *httptest.Server) string {
		resp, err := http.Get(srv.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("Content-Security-Policy")
	}
	if got := csp(f.srv); !strings.Contains(got, "img-src 'self' data:;") {
		t.Fatalf("CSP without tiles: %q", got)
	}

	const tmpl = "https://tiles.example.coop:8443/{z}/{x}/{y}.png"
	s, err := New(f.n, "tok", nil, WithTiles(tmpl, ""))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	g := &apiFixture{t: t, n: f.n, srv: srv, token: "tok"}
	code, m, b := g.do("GET", "/v1/config", "", "tok")
	tiles, _ := m["tiles"].(map[string]any)
	if code != 200 || tiles["url"] != tmpl || tiles["attribution"] != DefaultTileAttribution {
		t.Fatalf("config with tiles: %d %s", code, b)
	}
	if got := csp(srv); !strings.Contains(got, "img-src 'self' data: https://tiles.example.coop:8443;") || !strings.Contains(got, "connect-src 'self';") {
		t.Fatalf("CSP with tiles: %q", got)
	}
	if _, err := New(f.n, "tok", nil, WithTiles("https://{s}.example.org/{z}/{x}/{y}.png", "")); !errors.Is(err, ErrBadTiles) {
		t.Fatalf("New with a bad template: %v", err)
	}
	if _, err := New(f.n, "tok", nil, WithTiles(tmpl, strings.Repeat("©", 150))); !errors.Is(err, ErrBadTiles) || node.Code(err) != "bad_argument" {
		t.Fatalf("New with a long attribution: %v", err)
	}
}
