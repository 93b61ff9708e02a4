package httpapi

import (
	"net/http"

	"github.com/coopnode/coopnode/node"
)

// peers is GET /v1/peers: the connected peers with their coop role, link
// (direct or relayed), transport and round-trip time (issue 13 item 7).
func (s *Server) peers(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := ctxOf(r)
	defer cancel()
	ps, err := s.n.Peers(ctx)
	if err != nil {
		fail(w, err)
		return
	}
	if ps == nil {
		ps = []node.PeerInfo{}
	}
	writeJSON(w, http.StatusOK, ps)
}
