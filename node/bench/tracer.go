package bench

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

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
	bytes  int64     // message copies and control entries naming it
	copies int32     // full copies of the message
	first  time.Time // when the first full copy arrived
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
	owner int // the node's index, for diagnostics
	now   func() time.Time
	idFn  func(*pb.Message) string
	on    *atomic.Bool
	raw   *rawLog

	mu       sync.Mutex
	total    int64
	overhead int64
	rpcs     int64
	parts    Breakdown
	drops    map[string]int // messages pubsub rejected, ignored or dropped, by reason
	grafts   []time.Time    // when peers joined one of this node's meshes
	msgs     map[string]*msgBytes
	mesh     map[string]map[peer.ID]struct{}
	subs     map[string]map[peer.ID]bool // topics its peers said they follow
}

// Breakdown splits the pubsub bytes nodes received by what they carried.
// Topic names are counted inside the message copies and IHAVEs that carry
// them, and again on their own line.
type Breakdown struct {
	FirstCopies     int64 `json:"first_copies"`     // the first full copy of a message at a node
	DuplicateCopies int64 `json:"duplicate_copies"` // every further copy
	IHave           int64 `json:"ihave"`            // IHAVE message IDs
	IWant           int64 `json:"iwant"`
	IDontWant       int64 `json:"idontwant"`
	Other           int64 `json:"other"`       // subscriptions, GRAFT, PRUNE, framing
	TopicNames      int64 `json:"topic_names"` // topic strings in message copies and IHAVEs
	Push            int64 `json:"push"`        // party-push frames (SPEC.md §10.4), also in the copies above
}

func (b *Breakdown) add(o Breakdown) {
	b.FirstCopies += o.FirstCopies
	b.DuplicateCopies += o.DuplicateCopies
	b.IHave += o.IHave
	b.IWant += o.IWant
	b.IDontWant += o.IDontWant
	b.Other += o.Other
	b.TopicNames += o.TopicNames
	b.Push += o.Push
}

func newByteTracer(idFn func(*pb.Message) string, on *atomic.Bool, raw *rawLog, now func() time.Time) *byteTracer {
	return &byteTracer{now: now, idFn: idFn, on: on, raw: raw, drops: map[string]int{}, msgs: map[string]*msgBytes{}, mesh: map[string]map[peer.ID]struct{}{}}
}

func uvarintLen(v uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], v)
}

// fieldLen is the wire size of a length-delimited protobuf field with a
// one-byte tag and n bytes of content.
func fieldLen(n int) int { return 1 + uvarintLen(uint64(n)) + n }

func (t *byteTracer) RecvRPC(rpc *pubsub.RPC) {
	if ss := rpc.GetSubscriptions(); len(ss) > 0 {
		t.mu.Lock()
		if t.subs == nil {
			t.subs = map[string]map[peer.ID]bool{}
		}
		for _, s := range ss {
			m := t.subs[s.GetTopicid()]
			if m == nil {
				m = map[peer.ID]bool{}
				t.subs[s.GetTopicid()] = m
			}
			m[rpc.From()] = s.GetSubscribe()
		}
		t.mu.Unlock()
	}
	if !t.on.Load() {
		return
	}
	size := proto.Size(&rpc.RPC)
	total := int64(size + uvarintLen(uint64(size)))
	attributed := int64(0)
	t.mu.Lock()
	defer t.mu.Unlock()
	add := func(id string, n int, part *int64, copy bool) {
		t.attributeLocked(id, int64(n), part, copy)
		attributed += int64(n)
	}
	for _, m := range rpc.GetPublish() {
		add(t.idFn(m), fieldLen(proto.Size(m)), nil, true)
		t.parts.TopicNames += int64(fieldLen(len(m.GetTopic())))
	}
	if c := rpc.GetControl(); c != nil {
		for _, ih := range c.GetIhave() {
			t.parts.TopicNames += int64(fieldLen(len(ih.GetTopicID())))
			for _, id := range ih.GetMessageIDs() {
				add(id, fieldLen(len(id)), &t.parts.IHave, false)
			}
		}
		for _, iw := range c.GetIwant() {
			for _, id := range iw.GetMessageIDs() {
				add(id, fieldLen(len(id)), &t.parts.IWant, false)
			}
		}
		for _, dw := range c.GetIdontwant() {
			for _, id := range dw.GetMessageIDs() {
				add(id, fieldLen(len(id)), &t.parts.IDontWant, false)
			}
		}
	}
	t.total += total
	t.overhead += total - attributed
	t.parts.Other += total - attributed
	t.rpcs++
}

