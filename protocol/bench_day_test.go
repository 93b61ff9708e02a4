package protocol

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/coopnode/coopnode/crdt"
)

// busyDay seals one busy cooperative day: 2,000 orders of 8 events each
// (place, accept, claim, assign, ready, start, pickup, deliver), with the
// coop log first. It returns wire bytes, as a node receives them.
func busyDay(tb testing.TB, orders int) (coop [][]byte, day [][]byte) {
	admin, resto, cust := testKey("day admin"), testKey("day resto"), testKey("day customer")
	couriers := []string{"day c1", "day c2", "day c3", "day c4"}
	r := crdt.NewReplica(crdt.Limits{})
	wall := int64(1_790_000_000_000)
	seal := func(k []byte, d Draft) *crdt.Event {
		wall += 10
		d.Wall = wall
		e, raw := mustSeal(tb, k, d)
		if out := r.Apply(e); out.Status != crdt.Stored {
			tb.Fatalf("%s: %s %s", d.Kind, out.Status, out.Reason)
		}
		if d.Kind.Class() == crdt.ScopeCoop {
			coop = append(coop, raw)
		} else {
			day = append(day, raw)
		}
		return e
	}
	g := seal(admin, Draft{Kind: crdt.KindCoopGenesis, Lamport: 1, Body: &crdt.CoopGenesis{Name: "Day", Admins: []crdt.PubKey{PubKeyOf(admin)}}})
	coopEv := func(body crdt.Payload) {
		h := r.Heads(crdt.ScopeCoop, g.ID)
		seal(admin, Draft{Kind: body.Kind(), Coop: g.ID, Scope: g.ID, Parents: h, Lamport: r.NextLamport(h), Body: body})
	}
	coopEv(&crdt.MemberAdmit{Member: PubKeyOf(resto), Roles: crdt.RoleRestaurant})
	for _, c := range couriers {
		coopEv(&crdt.MemberAdmit{Member: PubKeyOf(testKey(c)), Roles: crdt.RoleCourier})
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < orders; i++ {
		p := seal(cust, Draft{Kind: crdt.KindOrderPlace, Coop: g.ID, Lamport: 1, Body: &crdt.OrderPlace{
			Restaurant: PubKeyOf(resto), Fulfilment: crdt.FulfilDelivery,
			Items:  []crdt.LineItem{{Product: "soup", Name: "Soup", Quantity: 1 + uint32(i%3), UnitCents: 900, TotalCents: 900}},
			Totals: crdt.Totals{ItemsCents: 900, DeliveryCents: 400, TipCents: 100, TotalCents: 1400},
			Pickup: crdt.Position{LatE6: 47_218_000, LonE6: -1_553_000}, DropoffArea: crdt.Position{LatE6: 47_210_000, LonE6: -1_560_000},
			Note: string(rune('a' + i%26)),
		}})
		on := func(k []byte, body crdt.Payload) {
			h := r.Heads(crdt.ScopeOrder, p.ID)
			seal(k, Draft{Kind: body.Kind(), Coop: g.ID, Scope: p.ID, Parents: h, Lamport: r.NextLamport(h), Body: body})
		}
		c := testKey(couriers[rng.Intn(len(couriers))])
		on(resto, &crdt.OrderAccept{PrepMinutes: 10})
		on(c, &crdt.CourierClaim{})
		on(resto, &crdt.CourierAssign{Courier: PubKeyOf(c)})
		on(resto, &crdt.OrderReady{})
		on(c, &crdt.TaskStart{Task: crdt.TaskDropoffN})
		on(c, &crdt.TaskPickup{})
		on(c, &crdt.TaskDeliver{Proof: crdt.Proof{Recipient: "r"}})
	}
	return coop, day
}

// BenchmarkVerifyApplyDay decodes, verifies the signature of, validates and
// folds a busy cooperative day (2,000 orders, 16,000 signed events) on one
// goroutine. Targets (issue 2): at least 15,000 signed events/s per core,
// and the whole day in under 1 s.
func BenchmarkVerifyApplyDay(b *testing.B) {
	coop, day := busyDay(b, 2000)
	now := int64(1_790_000_000_000 + 24*3600*1000) // the evening after: sync mode has no age limit
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := crdt.NewReplica(crdt.Limits{})
		for _, raw := range append(append([][]byte(nil), coop...), day...) {
			res := Validate(raw, now, ModeSync, r)
			if res.Verdict != Accept {
				b.Fatalf("%s", res)
			}
			if out := r.Apply(res.Event); out.Status != crdt.Stored {
				b.Fatalf("apply: %s", out.Status)
			}
		}
	}
	n := float64(len(coop) + len(day))
	b.ReportMetric(n*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1000, "ms/day")
}

// BenchmarkVerifyApplyDayBatch is BenchmarkVerifyApplyDay as a node does
// it with a sync frame: the day arrives in chunks (64 or 512 events); each
// chunk is decoded and its signatures checked in one DecodeBatch, then
// every event is checked against the replica (ValidateDecoded) and folded,
// in order. Same day, same replica, same figures.
func BenchmarkVerifyApplyDayBatch(b *testing.B) {
	coop, day := busyDay(b, 2000)
	all := append(append([][]byte(nil), coop...), day...)
	now := int64(1_790_000_000_000 + 24*3600*1000)
	for _, chunk := range []int{64, 512} {
		b.Run(fmt.Sprintf("chunk=%d", chunk), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := crdt.NewReplica(crdt.Limits{})
				for lo := 0; lo < len(all); lo += chunk {
					events, errs := DecodeBatch(all[lo:min(lo+chunk, len(all))])
					for i, e := range events {
						res := ValidateDecoded(e, errs[i], now, ModeSync, r)
						if res.Verdict != Accept {
							b.Fatalf("%s", res)
						}
						if out := r.Apply(res.Event); out.Status != crdt.Stored {
							b.Fatalf("apply: %s", out.Status)
						}
					}
				}
			}
			n := float64(len(all))
			b.ReportMetric(n*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1000, "ms/day")
		})
	}
}
