package main

import (
	"bytes"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenPrintsLoginLink (issue 15): `coopnode open` gives the running
// node's login link; the link logs a browser in (the session cookie reads
// the API). With no browser to start ($BROWSER fails) it prints the link
// instead of failing.
func TestOpenPrintsLoginLink(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	c := &cli{t: t}
	dir := filepath.Join(t.TempDir(), "node")
	c.run("init", "-data", dir, "-listen", "/ip4/127.0.0.1/tcp/0", "-mdns=false")
	c.start("run", "-data", dir, "-log-level", "warn")
	waitFile(t, filepath.Join(dir, apiFile))

	var out, errb bytes.Buffer
	if code := realMain([]string{"open", "-data", dir, "-print"}, &out, &errb); code != 0 {
		t.Fatalf("open -print: exit %d: %s", code, errb.String())
	}
	link := strings.TrimSpace(out.String())
	if !strings.HasPrefix(link, "http://127.0.0.1:") || !strings.Contains(link, "/login?token=") {
		t.Fatalf("link %q", link)
	}
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	resp, err := hc.Get(link)
	must(t, err)
	resp.Body.Close()
	resp, err = hc.Get(link[:strings.Index(link, "/login")] + "/v1/status")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status through the session cookie: %d", resp.StatusCode)
	}

	t.Setenv("BROWSER", "false")
	out.Reset()
	if code := realMain([]string{"open", "-data", dir}, &out, &errb); code != 0 || !strings.Contains(out.String(), "could not open a browser") ||
		!strings.Contains(out.String(), link) {
		t.Fatalf("open with no browser: exit %d, %q", code, out.String())
	}
}
