package httpapi

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestMalformedRequestsGetJSON (issue 12.7): requests net/http cannot
// parse — bad %-escapes in the path, a relative or spaced target, no Host
// header, a bad Content-Length, oversized headers — are answered with the
// API's JSON error and a code, not net/http's plain text; the rest of the
// conversation is unchanged.
func TestMalformedRequestsGetJSON(t *testing.T) {
	f := newFixture(t)
	s, err := New(f.n, "s3cret", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(s)
	srv.Listener = JSONErrors(srv.Listener)
	srv.Config.MaxHeaderBytes = 4 << 10
	srv.Start()
	t.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "http://")
	auth := "Authorization: Bearer s3cret\r\n"
	for _, tc := range []struct {
		name, req string
		status    int
		code      string
	}{
		{"bad escape", "GET /v1/%zz HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 400, "bad_argument"},
		{"bad escape at the end", "GET /v1/status%zz HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 400, "bad_argument"},
		{"relative target", "GET v1/status HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 400, "bad_argument"},
		{"space in the path", "GET /v1/st atus HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 400, "bad_argument"},
		{"no Host", "GET /v1/status HTTP/1.1\r\n" + auth + "\r\n", 400, "bad_argument"},
		{"bad Content-Length", "POST /v1/orders HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: abc\r\n\r\n", 400, "bad_argument"},
		{"headers too large", "GET /v1/status HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("a", 8<<10) + "\r\n" + auth + "\r\n", 413, "too_large"},
		{"a good request", "GET /v1/status HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 200, ""},
		{"a good request without token", "GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n", 401, "unauthorized"},
	} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte(tc.req)); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			c.Close()
			t.Fatalf("%s: %v", tc.name, err)
		}
		var b struct{ Code, Error string }
		jerr := json.NewDecoder(resp.Body).Decode(&b)
		resp.Body.Close()
		c.Close()
		if resp.StatusCode != tc.status || jerr != nil || b.Code != tc.code || (tc.code != "" && b.Error == "") ||
			resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s %+v %v, want %d JSON %q", tc.name, resp.StatusCode, resp.Header.Get("Content-Type"), b, jerr, tc.status, tc.code)
		}
	}
}

// TestRewriteLeavesHandlersAlone: only net/http's own error answers are
// rewritten.
func TestRewriteLeavesHandlersAlone(t *testing.T) {
	for _, b := range []string{
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nhello",
		"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nDate: x\r\n\r\n{}",
		"some body bytes\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n",
		"HTTP/1.1 400 Bad Request\r\nDate: x" + serverErrorHeaders + "x",
	} {
		if _, ok := rewriteServerError([]byte(b)); ok {
			t.Errorf("rewrote %q", b)
		}
	}
}
