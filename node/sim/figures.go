package sim

import (
	"math"
	"time"
)

// PercentileMs returns the p-th percentile (nearest rank) of sorted
// samples in milliseconds, rounded to 10 µs; 0 for no samples.
func PercentileMs(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return Ms(sorted[rank-1])
}

// Ms is d in milliseconds, rounded to 10 µs.
func Ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/10) / 100 }
