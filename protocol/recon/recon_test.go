package recon

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// exampleSets are the sets of the worked example (SPEC.md §8.9): items
// u1..u10 at times 1000, 1010, ..., 1090 with IDs of ten equal bytes 0x11*k;
// the initiator lacks u4, u9, u10 and has x (time 1075, ID 0xEE...) that the
// responder lacks.
func exampleSets(tb testing.TB) (a, b *SortedSet) {
	u := func(k int) Item {
		var id ID
		for i := range id {
			id[i] = byte(0x11 * k)
		}
		return Item{Time: uint64(1000 + 10*(k-1)), ID: id}
	}
	var x ID
	for i := range x {
		x[i] = 0xEE
	}
	ai := []Item{u(1), u(2), u(3), u(5), u(6), u(7), u(8), {Time: 1075, ID: x}}
	var bi []Item
	for k := 1; k <= 10; k++ {
		bi = append(bi, u(k))
	}
	return mustSet(tb, ai), mustSet(tb, bi)
}

var exampleOptions = Options{SmallSet: 4, Tail: 2, Salt: &[SaltSize]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}}

// exampleTranscript is the worked example of SPEC.md §8.9, message by
// message in hex. TestWorkedExample keeps the two in agreement.
const exampleTranscript = `I->R 01 01 000102030405060708090a0b0c0d0e0f 03 9b08 00 01 04 a42a376750e930ef7caa647c13c52188 15 00 01 02 3ffbc6a2c93361a2c13ce1ccd7d848d3 00 00 02 08 02 9d36cf2ba1b5caa1 dec6aaf2ef6f7dfc
R->I 01 02 03 9b08 00 05 15 00 00 00 00 04 03 8bd9f239ccd90dc446700ad5592f4dcc 02 01 02 02 9999999999999999999999999999999999999999999999999999999999999999 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
I->R 01 03 01 9b08 00 02 08 04 87d92d3bc4fa6ab1 45da90ca198e935e e91f0c7d4a4aa1cc e49c448ffd69c02f 01 eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee
R->I 01 02 01 9b08 00 04 05 62f0e17f010d71a30a1489f3f8b43ee4 04 00 01 4444444444444444444444444444444444444444444444444444444444444444
I->R 01 04 00
`

func TestWorkedExample(t *testing.T) {
	a, b := exampleSets(t)
	in := NewInitiator(a, exampleOptions)
	rs := NewResponder(b, Options{})
	var sb strings.Builder
	msg, err := in.Initiate()
	if err != nil {
		t.Fatal(err)
	}
	for {
		fmt.Fprintf(&sb, "I->R %s\n", spaced(t, msg))
		reply, done, err := rs.Respond(msg)
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		fmt.Fprintf(&sb, "R->I %s\n", spaced(t, reply))
		if msg, _, err = in.Next(reply); err != nil {
			t.Fatal(err)
		}
	}
	if got := sb.String(); got != exampleTranscript {
		t.Errorf("transcript changed; update SPEC.md §8.9 and exampleTranscript:\n%s", got)
	}
	r := syncResult{aHave: in.Have(), aNeed: in.Need(), bHave: rs.Have(), bNeed: rs.Need()}
	if err := checkResult(a, b, r); err != nil {
		t.Fatal(err)
	}
	if st := in.Stats(); st.Rounds != 2 || st.MessagesSent != 3 {
		t.Errorf("stats %+v", st)
	}
}

// examplePushTranscript is the worked example with a pushing responder
// (SPEC.md §8.9): its Diffs count u9, u10 and then u4 as pushed (mode 6)
// instead of naming them, and the events travel before each reply.
const examplePushTranscript = `I->R 01 01 000102030405060708090a0b0c0d0e0f 03 9b08 00 01 04 a42a376750e930ef7caa647c13c52188 15 00 01 02 3ffbc6a2c93361a2c13ce1ccd7d848d3 00 00 02 08 02 9d36cf2ba1b5caa1 dec6aaf2ef6f7dfc
R->I pushed u9
R->I pushed u10
R->I 01 02 03 9b08 00 05 15 00 00 00 00 06 03 8bd9f239ccd90dc446700ad5592f4dcc 02 01 02 00 02
I->R 01 03 01 9b08 00 02 08 04 87d92d3bc4fa6ab1 45da90ca198e935e e91f0c7d4a4aa1cc e49c448ffd69c02f 01 eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee
R->I pushed u4
R->I 01 02 01 9b08 00 06 05 62f0e17f010d71a30a1489f3f8b43ee4 04 00 00 01
I->R 01 04 00
`

