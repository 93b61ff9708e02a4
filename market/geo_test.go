package market

import (
	"math"
	"math/big"
	"math/rand"
	"testing"

	"github.com/coopnode/coopnode/crdt"
)

func TestCosTable(t *testing.T) {
	for d := 0; d <= 90; d++ {
		want := int64(math.Round(math.Cos(float64(d)*math.Pi/180) * 1e6))
		if cosTable[d] != want {
			t.Errorf("cosTable[%d] = %d, want %d", d, cosTable[d], want)
		}
	}
}

func TestIsqrt(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 100_000; i++ {
		n := rng.Uint64() >> uint(rng.Intn(64))
		r := isqrt(n)
		if r*r > n || (r+1)*(r+1) <= n && r+1 < 1<<32 {
			t.Fatalf("isqrt(%d) = %d", n, r)
		}
	}
	for _, n := range []uint64{0, 1, 2, 3, 4, 15, 16, 17, 1<<62 - 1, 1 << 62, math.MaxUint64} {
		r := new(big.Int).Sqrt(new(big.Int).SetUint64(n)).Uint64()
		if isqrt(n) != r {
			t.Fatalf("isqrt(%d) = %d, want %d", n, isqrt(n), r)
		}
	}
}

// refDistance is the distance formula of SPEC.md §16.4.1 transcribed
// with math/big: an independent check of the integer implementation.
func refDistance(a, b crdt.Position) uint32 {
	bi := big.NewInt
	dLat := new(big.Int).Abs(bi(int64(a.LatE6) - int64(b.LatE6)))
	dLon := new(big.Int).Abs(bi(int64(a.LonE6) - int64(b.LonE6)))
	if dLon.Cmp(bi(180_000_000)) > 0 {
		dLon.Sub(bi(360_000_000), dLon)
	}
	mid := new(big.Int).Abs(bi(int64(a.LatE6) + int64(b.LatE6)))
	mid.Quo(mid, bi(2))
	deg, frac := new(big.Int).QuoRem(mid, bi(1_000_000), new(big.Int))
	c := bi(0)
	if deg.Int64() < 90 {
		c0, c1 := bi(cosTable[deg.Int64()]), bi(cosTable[deg.Int64()+1])
		delta := new(big.Int).Mul(new(big.Int).Sub(c0, c1), frac)
		c.Sub(c0, delta.Quo(delta, bi(1_000_000)))
	}
	x := new(big.Int).Mul(dLon, c)
	x.Quo(x, bi(1_000_000))
	s := new(big.Int).Add(new(big.Int).Mul(x, x), new(big.Int).Mul(dLat, dLat))
	s.Sqrt(s)
	m := s.Mul(s, bi(MetresPerDegree))
	m.Add(m, bi(500_000)).Quo(m, bi(1_000_000))
	return uint32(m.Int64())
}

func haversine(a, b crdt.Position) float64 {
	la1, lo1 := float64(a.LatE6)/1e6*math.Pi/180, float64(a.LonE6)/1e6*math.Pi/180
	la2, lo2 := float64(b.LatE6)/1e6*math.Pi/180, float64(b.LonE6)/1e6*math.Pi/180
	h := math.Pow(math.Sin((la2-la1)/2), 2) + math.Cos(la1)*math.Cos(la2)*math.Pow(math.Sin((lo2-lo1)/2), 2)
	return 2 * 6_371_000 * math.Asin(math.Min(1, math.Sqrt(h)))
}

