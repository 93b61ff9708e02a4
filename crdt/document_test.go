package crdt

import (
	"errors"
	"testing"
)

// TestCheckDocument (issue 12.7; SPEC.md §5.3.3): a replica given a
// document check rejects, with bad_field, the catalogue documents it
// refuses, from any author and by Precheck, Apply and Simulate alike; other
// kinds and good documents pass; without a check everything passes as
// before.
func TestCheckDocument(t *testing.T) {
	w := newWorld(t)
	check := func(p Payload) error {
		switch b := p.(type) {
		case *CatalogProfile:
			if b.Timezone == "Mars/Olympus" {
				return errors.New("bad zone")
			}
		case *CatalogMenu:
			if len(b.Sections) > 0 && len(b.Sections[0].Products) > 0 && b.Sections[0].Products[0].PriceCents < 0 {
				return errors.New("negative price")
			}
		}
		return nil
	}
	with := NewReplica(Limits{CheckDocument: check})
	without := w.fresh()
	for _, e := range w.coopLog {
		w.mustStore(with, e)
	}
	resto := ID(w.k("resto"))
	badProfile := w.mk(w.k("resto"), KindCatalogProfile, w.coop, resto, nil, 1, &CatalogProfile{Name: "R", Timezone: "Mars/Olympus"})
	badMenu := w.mk(w.k("resto"), KindCatalogMenu, w.coop, resto, nil, 1,
		&CatalogMenu{Sections: []MenuSection{{Products: []Product{{ID: "soup", PriceCents: -1}}}}})
	for _, e := range []*Event{badProfile, badMenu} {
		if st, rs := with.Precheck(e); st != Rejected || rs != ReasonBadField {
			t.Errorf("%s: Precheck %s %s, want rejected bad_field", e.Kind, st, rs)
		}
		if rs := with.Simulate(e); rs != ReasonBadField {
			t.Errorf("%s: Simulate %s", e.Kind, rs)
		}
		if out := with.Apply(e); out.Status != Rejected || out.Reason != ReasonBadField || with.Has(e.ID) {
			t.Errorf("%s: Apply %s %s", e.Kind, out.Status, out.Reason)
		}
		if out := without.Apply(e); out.Status != Stored {
			t.Errorf("%s without a check: %s %s", e.Kind, out.Status, out.Reason)
		}
	}
	good := w.mk(w.k("resto"), KindCatalogProfile, w.coop, resto, nil, 2, &CatalogProfile{Name: "R", Timezone: "Europe/Paris"})
	w.mustStore(with, good)
	w.mustStore(with, w.place("cust", FulfilDelivery)) // other kinds are not judged
}
