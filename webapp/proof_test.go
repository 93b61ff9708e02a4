package webapp_test

import (
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
)

// bigPhoto writes a 3000×2000 JPEG (a phone camera's size) and returns
// its path.
func bigPhoto(t *testing.T) string {
	img := image.NewRGBA(image.Rect(0, 0, 3000, 2000))
	for y := 0; y < 2000; y++ {
		for x := 0; x < 3000; x++ {
			img.Set(x, y, color.RGBA{uint8(x / 12), uint8(y / 8), uint8((x ^ y) & 0xff), 255})
		}
	}
	p := filepath.Join(t.TempDir(), "doorstep.jpg")
	f, err := os.Create(p)
	must(t, err)
	must(t, jpeg.Encode(f, img, &jpeg.Options{Quality: 90}))
	must(t, f.Close())
	return p
}

// pickedUp has the customer order (pin "" for none), the restaurant
// accept, and courier n claim and pick it up.
func (c *coop) pickedUp(n *node.Node, pin string) crdt.ID {
	cart := market.Cart{Restaurant: c.resto.Key(), Fulfilment: crdt.FulfilDelivery, TipCents: 200, Dropoff: homePos,
		Items: []market.CartItem{{Product: "wrap", Quantity: 2, Options: []string{"tahini"}}}}
	id, _, err := c.cust.Checkout(c.ctx, cart, node.PersonalData{Name: "Léa", Address: "3 rue Kervégan", Dropoff: homePos}, pin)
	must(c.t, err)
	_, err = c.resto.WaitOrder(c.ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusPlaced })
	must(c.t, err)
	must(c.t, c.resto.Accept(c.ctx, id, 10))
	c.claimWon(n, id)
	must(c.t, n.Pickup(c.ctx, id))
	return id
}

// sign draws two strokes on the signature pad with pointer events, as a
// finger would.
const sign = `(c => { const r = c.getBoundingClientRect();
  const ev = (type, x, y) => c.dispatchEvent(new PointerEvent(type, {bubbles: true, pointerId: 1, clientX: r.left + x * r.width, clientY: r.top + y * r.height}));
  for (const [y0, y1] of [[.3, .7], [.7, .3]]) { ev('pointerdown', .1, y0); for (let i = 1; i <= 10; i++) ev('pointermove', .1 + .08 * i, y0 + (y1 - y0) * i / 10); ev('pointerup', .9, y1); }
  return true; })(document.querySelector('%s canvas.signature-pad'))`

