package crdt

import (
	"math/rand"
	"testing"
)

// busyDay builds one busy cooperative day (SPEC.md §9.2): orders with the
// full delivery lifecycle and competing claims, about 8 events each.
func busyDay(tb testing.TB, orders int) (*world, []*Event) {
	w := newWorld(tb)
	r := w.fresh()
	rng := rand.New(rand.NewSource(3))
	couriers := []string{"c1", "c2", "c3", "c4"}
	var evs []*Event
	add := func(e *Event) {
		r.Apply(e)
		evs = append(evs, e)
	}
	for i := 0; i < orders; i++ {
		p := w.place("cust", FulfilDelivery)
		add(p)
		add(w.on(r, "resto", p.ID, &OrderAccept{PrepMinutes: 10}))
		c := couriers[rng.Intn(4)]
		add(w.on(r, c, p.ID, &CourierClaim{}))
		add(w.on(r, "resto", p.ID, &CourierAssign{Courier: key(c)}))
		add(w.on(r, "resto", p.ID, &OrderReady{}))
		add(w.on(r, c, p.ID, &TaskStart{Task: TaskDropoffN}))
		add(w.on(r, c, p.ID, &TaskPickup{}))
		add(w.on(r, c, p.ID, &TaskDeliver{Proof: Proof{Recipient: "r"}}))
	}
	return w, evs
}

// BenchmarkFoldBusyDay folds 2,000 orders (16,000 events) into a fresh
// replica, shuffled. Target (issue 2): under 1 s with signature checks; this
// measures the fold alone. See protocol's BenchmarkVerifyApply for both.
func BenchmarkFoldBusyDay(b *testing.B) {
	w, evs := busyDay(b, 2000)
	rng := rand.New(rand.NewSource(1))
	rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := w.fresh()
		for _, e := range evs {
			r.Apply(e)
		}
		if r.PendingLen() != 0 {
			b.Fatal("pending left")
		}
	}
	b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1000, "ms/day")
}
