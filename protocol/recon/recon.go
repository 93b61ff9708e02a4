package recon

import (
	"fmt"
	"io"
	"slices"
)

// Stats counts one side's traffic.
type Stats struct {
	// Rounds is the number of round trips: replies received (initiator) or
	// sent (responder). The initiator's final Done message is one-way and
	// not a round trip.
	Rounds int
	// MessagesSent, MessagesReceived, BytesSent, BytesReceived count all
	// messages, Done included.
	MessagesSent, MessagesReceived int
	BytesSent, BytesReceived       int
}

// engine is the state both sides share.
type engine struct {
	set       Set
	opt       Options
	salt      [SaltSize]byte
	initiator bool
	have      []ID // own items the peer lacks, in discovery order
	need      []ID // peer items we lack, in discovery order
	haveSet   map[ID]struct{}
	needSet   map[ID]struct{}
	pushed    map[ID]struct{} // responder: items pushed in this session
	pushOut   []ID            // responder: items pushed by the last reply
	stats     Stats
	err       error // sticky failure
	done      bool
}

func newEngine(s Set, opt Options, initiator bool) engine {
	return engine{
		set:       s,
		opt:       opt.normalized(),
		initiator: initiator,
		haveSet:   make(map[ID]struct{}),
		needSet:   make(map[ID]struct{}),
		pushed:    make(map[ID]struct{}),
	}
}

func (e *engine) addHave(id ID) {
	if _, ok := e.haveSet[id]; !ok {
		e.haveSet[id] = struct{}{}
		e.have = append(e.have, id)
	}
}

func (e *engine) addNeed(id ID) {
	if _, ok := e.needSet[id]; !ok {
		e.needSet[id] = struct{}{}
		e.need = append(e.need, id)
	}
}

// fail records a sticky error.
func (e *engine) fail(err error) error {
	e.err = err
	return err
}

func (e *engine) check() error {
	if e.err != nil {
		return fmt.Errorf("%w: session failed: %v", ErrState, e.err)
	}
	if e.done {
		return fmt.Errorf("%w: session is done", ErrState)
	}
	return nil
}

func (e *engine) encode(m *Message) ([]byte, error) {
	b, err := m.Encode()
	if err != nil {
		return nil, e.fail(fmt.Errorf("recon: internal error encoding: %w", err))
	}
	e.stats.MessagesSent++
	e.stats.BytesSent += len(b)
	return b, nil
}

func (e *engine) decode(b []byte) (*Message, error) {
	e.stats.MessagesReceived++
	e.stats.BytesReceived += len(b)
	m, err := DecodeMessage(b)
	if err != nil {
		return nil, e.fail(err)
	}
	return m, nil
}

// estimate is a lower bound on the number of differences in a range whose
// fingerprints differ: the count difference, and at least 2 when the counts
// are equal (one item each way).
func estimate(own, peer uint64) uint64 {
	if own > peer {
		return own - peer
	}
	if peer > own {
		return peer - own
	}
	return 2
}

// Have returns the IDs of own items the peer lacks, found so far.
func (e *engine) Have() []ID { return slices.Clone(e.have) }

// Need returns the IDs of peer items we lack, found so far.
func (e *engine) Need() []ID { return slices.Clone(e.need) }

// Stats returns the traffic counters.
func (e *engine) Stats() Stats { return e.stats }

// Initiator drives a reconciliation from the side that connects (in
// coopnode, the node catching up). Use:
//
//	in := recon.NewInitiator(set, recon.Options{Since: lastSeen})
//	msg, err := in.Initiate()
//	for err == nil {
//		send(msg)
//		if in.Done() {
//			break
//		}
//		msg, _, err = in.Next(receive())
//	}
//	// in.Have(): send these events; in.Need(): request these.
//
// Have and Need grow as rounds complete and may be acted on early.
type Initiator struct {
	engine
	started bool
	sent    int       // have IDs already sent to the responder
	lists   []pending // ID lists of the last message, awaiting Diffs
	got     []Item    // items the responder pushed, sorted when tidy
	tidy    bool
}

// AddPushed records items whose events the responder delivered outside the
// reconciliation messages (pushed, SPEC.md §8.4 DiffPush). Call it for
// every pushed event before passing Next the reply that follows them; the
// DiffPush ranges of that reply are verified against these items. Items
// the responder sends but no DiffPush counts are ignored.
func (in *Initiator) AddPushed(items ...Item) error {
	for _, it := range items {
		if it.Time == MaxTime {
			return fmt.Errorf("%w: pushed item with the reserved time", ErrInvalidItem)
		}
	}
	in.got = append(in.got, items...)
	in.tidy = false
	return nil
}

