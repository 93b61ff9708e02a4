package recon

// builder assembles the ranges of an outgoing message in ascending order,
// tracking the exact encoded size. When the next range would not fit in the
// frame, it closes the message with an overflow range covering everything
// from the current position to infinity (a fingerprint of the sender's items
// there, or, from the initiator when it holds none, an empty ID list), so
// the unprocessed remainder is simply taken up again in the next round.
type builder struct {
	e        *engine
	limit    int // soft limit on the ranges' encoded size
	size     int
	ranges   []Range
	prevT    uint64 // time of the last finite upper bound emitted
	lastPrev uint64 // prevT before the last range was emitted
	pos      Bound  // lower bound of the next range
	posIdx   int    // index of the first own item >= pos
	full     bool   // overflow emitted; later ranges are dropped
	progress bool   // a non-skip range was emitted
	lists    []pending
}

// pending is an ID list the initiator sent and awaits a Diff for.
type pending struct {
	lo, hi       Bound
	loIdx, hiIdx int
	full         bool
}

func newBuilder(e *engine, headerSize int) *builder {
	return &builder{e: e, limit: e.opt.FrameLimit - headerSize - reserve}
}

// room is the number of bytes available for the next range.
func (b *builder) room() int { return b.limit - b.size }

// roomFor is the room for a range whose smallest useful part takes need
// bytes. If that does not fit in the frame but nothing has been emitted
// yet, the hard limit applies instead, so that every message makes
// progress whatever the two peers' frame limits are.
func (b *builder) roomFor(need int) int {
	if r := b.room(); r >= need || b.progress {
		return r
	}
	return MaxMessageSize - 64 - reserve - b.size
}

func (b *builder) push(r Range, upperIdx int) {
	b.size += rangeSize(&r, b.prevT)
	b.lastPrev = b.prevT
	if !r.Upper.IsInf() {
		b.prevT = r.Upper.Time
	}
	b.ranges = append(b.ranges, r)
	b.pos, b.posIdx = r.Upper, upperIdx
	if r.Mode != ModeSkip {
		b.progress = true
	}
}

// fits reports whether r can be appended.
func (b *builder) fits(r *Range) bool {
	n := rangeSize(r, b.prevT)
	return n <= b.roomFor(n)
}

// add appends r (ending at own index upperIdx) or overflows.
func (b *builder) add(r Range, upperIdx int) {
	if b.full {
		return
	}
	if !b.fits(&r) {
		b.overflow()
		return
	}
	if r.Mode == ModeShortIDs || r.Mode == ModeFullIDs {
		b.lists = append(b.lists, pending{lo: b.pos, hi: r.Upper, loIdx: b.posIdx, hiIdx: upperIdx, full: r.Mode == ModeFullIDs})
	}
	b.push(r, upperIdx)
}

// skip appends a Skip range, merging it with a preceding one.
func (b *builder) skip(upper Bound, upperIdx int) {
	if b.full {
		return
	}
	if n := len(b.ranges); n > 0 && b.ranges[n-1].Mode == ModeSkip {
		last := &b.ranges[n-1]
		b.size -= rangeSize(last, b.lastPrev)
		last.Upper = upper
		b.size += rangeSize(last, b.lastPrev)
		if !upper.IsInf() {
			b.prevT = upper.Time
		}
		b.pos, b.posIdx = upper, upperIdx
		return
	}
	b.push(Range{Upper: upper, Mode: ModeSkip}, upperIdx)
}

// fingerprint appends the fingerprint of own items [posIdx, upperIdx).
func (b *builder) fingerprint(upper Bound, upperIdx int) {
	acc := b.e.set.Digest(b.posIdx, upperIdx)
	b.add(Range{Upper: upper, Mode: ModeFingerprint, Count: acc.Count, FP: acc.Fingerprint(&b.e.salt)}, upperIdx)
}

// overflow closes the message with a range from pos to infinity.
func (b *builder) overflow() {
	if b.full {
		return
	}
	n := b.e.set.Len()
	if b.e.initiator && n == b.posIdx {
		b.lists = append(b.lists, pending{lo: b.pos, hi: Infinity, loIdx: n, hiIdx: n})
		b.push(Range{Upper: Infinity, Mode: ModeShortIDs, ShortLen: b.e.opt.ShortIDLen}, n)
	} else {
		acc := b.e.set.Digest(b.posIdx, n)
		b.push(Range{Upper: Infinity, Mode: ModeFingerprint, Count: acc.Count, FP: acc.Fingerprint(&b.e.salt)}, n)
	}
	b.full = true
}

// idList appends own items [posIdx, upperIdx) as a short- or full-ID list,
// truncating it (and overflowing) if it does not fit.
func (b *builder) idList(upper Bound, upperIdx int, full bool) {
	if b.full {
		return
	}
	per := b.e.opt.ShortIDLen
	if full {
		per = 32
	}
	c := upperIdx - b.posIdx
	if q := (b.roomFor(64+per) - 64) / per; q < c {
		// Does not fit: send the first q items, then overflow.
		if q < 1 {
			b.overflow()
			return
		}
		upperIdx = b.posIdx + q
		upper = boundBetween(b.e.set.At(upperIdx-1), b.e.set.At(upperIdx))
		b.add(b.listRange(upper, upperIdx, full), upperIdx)
		b.overflow()
		return
	}
	b.add(b.listRange(upper, upperIdx, full), upperIdx)
}

