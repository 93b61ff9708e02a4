package webapp_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// TestScreenshotsNetwork (issue 13 item 7, issue 15's invite): on real
// nodes, the admin's "The network" screen lists the restaurant by its
// member name and role in words, the customer's node (no member) as "not
// a member", each link direct over TCP with a round-trip time, and the
// node's own peer ID; a courier admitted meanwhile appears by name without
// a reload. The invite screen shows the invite's QR code, which a QR
// scanner (zbarimg) reads from a screenshot of the page back to the very
// invite text the page shows. With -update it writes
// docs/screens/coop-network.png and coop-invite.png (hence its name: the
// one screenshot command runs it).
func TestScreenshotsNetwork(t *testing.T) {
	c := newCoop(t)
	ctx := c.ctx
	link := c.serve(c.admin)
	b := tab{t, newBrowser(t, ctx)}
	base := strings.Replace(link, "/login?", "/?", 1)
	c.eventually("the admin has both peers", func() bool {
		ps, err := c.admin.Peers(ctx)
		return err == nil && len(ps) >= 2
	})

	row := func(n *node.Node) string { return `table.peers tr[data-key="` + n.Key().String() + `"]` }
	b.do("the network", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`.nav a[href="#/coop/network"]`)),
		chromedp.Click(chromedp.CSS(`.nav a[href="#/coop/network"]`)),
		chromedp.WaitVisible(chromedp.CSS(row(c.resto))), chromedp.WaitVisible(chromedp.CSS(row(c.cust))))
	if got := b.text(row(c.resto)); !strings.Contains(got, "Chez Mia") || !strings.Contains(got, "restaurant") || !strings.Contains(got, "direct") || !strings.Contains(got, "tcp") {
		t.Fatalf("the restaurant's row: %q", got)
	}
	if got := b.text(row(c.cust) + ` td.who`); !strings.Contains(got, "not a member") {
		t.Fatalf("the customer's row: %q", got)
	}
	if got := b.text(`.network`); strings.Contains(strings.ToLower(got), "unknown") {
		t.Fatalf("the screen says unknown: %q", got)
	}
	b.poll(`Number(document.querySelector('` + row(c.resto) + ` td.rtt').dataset.ms) > 0`)
	if id := b.text(`.this-node .peer-id`); id != c.admin.ID().String() {
		t.Fatalf("this node's peer ID %q, want %s", id, c.admin.ID())
	}

	ana := c.start("ana", node.RoleCourier)
	must(t, c.admin.Admit(ctx, ana.Key(), crdt.RoleCourier, "Ana"))
	b.do("a courier admitted shows by name", chromedp.WaitVisible(chromedp.CSS(row(ana)+`[data-member="1"]`)))
	if got := b.text(row(ana)); !strings.Contains(got, "Ana") || !strings.Contains(got, "courier") {
		t.Fatalf("the courier's row: %q", got)
	}
	b.shot("coop-network.png")

	b.do("the invite", chromedp.Navigate(base+"#/coop/invite"), chromedp.WaitVisible(chromedp.CSS(`textarea.invite-text`)),
		chromedp.WaitVisible(chromedp.CSS(`img.invite-qr`)))
	b.poll(`(i => i.complete && i.naturalWidth > 0)(document.querySelector('img.invite-qr'))`)
	inv, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('textarea.invite-text').value`))
	must(t, err)
	if inv != c.admin.Invite().String() {
		t.Fatalf("the page's invite %q, want the node's %q", inv, c.admin.Invite())
	}
	sctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	img, err := chromedp.Run(sctx, chromedp.Screenshot(chromedp.CSS(`img.invite-qr`)))
	must(t, err)
	b.shot("coop-invite.png")
	if _, err := exec.LookPath("zbarimg"); err != nil {
		msg := "zbarimg is missing (apt-get install zbar-tools): cannot scan the QR code back"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	file := filepath.Join(t.TempDir(), "qr.png")
	must(t, os.WriteFile(file, img, 0o600))
	scanned, err := exec.Command("zbarimg", "--raw", "-q", file).Output()
	if err != nil {
		t.Fatalf("zbarimg on the page's QR code: %v", err)
	}
	if got := strings.TrimSpace(string(scanned)); got != inv {
		t.Fatalf("the page's QR code scans to %q, want the invite %q", got, inv)
	}
	if _, err := node.ParseInvite(inv); err != nil {
		t.Fatalf("the invite does not parse: %v", err)
	}
}
