package webapp_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
	"github.com/coopnode/coopnode/node/httpapi"
)

// tileServer is an OpenStreetMap-compatible tile server on loopback: it
// answers /{z}/{x}/{y}.png with a plain tile and records what was asked.
type tileServer struct {
	*httptest.Server
	mu  sync.Mutex
	got map[string]bool
}

func newTileServer(t testing.TB) *tileServer {
	img := image.NewRGBA(image.Rect(0, 0, 256, 256))
	for i := range img.Pix {
		img.Pix[i] = 0xd0
	}
	img.Set(0, 0, color.Black)
	var b bytes.Buffer
	must(t, png.Encode(&b, img))
	ts := &tileServer{got: map[string]bool{}}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var z, x, y int
		if n, _ := fmt.Sscanf(r.URL.Path, "/%d/%d/%d.png", &z, &x, &y); n != 3 {
			http.NotFound(w, r)
			return
		}
		ts.mu.Lock()
		ts.got[fmt.Sprintf("%d/%d/%d", z, x, y)] = true
		ts.mu.Unlock()
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(b.Bytes())
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tileServer) asked(tile string) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.got[tile]
}

// tileOf is the OpenStreetMap tile holding p at zoom z.
func tileOf(p crdt.Position, z int) string {
	n := math.Exp2(float64(z))
	lat := float64(p.LatE6) / 1e6 * math.Pi / 180
	x := int((float64(p.LonE6)/1e6 + 180) / 360 * n)
	y := int((1 - math.Log(math.Tan(lat)+1/math.Cos(lat))/math.Pi) / 2 * n)
	return fmt.Sprintf("%d/%d/%d", z, x, y)
}

// serveWith is coop.serve with the API's options (a tile server).
func (c *coop) serveWith(n *node.Node, opts ...httpapi.Option) string {
	const token = "web-test-token"
	s, err := httpapi.New(n, token, nil, opts...)
	must(c.t, err)
	srv := httptest.NewServer(s)
	c.t.Cleanup(srv.Close)
	return httpapi.LoginURL(strings.TrimPrefix(srv.URL, "http://"), token)
}