// Need returns the IDs of the responder's items we lack, found so far,
// except those it pushed (AddPushed): what remains to be requested. (A
// range reconciled again after an overflow may first name an item by ID
// and later push it.)
func (in *Initiator) Need() []ID {
	if len(in.got) == 0 {
		return in.engine.Need()
	}
	got := make(map[ID]struct{}, len(in.got))
	for _, it := range in.got {
		got[it.ID] = struct{}{}
	}
	var out []ID
	for _, id := range in.need {
		if _, ok := got[id]; !ok {
			out = append(out, id)
		}
	}
	return out
}

// pushedIn returns the pushed items in [lo, hi) that are not own items.
func (in *Initiator) pushedIn(lo, hi Bound) []Item {
	if !in.tidy {
		slices.SortFunc(in.got, Item.Compare)
		in.got = slices.Compact(in.got)
		in.tidy = true
	}
	i, _ := slices.BinarySearchFunc(in.got, lo, cmpItemBound)
	var out []Item
	for ; i < len(in.got) && cmpItemBound(in.got[i], hi) < 0; i++ {
		it := in.got[i]
		if j := in.set.Search(BoundOf(it)); j == in.set.Len() || in.set.At(j) != it {
			out = append(out, it)
		}
	}
	return out
}

// NewInitiator returns an initiator over s. s must not change during the
// session.
func NewInitiator(s Set, opt Options) *Initiator {
	return &Initiator{engine: newEngine(s, opt, true)}
}

// Done reports whether the final message has been produced.
func (in *Initiator) Done() bool { return in.done }

// Initiate returns the first message.
func (in *Initiator) Initiate() ([]byte, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	if in.started {
		return nil, fmt.Errorf("%w: Initiate called twice", ErrState)
	}
	in.started = true
	o := &in.opt
	if o.Salt != nil {
		in.salt = *o.Salt
	} else if _, err := io.ReadFull(o.Rand, in.salt[:]); err != nil {
		return nil, in.fail(fmt.Errorf("recon: reading salt: %w", err))
	}
	b := newBuilder(&in.engine, 2+SaltSize+5)
	s := in.set
	n := s.Len()
	if n <= o.SmallSet {
		b.idList(Infinity, n, false)
	} else {
		// The tail: items at or after Since, or the newest Tail items.
		t, tb := -1, Bound{}
		if o.Since > 0 && o.Since < MaxTime {
			tb = Bound{Time: o.Since}
			t = s.Search(tb)
			if n-t > o.MaxTail {
				t = -1
			}
		}
		if t < 0 {
			t = n - o.Tail
			tb = boundBetween(s.At(t-1), s.At(t))
		}
		// Fingerprint buckets before the tail, newest first, doubling.
		cuts := []int{t}
		for c, size := t, o.Tail; c > 0; size *= 2 {
			c -= size
			if c < size/2 {
				c = 0
			}
			cuts = append(cuts, c)
		}
		if t == 0 {
			b.idList(tb, 0, false) // nothing before Since
		}
		for i := len(cuts) - 1; i > 0; i-- {
			hi := cuts[i-1]
			ub := tb
			if i > 1 {
				ub = boundBetween(s.At(hi-1), s.At(hi))
			}
			b.fingerprint(ub, hi)
		}
		b.idList(Infinity, n, false)
	}
	in.lists = b.lists
	return in.encode(&Message{Type: TypeInit, Salt: in.salt, Ranges: b.finish()})
}

// Next processes the responder's reply and returns the next message. When
// done is true, msg is the final (Done) message: send it and expect no
// reply; Have and Need are then complete.
func (in *Initiator) Next(reply []byte) (msg []byte, done bool, err error) {
	if err := in.check(); err != nil {
		return nil, false, err
	}
	if !in.started {
		return nil, false, fmt.Errorf("%w: Next before Initiate", ErrState)
	}
	m, err := in.decode(reply)
	if err != nil {
		return nil, false, err
	}
	if m.Type != TypeReply {
		return nil, false, in.fail(fmt.Errorf("%w: initiator got message type %d", ErrProtocol, m.Type))
	}
	in.stats.Rounds++
	b := newBuilder(&in.engine, 2+5+5)
	if err := in.process(b, m.Ranges); err != nil {
		return nil, false, in.fail(err)
	}
	in.lists = b.lists
	out := &Message{Type: TypeNext, Ranges: b.finish()}
	// Piggyback the have IDs found so far, as many as fit.
	room := (b.limit + reserve - b.size) / 32
	backlog := in.have[in.sent:]
	k := min(len(backlog), max(room, 0))
	out.Have = backlog[:k]
	in.sent += k
	if len(out.Ranges) == 0 && in.sent == len(in.have) {
		out.Type = TypeDone
		in.done = true
	}
	msg, err = in.encode(out)
	return msg, in.done, err
}

