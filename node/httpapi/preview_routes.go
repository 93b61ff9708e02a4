package httpapi

import (
	"net/http"

	"github.com/coopnode/coopnode/node"
)

// previewRules is POST /v1/coop/rules/preview: what a sample delivery
// costs and why, under the rules in force or a draft (node.PreviewPrice).
// It signs nothing; the pricing screen calls it as a member types.
func (s *Server) previewRules(w http.ResponseWriter, r *http.Request) {
	var req node.PreviewRequest
	if !decode(w, r, &req) {
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	p, err := s.n.PreviewPrice(ctx, req)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}
