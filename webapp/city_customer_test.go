package webapp_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
	"github.com/coopnode/coopnode/node/httpapi"
)

// secondCoop founds "Roue Libre" in Nantes, whose delivery costs 5.00 (the
// first coop's 3.50), with the restaurant "Le Comptoir"; it returns the
// admin and the restaurant.
func secondCoop(c *coop) (admin, resto *node.Node) {
	t, ctx := c.t, c.ctx
	start := func(name string, role node.Role, extra ...node.Option) *node.Node {
		n, err := node.New(ctx, append([]node.Option{node.WithKey(testKey(name)), node.WithRole(role),
			node.WithListen("/ip4/127.0.0.1/tcp/0"), node.WithMDNS(false), node.WithSyncInterval(2 * time.Second)}, extra...)...)
		must(t, err)
		t.Cleanup(func() { _ = n.Close() })
		return n
	}
	admin = start("b-admin", node.RoleAdmin)
	id, err := admin.Found(ctx, crdt.CoopGenesis{Name: "Roue Libre", City: "Nantes", Currency: "EUR", Timezone: "Europe/Paris"})
	must(t, err)
	rules := testRules()
	rules.Rules[0].FixedCents = 500
	must(t, admin.SetRules(ctx, rules))
	resto = start("b-resto", node.RoleRestaurant, node.WithCoop(id))
	must(t, resto.Connect(ctx, peer.AddrInfo{ID: admin.ID(), Addrs: admin.Host().Addrs()}))
	must(t, admin.Admit(ctx, resto.Key(), crdt.RoleRestaurant, "Le Comptoir"))
	c.eventually("the second restaurant is a member", func() bool { _, ok := resto.MemberKey(ctx); return ok })
	must(t, resto.PublishProfile(ctx, crdt.CatalogProfile{Name: "Le Comptoir", Position: restoPos, Timezone: "Europe/Paris",
		Fulfilment: crdt.FulfilDelivery, Enabled: true, PrepMinutes: 10}))
	must(t, resto.PublishMenu(ctx, testMenu()))
	return admin, resto
}

