package httpapi

import (
	"net/http"

	"github.com/libp2p/go-libp2p/core/peer"

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

// connect is POST /v1/peers/connect {"peer": "<peer ID>"}: connect to a
// peer known only by its ID, directly or through a coop relay (then hole
// punching tries to make the link direct: SPEC.md §10.6). It answers the
// peer's entry as GET /v1/peers lists it.
func (s *Server) connect(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Peer string `json:"peer"`
	}
	if !decode(w, r, &req) {
		return
	}
	id, err := peer.Decode(req.Peer)
	if err != nil {
		failf(w, node.ErrBadArgument, "peer %q is not a peer ID (such as 12D3KooW…): %v", req.Peer, err)
		return
	}
	ctx, cancel := ctxOf(r)
	defer cancel()
	if err := s.n.ConnectPeer(ctx, id); err != nil {
		fail(w, err)
		return
	}
	ps, err := s.n.Peers(ctx)
	if err != nil {
		fail(w, err)
		return
	}
	for _, p := range ps {
		if p.PeerID == id.String() {
			writeJSON(w, http.StatusOK, p)
			return
		}
	}
	failf(w, node.ErrUnreachablePeer, "peer %s disconnected right after connecting", id)
}
