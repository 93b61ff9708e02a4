package crdt

import (
	"math/rand"
	"testing"
)

// coopAt builds a coop event by who at wall on r's view, applies it, and
// returns why it was left out: the gate's reason or the fold's.
func (w *world) coopAt(r *Replica, who string, wall int64, body Payload) (*Event, Reason) {
	parents := r.Heads(ScopeCoop, w.coop)
	e := w.mk(key(who), body.Kind(), w.coop, w.coop, parents, r.NextLamport(parents), body)
	e.Wall = wall
	if out := r.Apply(e); out.Status == Rejected {
		return e, out.Reason
	}
	for _, x := range r.CoopView(w.coop).Rejected {
		if x.Event == e.ID {
			return e, x.Reason
		}
	}
	return e, ReasonOK
}

// TestShiftRefusals: each refusal of SPEC.md §21.1.4 in turn, with the
// successes between them, and the seats they leave.
func TestShiftRefusals(t *testing.T) {
	w := newWorld(t)
	r := w.fresh()
	t0 := w.baseWall + 100*minute
	start, end := t0+180*minute, t0+300*minute
	plan := &ShiftPlan{Start: start, End: end, Zone: "centre", Needed: 2, GuaranteeCents: 1200}
	var a, b, offer, offer2 *Event
	var rs Reason
	step := func(name, who string, wall int64, body Payload, want Reason) *Event {
		t.Helper()
		e, got := w.coopAt(r, who, wall, body)
		if got != want {
			t.Fatalf("%s: %s by %s: reason %q, want %q", name, body.Kind(), who, got, want)
		}
		return e
	}
	step("a courier plans", "c1", t0, plan, ReasonNotPlanner)
	step("a dispatcher plans before the constitution lets it", "disp", t0, plan, ReasonNotPlanner)
	step("a stranger plans", "stranger", t0, plan, ReasonNotMember)
	step("shift ends before it starts", "admin", t0, &ShiftPlan{Start: end, End: start, Needed: 1}, ReasonBadField)
	step("shift over already", "admin", t0, &ShiftPlan{Start: t0 - 120*minute, End: t0 - 60*minute, Needed: 1}, ReasonBadField)
	step("no seats", "admin", t0, &ShiftPlan{Start: start, End: end}, ReasonBadField)
	step("a constitution with a bad planner role", "admin", t0, &ConstitutionAmend{Constitution: Constitution{ShiftPlanners: 1 << 9}}, ReasonBadField)
	step("the constitution lets dispatchers plan", "admin", t0, &ConstitutionAmend{Constitution: Constitution{ShiftPlanners: RoleDispatcher, DropNoticeMin: 60, HeadStartSec: 90}}, ReasonOK)
	a = step("a dispatcher plans", "disp", t0+minute, plan, ReasonOK)
	b = step("the admin plans another", "admin", t0+minute, &ShiftPlan{Start: end, End: end + 120*minute, Needed: 1}, ReasonOK)
	step("a restaurant signs up", "resto", t0+2*minute, &ShiftSignup{Shift: a.ID}, ReasonNotCourier)
	step("sign-up to no shift", "c1", t0+2*minute, &ShiftSignup{Shift: ID(key("nothing"))}, ReasonUnknownShift)
	step("c1 signs up with its phone", "c1phone", t0+2*minute, &ShiftSignup{Shift: a.ID}, ReasonOK)
	step("c1 signs up again", "c1", t0+2*minute, &ShiftSignup{Shift: a.ID}, ReasonOnShift)
	step("c2 signs up", "c2", t0+3*minute, &ShiftSignup{Shift: a.ID}, ReasonOK)
	step("c3 finds it full", "c3", t0+3*minute, &ShiftSignup{Shift: a.ID}, ReasonShiftFull)
	step("c3 drops a seat it lacks", "c3", t0+3*minute, &ShiftDrop{Shift: a.ID}, ReasonNotOnShift)
	step("c2 drops too late", "c2", start-59*minute, &ShiftDrop{Shift: a.ID}, ReasonShortNotice)
	step("c2 drops in time", "c2", start-60*minute, &ShiftDrop{Shift: a.ID, Reason: "exam"}, ReasonOK)
	step("c3 takes the freed seat", "c3", start-50*minute, &ShiftSignup{Shift: a.ID}, ReasonOK)
	step("c2 offers a seat it lacks", "c2", start-50*minute, &ShiftOffer{Shift: a.ID}, ReasonNotOnShift)
	step("c1 offers to a restaurant", "c1", start-50*minute, &ShiftOffer{Shift: a.ID, To: key("resto")}, ReasonNotCourier)
	step("c1 offers to itself", "c1", start-50*minute, &ShiftOffer{Shift: a.ID, To: key("c1")}, ReasonBadField)
	step("c1 offers in exchange for no shift", "c1", start-50*minute, &ShiftOffer{Shift: a.ID, For: ID(key("none"))}, ReasonUnknownShift)
	offer = step("c1 offers its seat to c4", "c1", start-40*minute, &ShiftOffer{Shift: a.ID, To: key("c4")}, ReasonOK)
	step("c2 accepts an offer to c4", "c2", start-30*minute, &ShiftAccept{Offer: offer.ID}, ReasonNotOffered)
	step("accept no offer", "c4", start-30*minute, &ShiftAccept{Offer: ID(key("nothing"))}, ReasonUnknownOffer)
	step("c4 accepts after the start", "c4", start, &ShiftAccept{Offer: offer.ID}, ReasonShiftStarted)
	step("c4 accepts", "c4", start-30*minute, &ShiftAccept{Offer: offer.ID}, ReasonOK)
	step("c4 accepts again", "c4", start-30*minute, &ShiftAccept{Offer: offer.ID}, ReasonOfferClosed)
	step("c4 offers after the start", "c4", start+minute, &ShiftOffer{Shift: a.ID}, ReasonShiftStarted)
	step("c1 signs up to the later shift", "c1", start-20*minute, &ShiftSignup{Shift: b.ID}, ReasonOK)
	offer2 = step("c3 offers its seat for c1's on the later shift", "c3", start-20*minute, &ShiftOffer{Shift: a.ID, For: b.ID}, ReasonOK)
	step("c2 lacks a seat on the later shift", "c2", start-10*minute, &ShiftAccept{Offer: offer2.ID}, ReasonNotOnShift)
	step("c1 swaps", "c1", start-10*minute, &ShiftAccept{Offer: offer2.ID}, ReasonOK)
	step("sign-up after the end", "c2", end, &ShiftSignup{Shift: a.ID}, ReasonShiftOver)
	_ = rs

	cs := r.CoopView(w.coop)
	seats := func(id ID) []PubKey {
		var out []PubKey
		for _, s := range cs.Shifts[id].Seats {
			out = append(out, s.Courier)
		}
		return out
	}
	if got := seats(a.ID); len(got) != 2 || got[0] != key("c4") || got[1] != key("c1") {
		t.Fatalf("shift a seats %v, want c4 then c1", got)
	}
	if got := seats(b.ID); len(got) != 1 || got[0] != key("c3") {
		t.Fatalf("shift b seats %v, want c3", got)
	}
	if got := cs.Shifts[a.ID].Left; len(got) != 3 {
		t.Fatalf("shift a left %+v, want c2, c1 and c3", got)
	}
	if on := cs.OnShift(key("c4"), start+minute); len(on) != 1 || on[0].ID != a.ID {
		t.Fatalf("c4 on shift: %v", on)
	}
	if on := cs.OnShift(key("c4"), end); len(on) != 0 {
		t.Fatalf("c4 on shift after the end: %v", on)
	}
}

