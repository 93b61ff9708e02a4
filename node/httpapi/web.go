package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/coopnode/coopnode/node"
	"github.com/coopnode/coopnode/webapp"
)

// The web app (package webapp) is served beside the API, on the same
// loopback address (docs/webapp.md). Its files are public (they hold no
// secret); the API behind them is not. A browser logs in once through the
// link `coopnode run` prints, the way Jupyter does:
//
//	GET /login?token=TOKEN  →  303 to /, setting two cookies
//
// coopnode_session (HttpOnly, SameSite=Strict) is HMAC(token, "session"):
// it proves the token without being it and changes when the token does.
// coopnode_csrf (readable by the app's script, SameSite=Strict) is
// HMAC(token, "csrf"). The API takes the session cookie in place of the
// Bearer header only from the app's own origin:
//   - the Host is a loopback name (so a DNS-rebound name never carries it);
//   - Sec-Fetch-Site, when sent, is same-origin (or none: typed by hand);
//   - Origin, when sent, is this Host;
//   - a request other than GET or HEAD carries the header X-Coopnode-CSRF
//     equal to the csrf cookie, which another site can neither read nor
//     send without a CORS preflight the API never grants.
//
// Scripts and the CLI keep using Authorization: Bearer; a request that
// sends an Authorization header is judged by it alone.

const (
	// SessionCookie holds the web app's session.
	SessionCookie = "coopnode_session"
	// CSRFCookie holds the value the app echoes in CSRFHeader.
	CSRFCookie = "coopnode_csrf"
	// CSRFHeader carries the csrf value on the app's writes.
	CSRFHeader = "X-Coopnode-CSRF"
	// LoginPath is the login link's path (LoginURL).
	LoginPath = "/login"
	// sessionAge keeps a restaurant's tablet logged in for 90 days.
	sessionAge = 90 * 24 * 3600
)

// LoginURL is the link that logs a browser into the web app of the node
// whose API listens on addr (host:port).
func LoginURL(addr, token string) string {
	return "http://" + addr + LoginPath + "?token=" + url.QueryEscape(token)
}

func (s *Server) derived(label string) string {
	m := hmac.New(sha256.New, []byte(s.token))
	m.Write([]byte("coopnode web " + label + " v1"))
	return hex.EncodeToString(m.Sum(nil))
}

// isAPI: the API's paths; everything else belongs to the web app.
func isAPI(p string) bool { return p == "/v1" || strings.HasPrefix(p, "/v1/") }

// cookieAuth reports whether r is the web app's own request carrying a
// valid session (see above).
func (s *Server) cookieAuth(r *http.Request) bool {
	c, err := r.Cookie(SessionCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(s.derived("session"))) != 1 {
		return false
	}
	if !sameOrigin(r) {
		return false
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(r.Header.Get(CSRFHeader)), []byte(s.derived("csrf"))) == 1
}

// sameOrigin: a loopback Host, and the browser's own account of where the
// request comes from (when it gives one) is this origin.
func sameOrigin(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	host = strings.Trim(host, "[]")
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return false
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
		return false
	}
	return true
}

// web serves the login link and the app's files.
func (s *Server) web(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == LoginPath {
		s.login(w, r)
		return
	}
	if webapp.Has(r.URL.Path) && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		webapp.HandlerCSP(s.csp).ServeHTTP(w, r)
		return
	}
	failf(w, node.ErrNoRoute, "%s %s", r.Method, r.URL.Path)
}

// login checks the link's token, sets the session and sends the browser to
// the app, dropping the token from the address bar. A wrong token sends it
// to the app's login help instead.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		failf(w, node.ErrBadMethod, "%s %s (allowed: GET)", r.Method, r.URL.Path)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	got := r.URL.Query().Get("token")
	if subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) != 1 {
		http.Redirect(w, r, "/#/login?failed=1", http.StatusSeeOther)
		return
	}
	for _, c := range []*http.Cookie{
		{Name: SessionCookie, Value: s.derived("session"), HttpOnly: true},
		{Name: CSRFCookie, Value: s.derived("csrf")},
	} {
		c.Path, c.MaxAge, c.SameSite = "/", sessionAge, http.SameSiteStrictMode
		http.SetCookie(w, c)
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
