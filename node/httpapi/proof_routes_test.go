package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/jpeg"
	"net/http"
	"strings"
	"testing"

	"github.com/coopnode/coopnode/node"
)

// TestProofImages (issue 15, the courier's photo or signature proof): the
// node keeps a JPEG and answers its SHA-256, serves it back under that
// hash and publishes nothing; text, an empty body and an image over the
// limit are refused bad_image and too_large; a hash it does not hold is
// not_found, a malformed one bad_argument.
func TestProofImages(t *testing.T) {
	f := newFixture(t)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 64, 48)), nil); err != nil {
		t.Fatal(err)
	}
	photo := buf.String()
	published := f.n.Stats(t.Context()).Published
	code, m, _ := f.do("POST", "/v1/proofs", photo, f.token)
	sum := sha256.Sum256([]byte(photo))
	if code != http.StatusCreated || m["sha256"] != hex.EncodeToString(sum[:]) || m["bytes"] != float64(len(photo)) {
		t.Fatalf("keep: %d %v", code, m)
	}
	code, _, got := f.do("GET", "/v1/proofs/"+hex.EncodeToString(sum[:]), "", f.token)
	if code != http.StatusOK || string(got) != photo {
		t.Fatalf("get: %d, %d bytes back of %d", code, len(got), len(photo))
	}
	if f.n.Stats(t.Context()).Published != published {
		t.Fatal("keeping a proof image published something")
	}
	other := sha256.Sum256([]byte("not kept"))
	for _, tc := range []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"POST", "/v1/proofs", "hello, not an image", http.StatusBadRequest, "bad_image"},
		{"POST", "/v1/proofs", "", http.StatusBadRequest, "bad_image"},
		{"POST", "/v1/proofs", "\xFF\xD8\xFF" + strings.Repeat("x", node.MaxProofImage), http.StatusRequestEntityTooLarge, "too_large"},
		{"POST", "/v1/proofs", "\xFF\xD8\xFF" + strings.Repeat("x", MaxBody), http.StatusRequestEntityTooLarge, "too_large"},
		{"GET", "/v1/proofs/" + hex.EncodeToString(other[:]), "", http.StatusNotFound, "not_found"},
		{"GET", "/v1/proofs/abc", "", http.StatusBadRequest, "bad_argument"},
	} {
		code, m, _ := f.do(tc.method, tc.path, tc.body, f.token)
		if code != tc.status || m["code"] != tc.code {
			t.Errorf("%s %s (%d bytes): %d %v, want %d %s", tc.method, tc.path, len(tc.body), code, m, tc.status, tc.code)
		}
	}
}