// genShifts builds a random shift history: plans, sign-ups racing for the
// last seats, drops near the notice limit, offers and acceptances, some to
// named couriers or in exchange, and constitution changes, each written on
// a random recent prefix of the history (what its author had seen).
func genShifts(w *world, rng *rand.Rand) []*Event {
	t0 := w.baseWall + 60*minute
	var all, shifts, offers []*Event
	view := func() *Replica {
		k := max(len(all)-rng.Intn(min(len(all), 3)+1), 0)
		r := w.fresh()
		for _, e := range all[:k] {
			r.Apply(e)
		}
		return r
	}
	add := func(r *Replica, who string, wall int64, body Payload) *Event {
		parents := r.Heads(ScopeCoop, w.coop)
		e := w.mk(key(who), body.Kind(), w.coop, w.coop, parents, r.NextLamport(parents), body)
		e.Wall = wall
		all = append(all, e)
		return e
	}
	pick := func(xs ...string) string { return xs[rng.Intn(len(xs))] }
	couriers := []string{"c1", "c2", "c3", "c4", "disp", "c1phone", "resto"}
	// seated picks, two times in three, a courier seated on the shift in
	// r's view
	seated := func(r *Replica, id ID) string {
		if s, ok := r.CoopView(w.coop).Shifts[id]; ok && len(s.Seats) > 0 && rng.Intn(3) != 0 {
			k := s.Seats[rng.Intn(len(s.Seats))].Courier
			for _, n := range couriers {
				if key(n) == k {
					return n
				}
			}
		}
		return pick(couriers...)
	}
	n := 15 + rng.Intn(30)
	for i := 0; i < n; i++ {
		r := view()
		c := rng.Intn(20)
		switch {
		case c < 3 || len(shifts) == 0:
			start := t0 + int64(60+rng.Intn(4)*30)*minute
			e := add(r, pick("admin", "admin", "disp", "c1"), t0, &ShiftPlan{Start: start, End: start + 120*minute, Needed: uint32(1 + rng.Intn(3))})
			shifts = append(shifts, e)
		case c < 4:
			add(r, "admin", t0-minute, &ConstitutionAmend{Constitution: Constitution{ShiftPlanners: RoleDispatcher, DropNoticeMin: uint32(rng.Intn(3) * 30)}})
		case c < 11:
			s := shifts[rng.Intn(len(shifts))]
			add(r, pick(couriers...), t0+int64(rng.Intn(60))*minute, &ShiftSignup{Shift: s.ID})
		case c < 13:
			s := shifts[rng.Intn(len(shifts))]
			add(r, seated(r, s.ID), t0+int64(rng.Intn(70))*minute, &ShiftDrop{Shift: s.ID})
		case c < 16:
			s := shifts[rng.Intn(len(shifts))]
			o := &ShiftOffer{Shift: s.ID}
			if rng.Intn(3) == 0 {
				o.To = key(pick(couriers...))
			}
			if rng.Intn(3) == 0 {
				o.For = shifts[rng.Intn(len(shifts))].ID
			}
			offers = append(offers, add(r, seated(r, s.ID), t0+int64(rng.Intn(60))*minute, o))
		default:
			if len(offers) == 0 {
				continue
			}
			o := offers[rng.Intn(len(offers))]
			add(r, pick(couriers...), o.Wall+int64(rng.Intn(40))*minute, &ShiftAccept{Offer: o.ID})
		}
	}
	return all
}

