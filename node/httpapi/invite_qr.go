package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/coopnode/coopnode/node"
)

// The invite as a QR code (issue 13 item 3, issue 15's invite screen): the
// web app shows it beside the invite's text, so a new member's phone scans
// it from the admin's screen. Same code as `coopnode invite -qr/-png`
// (cmd/coopnode/qr.go): medium error correction, dark on light.

// Sizes of GET /v1/invite/qr.png: ?size= in pixels, default and bounds.
const (
	qrPNGDefault = 512
	qrPNGMin     = 128
	qrPNGMax     = 2048
)

// inviteQR encodes this node's invite, or fails no_coop.
func (s *Server) inviteQR(w http.ResponseWriter) (*qrcode.QRCode, bool) {
	if s.n.Coop().IsZero() {
		failf(w, node.ErrNoCoop, "this node follows no cooperative yet")
		return nil, false
	}
	code, err := qrcode.New(s.n.Invite().String(), qrcode.Medium)
	if err != nil {
		failf(w, node.ErrBadArgument, "the invite does not fit a QR code: %v", err)
		return nil, false
	}
	return code, true
}

// invitePNG is GET /v1/invite/qr.png[?size=N]: the invite as a PNG image.
func (s *Server) invitePNG(w http.ResponseWriter, r *http.Request) {
	size := qrPNGDefault
	if v := r.URL.Query().Get("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < qrPNGMin || n > qrPNGMax {
			failf(w, node.ErrBadArgument, "size %q: want pixels from %d to %d", v, qrPNGMin, qrPNGMax)
			return
		}
		size = n
	}
	code, ok := s.inviteQR(w)
	if !ok {
		return
	}
	img, err := code.PNG(size)
	if err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(img)
}

// inviteSVG is GET /v1/invite/qr.svg: the invite as an SVG image, one
// path of unit squares (a run of dark modules in a row is one rectangle),
// sharp at any size and a few kilobytes.
func (s *Server) inviteSVG(w http.ResponseWriter, r *http.Request) {
	code, ok := s.inviteQR(w)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(qrSVG(code.Bitmap())))
}

// qrSVG draws a QR bitmap (quiet zone included) as SVG.
func qrSVG(bm [][]bool) string {
	n := len(bm)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, n, n)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bm {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			run := x
			for run < len(row) && row[run] {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x, y, run-x, run-x)
			x = run
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String()
}