// TestScreenshotsCourierProof (issue 15: the courier's proof of delivery
// and "My deliveries"), on real nodes: in the courier's browser a delivery
// with a PIN also gets a photo — a 3000×2000 camera picture is downscaled
// in the page to a JPEG 1024 px wide and at most 300 KB, kept on the
// courier's node, and the signed task.deliver carries its SHA-256 only;
// a delivery without a PIN is refused on the page until there is a proof
// (nothing signed), then delivered with the recipient's signature drawn
// on the pad (a PNG kept on the node, its hash signed). The restaurant's
// page and the customer's tracking page say which proof was given; "My
// deliveries" lists both with their pay and tip from the coop's pay
// table, and today's total. With -update it writes
// docs/screens/courier-proof.png and courier-deliveries.png.
func TestScreenshotsCourierProof(t *testing.T) {
	c := newCoop(t)
	ctx := c.ctx
	ana := c.start("ana", node.RoleCourier)
	must(t, c.admin.Admit(ctx, ana.Key(), crdt.RoleCourier, "Ana"))
	c.eventually("Ana is a courier", func() bool { _, ok := ana.MemberKey(ctx); return ok })
	withPin := c.pickedUp(ana, "4321")
	noPin := c.pickedUp(ana, "")
	link := c.serve(ana)
	b := tab{t, newBrowser(t, ctx)}
	base := strings.Replace(link, "/login?", "/?", 1)
	ce := watchConsole(t, b)

	task := func(id crdt.ID) string { return `.task[data-order="` + id.String() + `"]` }
	b.do("the courier's tasks", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(task(withPin)+` .start-dropoff`)),
		chromedp.Click(chromedp.CSS(task(withPin)+` .start-dropoff`)), chromedp.WaitVisible(chromedp.CSS(task(withPin)+` input[name=pin]`)))

	// a photo: one tap on "Photo" (the camera), the PIN, one tap on Delivered
	b.do("a photo", chromedp.SetUploadFiles(chromedp.CSS(task(withPin)+` input[name=photo]`), []string{bigPhoto(t)}),
		chromedp.WaitVisible(chromedp.CSS(task(withPin)+` img.proof-thumb`)))
	pi := task(withPin) + ` .proof-inputs`
	sum := b.attr(pi, "data-photo")
	size, _ := strconv.Atoi(b.attr(pi, "data-photo-bytes"))
	width, _ := strconv.Atoi(b.attr(pi, "data-photo-width"))
	if width != 1024 || size <= 0 || size > 300<<10 {
		t.Fatalf("the photo kept is %d px wide and %d bytes: want 1024 px and at most 300 KB", width, size)
	}
	raw, _ := hex.DecodeString(sum)
	kept, err := ana.ProofImage(ctx, raw)
	if err != nil || sha256.Sum256(kept) != [32]byte(raw) || node.ProofImageType(kept) != "image/jpeg" {
		t.Fatalf("the courier's node keeps no JPEG under %s: %v", sum, err)
	}
	t.Logf("photo: 3000×2000 camera JPEG → %d px wide, %d bytes kept on the courier's node", width, size)
	b.shot("courier-proof.png")
	b.do("the PIN and Delivered", typeFresh(task(withPin)+` input[name=pin]`, "4321"), chromedp.Click(chromedp.CSS(task(withPin)+` .delivered`)),
		chromedp.WaitNotPresent(chromedp.CSS(task(withPin))))
	s, err := c.resto.WaitOrder(ctx, withPin, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusDelivered })
	must(t, err)
	if s.Proof == nil || hex.EncodeToString(s.Proof.PhotoHash) != sum || len(s.Proof.SignatureHash) != 0 {
		t.Fatalf("the restaurant's node has proof %+v, want the photo's hash %s", s.Proof, sum)
	}

	// no PIN: Delivered alone is refused on the page; a signature then
	b.do("start the second delivery", chromedp.Click(chromedp.CSS(task(noPin)+` .start-dropoff`)),
		chromedp.WaitVisible(chromedp.CSS(task(noPin)+` form.deliver[data-need-pin="0"]`)))
	published := ana.Stats(ctx).Published
	b.do("Delivered without a proof", chromedp.Click(chromedp.CSS(task(noPin)+` .delivered`)),
		chromedp.WaitVisible(chromedp.CSS(task(noPin)+` .field-error[data-code="local"]`)))
	if msg := b.text(task(noPin) + ` .field-error`); !strings.Contains(msg, "photo") || !strings.Contains(msg, "sign") {
		t.Fatalf("no-proof message %q", msg)
	}
	if ana.Stats(ctx).Published != published {
		t.Fatal("a delivery without a proof was signed")
	}
	b.do("a signature", chromedp.Click(chromedp.CSS(task(noPin)+` button.sign`)), chromedp.WaitVisible(chromedp.CSS(task(noPin)+` canvas.signature-pad[data-ready]`)))
	b.poll(strings.Replace(sign, "%s", task(noPin), 1))
	b.poll(`document.querySelector('` + task(noPin) + ` .proof-inputs').dataset.strokes === '2'`)
	b.do("Delivered", chromedp.Click(chromedp.CSS(task(noPin)+` .delivered`)), chromedp.WaitNotPresent(chromedp.CSS(task(noPin))))
	s, err = c.resto.WaitOrder(ctx, noPin, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusDelivered })
	must(t, err)
	if s.Proof == nil || len(s.Proof.SignatureHash) != 32 || len(s.Proof.PhotoHash) != 0 {
		t.Fatalf("the restaurant's node has proof %+v, want a signature's hash", s.Proof)
	}
	if img, err := ana.ProofImage(ctx, s.Proof.SignatureHash); err != nil || node.ProofImageType(img) != "image/png" {
		t.Fatalf("the courier's node keeps no PNG signature: %v", err)
	}

	// My deliveries: both, with pay and tip, and today's total
	row := func(id crdt.ID) string { return `.deliveries li.delivery[data-order="` + id.String() + `"]` }
	b.do("my deliveries", chromedp.Navigate(base+"#/courier/tasks"), chromedp.WaitVisible(chromedp.CSS(row(withPin)+`[data-status="delivered"]`)),
		chromedp.WaitVisible(chromedp.CSS(row(noPin)+`[data-status="delivered"]`)))
	b.poll(`document.querySelector('` + row(withPin) + `').dataset.pay !== ''`)
	total := 0
	for _, id := range []crdt.ID{withPin, noPin} {
		pay, _ := strconv.Atoi(b.attr(row(id), "data-pay"))
		tip, _ := strconv.Atoi(b.attr(row(id), "data-tip"))
		if pay <= 0 || tip != 200 || !strings.Contains(b.text(row(id)+` .pay`), "2.00") {
			t.Fatalf("%s: pay %d tip %d %q: want a pay and the 2.00 tip", id.Short(), pay, tip, b.text(row(id)+` .pay`))
		}
		total += pay
	}
	if got := b.attr(`.today-figures`, "data-earned"); got != strconv.Itoa(total) || b.attr(`.today-figures`, "data-delivered") != "2" {
		t.Fatalf("today's figures: %s earned of %d, %s delivered", got, total, b.attr(`.today-figures`, "data-delivered"))
	}
	if got := b.text(row(withPin) + ` .proof-note`); !strings.Contains(got, "PIN checked") || !strings.Contains(got, "photo") {
		t.Fatalf("the photo delivery's proof note %q", got)
	}
	b.poll(`(i => i && i.complete && i.naturalWidth === 1024)(document.querySelector('` + row(withPin) + ` img.proof-photo'))`)
	if got := b.text(row(noPin) + ` .proof-note`); !strings.Contains(got, "signature") || strings.Contains(got, "PIN") {
		t.Fatalf("the signed delivery's proof note %q", got)
	}
	b.shot("courier-deliveries.png")
	ce.check(t)

	// the restaurant's and the customer's pages say which proof was given
	restoLink := c.serve(c.resto) // served before the browser starts, so closed after it
	r := tab{t, newBrowser(t, ctx)}
	r.do("the restaurant's today", chromedp.Navigate(restoLink), chromedp.WaitVisible(chromedp.CSS(`.restaurant .live.on`)))
	r.poll(`[...document.querySelectorAll('.today .proof-note')].length === 2`)
	if got := r.text(`.today`); !strings.Contains(got, "proof: PIN checked, photo") || !strings.Contains(got, "proof: signature") {
		t.Fatalf("the restaurant's today table: %q", got)
	}
	_, err = c.cust.WaitOrder(ctx, withPin, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusDelivered })
	must(t, err)
	custLink := c.serve(c.cust)
	cu := tab{t, newBrowser(t, ctx)}
	note := `.tracking[data-status="delivered"] .proof-note`
	cu.do("the customer's tracking", chromedp.Navigate(custLink), chromedp.WaitVisible(chromedp.CSS(`.nav`)),
		chromedp.Navigate(strings.Replace(custLink, "/login?", "/?", 1)+"#/customer/order/"+withPin.String()),
		chromedp.WaitVisible(chromedp.CSS(note)))
	if got := cu.text(note); !strings.Contains(got, "PIN checked, photo") || !strings.Contains(got, "keeps the photo") {
		t.Fatalf("the customer's proof note %q", got)
	}
}