func TestWorkedExamplePush(t *testing.T) {
	a, b := exampleSets(t)
	in := NewInitiator(a, exampleOptions)
	rs := NewResponder(b, Options{Push: func(ID) bool { return true }})
	name, item := map[ID]string{}, map[ID]Item{}
	for k := 1; k <= 10; k++ {
		name[b.At(k-1).ID], item[b.At(k-1).ID] = fmt.Sprintf("u%d", k), b.At(k-1)
	}
	var sb strings.Builder
	msg, err := in.Initiate()
	if err != nil {
		t.Fatal(err)
	}
	var pushed []ID
	for {
		fmt.Fprintf(&sb, "I->R %s\n", spaced(t, msg))
		reply, done, err := rs.Respond(msg)
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		for _, id := range rs.TakePushed() {
			if err := in.AddPushed(item[id]); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&sb, "R->I pushed %s\n", name[id])
			pushed = append(pushed, id)
		}
		fmt.Fprintf(&sb, "R->I %s\n", spaced(t, reply))
		if msg, _, err = in.Next(reply); err != nil {
			t.Fatal(err)
		}
	}
	if got := sb.String(); got != examplePushTranscript {
		t.Errorf("transcript changed; update SPEC.md §8.9 and examplePushTranscript:\n%s", got)
	}
	r := syncResult{aHave: in.Have(), aNeed: in.Need(), bHave: rs.Have(), bNeed: rs.Need(), aPushed: pushed}
	if err := checkResult(a, b, r); err != nil {
		t.Fatal(err)
	}
	if len(r.aNeed) != 0 || len(pushed) != 3 {
		t.Errorf("need %d, pushed %d: want everything pushed", len(r.aNeed), len(pushed))
	}
}

// spaced renders a message in hex with a space between fields.
func spaced(tb testing.TB, b []byte) string {
	m, err := DecodeMessage(b)
	if err != nil {
		tb.Fatal(err)
	}
	x := hex.EncodeToString
	uv := func(v uint64) string { return x(binary.AppendUvarint(nil, v)) }
	f := []string{x(b[:1]), x(b[1:2])}
	if m.Type == TypeInit {
		f = append(f, x(m.Salt[:]))
	}
	if m.Type != TypeDone {
		f = append(f, uv(uint64(len(m.Ranges))))
	}
	var prev uint64
	for i := range m.Ranges {
		r := &m.Ranges[i]
		if r.Upper.IsInf() {
			f = append(f, "00 00")
		} else {
			f = append(f, uv(r.Upper.Time-prev+1), x(append([]byte{r.Upper.Len}, r.Upper.Prefix[:r.Upper.Len]...)))
			prev = r.Upper.Time
		}
		f = append(f, x([]byte{byte(r.Mode)}))
		switch r.Mode {
		case ModeFingerprint:
			f = append(f, uv(r.Count), x(r.FP[:]))
		case ModeShortIDs:
			f = append(f, x([]byte{byte(r.ShortLen)}), uv(uint64(r.NumShort())))
			for j := 0; j < r.NumShort(); j++ {
				f = append(f, x(r.Short[j*r.ShortLen:(j+1)*r.ShortLen]))
			}
		case ModeFullIDs:
			f = append(f, idsHex(r.IDs)...)
		case ModeDiff, ModeDiffPush:
			f = append(f, uv(r.Count), x(r.FP[:]), uv(r.Entries))
			full := appendRange(nil, &Range{Upper: Infinity, Mode: ModeDiff, Entries: r.Entries, Lack: r.Lack, LackBitmap: r.LackBitmap}, 0)
			lack := full[3+1+FingerprintSize+uvarintLen(r.Entries) : len(full)-1]
			f = append(f, x(lack[:1]))
			if len(lack) > 1 {
				f = append(f, x(lack[1:]))
			}
			f = append(f, idsHex(r.IDs)...)
			if r.Mode == ModeDiffPush {
				f = append(f, uv(r.Pushed))
			}
		}
	}
	if m.Type == TypeNext || m.Type == TypeDone {
		f = append(f, idsHex(m.Have)...)
	}
	return strings.Join(f, " ")
}