// TestDistance: the integer formula equals its big-integer transcription
// everywhere, and is within 0.1 % (or 2 m) of the great circle for city
// distances below 70° of latitude.
func TestDistance(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	worst := 0.0
	for i := 0; i < 200_000; i++ {
		var a, b crdt.Position
		if i%4 == 0 { // anywhere on the globe
			a = crdt.Position{LatE6: int32(rng.Int63n(180_000_001) - 90_000_000), LonE6: int32(rng.Int63n(360_000_001) - 180_000_000)}
			b = crdt.Position{LatE6: int32(rng.Int63n(180_000_001) - 90_000_000), LonE6: int32(rng.Int63n(360_000_001) - 180_000_000)}
		} else { // a city trip
			a = crdt.Position{LatE6: int32(rng.Int63n(140_000_001) - 70_000_000), LonE6: int32(rng.Int63n(360_000_001) - 180_000_000)}
			b = crdt.Position{LatE6: a.LatE6 + int32(rng.Int63n(1_800_001)-900_000), LonE6: a.LonE6 + int32(rng.Int63n(1_800_001)-900_000)}
			b = clampPos(b)
		}
		d := DistanceM(a, b)
		if ref := refDistance(a, b); d != ref {
			t.Fatalf("DistanceM(%v, %v) = %d, reference %d", a, b, d, ref)
		}
		if d != DistanceM(b, a) {
			t.Fatalf("not symmetric: %v %v", a, b)
		}
		if i%4 != 0 && math.Abs(float64(a.LatE6)) < 70e6 && math.Abs(float64(b.LatE6)) < 70e6 {
			h := haversine(a, b)
			if h > 100_000 {
				continue
			}
			if e := math.Abs(float64(d) - h); e > 2 && e/h > 0.001 {
				t.Fatalf("DistanceM(%v, %v) = %d, great circle %.1f", a, b, d, h)
			} else if h > 1000 && e/h > worst {
				worst = e / h
			}
		}
	}
	t.Logf("worst relative error over 1 km: %.5f%%", worst*100)
	for _, v := range []struct {
		a, b crdt.Position
		want uint32
	}{
		{crdt.Position{}, crdt.Position{LatE6: 1_000_000}, 111_195},
		{crdt.Position{}, crdt.Position{LonE6: 1_000_000}, 111_195},
		{crdt.Position{LonE6: 179_999_000}, crdt.Position{LonE6: -179_999_000}, 222}, // across the antimeridian
		{restoPos, nearDrop, 600}, // SPEC.md §16.4.1 vector
		{crdt.Position{LatE6: 48_856_600, LonE6: 2_352_200}, crdt.Position{LatE6: 45_764_000, LonE6: 4_835_700}, 391_549}, // Paris–Lyon
		{crdt.Position{LatE6: 90_000_000}, crdt.Position{LatE6: 90_000_000, LonE6: 90_000_000}, 0},
		{crdt.Position{LatE6: 95_000_000}, crdt.Position{LatE6: 90_000_000}, 0}, // clamped
	} {
		if got := DistanceM(v.a, v.b); got != v.want {
			t.Errorf("DistanceM(%v, %v) = %d, want %d", v.a, v.b, got, v.want)
		}
	}
}

