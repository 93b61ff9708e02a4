package market

import (
	"math/bits"

	"github.com/coopnode/coopnode/crdt"
)

// Geometry on integer microdegrees (SPEC.md §16.4). Nothing here uses
// floating point, so every node computes the same metres and the same zone
// membership, bit for bit.

// cosTable[d] is round(cos(d°) × 10^6), d = 0..90 (SPEC.md §16.4.1).
var cosTable = [91]int64{
	1000000, 999848, 999391, 998630, 997564, 996195, 994522, 992546, 990268, 987688,
	984808, 981627, 978148, 974370, 970296, 965926, 961262, 956305, 951057, 945519,
	939693, 933580, 927184, 920505, 913545, 906308, 898794, 891007, 882948, 874620,
	866025, 857167, 848048, 838671, 829038, 819152, 809017, 798636, 788011, 777146,
	766044, 754710, 743145, 731354, 719340, 707107, 694658, 681998, 669131, 656059,
	642788, 629320, 615661, 601815, 587785, 573576, 559193, 544639, 529919, 515038,
	500000, 484810, 469472, 453990, 438371, 422618, 406737, 390731, 374607, 358368,
	342020, 325568, 309017, 292372, 275637, 258819, 241922, 224951, 207912, 190809,
	173648, 156434, 139173, 121869, 104528, 87156, 69756, 52336, 34899, 17452, 0,
}

// MetresPerDegree is the length of one degree of a great circle on a sphere
// of radius 6 371 000 m (2π·6371000/360 = 111 194.93 m), rounded.
const MetresPerDegree = 111_195

// cosE6 returns cos(φ) × 10^6 for |φ| in microdegrees, 0..90 000 000, by
// linear interpolation in cosTable, rounded down.
func cosE6(absLatE6 int64) int64 {
	d, f := absLatE6/1_000_000, absLatE6%1_000_000
	if d >= 90 {
		return 0
	}
	return cosTable[d] - (cosTable[d]-cosTable[d+1])*f/1_000_000
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// isqrt returns ⌊√n⌋.
func isqrt(n uint64) uint64 {
	if n < 2 {
		return n
	}
	x := uint64(1) << ((bits.Len64(n) + 1) / 2) // ≥ √n
	for {
		y := (x + n/x) / 2
		if y >= x {
			return x
		}
		x = y
	}
}

// DistanceM is the straight-line distance between two positions in metres,
// by an equirectangular projection at the mean latitude with an integer
// cosine table (SPEC.md §16.4.1): within 0.1 % of the great-circle
// distance for city distances (under 100 km, below 70° of latitude). Invalid
// positions are clamped onto the globe first.
func DistanceM(a, b crdt.Position) uint32 {
	a, b = clampPos(a), clampPos(b)
	dLat := abs64(int64(a.LatE6) - int64(b.LatE6))
	dLon := abs64(int64(a.LonE6) - int64(b.LonE6))
	if dLon > 180_000_000 {
		dLon = 360_000_000 - dLon
	}
	mid := abs64(int64(a.LatE6)+int64(b.LatE6)) / 2
	x := dLon * cosE6(mid) / 1_000_000
	s := isqrt(uint64(x*x + dLat*dLat))
	return uint32((s*MetresPerDegree + 500_000) / 1_000_000)
}

func clampPos(p crdt.Position) crdt.Position {
	p.LatE6 = min(max(p.LatE6, -90_000_000), 90_000_000)
	p.LonE6 = min(max(p.LonE6, -180_000_000), 180_000_000)
	return p
}

// RouteM is the straight-line length of a route through the points in
// order, in metres (the sum of each leg's DistanceM).
func RouteM(points ...crdt.Position) uint64 {
	var t uint64
	for i := 1; i < len(points); i++ {
		t += uint64(DistanceM(points[i-1], points[i]))
	}
	return t
}

// CoarseStepE6 is the grid of public dropoff areas: 0.005° (about 550 m of
// latitude).
const CoarseStepE6 = 5_000

// Coarse rounds a position to the CoarseStepE6 grid, half away from zero:
// the public dropoff area of an order whose exact address travels sealed.
func Coarse(p crdt.Position) crdt.Position {
	r := func(v int32) int32 {
		if v >= 0 {
			return (v + CoarseStepE6/2) / CoarseStepE6 * CoarseStepE6
		}
		return -((-v + CoarseStepE6/2) / CoarseStepE6 * CoarseStepE6)
	}
	return crdt.Position{LatE6: r(p.LatE6), LonE6: r(p.LonE6)}
}

// InZone reports whether p lies in the zone (SPEC.md §16.4.2): on the
// edge of any ring, or inside an odd number of rings (even-odd rule, so an
// inner ring is a hole). Exact integer arithmetic; no ring may span 180° of
// longitude (crdt.RulesSet.Problem).
func InZone(z *crdt.Zone, p crdt.Position) bool {
	if z == nil {
		return false
	}
	odd := false
	for _, ring := range z.Rings {
		in, edge := inRing(ring, p)
		if edge {
			return true
		}
		if in {
			odd = !odd
		}
	}
	return odd
}

// inRing casts a ray from p towards increasing longitude and counts the
// edges it crosses; edge reports p on an edge (or a vertex).
func inRing(ring []crdt.Position, p crdt.Position) (inside, edge bool) {
	n := len(ring)
	py, px := int64(p.LatE6), int64(p.LonE6)
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		ay, ax := int64(ring[j].LatE6), int64(ring[j].LonE6)
		by, bx := int64(ring[i].LatE6), int64(ring[i].LonE6)
		cross := (bx-ax)*(py-ay) - (px-ax)*(by-ay)
		if cross == 0 && min(ay, by) <= py && py <= max(ay, by) && min(ax, bx) <= px && px <= max(ax, bx) {
			return false, true
		}
		if (ay > py) != (by > py) && (cross > 0) == (by > ay) {
			inside = !inside
		}
	}
	return inside, false
}
