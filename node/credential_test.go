package node

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/credential"
	"github.com/coopnode/coopnode/market"
)

// TestWorkRecordTravels: the coop's designated issuer exports a courier's
// work record credential from the logs (a delivery, ratings, a shift); the
// courier's own node verifies it, and so does the admin node of a second
// coop, which admits the courier on it; a tampered copy fails as tampered,
// a copy about someone else as wrong_subject, an export by a node the
// constitution does not designate as not_issuer; the credential package
// checks the same cryptosuite against the W3C vectors (issue 16; SPEC.md
// §21.5, §18).
func TestWorkRecordTravels(t *testing.T) {
	c := newCluster(t, map[string]Role{"resto": RoleRestaurant, "c1": RoleCourier, "c2": RoleCourier, "cust": RoleCustomer})
	ctx := c.ctx
	resto, c1, c2, cust := c.nodes["resto"], c.nodes["c1"], c.nodes["c2"], c.nodes["cust"]
	must(t, c.admin.SetRules(ctx, testRules()))
	must(t, resto.PublishProfile(ctx, crdt.CatalogProfile{Name: "Chez Mia", Position: restoAt, Timezone: "Europe/Paris",
		Fulfilment: crdt.FulfilDelivery, MinOrderCents: 800, PrepMinutes: 12, Enabled: true}))
	must(t, resto.PublishMenu(ctx, testMenu()))
	c.eventually("menu everywhere", func(n *Node) bool {
		rs, err := n.Restaurants(ctx)
		return err == nil && len(rs) == 1 && rs[0].Menu != nil
	})
	if _, err := c.admin.ExportWorkRecord(ctx, WorkRecordRequest{Courier: c1.Key()}); Code(err) != "not_issuer" {
		t.Fatalf("export with no issuer designated: %v", err)
	}
	must(t, c.admin.AmendConstitution(ctx, crdt.Constitution{CredentialIssuer: c.admin.Key()}))
	c.eventually("the issuer everywhere", func(n *Node) bool {
		cs, err := n.CoopState(ctx)
		return err == nil && cs.Constitution.CredentialIssuer == c.admin.Key()
	})

	cart := market.Cart{Restaurant: resto.Key(), Fulfilment: crdt.FulfilDelivery, Dropoff: crdt.Position{LatE6: 47_210_123, LonE6: -1_560_456},
		Items: []market.CartItem{{Product: "wrap", Quantity: 2, Options: []string{"harissa"}}}}
	id, _, err := cust.Checkout(ctx, cart, PersonalData{}, "")
	must(t, err)
	c.eventually("placed", c.has(id))
	must(t, resto.Accept(ctx, id, 0))
	c.eventually("accepted", c.orderIs(id, crdt.StatusAccepted))
	claim, err := c1.Claim(ctx, id, restoAt)
	must(t, err)
	if r, err := c1.AwaitClaim(ctx, id, claim); err != nil || !r.Won {
		t.Fatalf("claim %+v %v", r, err)
	}
	must(t, c1.Pickup(ctx, id))
	must(t, c1.Deliver(ctx, id, crdt.Proof{Recipient: "door"}))
	c.eventually("delivered", c.orderIs(id, crdt.StatusDelivered))
	must(t, cust.Rate(ctx, id, 4, 5, "quick"))
	must(t, resto.RateParty(ctx, id, crdt.PartyCourier, 4, ""))
	must(t, c1.RateParty(ctx, id, crdt.PartyRestaurant, 3, "long wait"))
	c.eventually("ratings at the issuer", func(n *Node) bool {
		s, err := n.Order(ctx, id)
		return n != c.admin || (err == nil && s.Rating != nil && len(s.Feedback) == 2)
	})

	raw, err := c.admin.ExportWorkRecord(ctx, WorkRecordRequest{Courier: c1.Key(), Validity: 30 * 24 * time.Hour})
	must(t, err)
	if _, err := c1.ExportWorkRecord(ctx, WorkRecordRequest{Courier: c1.Key()}); Code(err) != "not_issuer" {
		t.Fatalf("a courier exporting its own record: %v", err)
	}
	// the courier's node: its record, signed by the coop's key
	v, err := c1.VerifyWorkRecord(raw, c1.Key())
	must(t, err)
	c1Key := c1.Key()
	if v.Record.Deliveries != 1 || v.Record.OnTimeShare != 1 || v.Issuer != credential.DIDKey(c.admin.key.Public().(ed25519.PublicKey)) || v.IssuerName != "Test Coop" ||
		v.Subject != credential.DIDKey(c1Key[:]) || v.Record.Ratings != 0 { // two raters: under market.MinRaters, no mean
		t.Fatalf("verified on the courier's node: %+v", v)
	}

	// a second coop's admin node, which follows nothing of the first
	other, err := New(ctx, WithKey(nodeKey("other-admin")), WithRole(RoleAdmin), WithListen("/ip4/127.0.0.1/tcp/0"), WithSyncInterval(-1))
	must(t, err)
	t.Cleanup(func() { _ = other.Close() })
	_, err = other.Found(ctx, crdt.CoopGenesis{Name: "Second Coop", City: "Rennes"})
	must(t, err)
	if _, err := other.VerifyWorkRecord(raw, c2.Key()); Code(err) != "wrong_subject" {
		t.Fatalf("a record about c1 presented for c2: %v (code %q)", err, Code(err))
	}
	tampered := bytes.Replace(raw, []byte(`"deliveries": 1`), []byte(`"deliveries": 100`), 1)
	if bytes.Equal(tampered, raw) {
		t.Fatalf("no deliveries claim to tamper with in\n%s", raw)
	}
	if _, err := other.VerifyWorkRecord(tampered, c1.Key()); Code(err) != "tampered" {
		t.Fatalf("a tampered record: %v (code %q)", err, Code(err))
	}
	v2, err := other.VerifyWorkRecord(raw, c1.Key())
	must(t, err)
	must(t, other.Admit(ctx, c1.Key(), crdt.RoleCourier, "c1 from Test Coop"))
	cs, err := other.CoopState(ctx)
	must(t, err)
	if m, ok := cs.Members[c1.Key()]; !ok || !m.Roles.Has(crdt.RoleCourier) || v2.Issuer != v.Issuer {
		t.Fatalf("the second coop did not admit the courier: %+v", cs.Members)
	}
	// offline, the way coopnode credential verify reads a file
	file := filepath.Join(t.TempDir(), "c1.json")
	must(t, os.WriteFile(file, raw, 0o600))
	b, err := os.ReadFile(file)
	must(t, err)
	if _, err := credential.Verify(b, time.Now()); err != nil {
		t.Fatalf("offline: %v", err)
	}
	if _, err := credential.Verify(b, time.Now().Add(31*24*time.Hour)); Code(err) != "expired" {
		t.Fatalf("after its 30 days: %v", err)
	}
	// the verifier that accepted it accepts the W3C eddsa-jcs-2022 vector
	// and refuses it altered, with the same named reason
	dir := filepath.Join("..", "..", "shared", "vectors", "w3c", "vc-di-eddsa", "TestVectors", "eddsa-jcs-2022")
	vec, err := os.ReadFile(filepath.Join(dir, "signedJCS.json"))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("W3C test vectors missing under CI: %v", err)
		}
		t.Skipf("W3C test vectors not found: %v", err)
	}
	if _, err := credential.VerifyProof(vec); err != nil {
		t.Fatalf("the W3C vector: %v", err)
	}
	if _, err := credential.VerifyProof(bytes.Replace(vec, []byte("Alumni"), []byte("Alumnx"), 1)); Code(err) != "tampered" {
		t.Fatalf("the W3C vector altered: %v", err)
	}
}
