package httpapi

import (
	"encoding/hex"
	"errors"
	"io"
	"net/http"

	"github.com/coopnode/coopnode/node"
)

// The images of delivery proofs (node/proofs.go): the courier's app sends
// the photo or signature it took, the node keeps it and answers its
// SHA-256, which the app puts in the task.deliver proof. Only the hash is
// ever published.

// keepProof is POST /v1/proofs with the image as the body (image/jpeg or
// image/png): 201 {"sha256": hex, "bytes": n}.
func (s *Server) keepProof(w http.ResponseWriter, r *http.Request) {
	img, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			failf(w, node.ErrTooLarge, "a proof image is at most %d bytes", node.MaxProofImage)
			return
		}
		failf(w, node.ErrBadArgument, "reading the image: %v", err)
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	sum, err := s.n.KeepProof(ctx, img)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"sha256": hex.EncodeToString(sum), "bytes": len(img)})
}

// proofImage is GET /v1/proofs/{hash}: the image this node keeps under
// that SHA-256 (64 hex characters); 404 not_found when another node took
// it.
func (s *Server) proofImage(w http.ResponseWriter, r *http.Request) {
	sum, err := hex.DecodeString(r.PathValue("hash"))
	if err != nil || len(sum) != 32 {
		failf(w, node.ErrBadArgument, "a proof hash is 64 hex characters")
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	img, err := s.n.ProofImage(ctx, sum)
	if err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("Content-Type", node.ProofImageType(img))
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable") // named by its hash
	_, _ = w.Write(img)
}
