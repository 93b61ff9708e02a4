package recon

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"
)

// syncResult is the outcome of an in-memory session.
type syncResult struct {
	rounds           int // round trips (responder replies)
	msgs             int // messages, Done included
	bytesAB, bytesBA int // initiator->responder, responder->initiator
	aHave, aNeed     []ID
	bHave, bNeed     []ID
	aPushed          []ID // items the responder pushed (ob.Push set)
}

func (r syncResult) bytes() int { return r.bytesAB + r.bytesBA }

// runSync runs a whole session between an initiator over a and a responder
// over b, failing after maxMsgs messages. With ob.Push set, the items each
// reply pushes are handed to the initiator before the reply, as a sync
// session delivers their events.
func runSync(a, b Set, oa, ob Options, maxMsgs int) (syncResult, error) {
	in := NewInitiator(a, oa)
	rs := NewResponder(b, ob)
	var res syncResult
	var byID map[ID]Item
	if ob.Push != nil {
		byID = make(map[ID]Item, b.Len())
		for i := range b.Len() {
			byID[b.At(i).ID] = b.At(i)
		}
	}
	msg, err := in.Initiate()
	if err != nil {
		return res, err
	}
	for {
		res.msgs++
		res.bytesAB += len(msg)
		if res.msgs > maxMsgs {
			return res, fmt.Errorf("no termination after %d messages", maxMsgs)
		}
		reply, done, err := rs.Respond(msg)
		if err != nil {
			return res, fmt.Errorf("responder: %w", err)
		}
		if done {
			break
		}
		res.rounds++
		res.msgs++
		res.bytesBA += len(reply)
		for _, id := range rs.TakePushed() {
			it, ok := byID[id]
			if !ok {
				return res, fmt.Errorf("responder pushed an item it does not hold")
			}
			if err := in.AddPushed(it); err != nil {
				return res, err
			}
			res.aPushed = append(res.aPushed, id)
		}
		var idone bool
		msg, idone, err = in.Next(reply)
		if err != nil {
			return res, fmt.Errorf("initiator: %w", err)
		}
		_ = idone
	}
	res.aHave, res.aNeed = in.Have(), in.Need()
	res.bHave, res.bNeed = rs.Have(), rs.Need()
	if st := in.Stats(); st.Rounds != res.rounds || st.BytesSent != res.bytesAB || st.BytesReceived != res.bytesBA {
		return res, fmt.Errorf("initiator stats %+v disagree with %d rounds %d/%d bytes", st, res.rounds, res.bytesAB, res.bytesBA)
	}
	return res, nil
}

// minus returns the IDs of a's items not in b.
func minus(a, b *SortedSet) []ID {
	var out []ID
	for _, it := range a.Items() {
		if !b.Has(it) {
			out = append(out, it.ID)
		}
	}
	return out
}

func sameIDs(got, want []ID) bool {
	if len(got) != len(want) {
		return false
	}
	g := slices.Clone(got)
	w := slices.Clone(want)
	cmp := func(x, y ID) int { return slices.Compare(x[:], y[:]) }
	slices.SortFunc(g, cmp)
	slices.SortFunc(w, cmp)
	return slices.Equal(g, w)
}

// checkResult verifies that both sides learned exactly the differences.
func checkResult(a, b *SortedSet, r syncResult) error {
	ab, ba := minus(a, b), minus(b, a)
	got := append(slices.Clone(r.aNeed), r.aPushed...) // disjoint: checked by sameIDs
	switch {
	case !sameIDs(r.aHave, ab):
		return fmt.Errorf("initiator have: got %d, want %d", len(r.aHave), len(ab))
	case !sameIDs(got, ba):
		return fmt.Errorf("initiator need+pushed: got %d+%d, want %d", len(r.aNeed), len(r.aPushed), len(ba))
	case !sameIDs(r.bHave, ba):
		return fmt.Errorf("responder have: got %d, want %d", len(r.bHave), len(ba))
	case !sameIDs(r.bNeed, ab):
		return fmt.Errorf("responder need: got %d, want %d", len(r.bNeed), len(ab))
	}
	return nil
}

func mustSet(tb testing.TB, items []Item) *SortedSet {
	tb.Helper()
	s, err := NewSet(items)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func randID(rng *rand.Rand) ID {
	var id ID
	rng.Read(id[:])
	return id
}

// history returns n items with millisecond timestamps from t0, gaps drawn
// from [0, maxGap] (0 gives equal times).
func history(rng *rand.Rand, n int, t0, maxGap uint64) []Item {
	items := make([]Item, n)
	t := t0
	for i := range items {
		t += uint64(rng.Int63n(int64(maxGap) + 1))
		items[i] = Item{Time: t, ID: randID(rng)}
	}
	return items
}

// scenario builds the two sides of a catch-up: the responder has the whole
// history, the initiator lacks d items chosen by kind, and it has extra
// items of its own (authored while offline) that the responder lacks.
//
//	tail:      the d newest items (the node was offline for the latest d)
//	recent:    d random items among the newest 2d (interleaved with items
//	           it has), plus extra/10 of its own in the same window
//	scattered: d random items anywhere
//
// It returns the sets and the initiator's Since hint (start of the window).
func scenario(tb testing.TB, rng *rand.Rand, kind string, n, d int) (a, b *SortedSet, since uint64) {
	all := history(rng, n+d, 1_700_000_000_000, 2000)
	var missing []int
	switch kind {
	case "tail":
		for i := n; i < n+d; i++ {
			missing = append(missing, i)
		}
		since = all[n].Time
	case "recent":
		w := min(2*d, n+d)
		missing = rng.Perm(w)[:d]
		for i := range missing {
			missing[i] += n + d - w
		}
		since = all[n+d-w].Time
	case "scattered":
		missing = rng.Perm(n + d)[:d]
	default:
		tb.Fatalf("unknown scenario %q", kind)
	}
	lack := make(map[int]bool, d)
	for _, i := range missing {
		lack[i] = true
	}
	var ai []Item
	for i, it := range all {
		if !lack[i] {
			ai = append(ai, it)
		}
	}
	if kind == "recent" {
		// Events the node authored while offline, in the same window.
		last := all[len(all)-1].Time
		for i := 0; i < d/10; i++ {
			ai = append(ai, Item{Time: since + uint64(rng.Int63n(int64(last-since)+1)), ID: randID(rng)})
		}
	}
	return mustSet(tb, ai), mustSet(tb, all), since
}

var testSalt = [SaltSize]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