// checkSeats: no shift seats more couriers than it needs, or one courier
// twice.
func checkSeats(t *testing.T, cs *CoopState) {
	t.Helper()
	for _, s := range cs.Shifts {
		if len(s.Seats) > int(s.Plan.Needed) {
			t.Fatalf("shift %s seats %d of %d", s.ID.Short(), len(s.Seats), s.Plan.Needed)
		}
		seen := map[PubKey]bool{}
		for _, x := range s.Seats {
			if seen[x.Courier] {
				t.Fatalf("shift %s seats %s twice", s.ID.Short(), x.Courier.Short())
			}
			seen[x.Courier] = true
		}
	}
}

// TestShiftConvergence: random shift histories delivered in any order,
// with duplicates and across a partition, give every replica the same
// coop state hash and the same seats as the reference fold (SPEC.md §6.5,
// §21.1).
func TestShiftConvergence(t *testing.T) {
	cases := 2000
	if testing.Short() {
		cases = 200
	}
	w := newWorld(t)
	rng := rand.New(rand.NewSource(20))
	stats := map[string]int{}
	for c := 0; c < cases; c++ {
		all := genShifts(w, rng)
		ref := FoldCoop(append(append([]*Event(nil), w.coopLog...), all...))
		checkSeats(t, ref)
		want := ref.Hash()
		for _, s := range ref.Shifts {
			stats["seats"] += len(s.Seats)
			for _, o := range s.Offers {
				stats["offer "+o.Status]++
			}
		}
		for _, rj := range ref.Rejected {
			stats[string(rj.Reason)]++
		}
		check := func(r *Replica, what string) {
			t.Helper()
			cs := r.CoopView(w.coop)
			if cs.Hash() != want {
				t.Fatalf("case %d %s: coop hash differs", c, what)
			}
			for id, s := range ref.Shifts {
				if !equalValues(cs.Shifts[id].Seats, s.Seats) || !equalValues(cs.Shifts[id].Offers, s.Offers) {
					t.Fatalf("case %d %s: shift %s differs\nwant %+v\ngot  %+v", c, what, id.Short(), s, cs.Shifts[id])
				}
			}
		}
		for p := 0; p < 3; p++ {
			r := w.fresh()
			for _, e := range shuffled(rng, all, 0.3) {
				r.Apply(e)
			}
			check(r, "permutation")
		}
		a, b := partitionHeal(w, rng, all, nil)
		check(a, "partition side a")
		check(b, "partition side b")
	}
	t.Logf("%d histories: %v", cases, stats)
	for _, k := range []string{"offer taken", "offer closed", string(ReasonShiftFull), string(ReasonOnShift), string(ReasonOfferClosed), string(ReasonShortNotice), string(ReasonNotPlanner)} {
		if stats[k] < cases/50 {
			t.Errorf("generator too tame: %q in only %d histories", k, stats[k])
		}
	}
}
