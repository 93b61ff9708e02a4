package recon

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// propCase is one randomly generated reconciliation problem.
type propCase struct {
	desc   string
	a, b   *SortedSet
	oa, ob Options
}

// genCase draws sets A and B with a random overlap structure, random time
// and ID shapes (equal times, shared ID prefixes, times near MaxTime) and
// random options (tiny short IDs force collision repairs, small frames
// force overflow, small branching forces deep recursion).
func genCase(tb testing.TB, rng *rand.Rand) propCase {
	var n int
	switch rng.Intn(6) {
	case 0:
		n = rng.Intn(3)
	case 1, 2:
		n = rng.Intn(60)
	case 3, 4:
		n = rng.Intn(700)
	default:
		n = rng.Intn(4000)
	}
	maxGap := []uint64{0, 1, 3, 1000}[rng.Intn(4)]
	t0 := uint64(1 + rng.Intn(1000))
	if rng.Intn(8) == 0 {
		t0 = MaxTime - 1 - uint64(n)*maxGap - 1
	}
	prefix := []int{0, 0, 2, 30}[rng.Intn(4)]
	u := history(rng, n, t0, maxGap)
	if prefix > 0 {
		// Long shared ID prefixes (IDs stay unique: an ID names one item).
		seen := make(map[ID]bool)
		k := 0
		for i := range u {
			for j := 0; j < prefix; j++ {
				u[i].ID[j] = 0xAB
			}
			if !seen[u[i].ID] {
				seen[u[i].ID] = true
				u[k] = u[i]
				k++
			}
		}
		u = u[:k]
		n = k
	}
	// Where each item goes: 0 both, 1 only A, 2 only B.
	where := make([]int, n)
	var shape string
	switch rng.Intn(9) {
	case 0:
		shape = "identical"
	case 1:
		shape = "disjoint"
		for i := range where {
			where[i] = 1 + rng.Intn(2)
		}
	case 2:
		shape = "one-differs"
		if n > 0 {
			where[rng.Intn(n)] = 1 + rng.Intn(2)
		}
	case 3:
		shape = "A-empty"
		for i := range where {
			where[i] = 2
		}
	case 4:
		shape = "B-empty"
		for i := range where {
			where[i] = 1
		}
	case 5, 6:
		shape = "recent"
		w := rng.Intn(n/4 + 2)
		pa, pb := rng.Float64(), rng.Float64()
		for i := max(n-w, 0); i < n; i++ {
			where[i] = pick(rng, pa*0.3, pb)
		}
	default:
		shape = "scattered"
		pa, pb := rng.Float64()*0.1, rng.Float64()*0.1
		for i := range where {
			where[i] = pick(rng, pa, pb)
		}
	}
	var ai, bi []Item
	for i, it := range u {
		if where[i] != 2 {
			ai = append(ai, it)
		}
		if where[i] != 1 {
			bi = append(bi, it)
		}
	}
	c := propCase{a: mustSet(tb, ai), b: mustSet(tb, bi)}
	c.oa = randOptions(rng)
	c.ob = randOptions(rng)
	if rng.Intn(2) == 0 {
		// the responder pushes all, some or none of what the initiator lacks
		accept := []float64{1, 0.5, 0}[rng.Intn(3)]
		prng := rand.New(rand.NewSource(rng.Int63()))
		c.ob.Push = func(ID) bool { return prng.Float64() < accept }
	}
	switch rng.Intn(4) {
	case 0:
		if n > 0 {
			c.oa.Since = u[rng.Intn(n)].Time
		}
	case 1:
		c.oa.Since = t0 + uint64(rng.Int63n(int64(uint64(n)*maxGap+2)))
	}
	c.desc = fmt.Sprintf("n=%d gap=%d prefix=%d shape=%s |A|=%d |B|=%d oa=%+v ob=%+v",
		n, maxGap, prefix, shape, c.a.Len(), c.b.Len(), c.oa, c.ob)
	return c
}

func pick(rng *rand.Rand, pa, pb float64) int {
	x := rng.Float64()
	switch {
	case x < pa:
		return 1
	case x < pa+pb:
		return 2
	}
	return 0
}

