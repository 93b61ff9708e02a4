package httpapi

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWebLoginAndCookie (issue 15): the login link sets the session and
// csrf cookies; the cookie authenticates the app's own GETs, and its
// writes only with the csrf header; a foreign origin, a cross-site fetch
// or a non-loopback Host (DNS rebinding) gets 401; Bearer works as before;
// a wrong link sets nothing.
func TestWebLoginAndCookie(t *testing.T) {
	f := newFixture(t)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	host := strings.TrimPrefix(f.srv.URL, "http://")

	resp, err := noRedirect.Get(LoginURL(host, "wrong"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/#/login?failed=1" || len(resp.Cookies()) != 0 {
		t.Fatalf("wrong token: %d %q %v", resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
	}
	resp, err = noRedirect.Get(LoginURL(host, f.token))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("login: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session, csrf *http.Cookie
	for _, c := range resp.Cookies() {
		switch c.Name {
		case SessionCookie:
			session = c
		case CSRFCookie:
			csrf = c
		}
	}
	if session == nil || csrf == nil || !session.HttpOnly || csrf.HttpOnly || session.SameSite != http.SameSiteStrictMode ||
		csrf.SameSite != http.SameSiteStrictMode || strings.Contains(session.Value, f.token) || session.Value == csrf.Value {
		t.Fatalf("cookies: %+v %+v", session, csrf)
	}

	type req struct {
		name, method, path, host string
		headers                  map[string]string
		want                     int
	}
	same := map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://" + host}
	for _, tc := range []req{
		{"GET with the cookie", "GET", "/v1/status", "", nil, 200},
		{"GET same-origin", "GET", "/v1/status", "", same, 200},
		{"HEAD with the cookie", "HEAD", "/v1/status", "", nil, 200},
		{"POST without csrf", "POST", "/v1/coop/found", "", same, 401},
		{"POST with a wrong csrf", "POST", "/v1/coop/found", "", map[string]string{CSRFHeader: "00"}, 401},
		{"POST with csrf", "POST", "/v1/coop/found", "", map[string]string{CSRFHeader: csrf.Value, "Origin": "http://" + host}, 201},
		{"cross-site fetch", "GET", "/v1/status", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, 401},
		{"foreign origin", "POST", "/v1/coop/found", "", map[string]string{CSRFHeader: csrf.Value, "Origin": "http://evil.example"}, 401},
		{"rebound host name", "GET", "/v1/status", "evil.example:" + strings.Split(host, ":")[1], nil, 401},
		{"wrong bearer beats the cookie", "GET", "/v1/status", "", map[string]string{"Authorization": "Bearer nope"}, 401},
	} {
		r, _ := http.NewRequest(tc.method, f.srv.URL+tc.path, strings.NewReader(`{"name":"Web Coop"}`))
		r.AddCookie(session)
		r.AddCookie(csrf)
		if tc.host != "" {
			r.Host = tc.host
		}
		for k, v := range tc.headers {
			r.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
	// the cookie alone, without the session, is nothing
	r, _ := http.NewRequest("GET", f.srv.URL+"/v1/status", nil)
	r.AddCookie(csrf)
	if resp, err := http.DefaultClient.Do(r); err != nil || resp.StatusCode != 401 {
		t.Fatalf("csrf cookie alone: %v %v", resp, err)
	}
	// scripts: Bearer as ever
	if code, _, _ := f.do("GET", "/v1/status", "", f.token); code != 200 {
		t.Fatalf("bearer: %d", code)
	}
}

// TestWebServesApp: the app's files need no token, carry the CSP, come
// gzipped and revalidate by ETag; other paths are JSON no_route.
func TestWebServesApp(t *testing.T) {
	f := newFixture(t)
	r, _ := http.NewRequest("GET", f.srv.URL+"/", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	tr := &http.Transport{DisableCompression: true}
	resp, err := tr.RoundTrip(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") ||
		resp.Header.Get("ETag") == "" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("index: %d %v", resp.StatusCode, resp.Header)
	}
	r.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	if resp, err := tr.RoundTrip(r); err != nil || resp.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidate: %v %v", resp, err)
	}
	for _, p := range []string{"/js/main.js", "/vendor/preact-htm.js", "/i18n/fr.json", "/app.css", "/alert.wav"} {
		resp, err := http.Get(f.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(b) == 0 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
	for _, p := range []string{"/nothing.js", "/js/", "/../go.mod", "/login/x"} {
		code, m, _ := f.do("GET", p, "", "")
		if code != 404 || m["code"] != "no_route" {
			t.Errorf("%s: %d %v", p, code, m)
		}
	}
	if code, m, _ := f.do("POST", "/login?token="+url.QueryEscape(f.token), "", ""); code != 405 || m["code"] != "method_not_allowed" {
		t.Errorf("POST /login: %d %v", code, m)
	}
}
