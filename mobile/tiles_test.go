package mobile

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
)

// TestWebTiles (issue 15, maps): Start's "tiles" gives the WebView's app
// its map tile server (GET /v1/config); a bad template is refused at Start
// with bad_argument, naming "tiles".
func TestWebTiles(t *testing.T) {
	f := newFixture(t)
	if _, err := Start(t.TempDir(), `{"role": "courier", "invite": "`+f.admin.Invite().String()+`", "tiles": "https://{s}.tile.example.org/{z}/{x}/{y}.png"}`, newRecorder()); err == nil ||
		!strings.HasPrefix(err.Error(), "bad_argument:") || !strings.Contains(err.Error(), "tiles") {
		t.Fatalf("Start with a bad tile template: %v", err)
	}
	const tmpl = "https://tiles.example.coop/{z}/{x}/{y}.png"
	m, _ := f.phone(t.TempDir(), "courier", map[string]any{"tiles": tmpl, "tiles_attribution": "© OSM, Vélo Coop tiles"})
	link, err := m.WebURL()
	must(t, err)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(link)
	must(t, err)
	resp.Body.Close()
	resp, err = c.Get(link[:strings.Index(link, "/login")] + "/v1/config")
	must(t, err)
	defer resp.Body.Close()
	var cfg struct {
		Tiles struct{ URL, Attribution string }
	}
	must(t, json.NewDecoder(resp.Body).Decode(&cfg))
	if cfg.Tiles.URL != tmpl || cfg.Tiles.Attribution != "© OSM, Vélo Coop tiles" {
		t.Fatalf("config: %+v", cfg)
	}
}
