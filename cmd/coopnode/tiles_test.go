package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coopnode/coopnode/node/httpapi"
)

// TestRunTilesFlag (issue 15, maps): `coopnode run -tiles` refuses a bad
// template at once (exit 2, naming the flag and what to fix), before
// touching any data folder; a good one reaches the web app through
// GET /v1/config, with the default credit.
func TestRunTilesFlag(t *testing.T) {
	for _, tc := range []struct{ tmpl, want string }{
		{"https://tile.example.org/{z}/{x}.png", "no {y}"},
		{"http://tile.example.org/{z}/{x}/{y}.png", "must be https"},
		{"https://{s}.tile.example.org/{z}/{x}/{y}.png", "unknown placeholder {s}"},
	} {
		var out, errb bytes.Buffer
		code := realMain([]string{"run", "-data", filepath.Join(t.TempDir(), "none"), "-tiles", tc.tmpl}, &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), "-tiles") || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("run -tiles %s: exit %d, %q (want exit 2 naming -tiles and %q)", tc.tmpl, code, errb.String(), tc.want)
		}
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	c := &cli{t: t}
	dir := filepath.Join(t.TempDir(), "node")
	c.run("init", "-data", dir, "-listen", "/ip4/127.0.0.1/tcp/0", "-mdns=false")
	const tmpl = "https://tiles.example.coop/{z}/{x}/{y}.png"
	c.start("run", "-data", dir, "-log-level", "warn", "-tiles", tmpl)
	waitFile(t, filepath.Join(dir, apiFile))
	addr, err := os.ReadFile(filepath.Join(dir, apiFile))
	must(t, err)
	_, cfg, err := loadData(dir)
	must(t, err)
	req, _ := http.NewRequest("GET", "http://"+strings.TrimSpace(string(addr))+"/v1/config", nil)
	req.Header.Set("Authorization", "Bearer "+cfg.Token)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	var got httpapi.Config
	must(t, json.NewDecoder(resp.Body).Decode(&got))
	if resp.StatusCode != 200 || got.Tiles == nil || got.Tiles.URL != tmpl || got.Tiles.Attribution != httpapi.DefaultTileAttribution {
		t.Fatalf("GET /v1/config: %d %+v", resp.StatusCode, got.Tiles)
	}
}
