package crdt

import (
	"math/rand"
	"testing"
)

// genScenario builds a random order history with concurrency: each new event
// is written on a random recent prefix of the history (what its author had
// seen), so claims, assignments, cancels and pickups race (SPEC.md §7).
func genScenario(w *world, rng *rand.Rand) (place *Event, all []*Event) {
	fulfil := FulfilDelivery
	if rng.Intn(8) == 0 {
		fulfil = FulfilCollection
	}
	place = w.place("cust", fulfil)
	all = []*Event{place}
	couriers := []string{"c1", "c2", "c3", "c4", "c1phone", "disp"}
	anyCourier := func() string { return couriers[rng.Intn(len(couriers))] }
	anyKey := func() PubKey { return key([]string{"c1", "c2", "c3", "c4", "disp"}[rng.Intn(5)]) }
	n := 4 + rng.Intn(16)
	for i := 0; i < n; i++ {
		k := len(all) - rng.Intn(min(len(all), 4)) // a prefix: what the author had seen
		view := w.fresh()
		for _, e := range all[:k] {
			view.Apply(e)
		}
		var who string
		var body Payload
		choice := rng.Intn(21)
		if vs, ok := view.Order(place.ID); ok && rng.Intn(5) != 0 {
			// mostly do what the view's state invites
			switch vs.Status {
			case StatusPlaced:
				choice = []int{0, 0, 0, 3, 6, 2}[rng.Intn(6)]
			case StatusAccepted, StatusPreparing, StatusReady:
				choice = []int{9, 10, 11, 12, 12, 13, 14, 14, 4, 5, 3, 17}[rng.Intn(12)]
			case StatusPickedUp:
				choice = []int{15, 15, 15, 16, 9, 19}[rng.Intn(6)]
			case StatusDelivered, StatusFailed, StatusFulfilled:
				choice = []int{18, 18, 19, 20}[rng.Intn(4)]
			}
		}
		if vs, ok := view.Order(place.ID); ok && vs.HasHolder() && rng.Intn(3) != 0 {
			for _, n := range []string{"c1", "c2", "c3", "c4", "disp"} {
				if key(n) == vs.Holder {
					holderName := n
					anyCourier = func() string { return holderName }
				}
			}
		} else {
			anyCourier = func() string { return couriers[rng.Intn(len(couriers))] }
		}
		switch choice {
		case 0, 1:
			who, body = "resto", &OrderAccept{PrepMinutes: uint32(rng.Intn(30))}
		case 2:
			who, body = "resto", &OrderRefuse{Reason: ReasonSoldOut}
		case 3:
			who, body = "resto", &OrderDelay{Minutes: uint32(1 + rng.Intn(30))}
		case 4:
			who, body = "resto", &OrderStartPreparing{}
		case 5:
			who, body = "resto", &OrderReady{}
		case 6:
			who, body = "cust", &OrderCancel{Reason: ReasonCustomer}
		case 7:
			who, body = []string{"resto", "disp"}[rng.Intn(2)], &OrderCancel{Reason: ReasonNoShow}
		case 8:
			who, body = "resto", &OrderRestore{}
		case 9, 10, 11:
			who, body = anyCourier(), &CourierClaim{}
		case 12:
			who, body = []string{"resto", "disp", "resto2"}[rng.Intn(3)], &CourierAssign{Courier: anyKey()}
		case 13:
			who, body = []string{anyCourier(), "resto"}[rng.Intn(2)], &CourierUnassign{}
		case 14:
			who, body = anyCourier(), &TaskPickup{}
		case 15:
			who, body = anyCourier(), &TaskDeliver{Proof: Proof{Recipient: "x"}}
		case 16:
			who, body = anyCourier(), &TaskFail{Task: uint8(1 + rng.Intn(2)), Reason: "r"}
		case 17:
			who, body = []string{"resto", "stranger", "cust2"}[rng.Intn(3)], &OrderFulfil{}
		case 18: // ratings both ways (SPEC.md §21.4)
			who, body = []string{"resto", anyCourier()}[rng.Intn(2)], &OrderFeedback{Of: uint8(1 + rng.Intn(3)), Stars: uint8(rng.Intn(6))}
		case 19:
			who, body = []string{"cust", "resto", anyCourier(), "disp"}[rng.Intn(4)], &IncidentReport{Category: IncidentCategories[rng.Intn(len(IncidentCategories))], Against: uint8(rng.Intn(4))}
		case 20:
			who, body = "cust", &OrderRate{CourierStars: uint8(rng.Intn(6)), RestaurantStars: uint8(1 + rng.Intn(5))}
		}
		all = append(all, w.on(view, who, place.ID, body))
	}
	return place, all
}

