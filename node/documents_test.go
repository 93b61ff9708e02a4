package node

import (
	"crypto/ed25519"
	"crypto/sha256"
	"testing"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// TestGateRefusesBadDocuments (issue 12.7): a catalogue document from
// another node that checkout could not use is rejected at the gate
// (bad_field) in every mode, as publishing it here is refused; a good one
// is stored.
func TestGateRefusesBadDocuments(t *testing.T) {
	key := func(name string) ed25519.PrivateKey {
		seed := sha256.Sum256([]byte("documents test " + name))
		return ed25519.NewKeyFromSeed(seed[:])
	}
	admin, resto := key("admin"), key("resto")
	const now = 1_795_000_000_000
	r := newReplica()
	seal := func(priv ed25519.PrivateKey, d protocol.Draft) []byte {
		t.Helper()
		d.Wall = now
		_, raw, err := protocol.Seal(priv, d)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	store := func(raw []byte) {
		t.Helper()
		res := protocol.Validate(raw, now, protocol.ModeSync, r)
		if res.Verdict != protocol.Accept {
			t.Fatalf("%v", res)
		}
		if out := r.Apply(res.Event); out.Status != crdt.Stored {
			t.Fatalf("%s: %s %s", res.Event.Kind, out.Status, out.Reason)
		}
	}
	gen := seal(admin, protocol.Draft{Kind: crdt.KindCoopGenesis, Lamport: 1,
		Body: &crdt.CoopGenesis{Name: "Coop", Admins: []crdt.PubKey{protocol.PubKeyOf(admin)}, Currency: "EUR", Timezone: "Europe/Paris"}})
	store(gen)
	coop := protocol.Validate(gen, now, protocol.ModeSync, nil).Event.ID
	store(seal(admin, protocol.Draft{Coop: coop, Scope: coop, Kind: crdt.KindMemberAdmit, Parents: []crdt.ID{coop}, Lamport: 2,
		Body: &crdt.MemberAdmit{Member: protocol.PubKeyOf(resto), Roles: crdt.RoleRestaurant, Name: "R"}}))
	scope := crdt.ID(protocol.PubKeyOf(resto))
	good := func() *crdt.CatalogProfile {
		return &crdt.CatalogProfile{Name: "Chez Mia", Timezone: "Europe/Paris", Fulfilment: crdt.FulfilDelivery, Enabled: true,
			Position: crdt.Position{LatE6: 47_218_000, LonE6: -1_553_000}, Hours: []string{"Mo-Su 11:00-23:00"}}
	}
	for _, tc := range []struct {
		name string
		body crdt.Payload
	}{
		{"time zone Mars/Olympus", func() crdt.Payload { p := good(); p.Timezone = "Mars/Olympus"; return p }()},
		{"hours 25:99-xx", func() crdt.Payload { p := good(); p.Hours = []string{"25:99-xx"}; return p }()},
		{"latitude 200°", func() crdt.Payload { p := good(); p.Position.LatE6 = 200_000_000; return p }()},
		{"prep time 4294967295", func() crdt.Payload { p := good(); p.PrepMinutes = 4294967295; return p }()},
		{"negative minimum order", func() crdt.Payload { p := good(); p.MinOrderCents = -1; return p }()},
		{"negative price", &crdt.CatalogMenu{Sections: []crdt.MenuSection{{Products: []crdt.Product{{ID: "soup", PriceCents: -1}}}}}},
		{"duplicate product IDs", &crdt.CatalogMenu{Sections: []crdt.MenuSection{{Products: []crdt.Product{{ID: "a"}, {ID: "a"}}}}}},
		{"option min above max", &crdt.CatalogMenu{Sections: []crdt.MenuSection{{Products: []crdt.Product{{ID: "a",
			Options: []crdt.Option{{ID: "o", Min: 2, Max: 1, Values: []crdt.OptionValue{{ID: "v"}, {ID: "w"}}}}}}}}}},
	} {
		raw := seal(resto, protocol.Draft{Coop: coop, Scope: scope, Kind: tc.body.Kind(), Lamport: 1, Body: tc.body})
		for _, mode := range []protocol.Mode{protocol.ModeGossip, protocol.ModeSync, protocol.ModeLocal} {
			res := protocol.Validate(raw, now, mode, r)
			if res.Verdict != protocol.Reject || res.Reason != protocol.Reason(crdt.ReasonBadField) {
				t.Errorf("%s (%s): %v, want reject bad_field", tc.name, mode, res)
			}
		}
	}
	store(seal(resto, protocol.Draft{Coop: coop, Scope: scope, Kind: crdt.KindCatalogProfile, Lamport: 1, Body: good()}))
}
