package webapp_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/crypto"
	libnet "github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multiaddr"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
)

// cutGate is a connection gater the test switches: cut, it refuses every
// connection in and out, which is the node's network gone.
type cutGate struct{ cut atomic.Bool }

func (g *cutGate) InterceptPeerDial(peer.ID) bool                      { return !g.cut.Load() }
func (g *cutGate) InterceptAddrDial(peer.ID, multiaddr.Multiaddr) bool { return !g.cut.Load() }
func (g *cutGate) InterceptAccept(libnet.ConnMultiaddrs) bool          { return !g.cut.Load() }
func (g *cutGate) InterceptSecured(libnet.Direction, peer.ID, libnet.ConnMultiaddrs) bool {
	return !g.cut.Load()
}
func (g *cutGate) InterceptUpgraded(libnet.Conn) (bool, control.DisconnectReason) {
	return !g.cut.Load(), 0
}

// startGated starts a node whose network the test can cut.
func (c *coop) startGated(name string, role node.Role, g *cutGate) *node.Node {
	lk, err := crypto.UnmarshalEd25519PrivateKey(testKey(name))
	must(c.t, err)
	h, err := node.NewHost(node.HostConfig{Key: lk, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Gater: g})
	must(c.t, err)
	n, err := node.New(c.ctx, node.WithKey(testKey(name)), node.WithHost(h), node.WithRole(role), node.WithCoop(c.id),
		node.WithMDNS(false), node.WithSyncInterval(2e9))
	must(c.t, err)
	c.t.Cleanup(func() { _ = n.Close(); _ = h.Close() })
	must(c.t, n.Connect(c.ctx, peer.AddrInfo{ID: c.admin.ID(), Addrs: c.admin.Host().Addrs()}))
	return n
}

// pageOffline makes every request of the page fail, as when the page
// cannot reach its node.
func pageOffline(off bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}}})
		return err
	})
}

// TestCourierOffline (issue 15, scenario 5) and the courier's earnings:
// the courier holds a delivery. First the page loses its node: "Picked
// up" is kept on the page and sent, in order, once the node answers. Then
// the node loses its network: the page says so, the delivery with the PIN
// is recorded on the courier's node alone (the restaurant does not have
// it), and the page counts it as waiting; when the network is back, it
// reaches the restaurant's and the customer's nodes and the page says
// everything is shared. The earnings screen then shows today's job with
// the pay the coop's rules give it, tip included.
func TestCourierOffline(t *testing.T) {
	c := newCoop(t)
	ctx := c.ctx
	gate := &cutGate{}
	ana := c.startGated("ana", node.RoleCourier, gate)
	must(t, c.admin.Admit(ctx, ana.Key(), crdt.RoleCourier, "Ana"))
	cart := market.Cart{Restaurant: c.resto.Key(), Fulfilment: crdt.FulfilDelivery, TipCents: 200, Dropoff: homePos,
		Items: []market.CartItem{{Product: "wrap", Quantity: 2, Options: []string{"tahini"}}}}
	id, _, err := c.cust.Checkout(ctx, cart, node.PersonalData{Name: "Léa", Address: "3 rue Kervégan", Dropoff: homePos}, "2468")
	must(t, err)
	_, err = c.resto.WaitOrder(ctx, id, func(*crdt.OrderState) bool { return true })
	must(t, err)
	must(t, c.resto.Accept(ctx, id, 10))
	c.claimWon(ana, id)
	must(t, ana.StartTask(ctx, id, 1))

	link := c.serve(ana)
	b := tab{t, newBrowser(t, ctx)}
	ce := watchConsole(t, b)
	task := `.task[data-order="` + id.String() + `"]`
	b.do("the courier's task", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(task+` .pickup`)),
		chromedp.WaitVisible(chromedp.CSS(`.netstate[data-state="online"]`)))

	// the page loses its node: the step waits on the page
	b.do("the page offline", pageOffline(true), chromedp.WaitVisible(chromedp.CSS(`.netstate[data-state="unreachable"]`)))
	b.do("picked up, kept", chromedp.Click(chromedp.CSS(task+` .pickup`)), chromedp.WaitVisible(chromedp.CSS(task+` .queued[data-queued="pickup"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.netstate[data-queued="1"]`)))
	if s, err := ana.Order(ctx, id); err != nil || s.Status == crdt.StatusPickedUp {
		t.Fatalf("picked up while the page could not reach the node: %v %v", s.Status, err)
	}
	b.do("the page back", pageOffline(false), chromedp.WaitVisible(chromedp.CSS(`.netstate[data-state="online"][data-queued="0"]`)),
		chromedp.WaitVisible(chromedp.CSS(task+` .start-dropoff`)))
	if _, err := c.resto.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusPickedUp }); err != nil {
		t.Fatalf("the queued pickup at the restaurant: %v", err)
	}

	// the node loses its network
	gate.cut.Store(true)
	for _, p := range ana.Host().Network().Peers() {
		_ = ana.Host().Network().ClosePeer(p)
	}
	b.do("no network", chromedp.WaitVisible(chromedp.CSS(`.netstate[data-state="offline"]`)))
	b.do("go to the customer", chromedp.Click(chromedp.CSS(task+` .start-dropoff`)), chromedp.WaitVisible(chromedp.CSS(task+` input[name=pin]`)))
	b.do("delivered offline", typeFresh(task+` input[name=pin]`, "2468"), chromedp.Click(chromedp.CSS(task+` .delivered`)),
		chromedp.WaitNotPresent(chromedp.CSS(task)), chromedp.WaitVisible(chromedp.CSS(`.netstate[data-state="offline"][data-pending="2"]`)))
	if s, err := ana.Order(ctx, id); err != nil || s.Status != crdt.StatusDelivered {
		t.Fatalf("on the courier's node: %v %v", s.Status, err)
	}
	if s, err := c.resto.Order(ctx, id); err != nil || s.Status == crdt.StatusDelivered {
		t.Fatalf("the restaurant has a delivery made with no network: %v %v", s.Status, err)
	}

	// the network is back
	gate.cut.Store(false)
	must(t, ana.Connect(ctx, peer.AddrInfo{ID: c.admin.ID(), Addrs: c.admin.Host().Addrs()}))
	for _, n := range []*node.Node{c.resto, c.cust} {
		if _, err := n.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusDelivered }); err != nil {
			t.Fatalf("delivered after reconnecting: %v", err)
		}
	}
	b.do("everything shared", chromedp.WaitVisible(chromedp.CSS(`.netstate[data-state="online"][data-pending="0"]`)))

	// earnings: this week's job (today's too, unless midnight passed
	// since the order), paid by the rules, tip included
	price, err := ana.Price(ctx, id)
	must(t, err)
	b.do("earnings", chromedp.Click(chromedp.CSS(`a[href="#/courier/earnings"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.earnings .figures-card[data-period="week"][data-jobs="1"]`)))
	if got := b.attr(`.figures-card[data-period="week"]`, "data-pay"); got != strconv.FormatInt(price.Pay.TotalCents, 10) {
		t.Fatalf("the week's pay %s, want %d", got, price.Pay.TotalCents)
	}
	if got := b.attr(`.figures-card[data-period="week"]`, "data-tips"); got != strconv.FormatInt(price.Pay.TipCents, 10) || price.Pay.TipCents != 200 {
		t.Fatalf("week's tips %s, want %d (200)", got, price.Pay.TipCents)
	}
	b.do("the job listed", chromedp.WaitVisible(chromedp.CSS(`.jobs-table tr[data-order="`+id.String()+`"]`)))
	ce.check(t)
}