// process walks the reply's ranges, emitting the next message into b.
func (in *Initiator) process(b *builder, ranges []Range) error {
	s := in.set
	lists := in.lists
	p := 0 // first pending list not entirely below lo
	lo, loIdx := Bound{}, 0
	for i := range ranges {
		r := &ranges[i]
		hi := r.Upper
		hiIdx := s.Search(hi)
		for p < len(lists) && lists[p].hi.Compare(lo) <= 0 {
			p++
		}
		if r.Mode == ModeSkip && p < len(lists) && lists[p].lo.Compare(hi) < 0 {
			return fmt.Errorf("%w: ID list at range %d left unanswered", ErrProtocol, i)
		}
		switch r.Mode {
		case ModeSkip:
			b.skip(hi, hiIdx)
		case ModeFingerprint:
			acc := s.Digest(loIdx, hiIdx)
			switch {
			case acc.Count == r.Count && acc.Fingerprint(&in.salt) == r.FP:
				b.skip(hi, hiIdx)
			case r.Count == 0:
				// The responder holds nothing here: it lacks all of ours.
				for j := loIdx; j < hiIdx; j++ {
					in.addHave(s.At(j).ID)
				}
				b.skip(hi, hiIdx)
			case in.preferList(acc.Count, r.Count):
				b.idList(hi, hiIdx, false)
			default:
				b.split(hi, hiIdx)
			}
		case ModeRequest:
			b.idList(hi, hiIdx, false)
		case ModeDiff, ModeDiffPush:
			if p >= len(lists) || lists[p].lo.Compare(lo) != 0 || hi.Compare(lists[p].hi) > 0 {
				return fmt.Errorf("%w: Diff at range %d answers no ID list", ErrProtocol, i)
			}
			if err := in.applyDiff(b, &lists[p], r, hiIdx); err != nil {
				return fmt.Errorf("range %d: %w", i, err)
			}
		default:
			return fmt.Errorf("%w: initiator got %v range", ErrProtocol, r.Mode)
		}
		lo, loIdx = hi, hiIdx
	}
	// The implicit trailing skip must not cover an unanswered list.
	for p < len(lists) && lists[p].hi.Compare(lo) <= 0 {
		p++
	}
	if p < len(lists) && !lo.IsInf() {
		return fmt.Errorf("%w: ID list left unanswered", ErrProtocol)
	}
	return nil
}

// preferList: answer a differing fingerprint with an ID list (true) or by
// splitting (false)?
func (in *Initiator) preferList(own, peer uint64) bool {
	if own <= leafList {
		return true
	}
	return own*uint64(in.opt.ShortIDLen) <= estimate(own, peer)*denseBytes
}

// applyDiff checks a Diff for [o.lo, r.Upper) against what we sent and
// records its result, or falls back to a full-ID list if short IDs
// collided.
func (in *Initiator) applyDiff(b *builder, o *pending, r *Range, xIdx int) error {
	s := in.set
	if r.Entries != uint64(o.hiIdx-o.loIdx) {
		return fmt.Errorf("%w: Diff answers %d entries, list had %d", ErrProtocol, r.Entries, o.hiIdx-o.loIdx)
	}
	acc := s.Digest(o.loIdx, xIdx)
	var haves, needs []ID
	for _, li := range r.Lack {
		if j := o.loIdx + int(li); j < xIdx {
			id := s.At(j).ID
			acc.Sub(id)
			haves = append(haves, id)
		}
	}
	// Items pushed earlier in the range count as the responder's, whatever
	// the mode: with short IDs, one pushed in an earlier round may now
	// collide with an entry, which the check below then catches.
	got := in.pushedIn(o.lo, r.Upper)
	for _, it := range got {
		acc.Add(it.ID)
	}
	if len(r.IDs) > 0 {
		own := make(map[ID]struct{}, o.hiIdx-o.loIdx)
		for j := o.loIdx; j < o.hiIdx; j++ {
			own[s.At(j).ID] = struct{}{}
		}
		for _, id := range r.IDs {
			if _, ok := own[id]; !ok {
				acc.Add(id)
				needs = append(needs, id)
			}
		}
	}
	if uint64(len(got)) != r.Pushed || acc.Count != r.Count || acc.Fingerprint(&in.salt) != r.FP {
		if o.full {
			if uint64(len(got)) != r.Pushed {
				return fmt.Errorf("%w: Diff counts %d pushed items, %d arrived in its range", ErrProtocol, r.Pushed, len(got))
			}
			return fmt.Errorf("%w: Diff inconsistent with our full ID list", ErrProtocol)
		}
		// A short-ID collision (or a sum collision): repeat with full IDs.
		b.idList(r.Upper, xIdx, true)
		return nil
	}
	for _, id := range haves {
		in.addHave(id)
	}
	for _, id := range needs {
		in.addNeed(id)
	}
	b.skip(r.Upper, xIdx)
	return nil
}

