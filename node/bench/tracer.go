package bench

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"sync/atomic"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"google.golang.org/protobuf/proto"
)

// coopMsgID is coopnode's pubsub message ID (SPEC.md §10.1): the first 20
// bytes of SHA-256 of the data. The tracer recomputes it to attribute
// message copies and IHAVE/IWANT entries to events.
func coopMsgID(m *pb.Message) string {
	sum := sha256.Sum256(m.GetData())
	return string(sum[:20])
}

// msgBytes is what one node received because of one message.
type msgBytes struct {
	bytes  int64 // message copies and control entries naming it
	copies int32 // full copies of the message
}

// byteTracer is a gossipsub RawTracer that measures the pubsub-level bytes
// one node receives: every incoming RPC's protobuf size plus its varint
// length prefix. Each full message and each IHAVE, IWANT and IDONTWANT
// entry is attributed to its message ID; the remainder (subscriptions,
// GRAFT, PRUNE, field framing) is overhead. It counts only while on is
// set, so setup traffic stays out of the figures. It also follows its
// node's meshes and, if raw is set, records the data of every message the
// node delivers (for the apply benchmark).
type byteTracer struct {
	idFn func(*pb.Message) string
	on   *atomic.Bool
	raw  *rawLog

	mu       sync.Mutex
	total    int64
	overhead int64
	rpcs     int64
	msgs     map[string]*msgBytes
	mesh     map[string]map[peer.ID]struct{}
}

func newByteTracer(idFn func(*pb.Message) string, on *atomic.Bool, raw *rawLog) *byteTracer {
	return &byteTracer{idFn: idFn, on: on, raw: raw, msgs: map[string]*msgBytes{}, mesh: map[string]map[peer.ID]struct{}{}}
}

func uvarintLen(v uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], v)
}

// fieldLen is the wire size of a length-delimited protobuf field with a
// one-byte tag and n bytes of content.
func fieldLen(n int) int { return 1 + uvarintLen(uint64(n)) + n }

func (t *byteTracer) RecvRPC(rpc *pubsub.RPC) {
	if !t.on.Load() {
		return
	}
	size := proto.Size(&rpc.RPC)
	total := int64(size + uvarintLen(uint64(size)))
	attributed := int64(0)
	t.mu.Lock()
	defer t.mu.Unlock()
	add := func(id string, n int, copy bool) {
		mb := t.msgs[id]
		if mb == nil {
			mb = &msgBytes{}
			t.msgs[id] = mb
		}
		mb.bytes += int64(n)
		if copy {
			mb.copies++
		}
		attributed += int64(n)
	}
	for _, m := range rpc.GetPublish() {
		add(t.idFn(m), fieldLen(proto.Size(m)), true)
	}
	if c := rpc.GetControl(); c != nil {
		for _, ih := range c.GetIhave() {
			for _, id := range ih.GetMessageIDs() {
				add(id, fieldLen(len(id)), false)
			}
		}
		for _, iw := range c.GetIwant() {
			for _, id := range iw.GetMessageIDs() {
				add(id, fieldLen(len(id)), false)
			}
		}
		for _, dw := range c.GetIdontwant() {
			for _, id := range dw.GetMessageIDs() {
				add(id, fieldLen(len(id)), false)
			}
		}
	}
	t.total += total
	t.overhead += total - attributed
	t.rpcs++
}

func (t *byteTracer) DeliverMessage(m *pubsub.Message) {
	if t.raw != nil {
		t.raw.add(t.idFn(m.Message), m.GetData())
	}
}

func (t *byteTracer) Graft(p peer.ID, topic string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.mesh[topic]
	if s == nil {
		s = map[peer.ID]struct{}{}
		t.mesh[topic] = s
	}
	s[p] = struct{}{}
}

func (t *byteTracer) Prune(p peer.ID, topic string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.mesh[topic], p)
}

func (t *byteTracer) OnClosedOutboundStream(p peer.ID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.mesh {
		delete(s, p)
	}
}

// meshSize is the number of peers in the node's mesh for topic.
func (t *byteTracer) meshSize(topic string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.mesh[topic])
}

// snapshot returns the counters (call after counting stopped).
func (t *byteTracer) snapshot() (total, overhead int64, msgs map[string]msgBytes) {
	t.mu.Lock()
	defer t.mu.Unlock()
	msgs = make(map[string]msgBytes, len(t.msgs))
	for id, mb := range t.msgs {
		msgs[id] = *mb
	}
	return t.total, t.overhead, msgs
}

func (t *byteTracer) OnNewOutboundStream(peer.ID, protocol.ID)  {}
func (t *byteTracer) Join(string)                               {}
func (t *byteTracer) Leave(string)                              {}
func (t *byteTracer) ValidateMessage(*pubsub.Message)           {}
func (t *byteTracer) RejectMessage(*pubsub.Message, string)     {}
func (t *byteTracer) DuplicateMessage(*pubsub.Message)          {}
func (t *byteTracer) ThrottlePeer(peer.ID)                      {}
func (t *byteTracer) SendRPC(*pubsub.RPC, peer.ID)              {}
func (t *byteTracer) DropRPC(*pubsub.RPC, peer.ID)              {}
func (t *byteTracer) UndeliverableMessage(*pubsub.Message)      {}

var _ pubsub.RawTracer = (*byteTracer)(nil)

// rawLog keeps the data of every distinct message delivered anywhere, in
// first-delivery order.
type rawLog struct {
	mu   sync.Mutex
	seen map[string]bool
	ids  []string
	data [][]byte
}

func newRawLog() *rawLog { return &rawLog{seen: map[string]bool{}} }

func (l *rawLog) add(id string, data []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen[id] {
		return
	}
	l.seen[id] = true
	l.ids = append(l.ids, id)
	l.data = append(l.data, append([]byte(nil), data...))
}

func (l *rawLog) all() (ids []string, data [][]byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.ids...), append([][]byte(nil), l.data...)
}