func TestCoarse(t *testing.T) {
	for _, c := range []struct{ in, want crdt.Position }{
		{crdt.Position{LatE6: 47_213_400, LonE6: -1_556_600}, crdt.Position{LatE6: 47_215_000, LonE6: -1_555_000}},
		{crdt.Position{LatE6: 2_500, LonE6: -2_500}, crdt.Position{LatE6: 5_000, LonE6: -5_000}},
		{crdt.Position{LatE6: 2_499, LonE6: -2_499}, crdt.Position{}},
		{crdt.Position{LatE6: 90_000_000, LonE6: -180_000_000}, crdt.Position{LatE6: 90_000_000, LonE6: -180_000_000}},
	} {
		if got := Coarse(c.in); got != c.want {
			t.Errorf("Coarse(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func pos(lat, lon int32) crdt.Position { return crdt.Position{LatE6: lat, LonE6: lon} }

func TestInZoneShapes(t *testing.T) {
	// a U: the notch (lat 4..10, lon 4..6) is outside
	u := &crdt.Zone{Name: "u", Rings: [][]crdt.Position{{pos(0, 0), pos(0, 10), pos(10, 10), pos(10, 6), pos(4, 6), pos(4, 4), pos(10, 4), pos(10, 0)}}}
	// a square with a square hole, and a separate island
	donut := &crdt.Zone{Name: "donut", Rings: [][]crdt.Position{rect(0, 0, 10, 10), rect(3, 3, 7, 7), rect(20, 20, 22, 22)}}
	for _, c := range []struct {
		z    *crdt.Zone
		p    crdt.Position
		want bool
	}{
		{u, pos(2, 5), true}, {u, pos(6, 5), false}, {u, pos(6, 2), true}, {u, pos(6, 8), true}, {u, pos(11, 5), false},
		{u, pos(4, 5), true},   // on the notch's bottom edge
		{u, pos(10, 6), true},  // a vertex
		{u, pos(7, 4), true},   // on a notch side
		{u, pos(10, 2), true},  // on the top edge
		{u, pos(-1, 5), false}, // below
		{u, pos(4, -1), false}, // level with a vertex, outside
		{u, pos(4, 11), false}, // level with a vertex, outside to the east
		{donut, pos(1, 1), true}, {donut, pos(5, 5), false}, {donut, pos(3, 5), true}, {donut, pos(21, 21), true},
		{donut, pos(15, 15), false}, {donut, pos(7, 7), true},
	} {
		if got := InZone(c.z, c.p); got != c.want {
			t.Errorf("%s %v: %v, want %v", c.z.Name, c.p, got, c.want)
		}
	}
}

// refInRing is a winding-number test with an explicit on-segment check,
// a different algorithm from the implementation's crossing count.
func refInRing(ring []crdt.Position, p crdt.Position) (inside, edge bool) {
	wn := 0
	orient := func(a, b, c crdt.Position) *big.Int {
		x := new(big.Int).Mul(big.NewInt(int64(b.LonE6)-int64(a.LonE6)), big.NewInt(int64(c.LatE6)-int64(a.LatE6)))
		y := new(big.Int).Mul(big.NewInt(int64(c.LonE6)-int64(a.LonE6)), big.NewInt(int64(b.LatE6)-int64(a.LatE6)))
		return x.Sub(x, y)
	}
	for i := range ring {
		a, b := ring[i], ring[(i+1)%len(ring)]
		o := orient(a, b, p).Sign()
		if o == 0 && min(a.LatE6, b.LatE6) <= p.LatE6 && p.LatE6 <= max(a.LatE6, b.LatE6) &&
			min(a.LonE6, b.LonE6) <= p.LonE6 && p.LonE6 <= max(a.LonE6, b.LonE6) {
			return false, true
		}
		if a.LatE6 <= p.LatE6 {
			if b.LatE6 > p.LatE6 && o < 0 {
				wn++
			}
		} else if b.LatE6 <= p.LatE6 && o > 0 {
			wn--
		}
	}
	return wn != 0, false
}

// starRing makes a simple (often concave) polygon around c.
func starRing(rng *rand.Rand, c crdt.Position, n int, radius float64) []crdt.Position {
	var out []crdt.Position
	for i := 0; i < n; i++ {
		a := 2 * math.Pi * (float64(i) + rng.Float64()*0.8) / float64(n)
		r := radius * (0.2 + rng.Float64())
		out = append(out, crdt.Position{LatE6: c.LatE6 + int32(r*math.Sin(a)), LonE6: c.LonE6 + int32(r*math.Cos(a))})
	}
	return out
}

func TestInZoneMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	c := restoPos
	for z := 0; z < 300; z++ {
		ring := starRing(rng, c, 3+rng.Intn(20), 30_000)
		zone := &crdt.Zone{Name: "z", Rings: [][]crdt.Position{ring}}
		for i := 0; i < 300; i++ {
			var p crdt.Position
			switch i % 3 {
			case 0: // a vertex, or a point on an edge
				a, b := ring[rng.Intn(len(ring))], ring[rng.Intn(len(ring))]
				p = a
				if (b.LatE6-a.LatE6)%2 == 0 && (b.LonE6-a.LonE6)%2 == 0 {
					p = crdt.Position{LatE6: (a.LatE6 + b.LatE6) / 2, LonE6: (a.LonE6 + b.LonE6) / 2}
				}
			case 1: // level with a vertex
				p = crdt.Position{LatE6: ring[rng.Intn(len(ring))].LatE6, LonE6: c.LonE6 + int32(rng.Intn(80_000)-40_000)}
			default:
				p = crdt.Position{LatE6: c.LatE6 + int32(rng.Intn(80_000)-40_000), LonE6: c.LonE6 + int32(rng.Intn(80_000)-40_000)}
			}
			in, edge := refInRing(ring, p)
			if got := InZone(zone, p); got != (in || edge) {
				t.Fatalf("zone %v point %v: %v, reference %v (edge %v)", ring, p, got, in, edge)
			}
		}
	}
}
