package httpapi

import (
	"bytes"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

// TestInviteQRRoutes (issue 15's invite screen): before a coop the QR
// routes answer no_coop; then GET /v1/invite/qr.png is a PNG of the asked
// size that a QR scanner (zbarimg) reads back to GET /v1/invite's text,
// and GET /v1/invite/qr.svg draws exactly the modules of that code; a bad
// size is refused bad_argument.
func TestInviteQRRoutes(t *testing.T) {
	f := newFixture(t)
	for _, p := range []string{"/v1/invite/qr.png", "/v1/invite/qr.svg"} {
		if code, m, _ := f.do("GET", p, "", f.token); code != http.StatusConflict && code != http.StatusNotFound || m["code"] != "no_coop" {
			t.Fatalf("%s before a coop: %d %v", p, code, m)
		}
		if code, _, _ := f.do("GET", p, "", ""); code != http.StatusUnauthorized {
			t.Fatalf("%s without the token: %d", p, code)
		}
	}
	if code, m, _ := f.do("POST", "/v1/coop/found", `{"name":"QR Coop","city":"Lille"}`, f.token); code != http.StatusCreated {
		t.Fatalf("found: %d %v", code, m)
	}
	_, m, _ := f.do("GET", "/v1/invite", "", f.token)
	inv, _ := m["invite"].(string)
	if inv == "" {
		t.Fatalf("invite: %v", m)
	}
	for _, size := range []string{"0", "12", "99999", "big"} {
		if code, m, _ := f.do("GET", "/v1/invite/qr.png?size="+size, "", f.token); code != http.StatusBadRequest || m["code"] != "bad_argument" {
			t.Fatalf("size %s: %d %v", size, code, m)
		}
	}
	code, _, b := f.do("GET", "/v1/invite/qr.png?size=400", "", f.token)
	img, err := png.Decode(bytes.NewReader(b))
	if code != http.StatusOK || err != nil {
		t.Fatalf("png: %d %v", code, err)
	}
	if w := img.Bounds().Dx(); w != 400 {
		t.Fatalf("png %d pixels wide, want 400", w)
	}

	code, _, b = f.do("GET", "/v1/invite/qr.svg", "", f.token)
	if code != http.StatusOK || !bytes.HasPrefix(b, []byte("<svg")) {
		t.Fatalf("svg: %d %.80s", code, b)
	}
	want, err := qrcode.New(inv, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	if got, exp := svgModules(t, string(b)), want.Bitmap(); !sameBitmap(got, exp) {
		t.Fatalf("the SVG's modules differ from the invite's QR code (%d rows, want %d)", len(got), len(exp))
	}

	if _, err := exec.LookPath("zbarimg"); err != nil {
		msg := "zbarimg is missing (apt-get install zbar-tools): cannot scan the QR code back"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	file := filepath.Join(t.TempDir(), "invite.png")
	_, _, b = f.do("GET", "/v1/invite/qr.png", "", f.token)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	scanned, err := exec.Command("zbarimg", "--raw", "-q", file).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	if got := strings.TrimSpace(string(scanned)); got != inv {
		t.Fatalf("scanned %q, want %q", got, inv)
	}
}

var (
	svgBox = regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`)
	svgRun = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
)

// svgModules reads qrSVG's output back into a bitmap.
func svgModules(t *testing.T, svg string) [][]bool {
	box := svgBox.FindStringSubmatch(svg)
	if box == nil {
		t.Fatalf("no viewBox in %.80s", svg)
	}
	n, _ := strconv.Atoi(box[1])
	bm := make([][]bool, n)
	for i := range bm {
		bm[i] = make([]bool, n)
	}
	for _, r := range svgRun.FindAllStringSubmatch(svg, -1) {
		x, _ := strconv.Atoi(r[1])
		y, _ := strconv.Atoi(r[2])
		w, _ := strconv.Atoi(r[3])
		for i := x; i < x+w; i++ {
			bm[y][i] = true
		}
	}
	return bm
}

func sameBitmap(a, b [][]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for y := range a {
		if len(a[y]) != len(b[y]) {
			return false
		}
		for x := range a[y] {
			if a[y][x] != b[y][x] {
				return false
			}
		}
	}
	return true
}
