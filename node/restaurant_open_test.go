package node

import (
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// TestRestaurantOpenState: GET /v1/restaurants says whether each
// restaurant takes orders now (its hours in its zone, its closings, its
// enabled switch) and when a closed one opens next (issue 15: the
// customer's "open now" list).
func TestRestaurantOpenState(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	must(t, err)
	tue1230 := time.Date(2026, 12, 1, 12, 30, 0, 0, paris) // a Tuesday
	tue1500 := time.Date(2026, 12, 1, 15, 0, 0, 0, paris)
	lunch := []string{"Mo-Fr 11:30-14:30"}
	for _, c := range []struct {
		name     string
		p        *crdt.CatalogProfile
		now      time.Time
		open     bool
		nextOpen time.Time
	}{
		{"within its hours", &crdt.CatalogProfile{Enabled: true, Hours: lunch}, tue1230, true, time.Time{}},
		{"after its hours", &crdt.CatalogProfile{Enabled: true, Hours: lunch}, tue1500, false, time.Date(2026, 12, 2, 11, 30, 0, 0, paris)},
		{"no hours: always", &crdt.CatalogProfile{Enabled: true}, tue1500, true, time.Time{}},
		{"disabled", &crdt.CatalogProfile{Hours: lunch}, tue1230, false, time.Time{}},
		{"in a closing", &crdt.CatalogProfile{Enabled: true, Hours: lunch, Closings: []crdt.Closing{
			{Start: tue1230.Add(-time.Hour).UnixMilli(), End: tue1230.Add(time.Hour).UnixMilli()}}}, tue1230, false, tue1230.Add(time.Hour)},
		{"bad hours", &crdt.CatalogProfile{Enabled: true, Hours: []string{"whenever"}}, tue1230, false, time.Time{}},
		{"no profile", nil, tue1230, false, time.Time{}},
	} {
		r := Restaurant{Profile: c.p}
		r.openState("Europe/Paris", c.now)
		var want int64
		if !c.nextOpen.IsZero() {
			want = c.nextOpen.UnixMilli()
		}
		if r.Open != c.open || r.NextOpen != want {
			t.Errorf("%s: open %v next %d, want %v %d", c.name, r.Open, r.NextOpen, c.open, want)
		}
	}
}
