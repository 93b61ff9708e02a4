package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/ipfs/go-datastore"
)

// Delivery proofs' images (issue 15, the courier's photo or signature):
// a task.deliver's proof carries only the SHA-256 of a photo or of a
// signature drawn on the screen (SPEC.md §5.4.5: "hashes of images kept
// off the network"). The node that made the image keeps it, here, under
// its hash: the courier's node keeps what it photographed so the coop can
// settle a dispute by showing the image that matches the signed hash. An
// image is never published, gossiped or synced: only its hash is.

// MaxProofImage bounds a kept image: the web app sends a photo downscaled
// to a small JPEG (about 50–150 KB) and a signature as a PNG of a few KB.
const MaxProofImage = 384 << 10

// proofKey is where the image of SHA-256 sum lives.
func proofKey(sum []byte) datastore.Key {
	return datastore.RawKey(proofPrefix + "/" + hex.EncodeToString(sum))
}

// ProofImageType names the image format of b ("image/jpeg" or
// "image/png") from its signature, or "" for anything else.
func ProofImageType(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	}
	return ""
}

// KeepProof stores a delivery proof's image (a JPEG or PNG of at most
// MaxProofImage bytes) on this node and returns its SHA-256, the bytes to
// put in a proof's photo_hash or signature_hash. Keeping the same image
// again is harmless. It publishes nothing.
func (n *Node) KeepProof(ctx context.Context, img []byte) ([]byte, error) {
	if len(img) > MaxProofImage {
		return nil, fmt.Errorf("%w: a proof image is at most %d bytes, this one %d", ErrTooLarge, MaxProofImage, len(img))
	}
	if ProofImageType(img) == "" {
		return nil, fmt.Errorf("%w: a proof is a JPEG or PNG image", ErrBadImage)
	}
	sum := sha256.Sum256(img)
	if err := n.store.put(ctx, proofKey(sum[:]), img); err != nil {
		return nil, err
	}
	return sum[:], nil
}

// ProofImage returns the image this node keeps under SHA-256 sum, or an
// error matching ErrNotFound: the image of another node's proof is on
// that node only.
func (n *Node) ProofImage(ctx context.Context, sum []byte) ([]byte, error) {
	if len(sum) != sha256.Size {
		return nil, fmt.Errorf("%w: a proof hash is %d bytes", ErrBadArgument, sha256.Size)
	}
	return n.store.get(ctx, proofKey(sum))
}
