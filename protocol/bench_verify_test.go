package protocol

import (
	"crypto/ed25519"
	"fmt"
	"testing"

	"github.com/hdevalence/ed25519consensus"
)

// BenchmarkVerifySignature compares the cost of one event signature check
// (SPEC.md §3.3) done alone, with crypto/ed25519 (cofactorless, which the
// protocol used before ZIP-215) and ed25519consensus (ZIP-215, what Decode
// uses), and done in batches of n (what DecodeBatch does). It reports
// signatures per second and ns per signature. Run with:
// go test -run=^$ -bench=VerifySignature ./protocol/
func BenchmarkVerifySignature(b *testing.B) {
	const n = 512
	keys := make([]ed25519.PublicKey, n)
	msgs := make([][]byte, n)
	sigs := make([][]byte, n)
	for i := range n {
		priv := testKey(fmt.Sprintf("verify %d", i%16))
		keys[i] = priv.Public().(ed25519.PublicKey)
		msgs[i] = signingMessage(testID(fmt.Sprint(i)))
		sigs[i] = ed25519.Sign(priv, msgs[i])
	}
	report := func(b *testing.B, sigsPerOp int) {
		if s := b.Elapsed().Seconds(); s > 0 {
			total := float64(b.N) * float64(sigsPerOp)
			b.ReportMetric(total/s, "sigs/s")
			b.ReportMetric(s*1e9/total, "ns/sig")
		}
	}
	b.Run("single/stdlib", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if !ed25519.Verify(keys[i%n], msgs[i%n], sigs[i%n]) {
				b.Fatal("bad signature")
			}
			i++
		}
		report(b, 1)
	})
	b.Run("single/zip215", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if !ed25519consensus.Verify(keys[i%n], msgs[i%n], sigs[i%n]) {
				b.Fatal("bad signature")
			}
			i++
		}
		report(b, 1)
	})
	for _, size := range []int{2, 4, 8, 16, 64, 128, 512} {
		b.Run(fmt.Sprintf("batch/%d", size), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bv := ed25519consensus.NewPreallocatedBatchVerifier(size)
				for i := range size {
					bv.Add(keys[i], msgs[i], sigs[i])
				}
				if !bv.Verify() {
					b.Fatal("bad batch")
				}
			}
			report(b, size)
		})
	}
}