// recvPush counts one party-push frame (SPEC.md §10.4) the node read: the
// event and its length prefix, as a full copy of the event's message.
func (t *byteTracer) recvPush(data []byte) {
	if !t.on.Load() {
		return
	}
	n := int64(len(data) + uvarintLen(uint64(len(data))))
	id := t.idFn(&pb.Message{Data: data})
	t.mu.Lock()
	defer t.mu.Unlock()
	t.attributeLocked(id, n, nil, true)
	t.parts.Push += n
	t.total += n
}

// attributeLocked counts n bytes received because of message id: a full
// copy (the first or a duplicate) or, if copy is false, a control entry
// added to *part. t.mu must be held.
func (t *byteTracer) attributeLocked(id string, n int64, part *int64, copy bool) {
	mb := t.msgs[id]
	if mb == nil {
		mb = &msgBytes{}
		t.msgs[id] = mb
	}
	mb.bytes += n
	switch {
	case !copy:
		*part += n
	case mb.copies == 0:
		t.parts.FirstCopies += n
		mb.first = t.now()
	default:
		t.parts.DuplicateCopies += n
	}
	if copy {
		mb.copies++
	}
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
	t.grafts = append(t.grafts, t.now())
}

// firstGraftAfter returns the first graft at or after at (zero: none).
func (t *byteTracer) firstGraftAfter(at time.Time) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, g := range t.grafts {
		if !g.Before(at) {
			return g
		}
	}
	return time.Time{}
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

// meshPeers lists the node's mesh peers for topic.
func (t *byteTracer) meshPeers(topic string) []peer.ID {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]peer.ID, 0, len(t.mesh[topic]))
	for p := range t.mesh[topic] {
		out = append(out, p)
	}
	return out
}

// meshSize is the number of peers in the node's mesh for topic.
// follows reports whether peer p told this node it follows topic.
func (t *byteTracer) follows(p peer.ID, topic string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.subs[topic][p]
}

func (t *byteTracer) meshSize(topic string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.mesh[topic])
}

// snapshot returns the counters (call after counting stopped).
func (t *byteTracer) snapshot() (total, overhead int64, parts Breakdown, msgs map[string]msgBytes) {
	t.mu.Lock()
	defer t.mu.Unlock()
	parts = t.parts
	msgs = make(map[string]msgBytes, len(t.msgs))
	for id, mb := range t.msgs {
		msgs[id] = *mb
	}
	return t.total, t.overhead, parts, msgs
}

func (t *byteTracer) OnNewOutboundStream(peer.ID, protocol.ID) {}
func (t *byteTracer) Join(string)                              {}
func (t *byteTracer) Leave(string)                             {}
func (t *byteTracer) ValidateMessage(*pubsub.Message)          {}
func (t *byteTracer) DuplicateMessage(*pubsub.Message)         {}
func (t *byteTracer) ThrottlePeer(peer.ID)                     {}
func (t *byteTracer) SendRPC(*pubsub.RPC, peer.ID)             {}

func (t *byteTracer) drop(reason string) {
	if !t.on.Load() {
		return
	}
	t.mu.Lock()
	t.drops[reason]++
	t.mu.Unlock()
}

func (t *byteTracer) RejectMessage(_ *pubsub.Message, reason string) { t.drop("reject: " + reason) }

func (t *byteTracer) DropRPC(*pubsub.RPC, peer.ID) { t.drop("outbound RPC dropped") }

func (t *byteTracer) UndeliverableMessage(*pubsub.Message) { t.drop("subscriber too slow") }

// dropCounts returns the drop counters.
func (t *byteTracer) dropCounts() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]int, len(t.drops))
	for k, v := range t.drops {
		out[k] = v
	}
	return out
}

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
