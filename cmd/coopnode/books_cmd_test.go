package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/coopnode/coopnode/market"
)

// TestBooksText: coopnode books prints the canonical text of SPEC.md
// §21.3.2 and then "digest,HEX", the SHA-256 of every line before it; an
// answer whose tables do not give its digest is refused.
func TestBooksText(t *testing.T) {
	b := &market.Books{Period: market.Period{From: "2026-03-10", To: "2026-03-10"},
		Orders: &market.Table{Header: market.BookOrdersHeader, Rows: [][]string{{"2026-03-10", "ab", "delivery", "delivered", "cd", "ef", "3",
			"1850", "250", "200", "180", "2300", "278", "1572", "761", "200"}}},
		Shifts: &market.Table{Header: market.BookShiftsHeader}, Rules: &market.Table{Header: market.BookRulesHeader, Rows: [][]string{{"2026-03-10", "3", "aa"}}}}
	sum := sha256.Sum256(b.Canonical())
	b.Digest = hex.EncodeToString(sum[:])
	raw, _ := json.Marshal(b)
	var out bytes.Buffer
	if err := fmtBooks(&out, raw); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	body, last, _ := strings.Cut(strings.TrimSuffix(text, "\n"), "\ndigest,")
	if body+"\n" != string(b.Canonical()) || last != b.Digest {
		t.Fatalf("books text:\n%s", text)
	}
	// with a payments table (SPEC.md §20.5), printed after the rules
	b.Payments = &market.Table{Header: []string{"day", "order"}, Rows: [][]string{{"2026-03-10", "ab"}}}
	sum = sha256.Sum256(b.Canonical())
	b.Digest = hex.EncodeToString(sum[:])
	raw, _ = json.Marshal(b)
	out.Reset()
	if err := fmtBooks(&out, raw); err != nil || !strings.Contains(out.String(), "[payments]\nday,order\n2026-03-10,ab\ndigest,"+b.Digest) {
		t.Fatalf("books with payments: %v\n%s", err, out.String())
	}
	b.Orders.Rows[0][11] = "9999" // a figure changed, the digest kept
	raw, _ = json.Marshal(b)
	if err := fmtBooks(&out, raw); err == nil || !strings.Contains(err.Error(), "does not give the digest") {
		t.Fatalf("a tampered answer: %v", err)
	}
}
