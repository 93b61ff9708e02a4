package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Peer exchange (SPEC.md §10.7). A node that needs more links of its role
// opens a stream to a connected peer, writes one request naming the peers
// whose addresses it wants (possibly none) and closes its side; the peer
// answers with records of peers it is connected to — the followers of the
// coop's orders topic first — and closes. Both messages are read whole
// (at most MaxPeersMessage bytes):
//
//	request  = count : u8 (0..MaxPeerWants) || count × bytes(peer ID)
//	response = count : u8 (0..MaxPeerRecords) || count × record
//	record   = flags : u8 (bit 0: follows the orders topic; others 0)
//	           || bytes(peer ID) || naddrs : u8 (0..MaxPeerAddrs)
//	           || naddrs × bytes(multiaddr)
//	bytes(x) = length : uvarint (minimal, 1..limit) || x
//
// Peer IDs and multiaddrs travel in their binary forms; this package does
// not parse them (the node does, and drops records it cannot parse). A
// record is a hint: dialing authenticates the peer ID, and whether a peer
// follows the orders topic is checked on its own subscription once
// connected.

// PeersProtocolID is the libp2p stream protocol of peer exchange.
const PeersProtocolID = "/coopnode/peers/1"

// Limits of peer exchange (SPEC.md §9.1, §10.7).
const (
	MaxPeerWants    = 8
	MaxPeerRecords  = 32
	MaxPeerAddrs    = 8
	MaxPeerIDLen    = 64
	MaxPeerAddrLen  = 1024
	MaxPeersMessage = 64 << 10
)

// peerFollower is the record flag of a follower of the orders topic.
const peerFollower = 1

// ErrBadPeers is returned for a malformed peer-exchange message.
var ErrBadPeers = errors.New("protocol: bad peer exchange message")

// PeerRecord is one peer of a peer-exchange response.
type PeerRecord struct {
	ID       []byte   // the peer ID's binary form
	Follower bool     // the responder sees it follow the coop's orders topic
	Addrs    [][]byte // binary multiaddrs
}

func appendBytes(dst, b []byte, limit int, what string) ([]byte, error) {
	if len(b) == 0 || len(b) > limit {
		return dst, fmt.Errorf("%w: %s of %d bytes (want 1..%d)", ErrBadPeers, what, len(b), limit)
	}
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...), nil
}

// AppendPeersRequest appends a request for the addresses of want.
func AppendPeersRequest(dst []byte, want [][]byte) ([]byte, error) {
	if len(want) > MaxPeerWants {
		return dst, fmt.Errorf("%w: %d wanted peers, at most %d", ErrBadPeers, len(want), MaxPeerWants)
	}
	dst = append(dst, byte(len(want)))
	var err error
	for _, id := range want {
		if dst, err = appendBytes(dst, id, MaxPeerIDLen, "peer ID"); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// AppendPeerRecords appends a response carrying recs.
func AppendPeerRecords(dst []byte, recs []PeerRecord) ([]byte, error) {
	if len(recs) > MaxPeerRecords {
		return dst, fmt.Errorf("%w: %d records, at most %d", ErrBadPeers, len(recs), MaxPeerRecords)
	}
	start := len(dst)
	dst = append(dst, byte(len(recs)))
	var err error
	for _, r := range recs {
		flags := byte(0)
		if r.Follower {
			flags = peerFollower
		}
		dst = append(dst, flags)
		if dst, err = appendBytes(dst, r.ID, MaxPeerIDLen, "peer ID"); err != nil {
			return dst, err
		}
		if len(r.Addrs) > MaxPeerAddrs {
			return dst, fmt.Errorf("%w: %d addresses, at most %d", ErrBadPeers, len(r.Addrs), MaxPeerAddrs)
		}
		dst = append(dst, byte(len(r.Addrs)))
		for _, a := range r.Addrs {
			if dst, err = appendBytes(dst, a, MaxPeerAddrLen, "address"); err != nil {
				return dst, err
			}
		}
	}
	if len(dst)-start > MaxPeersMessage {
		return dst, fmt.Errorf("%w: %d bytes, at most %d", ErrBadPeers, len(dst)-start, MaxPeersMessage)
	}
	return dst, nil
}

// peersReader decodes one message, refusing anything not canonical.
type peersReader struct{ b []byte }

func (r *peersReader) u8(what string) (byte, error) {
	if len(r.b) == 0 {
		return 0, fmt.Errorf("%w: %s: cut short", ErrBadPeers, what)
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c, nil
}

func (r *peersReader) blob(limit int, what string) ([]byte, error) {
	n, w := binary.Uvarint(r.b)
	if w <= 0 {
		return nil, fmt.Errorf("%w: %s: bad length", ErrBadPeers, what)
	}
	var canon [binary.MaxVarintLen64]byte
	if binary.PutUvarint(canon[:], n) != w {
		return nil, fmt.Errorf("%w: %s: non-minimal length", ErrBadPeers, what)
	}
	r.b = r.b[w:]
	if n == 0 || n > uint64(limit) || n > uint64(len(r.b)) {
		return nil, fmt.Errorf("%w: %s: length %d (want 1..%d, within the message)", ErrBadPeers, what, n, limit)
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out, nil
}

func (r *peersReader) end() error {
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrBadPeers, len(r.b))
	}
	return nil
}

// DecodePeersRequest decodes a request: the peer IDs whose addresses the
// opener wants.
func DecodePeersRequest(b []byte) ([][]byte, error) {
	if len(b) > MaxPeersMessage {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrBadPeers, len(b), MaxPeersMessage)
	}
	r := peersReader{b}
	count, err := r.u8("count")
	if err != nil {
		return nil, err
	}
	if count > MaxPeerWants {
		return nil, fmt.Errorf("%w: %d wanted peers, at most %d", ErrBadPeers, count, MaxPeerWants)
	}
	var want [][]byte
	for range count {
		id, err := r.blob(MaxPeerIDLen, "peer ID")
		if err != nil {
			return nil, err
		}
		want = append(want, id)
	}
	return want, r.end()
}

// DecodePeerRecords decodes a response. The slices it returns alias b.
func DecodePeerRecords(b []byte) ([]PeerRecord, error) {
	if len(b) > MaxPeersMessage {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrBadPeers, len(b), MaxPeersMessage)
	}
	r := peersReader{b}
	count, err := r.u8("count")
	if err != nil {
		return nil, err
	}
	if count > MaxPeerRecords {
		return nil, fmt.Errorf("%w: %d records, at most %d", ErrBadPeers, count, MaxPeerRecords)
	}
	recs := make([]PeerRecord, 0, count)
	for i := range int(count) {
		flags, err := r.u8("flags")
		if err != nil {
			return nil, err
		}
		if flags&^peerFollower != 0 {
			return nil, fmt.Errorf("%w: record %d: unknown flags %#x", ErrBadPeers, i, flags)
		}
		rec := PeerRecord{Follower: flags&peerFollower != 0}
		if rec.ID, err = r.blob(MaxPeerIDLen, "peer ID"); err != nil {
			return nil, err
		}
		n, err := r.u8("address count")
		if err != nil {
			return nil, err
		}
		if n > MaxPeerAddrs {
			return nil, fmt.Errorf("%w: record %d: %d addresses, at most %d", ErrBadPeers, i, n, MaxPeerAddrs)
		}
		for range n {
			a, err := r.blob(MaxPeerAddrLen, "address")
			if err != nil {
				return nil, err
			}
			rec.Addrs = append(rec.Addrs, a)
		}
		recs = append(recs, rec)
	}
	return recs, r.end()
}
