package webapp_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
	"github.com/coopnode/coopnode/node/httpapi"
)

// The browser tests run real nodes on loopback TCP (an admin that founds
// the coop, a restaurant, a customer), each restaurant or customer with
// its HTTP API and web app on a loopback port, and drive Debian's
// chromium headless with chromedp.

// browserPath finds chromium. Outside CI a machine without it skips the
// browser tests; under CI=true it fails them (GUIDE.md).
func browserPath(t testing.TB) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on PATH: .ci/run installs Debian's chromium package (apt-get install -y chromium)")
	}
	t.Skip("no chromium on PATH (apt-get install -y chromium); under CI=true this fails")
	return ""
}

// newBrowser starts headless chromium and returns a tab's context.
func newBrowser(t testing.TB, ctx context.Context) context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browserPath(t)),
		chromedp.NoSandbox, // tests run as root in CI containers
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("mute-audio", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancel)
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return bctx
}

func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("coopnode webapp test " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

var (
	restoPos = crdt.Position{LatE6: 47_218_000, LonE6: -1_553_000}
	homePos  = crdt.Position{LatE6: 47_210_300, LonE6: -1_560_400}
)

func testRules() crdt.RulesSet {
	city := crdt.Zone{Name: "city", Rings: [][]crdt.Position{{{LatE6: 47_150_000, LonE6: -1_700_000},
		{LatE6: 47_150_000, LonE6: -1_400_000}, {LatE6: 47_300_000, LonE6: -1_400_000}, {LatE6: 47_300_000, LonE6: -1_700_000}}}}
	return crdt.RulesSet{Version: 1, Strategy: crdt.StrategyFind, Zones: []crdt.Zone{city}, ServiceZone: "city",
		Rules: []crdt.PriceRule{{Name: "standard", Target: crdt.TargetAny, FixedCents: 350}},
		Fees:  crdt.PlatformFees{DeliveryBps: 1500, CollectionBps: 800},
		Pay:   crdt.PayRule{BaseCents: 300, TipBps: 2_500, MinCents: 400}, // a tip share the node ignores: the whole tip is the courier's (SPEC.md §20.5)
		Taxes: []crdt.TaxRate{{Category: "food_takeaway", RateBps: 1000}, {Category: "drink", RateBps: 550}},
	}
}

func testMenu() crdt.CatalogMenu {
	return crdt.CatalogMenu{Sections: []crdt.MenuSection{{Name: "Wraps", Products: []crdt.Product{
		{ID: "wrap", Name: "Falafel wrap", PriceCents: 650, TaxCategory: "food_takeaway", Enabled: true, Allergens: []string{"gluten", "sesame"},
			Options: []crdt.Option{{ID: "sauce", Name: "Sauce", Min: 1, Max: 1, Values: []crdt.OptionValue{
				{ID: "tahini", Name: "Tahini", Enabled: true}, {ID: "harissa", Name: "Harissa", PriceCents: 50, Enabled: true}}}}},
		{ID: "lemonade", Name: "Lemonade", PriceCents: 300, TaxCategory: "drink", Enabled: true},
	}}}}
}

// coop is a small cooperative on loopback.
type coop struct {
	t     testing.TB
	ctx   context.Context
	admin *node.Node
	resto *node.Node
	cust  *node.Node
	id    crdt.ID
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newCoop(t testing.TB) *coop {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	c := &coop{t: t, ctx: ctx}
	c.admin = c.start("admin", node.RoleAdmin)
	id, err := c.admin.Found(ctx, crdt.CoopGenesis{Name: "Vélo Coop", City: "Nantes", Currency: "EUR", Timezone: "Europe/Paris"})
	must(t, err)
	c.id = id
	must(t, c.admin.SetRules(ctx, testRules()))
	c.resto = c.start("resto", node.RoleRestaurant)
	must(t, c.admin.Admit(ctx, c.resto.Key(), crdt.RoleRestaurant, "Chez Mia"))
	c.cust = c.start("cust", node.RoleCustomer)
	c.eventually("the restaurant is a member", func() bool { _, ok := c.resto.MemberKey(ctx); return ok })
	must(t, c.resto.PublishProfile(ctx, crdt.CatalogProfile{Name: "Chez Mia", Position: restoPos, Timezone: "Europe/Paris",
		Fulfilment: crdt.FulfilDelivery | crdt.FulfilCollection, Enabled: true, MinOrderCents: 800, PrepMinutes: 12}))
	must(t, c.resto.PublishMenu(ctx, testMenu()))
	c.eventually("catalogue and rules at the customer", func() bool {
		rs, err := c.cust.Restaurants(ctx)
		_, rerr := c.cust.Rules(ctx, 0)
		return err == nil && rerr == nil && len(rs) == 1 && rs[0].Menu != nil && rs[0].Profile != nil
	})
	return c
}

func (c *coop) start(name string, role node.Role, extra ...node.Option) *node.Node {
	opts := []node.Option{node.WithKey(testKey(name)), node.WithRole(role), node.WithListen("/ip4/127.0.0.1/tcp/0"),
		node.WithMDNS(false), node.WithSyncInterval(2 * time.Second)}
	opts = append(opts, extra...)
	if !c.id.IsZero() {
		opts = append(opts, node.WithCoop(c.id))
	}
	n, err := node.New(c.ctx, opts...)
	must(c.t, err)
	c.t.Cleanup(func() { _ = n.Close() })
	if c.admin != nil {
		must(c.t, n.Connect(c.ctx, peer.AddrInfo{ID: c.admin.ID(), Addrs: c.admin.Host().Addrs()}))
	}
	return n
}

// serve starts n's HTTP API and web app on loopback and returns the
// login link.
func (c *coop) serve(n *node.Node) string {
	const token = "web-test-token"
	s, err := httpapi.New(n, token, nil)
	must(c.t, err)
	srv := httptest.NewServer(s)
	c.t.Cleanup(srv.Close)
	return httpapi.LoginURL(strings.TrimPrefix(srv.URL, "http://"), token)
}

// eventually polls cond until it holds or 30 s pass.
func (c *coop) eventually(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: not reached", what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval of a condition wait
	}
}