// Responder answers an Initiator (in coopnode, the peer being caught up
// from). Feed it every message received; send back every non-nil reply;
// stop when done is true:
//
//	rs := recon.NewResponder(set, recon.Options{})
//	for {
//		reply, done, err := rs.Respond(receive())
//		if err != nil || done { break }
//		send(reply)
//	}
//
// At the end, Have lists own items the initiator lacked and Need the
// initiator's items this side lacks.
type Responder struct {
	engine
	started  bool
	shortLen int // the initiator's short ID length, once seen
}

// NewResponder returns a responder over s. s must not change during the
// session.
func NewResponder(s Set, opt Options) *Responder {
	return &Responder{engine: newEngine(s, opt, false), shortLen: DefaultShortIDLen}
}

// Done reports whether the initiator's Done message has been processed.
func (rs *Responder) Done() bool { return rs.done }

// TakePushed returns the items that the last reply counts as pushed for
// the first time in the session, in order, and forgets them (only with
// Options.Push). Their events must reach the initiator before that reply.
func (rs *Responder) TakePushed() []ID {
	out := rs.pushOut
	rs.pushOut = nil
	return out
}

// Respond processes one message from the initiator. It returns the reply to
// send, or done == true (and no reply) after the initiator's Done message.
func (rs *Responder) Respond(msg []byte) (reply []byte, done bool, err error) {
	if err := rs.check(); err != nil {
		return nil, false, err
	}
	m, err := rs.decode(msg)
	if err != nil {
		return nil, false, err
	}
	switch {
	case m.Type == TypeInit && !rs.started:
		rs.started = true
		rs.salt = m.Salt
	case (m.Type == TypeNext || m.Type == TypeDone) && rs.started:
		for _, id := range m.Have {
			rs.addNeed(id)
		}
	default:
		return nil, false, rs.fail(fmt.Errorf("%w: responder got message type %d (started %v)", ErrProtocol, m.Type, rs.started))
	}
	if m.Type == TypeDone {
		rs.done = true
		return nil, true, nil
	}
	rs.stats.Rounds++
	rs.pushOut = nil
	b := newBuilder(&rs.engine, 2+5)
	if err := rs.process(b, m.Ranges); err != nil {
		return nil, false, rs.fail(err)
	}
	reply, err = rs.encode(&Message{Type: TypeReply, Ranges: b.finish()})
	return reply, false, err
}

func (rs *Responder) process(b *builder, ranges []Range) error {
	s := rs.set
	loIdx := 0
	for i := range ranges {
		r := &ranges[i]
		hi := r.Upper
		hiIdx := s.Search(hi)
		switch r.Mode {
		case ModeSkip:
			b.skip(hi, hiIdx)
		case ModeFingerprint:
			acc := s.Digest(loIdx, hiIdx)
			switch {
			case acc.Count == r.Count && acc.Fingerprint(&rs.salt) == r.FP:
				b.skip(hi, hiIdx)
			case acc.Count == 0:
				b.fingerprint(hi, hiIdx) // "I hold nothing here"
			case rs.preferRequest(acc.Count, r.Count):
				b.add(Range{Upper: hi, Mode: ModeRequest}, hiIdx)
			default:
				b.split(hi, hiIdx)
			}
		case ModeShortIDs, ModeFullIDs:
			if r.Mode == ModeShortIDs {
				rs.shortLen = r.ShortLen
			}
			b.diff(hi, hiIdx, r)
		default:
			return fmt.Errorf("%w: responder got %v range", ErrProtocol, r.Mode)
		}
		if b.full {
			break
		}
		loIdx = hiIdx
	}
	return nil
}

// preferRequest: answer a differing fingerprint with a Request (true) or
// by splitting (false)?
func (rs *Responder) preferRequest(own, peer uint64) bool {
	if own < 2 || peer <= leafRequest {
		return true
	}
	return peer*uint64(rs.shortLen) <= estimate(own, peer)*denseBytes
}