// TestCourierJobsMap (issue 15, maps): the courier's node is given a tile
// server on loopback (coopnode run -tiles); its jobs screen switches from
// the list to the map, which shows the courier's position and the job's
// pickup and customer area over tiles asked from that server (the tile
// under the restaurant among them, so the layers line up); the pickup is
// chosen with the keyboard, claimed from the map, and the answer (won) is
// the list's too; the restaurant's node holds the courier.
func TestCourierJobsMap(t *testing.T) {
	c := newCoop(t)
	ctx := c.ctx
	ana := c.start("ana", node.RoleCourier)
	must(t, c.admin.Admit(ctx, ana.Key(), crdt.RoleCourier, "Ana"))
	id := acceptedOrder(c)
	_, err := ana.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusAccepted })
	must(t, err)
	tiles := newTileServer(t)
	link := c.serveWith(ana, httpapi.WithTiles(tiles.URL+"/{z}/{x}/{y}.png", "Test tiles"))
	b := tab{t, newBrowser(t, ctx)}
	job := `.job[data-order="` + id.String() + `"]`
	b.do("jobs near the restaurant, as a list", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`.courier .position`)),
		typeInto(`#c-lat`, "47.2150"), typeInto(`#c-lon`, "-1.5550"), chromedp.Click(chromedp.CSS(`.courier .search`)),
		chromedp.WaitVisible(chromedp.CSS(`ul.jobs `+job+` button.claim`)))
	pt := func(kind string) string {
		return `.jobs-map [data-point="` + kind + `"][data-id="` + id.String() + `"]`
	}
	b.do("as a map", chromedp.Click(chromedp.CSS(`.view-switch .view-map`)),
		chromedp.WaitVisible(chromedp.CSS(`.view-switch .view-map[aria-pressed="true"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.jobs-map .map[data-tiles="on"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.jobs-map [data-point="courier"]`)),
		chromedp.WaitVisible(chromedp.CSS(pt("restaurant"))), chromedp.WaitVisible(chromedp.CSS(pt("home"))))
	if p := b.attr(`.jobs-map [data-point="courier"]`, "data-pos"); p != "47215000,-1555000" {
		t.Fatalf("the courier's own position on the map: %q", p)
	}
	if p := b.attr(pt("restaurant"), "data-pos"); p != fmt.Sprint(restoPos.LatE6, ",", restoPos.LonE6) {
		t.Fatalf("the pickup on the map: %q", p)
	}
	// every tile comes from the coop's tile server, and the one under the
	// restaurant at the map's zoom was asked for
	b.poll(`document.querySelectorAll('.jobs-map .map-tiles image').length > 0 && [...document.querySelectorAll('.jobs-map .map-tiles image')].every(i => i.getAttribute('href').startsWith('` + tiles.URL + `/'))`)
	z := int(b.eval(`Number(document.querySelector('.jobs-map .map-tiles image').getAttribute('href').split('/')[3])`))
	if z < 12 || z > 18 {
		t.Fatalf("tile zoom %d for a map of a few hundred metres", z)
	}
	c.eventually("the tile under the restaurant asked from the tile server", func() bool { return tiles.asked(tileOf(restoPos, z)) })
	if cr := b.text(`.jobs-map .map-credit`); !strings.Contains(cr, "Test tiles") {
		t.Fatalf("credit %q", cr)
	}
	b.do("no job picked yet", chromedp.WaitVisible(chromedp.CSS(`.jobs-map p.hint`)))
	b.do("pick the pickup with the keyboard", chromedp.Focus(chromedp.CSS(pt("restaurant"))), chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS(pt("restaurant")+`[aria-pressed="true"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.jobs-map `+job+` button.claim`)))
	if name := b.attr(pt("restaurant"), "aria-label"); !strings.Contains(name, "Chez Mia") {
		t.Fatalf("the pickup's name for a screen reader: %q", name)
	}
	b.do("claim from the map", chromedp.Click(chromedp.CSS(`.jobs-map `+job+` button.claim`)),
		chromedp.WaitVisible(chromedp.CSS(`.jobs-map `+job+` .claim-outcome[data-outcome="won"]`)))
	b.do("the list says the same", chromedp.Click(chromedp.CSS(`.view-switch .view-list`)),
		chromedp.WaitVisible(chromedp.CSS(`ul.jobs `+job+` .claim-outcome[data-outcome="won"]`)))
	if _, err := c.resto.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Holder == ana.Key() }); err != nil {
		t.Fatalf("holder at the restaurant: %v", err)
	}
}