func idsHex(ids []ID) []string {
	f := []string{hex.EncodeToString(binary.AppendUvarint(nil, uint64(len(ids))))}
	for _, id := range ids {
		f = append(f, hex.EncodeToString(id[:]))
	}
	return f
}

func encodeT(tb testing.TB, m *Message) []byte {
	tb.Helper()
	b, err := m.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func smallSet(tb testing.TB, seed int64, n int) *SortedSet {
	return mustSet(tb, history(rand.New(rand.NewSource(seed)), n, 100, 10))
}

func TestInitiatorRejectsBadReplies(t *testing.T) {
	a := smallSet(t, 1, 8) // one short-ID list over [0, inf)
	mid := Bound{Time: a.At(4).Time}
	cases := []struct {
		name  string
		reply []byte
		want  error
	}{
		{"garbage", []byte{Version, TypeReply2, 0xff}, ErrMalformed},
		{"version", []byte{2, 2, 0}, ErrVersion},
		{"wrong type", encodeT(t, &Message{Type: TypeInit}), ErrProtocol},
		{"list unanswered", encodeT(t, &Message{Type: TypeReply}), ErrProtocol},
		{"skip over list", encodeT(t, &Message{Type: TypeReply, Ranges: []Range{{Upper: mid, Mode: ModeSkip}, {Upper: Infinity, Mode: ModeRequest}}}), ErrProtocol},
		{"list tail unanswered", encodeT(t, &Message{Type: TypeReply, Ranges: []Range{{Upper: mid, Mode: ModeRequest}}}), ErrProtocol},
		{"diff entries", encodeT(t, &Message{Type: TypeReply, Ranges: []Range{{Upper: Infinity, Mode: ModeDiff, Entries: 7}}}), ErrProtocol},
		{"diff misaligned", encodeT(t, &Message{Type: TypeReply, Ranges: []Range{{Upper: mid, Mode: ModeRequest}, {Upper: Infinity, Mode: ModeDiff, Entries: 8}}}), ErrProtocol},
		{"list from responder", encodeT(t, &Message{Type: TypeReply, Ranges: []Range{{Upper: Infinity, Mode: ModeFullIDs}}}), ErrProtocol},
	}
	for _, c := range cases {
		in := NewInitiator(a, Options{Salt: &testSalt})
		if _, _, err := in.Next(c.reply); !errors.Is(err, ErrState) {
			t.Errorf("%s: Next before Initiate: %v", c.name, err)
		}
		if _, err := in.Initiate(); err != nil {
			t.Fatal(err)
		}
		if _, err := in.Initiate(); !errors.Is(err, ErrState) {
			t.Errorf("%s: Initiate twice: %v", c.name, err)
		}
		if _, _, err := in.Next(c.reply); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
		if _, _, err := in.Next(c.reply); !errors.Is(err, ErrState) {
			t.Errorf("%s: after failure: %v", c.name, err)
		}
	}
}

// TypeReply2 is TypeReply as an untyped byte for literal messages.
const TypeReply2 = byte(TypeReply)

// A Diff that does not verify makes the initiator repeat the range with
// full IDs; a full-ID Diff that does not verify is a protocol violation.
func TestInitiatorFallbackAndInconsistentPeer(t *testing.T) {
	a := smallSet(t, 2, 8)
	in := NewInitiator(a, Options{Salt: &testSalt})
	if _, err := in.Initiate(); err != nil {
		t.Fatal(err)
	}
	bad := encodeT(t, &Message{Type: TypeReply, Ranges: []Range{{Upper: Infinity, Mode: ModeDiff, Entries: 8, Count: 8}}})
	msg, done, err := in.Next(bad)
	if err != nil || done {
		t.Fatalf("fallback: %v %v", done, err)
	}
	m, err := DecodeMessage(msg)
	if err != nil || len(m.Ranges) != 1 || m.Ranges[0].Mode != ModeFullIDs || len(m.Ranges[0].IDs) != 8 {
		t.Fatalf("want one full-ID list of 8, got %+v (%v)", m, err)
	}
	if _, _, err := in.Next(bad); !errors.Is(err, ErrProtocol) {
		t.Fatalf("inconsistent full diff: %v", err)
	}
	if len(in.Have()) != 0 || len(in.Need()) != 0 {
		t.Fatal("unverified results recorded")
	}
}

// TestPushVerified: the initiator checks a DiffPush against the items that
// arrived. One missing item makes it repeat a short-ID list with full IDs;
// missing under a full-ID list it is a protocol violation. With every item
// delivered nothing is left to request.
func TestPushVerified(t *testing.T) {
	b := smallSet(t, 6, 10)
	var ai []Item
	for i := range b.Len() {
		if i != 3 && i != 7 {
			ai = append(ai, b.At(i))
		}
	}
	a := mustSet(t, ai)
	for _, deliver := range []int{1, 2} {
		in := NewInitiator(a, Options{Salt: &testSalt})
		rs := NewResponder(b, Options{Push: func(ID) bool { return true }})
		msg, err := in.Initiate()
		if err != nil {
			t.Fatal(err)
		}
		reply, _, err := rs.Respond(msg)
		if err != nil {
			t.Fatal(err)
		}
		m, err := DecodeMessage(reply)
		if err != nil || len(m.Ranges) != 1 || m.Ranges[0].Mode != ModeDiffPush || m.Ranges[0].Pushed != 2 || len(m.Ranges[0].IDs) != 0 {
			t.Fatalf("want one DiffPush of 2 items, got %+v (%v)", m, err)
		}
		if got := rs.TakePushed(); !sameIDs(got, []ID{b.At(3).ID, b.At(7).ID}) {
			t.Fatalf("pushed %x", got)
		}
		if err := in.AddPushed(b.At(3)); err != nil {
			t.Fatal(err)
		}
		if deliver == 2 {
			if err := in.AddPushed(b.At(7)); err != nil {
				t.Fatal(err)
			}
			msg, done, err := in.Next(reply)
			if err != nil || !done || len(in.Need()) != 0 || len(in.Have()) != 0 {
				t.Fatalf("complete push: done %v, need %d, have %d, %v (%x)", done, len(in.Need()), len(in.Have()), err, msg)
			}
			continue
		}
		msg, done, err := in.Next(reply)
		if err != nil || done {
			t.Fatalf("fallback: %v %v", done, err)
		}
		if m, err := DecodeMessage(msg); err != nil || len(m.Ranges) != 1 || m.Ranges[0].Mode != ModeFullIDs {
			t.Fatalf("want a full-ID list, got %+v (%v)", m, err)
		}
		reply, _, err = rs.Respond(msg)
		if err != nil {
			t.Fatal(err)
		}
		if got := rs.TakePushed(); len(got) != 0 {
			t.Fatalf("pushed again: %d", len(got))
		}
		if _, _, err := in.Next(reply); !errors.Is(err, ErrProtocol) {
			t.Fatalf("missing pushed item under a full list: %v", err)
		}
	}
	if err := NewInitiator(a, Options{}).AddPushed(Item{Time: MaxTime}); !errors.Is(err, ErrInvalidItem) {
		t.Fatalf("reserved time: %v", err)
	}
}

func TestResponderRejects(t *testing.T) {
	b := smallSet(t, 3, 50)
	init := encodeT(t, &Message{Type: TypeInit, Salt: testSalt, Ranges: []Range{{Upper: Infinity, Mode: ModeFingerprint, Count: 1}}})
	seqs := []struct {
		name string
		msgs [][]byte
		want error
	}{
		{"next first", [][]byte{encodeT(t, &Message{Type: TypeNext})}, ErrProtocol},
		{"done first", [][]byte{encodeT(t, &Message{Type: TypeDone})}, ErrProtocol},
		{"reply", [][]byte{encodeT(t, &Message{Type: TypeReply})}, ErrProtocol},
		{"init twice", [][]byte{init, init}, ErrProtocol},
		{"diff from initiator", [][]byte{encodeT(t, &Message{Type: TypeInit, Ranges: []Range{{Upper: Infinity, Mode: ModeDiff}}})}, ErrProtocol},
		{"request from initiator", [][]byte{init, encodeT(t, &Message{Type: TypeNext, Ranges: []Range{{Upper: Infinity, Mode: ModeRequest}}})}, ErrProtocol},
		{"malformed", [][]byte{{Version}}, ErrMalformed},
		{"too large", [][]byte{make([]byte, MaxMessageSize+1)}, ErrTooLarge},
		{"after done", [][]byte{init, encodeT(t, &Message{Type: TypeDone}), init}, ErrState},
	}
	for _, s := range seqs {
		rs := NewResponder(b, Options{})
		var err error
		for _, msg := range s.msgs {
			if _, _, err = rs.Respond(msg); err != nil {
				break
			}
		}
		if !errors.Is(err, s.want) {
			t.Errorf("%s: got %v, want %v", s.name, err, s.want)
		}
		if _, _, err := rs.Respond(init); !errors.Is(err, ErrState) && s.want != ErrProtocol {
			t.Errorf("%s: after failure: %v", s.name, err)
		}
	}
}

// TestSinceHint: with the hint, differences at or after Since cost one
// round trip even when they are interleaved with items the initiator has,
// and a stale hint (tail larger than MaxTail) is ignored.
func TestSinceHint(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	a, b, since := scenario(t, rng, "recent", 5000, 300)
	for _, c := range []struct {
		since  uint64
		rounds int
	}{{since, 1}, {1, 2}} {
		r, err := runSync(a, b, Options{Since: c.since, MaxTail: 1000}, Options{}, 50)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkResult(a, b, r); err != nil {
			t.Fatal(err)
		}
		if r.rounds > c.rounds {
			t.Errorf("since=%d: %d round trips, want <= %d", c.since, r.rounds, c.rounds)
		}
		// A pushing responder names nothing: the same round trips, 32
		// bytes less per missed item, nothing left to request.
		rp, err := runSync(a, b, Options{Since: c.since, MaxTail: 1000}, Options{Push: func(ID) bool { return true }}, 50)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkResult(a, b, rp); err != nil {
			t.Fatal(err)
		}
		if rp.rounds != r.rounds || len(rp.aNeed) != 0 || len(rp.aPushed) != 300 || r.bytesBA-rp.bytesBA < 32*300-8 {
			t.Errorf("since=%d push: %d round trips (%d without), need %d, pushed %d, %d bytes R->I (%d without)",
				c.since, rp.rounds, r.rounds, len(rp.aNeed), len(rp.aPushed), rp.bytesBA, r.bytesBA)
		}
	}
}

// TestLargeTransfers: a fresh node (empty set) and a fresh responder both
// complete; the ID traffic is split over frames.
func TestLargeTransfers(t *testing.T) {
	full := smallSet(t, 5, 30000)
	empty := mustSet(t, nil)
	for _, c := range []struct {
		name string
		a, b *SortedSet
	}{{"fresh initiator", empty, full}, {"fresh responder", full, empty}} {
		r, err := runSync(c.a, c.b, Options{FrameLimit: MinFrameLimit}, Options{FrameLimit: MinFrameLimit}, 1000)
		if err != nil {
			t.Fatal(c.name, err)
		}
		if err := checkResult(c.a, c.b, r); err != nil {
			t.Fatal(c.name, err)
		}
		// 30000 IDs of 32 bytes over 16 KiB frames.
		if min := 30000 * 32 / MinFrameLimit; r.rounds < min || r.rounds > 2*min+4 {
			t.Errorf("%s: %d round trips", c.name, r.rounds)
		}
		t.Logf("%s: %d round trips, %d bytes", c.name, r.rounds, r.bytes())
	}
}