func shuffled(rng *rand.Rand, evs []*Event, dupProb float64) []*Event {
	out := append([]*Event(nil), evs...)
	for _, e := range evs {
		if rng.Float64() < dupProb {
			out = append(out, e)
		}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// partitionHeal gives two fresh replicas disjoint random halves of all,
// calls between (if not nil) while they are apart, then heals them by
// offering each the other's half, with duplicates.
func partitionHeal(w *world, rng *rand.Rand, all []*Event, between func(a, b *Replica)) (a, b *Replica) {
	a, b = w.fresh(), w.fresh()
	var sideA, sideB []*Event
	for _, e := range all {
		if rng.Intn(2) == 0 {
			sideA = append(sideA, e)
		} else {
			sideB = append(sideB, e)
		}
	}
	for _, e := range shuffled(rng, sideA, 0) {
		a.Apply(e)
	}
	for _, e := range shuffled(rng, sideB, 0) {
		b.Apply(e)
	}
	if between != nil {
		between(a, b)
	}
	for _, e := range shuffled(rng, sideB, 0.2) {
		a.Apply(e)
	}
	for _, e := range shuffled(rng, sideA, 0.2) {
		b.Apply(e)
	}
	return a, b
}

func checkOneHolder(t *testing.T, s *OrderState) {
	t.Helper()
	live := 0
	for _, c := range s.Claims {
		if c.Outcome == ClaimWon || c.Outcome == ClaimProvisional {
			live++
			if c.Courier != s.Holder {
				t.Fatalf("live claim by %s but holder %s", c.Courier.Short(), s.Holder.Short())
			}
		}
		if c.Outcome == ClaimLost && c.Winner.IsZero() {
			t.Fatalf("lost claim names no winner")
		}
	}
	if live > 1 {
		t.Fatalf("%d live claims: two holders", live)
	}
	if live == 1 && !s.HasHolder() {
		t.Fatal("live claim without holder")
	}
}

// TestOrderConvergence: every permutation, duplication, partition and
// partial-then-complete delivery of one event set gives one state hash, and
// never two holders (SPEC.md §6.5, §7).
func TestOrderConvergence(t *testing.T) {
	cases := 3000
	if testing.Short() {
		cases = 300
	}
	w := newWorld(t)
	rng := rand.New(rand.NewSource(1))
	stats := map[string]int{}
	for c := 0; c < cases; c++ {
		place, all := genScenario(w, rng)
		coop := w.fresh().CoopView(w.coop)
		ref := FoldOrder(all, coop)
		want := ref.Hash()
		checkOneHolder(t, ref)
		stats[ref.Status.String()]++
		if len(ref.Feedback) > 0 {
			stats["feedback"]++
		}
		if len(ref.Incidents) > 0 {
			stats["incident"]++
		}
		if len(ref.Claims) > 1 {
			stats["multi-claim"]++
		}

		// 1. permutations with duplicates into one replica
		for p := 0; p < 6; p++ {
			r := w.fresh()
			for _, e := range shuffled(rng, all, 0.3) {
				r.Apply(e)
			}
			got, _ := r.OrderHash(place.ID)
			if got != want {
				t.Fatalf("case %d perm %d: hash differs\nwant %+v\ngot  %+v", c, p, ref, w.order(r, place.ID))
			}
			checkOneHolder(t, w.order(r, place.ID))
		}

		// 2. partition: two sides see disjoint halves, then heal
		a, b := partitionHeal(w, rng, all, func(a, _ *Replica) {
			if s, ok := a.Order(place.ID); ok {
				checkOneHolder(t, s)
			}
		})
		ha, _ := a.OrderHash(place.ID)
		hb, _ := b.OrderHash(place.ID)
		if ha != want || hb != want {
			t.Fatalf("case %d: partition heal diverged", c)
		}
		if a.StateHash() != b.StateHash() {
			t.Fatalf("case %d: replica hashes differ after heal", c)
		}

		// 3. coop log and order arrive interleaved; then a sync round
		// re-offers everything, as anti-entropy does (SPEC.md §8).
		r := NewReplica(Limits{})
		mixed := shuffled(rng, append(append([]*Event(nil), w.coopLog...), all...), 0.1)
		for _, e := range mixed {
			r.Apply(e)
		}
		for _, e := range shuffled(rng, append(append([]*Event(nil), w.coopLog...), all...), 0) {
			r.Apply(e)
		}
		if got, _ := r.OrderHash(place.ID); got != want {
			t.Fatalf("case %d: interleaved coop+order diverged", c)
		}
		if r.PendingLen() != 0 {
			t.Fatalf("case %d: %d events still pending with the full set", c, r.PendingLen())
		}
	}
	t.Logf("%d scenarios; final statuses %v", cases, stats)
	if stats["feedback"] < cases/50 || stats["incident"] < cases/50 {
		t.Fatalf("generator too tame: %d scenarios with feedback, %d with incidents", stats["feedback"], stats["incident"])
	}
	if stats["multi-claim"] < cases/10 {
		t.Fatalf("generator too tame: only %d scenarios with competing claims", stats["multi-claim"])
	}
}

// TestCompetingClaimsOneWinner: N couriers claim concurrently from the same
// view; whatever order nodes see them in, one holder, everyone else lost
// with that holder named; the restaurant's confirmation decides.
func TestCompetingClaimsOneWinner(t *testing.T) {
	w := newWorld(t)
	rng := rand.New(rand.NewSource(7))
	for c := 0; c < 500; c++ {
		r := w.fresh()
		place := w.place("cust", FulfilDelivery)
		w.mustStore(r, place)
		acc, _ := w.act(r, "resto", place.ID, &OrderAccept{})
		claims := []*Event{}
		for _, who := range []string{"c1", "c2", "c3", "c4"}[:2+rng.Intn(3)] {
			claims = append(claims, w.on(r, who, place.ID, &CourierClaim{})) // same view: concurrent
		}
		// the restaurant confirms the first claim it happened to see
		first := claims[rng.Intn(len(claims))]
		rv := w.fresh()
		w.mustStore(rv, place)
		w.mustStore(rv, acc)
		w.mustStore(rv, first)
		confirm := w.on(rv, "resto", place.ID, &CourierAssign{Courier: first.Author, Claim: first.ID})
		set := append([]*Event{place, acc, confirm}, claims...)
		var hashes [][32]byte
		for p := 0; p < 5; p++ {
			x := w.fresh()
			for _, e := range shuffled(rng, set, 0.2) {
				x.Apply(e)
			}
			s := w.order(x, place.ID)
			checkOneHolder(t, s)
			if s.Holder != first.Author || !s.HolderConfirmed {
				t.Fatalf("holder %s confirmed %v, want the confirmed %s", s.Holder.Short(), s.HolderConfirmed, first.Author.Short())
			}
			for _, cl := range s.Claims {
				if cl.Courier != first.Author && (cl.Outcome != ClaimLost || cl.Winner != first.Author) {
					t.Fatalf("claim %+v should be lost to %s", cl, first.Author.Short())
				}
			}
			h, _ := x.OrderHash(place.ID)
			hashes = append(hashes, h)
		}
		for _, h := range hashes[1:] {
			if h != hashes[0] {
				t.Fatal("hash differs between arrival orders")
			}
		}
	}
}