func randOptions(rng *rand.Rand) Options {
	var o Options
	salt := testSalt
	salt[0] = byte(rng.Intn(256))
	o.Salt = &salt
	if rng.Intn(2) == 0 {
		o.ShortIDLen = []int{1, 2, 3, 4, 8, 32}[rng.Intn(6)]
	}
	if rng.Intn(3) == 0 {
		o.FrameLimit = MinFrameLimit
	}
	if rng.Intn(2) == 0 {
		o.Branch = []int{2, 3, 16, 64}[rng.Intn(4)]
	}
	if rng.Intn(2) == 0 {
		o.Tail = []int{1, 2, 8}[rng.Intn(3)]
		o.SmallSet = []int{1, 4, 100}[rng.Intn(3)]
		o.MaxTail = []int{1, 10, 1000}[rng.Intn(3)]
	}
	return o
}

// roundBound is the number of round trips a case may take: the depth of
// the range recursion for its branching, plus what the frame limit defers.
func roundBound(c propCase, diffs int) int {
	if c.oa.Branch == 0 && c.ob.Branch == 0 && c.oa.FrameLimit == 0 && c.ob.FrameLimit == 0 {
		return 8
	}
	br := min(nz(c.oa.Branch, DefaultBranch), nz(c.ob.Branch, DefaultBranch))
	n := max(c.a.Len(), c.b.Len(), 2)
	depth := int(math.Ceil(math.Log(float64(n)) / math.Log(float64(br))))
	frame := min(nz(c.oa.FrameLimit, MaxMessageSize), nz(c.ob.FrameLimit, MaxMessageSize))
	return 8 + depth + 4*(40*diffs+8*n)/frame
}

func nz(x, d int) int {
	if x == 0 {
		return d
	}
	return x
}

// TestReconcileProperty: for thousands of random cases, both sides learn
// exactly A\B and B\A, and the session ends within roundBound round trips.
func TestReconcileProperty(t *testing.T) {
	cases := 3000
	if testing.Short() {
		cases = 300
	}
	rng := rand.New(rand.NewSource(20260807))
	worst := 0
	for i := 0; i < cases; i++ {
		c := genCase(t, rng)
		r, err := runSync(c.a, c.b, c.oa, c.ob, 1000)
		if err != nil {
			t.Fatalf("case %d (%s): %v", i, c.desc, err)
		}
		if err := checkResult(c.a, c.b, r); err != nil {
			t.Fatalf("case %d (%s): %v", i, c.desc, err)
		}
		diffs := len(r.aHave) + len(r.aNeed)
		if bound := roundBound(c, diffs); r.rounds > bound {
			t.Fatalf("case %d (%s): %d round trips > bound %d", i, c.desc, r.rounds, bound)
		}
		worst = max(worst, r.rounds)
	}
	t.Logf("%d cases, worst %d round trips", cases, worst)
}

// TestReconcileDefaultsBound: with default options, random cases up to 20k
// items finish within 8 round trips.
func TestReconcileDefaultsBound(t *testing.T) {
	cases := 200
	if testing.Short() {
		cases = 20
	}
	rng := rand.New(rand.NewSource(7))
	hist := [5]int{}
	for i := 0; i < cases; i++ {
		n := rng.Intn(20000)
		u := history(rng, n, 1, uint64(rng.Intn(3000)))
		pa, pb := rng.Float64()*0.05, rng.Float64()*0.05
		if rng.Intn(2) == 0 {
			pa, pb = 0, rng.Float64()*0.001
		}
		var ai, bi []Item
		for _, it := range u {
			switch pick(rng, pa, pb) {
			case 0:
				ai, bi = append(ai, it), append(bi, it)
			case 1:
				ai = append(ai, it)
			case 2:
				bi = append(bi, it)
			}
		}
		a, b := mustSet(t, ai), mustSet(t, bi)
		r, err := runSync(a, b, Options{}, Options{}, 1000)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if err := checkResult(a, b, r); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if r.rounds > 8 {
			t.Fatalf("case %d: n=%d: %d round trips", i, n, r.rounds)
		}
		hist[min(r.rounds, 4)]++
	}
	t.Logf("round trips histogram [0..4+]: %v", hist)
}
