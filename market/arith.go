package market

import (
	"math"
	"strconv"

	"github.com/coopnode/coopnode/crdt"
)

// Integer money arithmetic (SPEC.md §16.1). Amounts are int64 cents;
// rates are basis points (1/10000); every division rounds half up (half
// away from zero for a negative numerator), and every sum and product is
// checked for overflow.

// MaxCents bounds every amount that enters a computation: a menu price, an
// option price, a tip, an items total (10 million currency units).
const MaxCents = crdt.MaxRuleCents

// divHalfUp returns n/d rounded half up; d must be positive. For negative n
// it rounds half away from zero (−divHalfUp(−n, d)).
func divHalfUp(n, d int64) int64 {
	if n < 0 {
		if n == math.MinInt64 {
			n++ // unreachable with checked inputs; keeps the negation defined
		}
		return -divHalfUp(-n, d)
	}
	q, r := n/d, n%d
	if r >= d-r {
		q++
	}
	return q
}

// bpsOf returns amount × bps / 10000, rounded half up.
func bpsOf(amount int64, bps uint32) (int64, bool) {
	p, ok := mul(amount, int64(bps))
	if !ok {
		return 0, false
	}
	return divHalfUp(p, 10_000), true
}

func add(a, b int64) (int64, bool) {
	c := a + b
	if (c > a) != (b > 0) {
		return 0, false
	}
	return c, true
}

func mul(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	c := a * b
	if c/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, false
	}
	return c, true
}

// sum adds amounts, reporting overflow.
func sum(xs ...int64) (int64, bool) {
	var t int64
	for _, x := range xs {
		var ok bool
		if t, ok = add(t, x); !ok {
			return 0, false
		}
	}
	return t, true
}

// Cents formats an amount of cents with two decimals: 1250 → "12.50",
// −5 → "-0.05". Explanations and exports use it.
func Cents(c int64) string {
	neg := c < 0
	u := uint64(c)
	if neg {
		u = -u
	}
	s := strconv.FormatUint(u/100, 10) + "." + strconv.FormatUint(u%100/10, 10) + strconv.FormatUint(u%10, 10)
	if neg {
		return "-" + s
	}
	return s
}

// Percent formats basis points as a percentage: 1550 → "15.50%".
func Percent(bps uint32) string { return Cents(int64(bps)) + "%" }
