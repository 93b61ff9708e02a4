package node

import (
	"context"
	"io"
	"sort"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// Card exchange (SPEC.md §22.5). A card travels by gossip once, when its
// admin publishes it; a node that follows the city later would not see it.
// So a node that follows a city asks every peer it sees join the city's
// topic for the cards it holds, and answers the same question from its
// peers: whoever holds a card may pass it on, since cards certify
// themselves. The node keeps each held card's wire form for that
// (cardRaw, on the loop next to the directory).

// watchCity asks each peer that joins the city's topic, the ones already
// there first, for its cards. It runs until the node closes.
func (n *Node) watchCity(topic string) error {
	h, err := n.gossip.peerJoins(topic)
	if err != nil {
		return err
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		defer h.Cancel()
		for {
			ev, err := h.NextPeerEvent(n.ctx)
			if err != nil {
				return
			}
			if ev.Type != pubsub.PeerJoin {
				continue
			}
			n.wg.Add(1)
			go func(p peer.ID) {
				defer n.wg.Done()
				if err := n.askCards(p); err != nil && n.ctx.Err() == nil {
					n.log.Debug("card exchange", "peer", p, "err", err)
				}
			}(ev.Peer)
		}
	}()
	return nil
}

// keepCard remembers the wire form of a card the directory now holds. It
// runs on the loop.
func (n *Node) keepCard(coop crdt.ID, raw []byte) {
	if n.cardRaw == nil {
		n.cardRaw = map[crdt.ID][]byte{}
	}
	n.cardRaw[coop] = append([]byte(nil), raw...)
}

// heldCards lists the wire cards held for the city with this ID, newest
// first, at most protocol.MaxCardsAnswer. It runs on the loop.
func (n *Node) heldCards(cityID string) [][]byte {
	if n.dir == nil || protocol.CityID(n.dir.City()) != cityID {
		return nil
	}
	es := n.dir.Entries()
	sort.SliceStable(es, func(i, j int) bool { return es[i].Card.Wall > es[j].Card.Wall })
	var out [][]byte
	for _, e := range es {
		if raw, ok := n.cardRaw[e.Card.Coop]; ok && len(out) < protocol.MaxCardsAnswer {
			out = append(out, raw)
		}
	}
	return out
}

// handleCards answers a peer's card-exchange request (SPEC.md §22.5).
func (n *Node) handleCards(s network.Stream) {
	defer s.Close()
	from := s.Conn().RemotePeer()
	_ = s.SetDeadline(time.Now().Add(linkAskTimeout))
	if !n.peerLimit.allow(string(from)) {
		_ = s.Reset()
		return
	}
	b, err := io.ReadAll(io.LimitReader(s, 17))
	if err != nil {
		_ = s.Reset()
		return
	}
	city, err := protocol.DecodeCardsRequest(b)
	if err != nil {
		n.log.Debug("card exchange: bad request", "peer", from, "err", err)
		_ = s.Reset()
		return
	}
	var raws [][]byte
	ctx, cancel := context.WithTimeout(n.ctx, linkAskTimeout)
	defer cancel()
	if err := n.do(ctx, func() error { raws = n.heldCards(city); return nil }); err != nil {
		_ = s.Reset()
		return
	}
	out, err := protocol.AppendCards(nil, raws)
	if err != nil {
		_ = s.Reset()
		return
	}
	if _, err := s.Write(out); err != nil {
		_ = s.Reset()
	}
}

// askCards runs one card exchange with the connected peer p and folds the
// cards it sends, each validated as if it came by gossip (SPEC.md §22.3).
// A card the validation rejects ends the exchange.
func (n *Node) askCards(p peer.ID) error {
	var city string
	if err := n.do(n.ctx, func() error {
		if n.dir != nil {
			city = n.dir.City()
		}
		return nil
	}); err != nil || city == "" {
		return err
	}
	ctx, cancel := context.WithTimeout(n.ctx, linkAskTimeout)
	defer cancel()
	s, err := n.host.NewStream(network.WithNoDial(ctx, "card exchange"), p, protocol.CardsProtocolID)
	if err != nil {
		return err
	}
	defer s.Close()
	_ = s.SetDeadline(time.Now().Add(linkAskTimeout))
	if _, err := s.Write([]byte(protocol.CityID(city))); err != nil {
		_ = s.Reset()
		return err
	}
	if err := s.CloseWrite(); err != nil {
		_ = s.Reset()
		return err
	}
	b, err := io.ReadAll(io.LimitReader(s, protocol.MaxCardsMessage+1))
	if err != nil {
		_ = s.Reset()
		return err
	}
	raws, err := protocol.DecodeCards(b)
	if err != nil {
		return err
	}
	for _, raw := range raws {
		c, h, err := protocol.OpenCard(raw)
		if err != nil {
			return err
		}
		if c.Wall > n.nowMs()+protocol.MaxClockSkew {
			return errorf(ErrRefused, "card of coop %s signed in the future", c.Coop.Short())
		}
		var r crdt.Reason
		if err := n.do(ctx, func() error {
			if n.dir == nil {
				return nil
			}
			if r = n.dir.Apply(c, h); r == "" {
				n.keepCard(c.Coop, raw)
			}
			return nil
		}); err != nil {
			return err
		}
		if r != "" && r != crdt.ReasonCardStale {
			return errorf(ErrRefused, "card of coop %s: %s", c.Coop.Short(), r)
		}
	}
	return nil
}
