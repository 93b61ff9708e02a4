package mobile

import (
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
)

// TestWebURL (issue 15): the façade serves the web app on loopback for a
// WebView; its login link logs a browser in (the cookie then reads the
// API) and Stop stops it.
func TestWebURL(t *testing.T) {
	f := newFixture(t)
	m, _ := f.phone(t.TempDir(), "customer", nil)
	link, err := m.WebURL()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := m.WebURL()
	if !strings.HasPrefix(link, "http://127.0.0.1:") || !strings.Contains(link, "/login?token=") || again != link {
		t.Fatalf("links %q, %q", link, again)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("login link: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	base := link[:strings.Index(link, "/login")]
	resp, err = c.Get(base + "/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status with the session cookie: %d", resp.StatusCode)
	}
	if err := m.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(base + "/"); err == nil {
		t.Fatal("the web app still answers after Stop")
	}
	if _, err := m.WebURL(); err == nil || !strings.HasPrefix(err.Error(), "stopped:") {
		t.Fatalf("WebURL after Stop: %v", err)
	}
}
