// Package webapp holds the web app every role uses (restaurant, customer,
// courier, dispatcher, member and admin), embedded in the binary so that
// `coopnode run` serves it on its API address with nothing fetched at run
// time and no Node.js build step (docs/webapp.md). The app is plain ES
// modules over a vendored Preact+htm file; it talks to the node only
// through the JSON HTTP API and its event stream (docs/http-api.md).
//
// This package only serves files: authentication (the login link, the
// session cookie and its CSRF defence) lives in node/httpapi, which mounts
// Handler beside the API.
package webapp

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
)

//go:embed assets
var assets embed.FS

// file is one served file, kept with its gzip form and ETag.
type file struct {
	name  string
	data  []byte
	gz    []byte
	etag  string
	ctype string
}

var (
	filesOnce sync.Once
	files     map[string]*file // by URL path ("/js/app.js")
)

func load() map[string]*file {
	filesOnce.Do(func() {
		files = map[string]*file{}
		_ = fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := assets.ReadFile(p)
			if err != nil {
				return err
			}
			add("/"+strings.TrimPrefix(p, "assets/"), b)
			return nil
		})
		add("/alert.wav", alertWAV())
	})
	return files
}

func add(urlPath string, b []byte) {
	sum := sha256.Sum256(b)
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	_, _ = w.Write(b)
	_ = w.Close()
	files[urlPath] = &file{name: path.Base(urlPath), data: b, gz: gz.Bytes(),
		etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: contentType(urlPath)}
}

func contentType(p string) string {
	switch path.Ext(p) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".json":
		return "application/json; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".wav":
		return "audio/wav"
	}
	return "text/plain; charset=utf-8"
}

// Has reports whether the app serves urlPath ("/" is the app itself).
func Has(urlPath string) bool {
	_, ok := load()[route(urlPath)]
	return ok
}

func route(p string) string {
	if p == "/" {
		return "/index.html"
	}
	return p
}

// Handler serves the app's files: GET and HEAD of a path Has accepts,
// gzipped when the browser accepts it, revalidated by ETag. A request for
// anything else gets a bare 404 (httpapi answers those itself).
func Handler() http.Handler { return HandlerCSP(CSP) }

// HandlerCSP is Handler sending csp as the app's
// Content-Security-Policy (CSP, or CSPWithImages).
func HandlerCSP(csp string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := load()[route(r.URL.Path)]
		if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.ctype)
		h.Set("ETag", f.etag)
		h.Set("Cache-Control", "no-cache") // always revalidated: a new binary serves new files at once
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Vary", "Accept-Encoding")
		h.Set("Referrer-Policy", "no-referrer")
		if f.ctype == contentType(".html") {
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Frame-Options", "DENY")
		}
		body := f.data
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") && len(f.gz) < len(f.data) {
			h.Set("Content-Encoding", "gzip")
			body = f.gz
		}
		http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(body))
	})
}

// CSP is the app's Content-Security-Policy: only its own files, its own
// API and no framing, so an injected string can never run as script.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// CSPWithImages is CSP admitting images from the given origins too
// (scheme://host[:port]): the map's tile server, when the node has one.
func CSPWithImages(origins ...string) string {
	if len(origins) == 0 {
		return CSP
	}
	return strings.Replace(CSP, "img-src 'self' data:", "img-src 'self' data: "+strings.Join(origins, " "), 1)
}

// Size is what the app costs to load: JS and CSS, raw and gzipped, in
// bytes (the budget is 300 KB gzipped, docs/webapp.md).
type Size struct {
	Files       int `json:"files"`
	Bytes       int `json:"bytes"`
	GzipBytes   int `json:"gzip_bytes"`
	OtherGzip   int `json:"other_gzip_bytes"` // HTML, translations, sound
	LargestFile string
}

// Measure returns the app's Size.
func Measure() Size {
	var s Size
	largest := 0
	for p, f := range load() {
		switch path.Ext(p) {
		case ".js", ".css":
			s.Files++
			s.Bytes += len(f.data)
			s.GzipBytes += len(f.gz)
			if len(f.gz) > largest {
				largest, s.LargestFile = len(f.gz), p
			}
		case ".txt":
		default:
			s.OtherGzip += len(f.gz)
		}
	}
	return s
}

// Locales lists the app's languages (the i18n/*.json files).
func Locales() []string {
	var out []string
	for p := range load() {
		if l, ok := strings.CutPrefix(p, "/i18n/"); ok && strings.HasSuffix(l, ".json") {
			out = append(out, strings.TrimSuffix(l, ".json"))
		}
	}
	sort.Strings(out)
	return out
}

// Messages returns a locale's translation file, or nil.
func Messages(locale string) []byte {
	if f, ok := load()["/i18n/"+locale+".json"]; ok {
		return f.data
	}
	return nil
}
