package mobile

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coopnode/coopnode/node"
	"github.com/coopnode/coopnode/node/httpapi"
)

// webServer is the node's HTTP API and web app on loopback, started by
// the first WebURL and stopped by Stop.
type webServer struct {
	mu   sync.Mutex
	srv  *http.Server
	ln   net.Listener
	link string
}

// WebURL returns the login link of the web app (docs/webapp.md), served by
// this node on a loopback port, for the app's WebView: loading it logs
// the WebView in (a session cookie) and shows the app. The first call
// starts the server with a fresh random token; later calls return the same
// link. Only this device can reach it (127.0.0.1).
func (m *Node) WebURL() (out string, err error) {
	defer recoverTo(&err)
	if m == nil || m.ctx == nil || m.ctx.Err() != nil {
		return "", errorf(node.ErrClosed, "the node was stopped")
	}
	w := &m.web
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.link != "" {
		return w.link, nil
	}
	tok := make([]byte, 24)
	if _, err := rand.Read(tok); err != nil {
		return "", errorf(errInternal, "token: %v", err)
	}
	token := hex.EncodeToString(tok)
	var opts []httpapi.Option
	if m.cfg.Tiles != "" {
		opts = append(opts, httpapi.WithTiles(m.cfg.Tiles, m.cfg.TilesAttribution))
	}
	api, err := httpapi.New(m.n, token, m.log, opts...)
	if err != nil {
		return "", wrap(err)
	}
	ln, err := httpapi.Listen("127.0.0.1:0")
	if err != nil {
		return "", errorf(errInternal, "listen: %v", err)
	}
	w.srv = &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	w.ln = ln
	go func(srv *http.Server) { _ = srv.Serve(ln) }(w.srv)
	w.link = httpapi.LoginURL(ln.Addr().String(), token)
	return w.link, nil
}

// close stops the web server, if it runs.
func (w *webServer) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.srv == nil {
		return
	}
	_ = w.srv.Close() // at once: an event stream would hold Shutdown
	w.srv, w.link = nil, ""
}