// TestDispatcherCouriersMap (issue 15, maps): the dispatcher's node (the
// founder, here also the customer of an order, so live tracking reaches
// it, §16.11) has no tile server: its board shows the plain vector map,
// no tile asked, with Ana at the position she sent, joined to her order's
// pickup, which is the open order's too (one marker naming both), and names her with the time she
// was seen; the customer's tracking page draws the same map with her.
// Served again with a tile server that does not answer, the map says so
// and still shows her.
func TestDispatcherCouriersMap(t *testing.T) {
	c := newCoop(t)
	ctx := c.ctx
	ana := c.start("ana", node.RoleCourier)
	must(t, c.admin.Admit(ctx, ana.Key(), crdt.RoleCourier, "Ana"))
	cart := market.Cart{Restaurant: c.resto.Key(), Fulfilment: crdt.FulfilDelivery, Dropoff: homePos,
		Items: []market.CartItem{{Product: "wrap", Quantity: 2, Options: []string{"tahini"}}}}
	mine, _, err := c.admin.Checkout(ctx, cart, node.PersonalData{Name: "Camille", Dropoff: homePos}, "1234")
	must(t, err)
	_, err = c.resto.WaitOrder(ctx, mine, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusPlaced })
	must(t, err)
	must(t, c.resto.Accept(ctx, mine, 10))
	_, err = ana.WaitOrder(ctx, mine, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusAccepted })
	must(t, err)
	claim, err := ana.Claim(ctx, mine, restoPos)
	must(t, err)
	_, err = ana.AwaitClaim(ctx, mine, claim)
	must(t, err)
	_, err = c.admin.WaitOrder(ctx, mine, func(s *crdt.OrderState) bool { return s.Holder == ana.Key() })
	must(t, err)
	open := acceptedOrder(c)
	at := crdt.Position{LatE6: 47_214_000, LonE6: -1_556_500}
	c.eventually("Ana's position reaches the dispatcher's node", func() bool {
		_, _ = ana.UpdatePosition(ctx, at) // ephemeral gossip: sent again (at most every 4 s) until seen
		tr, err := c.admin.Tracking(ctx, mine)
		return err == nil && tr.Position == at
	})
	_, err = c.admin.WaitOrder(ctx, open, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusAccepted })
	must(t, err)

	link := c.serve(c.admin)
	// a tile server that does not answer (served before the browser
	// starts, so closed after it)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	dead := "http://" + ln.Addr().String() + "/{z}/{x}/{y}.png"
	must(t, ln.Close())
	link2 := c.serveWith(c.admin, httpapi.WithTiles(dead, ""))
	b := tab{t, newBrowser(t, ctx)}
	courier := `.dispatch-map [data-point="courier"][data-id="` + ana.Key().String() + `"]`
	b.do("the board and its map", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`.nav a[href="#/dispatch"]`)),
		chromedp.Click(chromedp.CSS(`.nav a[href="#/dispatch"]`)), chromedp.WaitVisible(chromedp.CSS(`.dispatch .live.on`)),
		chromedp.WaitVisible(chromedp.CSS(`.dispatch-map .map[data-tiles="off"]`)), chromedp.WaitVisible(chromedp.CSS(courier)),
		chromedp.WaitVisible(chromedp.CSS(`.dispatch-map .map-line.map-job`)),
		chromedp.WaitVisible(chromedp.CSS(`.dcol[data-courier="`+ana.Key().String()+`"] .dcard[data-order="`+mine.String()+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.dcol[data-courier=""] .dcard[data-order="`+open.String()+`"]`)))
	if p := b.attr(courier, "data-pos"); p != "47214000,-1556500" {
		t.Fatalf("Ana on the map at %q", p)
	}
	// both orders are picked up at Chez Mia: one marker, both named
	if n := b.eval(`document.querySelectorAll('.dispatch-map [data-point="restaurant"]').length`); n != 1 {
		t.Fatalf("%v pickup markers on the map, want 1 (Ana's next stop and the open order's, both at Chez Mia)", n)
	}
	l, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('.dispatch-map [data-point="restaurant"] text').textContent`))
	must(t, err)
	if !strings.Contains(l, "#"+strings.ToUpper(mine.String()[:6])) ||
		!strings.Contains(l, "#"+strings.ToUpper(open.String()[:6])) {
		t.Fatalf("the pickup's label %q names not both orders", l)
	}
	if n := b.eval(`document.querySelectorAll('.dispatch-map image').length`); n != 0 {
		t.Fatalf("%v tiles without a tile server", n)
	}
	if s := b.text(`.dispatch-map .seen li[data-courier="` + ana.Key().String() + `"]`); !strings.Contains(s, "Ana, seen at") {
		t.Fatalf("seen: %q", s)
	}
	b.do("the customer's tracking map", chromedp.Navigate(strings.Split(link, "/login")[0]+"/#/customer/order/"+mine.String()),
		chromedp.WaitVisible(chromedp.CSS(`.tracking .map[data-tiles="off"] [data-point="courier"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.tracking .map [data-point="restaurant"]`)))

	// the tile server that does not answer: nothing on the map is lost
	b.do("tiles that fail", chromedp.Navigate(link2), chromedp.WaitVisible(chromedp.CSS(`.nav a[href="#/dispatch"]`)),
		chromedp.Click(chromedp.CSS(`.nav a[href="#/dispatch"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.dispatch-map .map[data-tiles="failed"] .map-failed`)), chromedp.WaitVisible(chromedp.CSS(courier)))
	if cr := b.text(`.dispatch-map .map-credit`); !strings.Contains(cr, httpapi.DefaultTileAttribution) {
		t.Fatalf("credit %q", cr)
	}
}
