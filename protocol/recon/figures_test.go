package recon

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// figure is one measured configuration of the catch-up table.
type figure struct {
	kind   string
	n, d   int
	hint   bool
	rounds int
	bytes  int
	ab, ba int
	// with a responder that pushes what the initiator lacks (SPEC.md
	// §8.4 DiffPush): bytes R->I and round trips
	baPush, roundsPush int
}

func measure(tb testing.TB, kind string, n, d int, hint bool, seed int64) figure {
	rng := rand.New(rand.NewSource(seed))
	a, b, since := scenario(tb, rng, kind, n, d)
	oa := Options{Salt: &testSalt}
	if hint {
		oa.Since = since
	}
	r, err := runSync(a, b, oa, Options{}, 200)
	if err != nil {
		tb.Fatalf("%s n=%d d=%d: %v", kind, n, d, err)
	}
	if err := checkResult(a, b, r); err != nil {
		tb.Fatalf("%s n=%d d=%d: %v", kind, n, d, err)
	}
	rp, err := runSync(a, b, oa, Options{Push: func(ID) bool { return true }}, 200)
	if err == nil {
		err = checkResult(a, b, rp)
	}
	if err != nil {
		tb.Fatalf("%s n=%d d=%d push: %v", kind, n, d, err)
	}
	if rp.bytesAB != r.bytesAB {
		tb.Fatalf("%s n=%d d=%d: push changed the initiator's messages (%d vs %d bytes)", kind, n, d, rp.bytesAB, r.bytesAB)
	}
	return figure{kind: kind, n: n, d: d, hint: hint, rounds: r.rounds, bytes: r.bytes(), ab: r.bytesAB, ba: r.bytesBA,
		baPush: rp.bytesBA, roundsPush: rp.rounds}
}

// TestFigures measures round trips and reconciliation bytes for the
// catch-up table of SPEC.md §8.10 and checks the targets for the recent
// cases: at most 2 round trips and 2 KB + 40 bytes per difference.
// The figures are logged (go test -run Figures -v).
func TestFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	var rows []figure
	for _, n := range []int{10_000, 100_000} {
		for _, d := range []int{1, 10, 100, 1000} {
			for _, c := range []struct {
				kind string
				hint bool
			}{{"tail", false}, {"tail", true}, {"recent", true}, {"recent", false}, {"scattered", false}} {
				f := measure(t, c.kind, n, d, c.hint, int64(n+d))
				rows = append(rows, f)
				diffs := d
				if c.kind == "recent" {
					diffs += d / 10
				}
				budget := 2048 + 40*diffs
				if c.kind != "scattered" && c.hint && (f.rounds > 2 || f.bytes > budget) {
					t.Errorf("%s n=%d d=%d hint: %d rounds, %d bytes; target <= 2 rounds, <= %d bytes", c.kind, n, d, f.rounds, f.bytes, budget)
				}
				// Pushing saves the 32-byte ID of every missed item and
				// costs no round trip.
				if f.roundsPush != f.rounds || f.baPush > f.ba-31*d {
					t.Errorf("%s n=%d d=%d: push: %d rounds, %d bytes R->I; without: %d rounds, %d bytes", c.kind, n, d, f.roundsPush, f.baPush, f.rounds, f.ba)
				}
			}
		}
	}
	t.Log("\n" + figureTable(rows))
}

func figureTable(rows []figure) string {
	var sb strings.Builder
	sb.WriteString("| scenario | hint | n | d | round trips | bytes I->R | bytes R->I | total | bytes/diff | R->I push | total push | bytes/diff push |\n")
	sb.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, f := range rows {
		diffs := f.d
		if f.kind == "recent" {
			diffs += f.d / 10
		}
		h := "no"
		if f.hint {
			h = "yes"
		}
		fmt.Fprintf(&sb, "| %s | %s | %d | %d | %d | %d | %d | %d | %.1f | %d | %d | %.1f |\n",
			f.kind, h, f.n, f.d, f.rounds, f.ab, f.ba, f.bytes, float64(f.bytes)/float64(diffs),
			f.baPush, f.ab+f.baPush, float64(f.ab+f.baPush)/float64(diffs))
	}
	return sb.String()
}

// BenchmarkReconcile reports round trips and bytes per session as custom
// metrics (go test -bench Reconcile -run '^$').
func BenchmarkReconcile(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		for _, d := range []int{1, 10, 100, 1000} {
			for _, kind := range []string{"tail", "recent", "scattered"} {
				b.Run(fmt.Sprintf("%s/n=%d/d=%d", kind, n, d), func(b *testing.B) {
					rng := rand.New(rand.NewSource(int64(n + d)))
					a, s, since := scenario(b, rng, kind, n, d)
					oa := Options{}
					if kind != "scattered" {
						oa.Since = since
					}
					var r syncResult
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						var err error
						r, err = runSync(a, s, oa, Options{}, 200)
						if err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(r.rounds), "rounds")
					b.ReportMetric(float64(r.bytes()), "recon-bytes")
				})
			}
		}
	}
}