func (b *builder) listRange(upper Bound, upperIdx int, full bool) Range {
	s := b.e.set
	if full {
		r := Range{Upper: upper, Mode: ModeFullIDs, IDs: make([]ID, 0, upperIdx-b.posIdx)}
		for i := b.posIdx; i < upperIdx; i++ {
			r.IDs = append(r.IDs, s.At(i).ID)
		}
		return r
	}
	L := b.e.opt.ShortIDLen
	r := Range{Upper: upper, Mode: ModeShortIDs, ShortLen: L, Short: make([]byte, 0, L*(upperIdx-b.posIdx))}
	for i := b.posIdx; i < upperIdx; i++ {
		sid := shortID(&b.e.salt, s.At(i).ID, L)
		r.Short = append(r.Short, sid[:L]...)
	}
	return r
}

// split appends fingerprints of up to Branch sub-ranges of own items
// [posIdx, upperIdx) holding (almost) equal numbers of own items.
func (b *builder) split(upper Bound, upperIdx int) {
	s := b.e.set
	start := b.posIdx
	c := upperIdx - start
	g := min(b.e.opt.Branch, c)
	for k := 1; k <= g && !b.full; k++ {
		end := start + c*k/g
		ub := upper
		if k < g {
			ub = boundBetween(s.At(end-1), s.At(end))
		}
		b.fingerprint(ub, end)
	}
}

// diff (responder) answers the ID list in of the initiator, covering
// [pos, upper) with own items [posIdx, upperIdx). Own items whose (short)
// ID is not in the list are sent in full; entries of the list that match
// none of own items are reported as lacking.
func (b *builder) diff(upper Bound, upperIdx int, in *Range) {
	if b.full {
		return
	}
	s := b.e.set
	var k, L int
	if in.Mode == ModeFullIDs {
		k, L = len(in.IDs), 32
	} else {
		k, L = in.NumShort(), in.ShortLen
	}
	matched := make([]bool, k)
	var unmatched []int
	if k == 0 {
		unmatched = make([]int, 0, upperIdx-b.posIdx)
		for i := b.posIdx; i < upperIdx; i++ {
			unmatched = append(unmatched, i)
		}
	} else {
		first := make(map[ID]int32, k)
		next := make([]int32, k) // chains entries that share a key
		for j := k - 1; j >= 0; j-- {
			var key ID
			if in.Mode == ModeFullIDs {
				key = in.IDs[j]
			} else {
				copy(key[:L], in.Short[j*L:(j+1)*L])
			}
			if f, ok := first[key]; ok {
				next[j] = f
			} else {
				next[j] = -1
			}
			first[key] = int32(j)
		}
		for i := b.posIdx; i < upperIdx; i++ {
			id := s.At(i).ID
			key := id
			if in.Mode == ModeShortIDs {
				key = shortID(&b.e.salt, id, L)
			}
			f, ok := first[key]
			if !ok {
				unmatched = append(unmatched, i)
				continue
			}
			for ; f >= 0; f = next[f] {
				matched[f] = true
			}
			first[key] = -1 // chain marked; keeps later lookups O(1)
		}
	}
	r := Range{Upper: upper, Mode: ModeDiff, Entries: uint64(k)}
	for j, ok := range matched {
		if !ok {
			r.Lack = append(r.Lack, uint32(j))
		}
	}
	if len(r.Lack) > 0 {
		bm, li := lackSizes(r.Entries, r.Lack)
		r.LackBitmap = bm < li
	}
	// Which unmatched items fit, and how: an item the caller pushes (or
	// pushed earlier in the session) costs no bytes here, one named by ID
	// 32. Measure the range without them, allowing for the bound, the ID
	// count and the pushed count to grow.
	e := b.e
	r.Count = uint64(upperIdx - b.posIdx)
	r.Mode = ModeDiffPush
	base := rangeSize(&r, b.prevT) + 44 + 10 + 10
	r.Mode = ModeDiff
	room := b.roomFor(base + 32*min(len(unmatched), 1))
	if base > room {
		b.overflow()
		return
	}
	var listed, pushed, fresh []ID
	cut := len(unmatched)
	for j, i := range unmatched {
		id := s.At(i).ID
		if _, ok := e.pushed[id]; ok {
			pushed = append(pushed, id)
			continue
		}
		if e.opt.Push != nil && e.opt.Push(id) {
			pushed = append(pushed, id)
			fresh = append(fresh, id)
			continue
		}
		if base+32*(len(listed)+1) > room {
			cut = j
			break
		}
		listed = append(listed, id)
	}
	if cut < len(unmatched) {
		if cut == 0 {
			b.overflow()
			return
		}
		// Cut just before the first unmatched item that does not fit.
		upperIdx = unmatched[cut]
		upper = boundBetween(s.At(upperIdx-1), s.At(upperIdx))
		r.Upper = upper
	}
	acc := s.Digest(b.posIdx, upperIdx)
	r.Count, r.FP = acc.Count, acc.Fingerprint(&e.salt)
	r.IDs = listed
	if len(pushed) > 0 {
		r.Mode, r.Pushed = ModeDiffPush, uint64(len(pushed))
	}
	b.add(r, upperIdx)
	if b.full {
		// did not fit after all: nothing is promised, and nothing reported
		// pushed (the caller sends only what TakePushed lists)
		return
	}
	for _, id := range fresh {
		e.pushed[id] = struct{}{}
		e.pushOut = append(e.pushOut, id)
	}
	for _, id := range listed {
		e.addHave(id)
	}
	for _, id := range pushed {
		e.addHave(id)
	}
	if cut < len(unmatched) {
		b.overflow()
	}
}

// finish returns the ranges with trailing skips removed.
func (b *builder) finish() []Range {
	n := len(b.ranges)
	if n > 0 && b.ranges[n-1].Mode == ModeSkip {
		b.ranges = b.ranges[:n-1]
	}
	return b.ranges
}