// TestCityCustomerTwoCoops (issue 17.2): the customer's app follows two
// coops of the city from one data folder (node.OpenCity) with one API over
// both (httpapi.CityServer). The second coop is found on the "Coops in
// your city" screen (its card, published before the customer followed the
// city, arrives by card exchange) and followed there: its node starts
// under the folder with a key of its own. The restaurants screen lists both coops'
// restaurants together, each with its coop's name; the customer orders
// from each through the screens, each order is quoted by its coop's rules
// (3.50 and 5.00 delivery) and reaches its own restaurant only.
func TestCityCustomerTwoCoops(t *testing.T) {
	c := newCoop(t)
	ctx := c.ctx
	bAdmin, bResto := secondCoop(c)
	city, err := node.OpenCity(ctx, c.cust, t.TempDir(), testKey("cust"), node.WithRole(node.RoleCustomer),
		node.WithListen("/ip4/127.0.0.1/tcp/0"), node.WithMDNS(false), node.WithSyncInterval(2*time.Second))
	must(t, err)
	t.Cleanup(func() { _ = city.Close() })
	// both coops' admins publish their cards before the customer follows
	// the city; the customer's node meets the second coop's admin on the
	// network (a relay, the local network: here a direct link)
	for _, adm := range []*node.Node{c.admin, bAdmin} {
		_, err := adm.PublishCard(ctx, node.CardInfo{City: "Nantes", Contact: "hello@" + adm.Coop().Short() + ".coop"})
		must(t, err)
	}
	must(t, c.cust.Connect(ctx, peer.AddrInfo{ID: bAdmin.ID(), Addrs: bAdmin.Host().Addrs()}))
	must(t, c.cust.FollowCity(ctx, "Nantes"))
	api, err := httpapi.NewCity(city, "web-test-token", nil)
	must(t, err)
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	link := httpapi.LoginURL(strings.TrimPrefix(srv.URL, "http://"), "web-test-token")
	b := tab{t, newBrowser(t, ctx)}
	ce := watchConsole(t, b)

	// the city screen offers the second coop; following it starts its node
	// under the customer's folder
	bCard := `.coop-card[data-coop="` + bResto.Coop().String() + `"]`
	b.do("the city's coops", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`a[href="#/customer/city"]`)),
		chromedp.Click(chromedp.CSS(`a[href="#/customer/city"]`)), chromedp.WaitVisible(chromedp.CSS(bCard+` .follow-coop`)))
	if b.eval(`document.querySelectorAll('.coop-card.mine .follow-coop').length`) != 0 {
		t.Fatal("the customer's own coop is offered to follow")
	}
	b.do("order from Roue Libre", chromedp.Click(chromedp.CSS(bCard+` .follow-coop`)), chromedp.WaitVisible(chromedp.CSS(bCard+` .followed`)))
	further, ok := city.Node(bResto.Coop())
	if !ok || further.Key() == c.cust.Key() {
		t.Fatalf("the second coop's node: %v", ok)
	}
	c.eventually("the second coop's catalogue at the customer", func() bool {
		rs, err := further.Restaurants(ctx)
		return err == nil && len(rs) == 1 && rs[0].Menu != nil
	})
	card := func(k crdt.PubKey) string { return `.restaurant-card[data-key="` + k.String() + `"]` }
	b.do("both coops' restaurants on one screen", chromedp.Click(chromedp.CSS(bCard+` .followed a`)), chromedp.WaitVisible(chromedp.CSS(`.restaurants[data-count="2"]`)))
	for k, name := range map[crdt.PubKey]string{c.resto.Key(): "Vélo Coop", bResto.Key(): "Roue Libre"} {
		if got := b.text(card(k) + ` .coop-name`); !strings.Contains(got, name) {
			t.Fatalf("restaurant %s shows coop %q, want %q", k.Short(), got, name)
		}
	}
	if got := b.attr(card(bResto.Key()), "data-coop"); got != bResto.Coop().String() {
		t.Fatalf("the second restaurant's card names coop %s", got)
	}
	b.do("where to deliver", typeInto(`#w-addr`, "3 rue Kervégan"), typeInto(`#w-lat`, "47.2103"), typeInto(`#w-lon`, "-1.5604"),
		chromedp.Click(chromedp.CSS(`.set-where`)), chromedp.WaitVisible(chromedp.CSS(card(c.resto.Key())+` .dist`)))

	order := func(resto *node.Node, coopName, fee string) crdt.ID {
		t.Helper()
		wrap := `.product[data-product="wrap"]`
		b.do("the menu of "+coopName, chromedp.Navigate(strings.TrimSuffix(srv.URL, "/")+"/#/customer"),
			chromedp.WaitVisible(chromedp.CSS(card(resto.Key())+` a`)), chromedp.Click(chromedp.CSS(card(resto.Key())+` a`)),
			chromedp.WaitVisible(chromedp.CSS(`.menu-screen[data-restaurant="`+resto.Key().String()+`"] `+wrap+` .add`)))
		if got := b.text(`.menu-screen .coop-name`); !strings.Contains(got, coopName) {
			t.Fatalf("the menu names coop %q, want %q", got, coopName)
		}
		b.do("a wrap and a lemonade", chromedp.Click(chromedp.CSS(wrap+` .add`)), chromedp.Click(chromedp.CSS(wrap+` input[value="tahini"]`)),
			chromedp.Click(chromedp.CSS(wrap+` .add-confirm`)), chromedp.Click(chromedp.CSS(`.product[data-product="lemonade"] .add`)),
			chromedp.WaitVisible(chromedp.CSS(`.quote[data-state="ok"] .delivery-fee`)))
		if got := b.text(`.quote .delivery-fee td`); !strings.Contains(got, fee) {
			t.Fatalf("%s's delivery fee %q, want %s under its rules", coopName, got, fee)
		}
		b.do("checkout", typeInto(`#c-name`, "Léa"), chromedp.Click(chromedp.CSS(`.checkout`)),
			chromedp.WaitVisible(chromedp.CSS(`.tracking[data-status="placed"]`)))
		id, err := crdt.ParseID(b.attr(`.tracking`, "data-order"))
		must(t, err)
		s, err := resto.WaitOrder(ctx, id, func(*crdt.OrderState) bool { return true })
		must(t, err)
		if s.Coop != resto.Coop() {
			t.Fatalf("order %s is of coop %s, want %s", id.Short(), s.Coop.Short(), resto.Coop().Short())
		}
		return id
	}
	idA := order(c.resto, "Vélo Coop", "3.50")
	idB := order(bResto, "Roue Libre", "5.00")
	// each order stays within its coop
	for _, x := range []struct {
		n     *node.Node
		other crdt.ID
	}{{c.resto, idB}, {c.cust, idB}, {bResto, idA}, {further, idA}} {
		if _, err := x.n.Order(ctx, x.other); err == nil {
			t.Fatalf("node %s holds the other coop's order %s", x.n.Key().Short(), x.other.Short())
		}
	}
	// the customer's orders list, over both coops, holds both
	b.do("my orders", chromedp.Navigate(strings.TrimSuffix(srv.URL, "/")+"/#/customer/orders"),
		chromedp.WaitVisible(chromedp.CSS(`[data-order="`+idA.String()+`"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-order="`+idB.String()+`"]`)))
	ce.check(t)
}
