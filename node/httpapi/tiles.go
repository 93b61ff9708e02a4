package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/coopnode/coopnode/node"
	"github.com/coopnode/coopnode/webapp"
)

// Map tiles (docs/webapp.md, "Maps"). The web app draws its maps from
// positions alone, fetching nothing. A node may be given a tile server
// (OpenStreetMap-compatible, `https://host/{z}/{x}/{y}.png`); the app then
// draws its tiles under the same vector layer, and a tile that fails to
// load simply leaves the plain map showing. It is a setting of the node
// that serves the app (coopnode run -tiles), not a signed coop setting:
// every tile fetched tells the tile server which part of the city this
// device looks at, and a tile server's usage policy binds whoever fetches,
// so each node's operator opts in; the coop hands its members the URL of
// the server it runs or rents. Nothing is fetched when none is set, and
// the app's Content-Security-Policy admits images from that one origin
// only.

// MaxTileURL bounds a tile URL template.
const MaxTileURL = 512

// DefaultTileAttribution credits OpenStreetMap's data, which
// OpenStreetMap-compatible tiles draw (its licence asks for the credit).
const DefaultTileAttribution = "© OpenStreetMap contributors"

// Tiles is the tile server a node's web app uses (GET /v1/config).
type Tiles struct {
	// URL is the template, with {z}, {x} and {y} each once.
	URL string `json:"url"`
	// Attribution is the credit shown on the map.
	Attribution string `json:"attribution"`
}

// ErrBadTiles is a tile URL template refused by CheckTileURL, or its
// attribution refused by WithTiles. It wraps
// node.ErrBadArgument, so it has its code.
var ErrBadTiles = fmt.Errorf("%w: tile URL", node.ErrBadArgument)

// CheckTileURL checks a tile URL template: https (http only to a loopback
// host, a tile server on this machine), a host, no user name or password
// and no fragment, and the placeholders {z}, {x} and {y} each exactly once
// and no other.
func CheckTileURL(s string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %q: %s", ErrBadTiles, s, fmt.Sprintf(format, args...))
	}
	if s == "" {
		return bad("empty; give a template such as https://tiles.example.org/{z}/{x}/{y}.png")
	}
	if len(s) > MaxTileURL {
		return bad("longer than %d characters", MaxTileURL)
	}
	rest := s
	for _, p := range []string{"{z}", "{x}", "{y}"} {
		switch strings.Count(s, p) {
		case 0:
			return bad("no %s: an OpenStreetMap-compatible template has {z}, {x} and {y}, e.g. https://tiles.example.org/{z}/{x}/{y}.png", p)
		case 1:
		default:
			return bad("%s more than once", p)
		}
		rest = strings.Replace(rest, p, "0", 1)
	}
	if i := strings.IndexAny(rest, "{}"); i >= 0 {
		if j := strings.IndexByte(rest[i:], '}'); rest[i] == '{' && j > 0 {
			return bad("unknown placeholder %s (only {z}, {x} and {y}; for {s} subdomains pick one host)", rest[i:i+j+1])
		}
		return bad("a stray brace")
	}
	u, err := url.Parse(rest)
	if err != nil {
		return bad("%v", err)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return bad("the scheme must be https")
	case u.Host == "" || u.Hostname() == "":
		return bad("no host")
	case u.User != nil:
		return bad("no user name or password in the address")
	case u.Fragment != "" || strings.Contains(rest, "#"):
		return bad("no #fragment")
	case u.Scheme == "http" && !loopbackHost(u.Hostname()):
		return bad("the scheme must be https (http only for a tile server on this machine)")
	}
	return nil
}

func loopbackHost(h string) bool {
	ip := net.ParseIP(h)
	return h == "localhost" || (ip != nil && ip.IsLoopback())
}

// tileOrigin is the scheme://host[:port] of a checked template.
func tileOrigin(s string) string {
	u, _ := url.Parse(strings.NewReplacer("{z}", "0", "{x}", "0", "{y}", "0").Replace(s))
	return u.Scheme + "://" + u.Host
}

// Option configures a Server.
type Option func(*Server) error

// WithTiles gives the web app a tile server (CheckTileURL); an empty
// attribution is DefaultTileAttribution.
func WithTiles(template, attribution string) Option {
	return func(s *Server) error {
		if err := CheckTileURL(template); err != nil {
			return err
		}
		attribution = strings.TrimSpace(attribution)
		if attribution == "" {
			attribution = DefaultTileAttribution
		}
		if len(attribution) > 200 {
			return fmt.Errorf("%w attribution: longer than 200 characters", ErrBadTiles)
		}
		s.tiles = &Tiles{URL: template, Attribution: attribution}
		s.csp = webapp.CSPWithImages(tileOrigin(template))
		return nil
	}
}

// Config is GET /v1/config: how this node serves its app. Tiles is null
// when the node has no tile server (the app draws its plain map).
type Config struct {
	Tiles *Tiles `json:"tiles"`
}

func (s *Server) config(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, Config{Tiles: s.tiles})
}
