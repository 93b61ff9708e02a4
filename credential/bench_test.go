package credential

import "testing"

// BenchmarkVerify: one work record credential verified offline (parse,
// shape, did:key, JCS twice, SHA-256 twice, one Ed25519 verification).
func BenchmarkVerify(b *testing.B) {
	raw := issueTest(b)
	now := day("2026-08-01")
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := Verify(raw, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIssue: one work record credential built and signed.
func BenchmarkIssue(b *testing.B) {
	c := testCredential(b)
	for b.Loop() {
		if _, err := Issue(c, coopKey, issuedAt); err != nil {
			b.Fatal(err)
		}
	}
}
