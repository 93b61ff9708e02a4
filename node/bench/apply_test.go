package bench

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// applyKey derives a fixed test key from a name.
func applyKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("bench apply test " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// applyEvents seals a coop with a restaurant and orders placed to it: more
// events than one applyChunk, so a pass crosses chunk boundaries.
func applyEvents(t *testing.T, orders int) [][]byte {
	t.Helper()
	admin, resto, cust := applyKey("admin"), applyKey("resto"), applyKey("customer")
	wall := int64(1_790_000_000_000)
	var raws [][]byte
	add := func(k ed25519.PrivateKey, d protocol.Draft) *crdt.Event {
		t.Helper()
		wall += 10
		d.Wall = wall
		e, raw, err := protocol.Seal(k, d)
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, raw)
		return e
	}
	g := add(admin, protocol.Draft{Kind: crdt.KindCoopGenesis, Lamport: 1,
		Body: &crdt.CoopGenesis{Name: "Apply", Admins: []crdt.PubKey{protocol.PubKeyOf(admin)}}})
	add(admin, protocol.Draft{Kind: crdt.KindMemberAdmit, Coop: g.ID, Scope: g.ID, Parents: []crdt.ID{g.ID}, Lamport: 2,
		Body: &crdt.MemberAdmit{Member: protocol.PubKeyOf(resto), Roles: crdt.RoleRestaurant}})
	for i := range orders {
		add(cust, protocol.Draft{Kind: crdt.KindOrderPlace, Coop: g.ID, Lamport: 1, Body: &crdt.OrderPlace{
			Restaurant: protocol.PubKeyOf(resto), Fulfilment: crdt.FulfilDelivery,
			Items:  []crdt.LineItem{{Product: "soup", Name: "Soup", Quantity: 1, UnitCents: 900, TotalCents: 900}},
			Totals: crdt.Totals{ItemsCents: 900, DeliveryCents: 400, TotalCents: 1300},
			Pickup: crdt.Position{LatE6: 47_218_000, LonE6: -1_553_000}, DropoffArea: crdt.Position{LatE6: 47_210_000, LonE6: -1_560_000},
			Note: string(rune('a' + i%26)),
		}})
	}
	return raws
}

// TestApplyPass: a pass through the batched receive path folds every valid
// event, and rejects exactly the one whose signature was tampered with,
// wherever it sits in its chunk.
func TestApplyPass(t *testing.T) {
	raws := applyEvents(t, applyChunk+40)
	now := int64(1_790_000_000_000 + 3_600_000)
	if r, n := applyPass(raws, now); n != len(raws) || r.Len() != len(raws) {
		t.Fatalf("accepted %d, stored %d of %d", n, r.Len(), len(raws))
	}
	bad := bytes.Clone(raws[100])
	bad[len(bad)-5] ^= 1
	tampered := append(append(append([][]byte(nil), raws[:100]...), bad), raws[101:]...)
	if r, n := applyPass(tampered, now); n != len(raws)-1 || r.Len() != len(raws)-1 {
		t.Fatalf("with one bad signature: accepted %d, stored %d of %d", n, r.Len(), len(raws))
	}
}

// TestApplyRate: applyRate reports a positive rate over the whole run.
func TestApplyRate(t *testing.T) {
	raws := applyEvents(t, 20)
	rate, n, err := applyRate(raws, 10*time.Millisecond, time.Now)
	if err != nil || n != len(raws) || rate <= 0 {
		t.Fatalf("rate %v, %d events of %d, %v", rate, n, len(raws), err)
	}
}
