package webapp_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// TestCredentialInBrowser (issue 16, my credential in the web app): the
// constitution designates the admin's node as the credential issuer. After
// one delivery, Ana's page shows her work record and names the issuer; on
// the issuer's page a credential issued without a courier is refused by
// its field; Ana's is issued, downloads, and checks valid with one
// delivery; tampered (one more delivery written in), it fails with
// "tampered" by the field; pasted into Ana's own node's page it checks
// valid there too.
func TestCredentialInBrowser(t *testing.T) {
	c := newCoop(t)
	ctx := c.ctx
	must(t, c.admin.AmendConstitution(ctx, crdt.Constitution{CredentialIssuer: c.admin.Key()}))
	must(t, c.admin.Admit(ctx, c.admin.Key(), crdt.RoleAdmin|crdt.RoleDispatcher, "Camille"))
	ana := c.start("ana", node.RoleCourier)
	must(t, c.admin.Admit(ctx, ana.Key(), crdt.RoleCourier, "Ana"))
	c.eventually("Ana knows the issuer", func() bool {
		cs, err := ana.CoopState(ctx)
		return err == nil && cs.Constitution.CredentialIssuer == c.admin.Key() && len(cs.Members) >= 3
	})
	deliverOne(c, ana)

	tabs := openIn(c, map[string]*node.Node{"admin": c.admin, "Ana": ana}, "/coop/credential", `.credential form.verify`)
	anaTab, admin := tabs["Ana"], tabs["admin"]
	anaTab.do("Ana's record", chromedp.WaitVisible(chromedp.CSS(`.record[data-delivered="1"]`)))
	if got := anaTab.text(`.credential .issuer`); !strings.Contains(got, "Camille") {
		t.Fatalf("issuer named as %q", got)
	}
	admin.do("no courier", setValue(`form.issue select[name=courier]`, ""), chromedp.Click(chromedp.CSS(`form.issue button`)),
		chromedp.WaitVisible(chromedp.CSS(`form.issue select[name=courier][aria-invalid=true]`)))
	admin.do("Ana's credential", setValue(`form.issue select[name=courier]`, ana.Key().String()), chromedp.Click(chromedp.CSS(`form.issue button`)),
		chromedp.WaitVisible(chromedp.CSS(`.issued textarea.credential-json`)), chromedp.Click(chromedp.CSS(`.issued button.download`)),
		chromedp.WaitVisible(chromedp.CSS(`.issued .saved`)))
	vc, err := chromedp.Run(admin.ctx, chromedp.Evaluate[string](`document.querySelector('.issued textarea').value`))
	must(t, err)
	if !strings.Contains(vc, "eddsa-jcs-2022") {
		t.Fatalf("credential: %.300s", vc)
	}
	admin.do("it checks valid", setValue(`form.verify select[name=subject]`, ana.Key().String()), chromedp.Click(chromedp.CSS(`form.verify button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`.verified[data-deliveries="1"]`)))
	tampered := strings.Replace(vc, `"deliveries": 1`, `"deliveries": 7`, 1)
	if tampered == vc {
		t.Fatalf("no deliveries count to tamper with in %.600s", vc)
	}
	admin.do("tampered", setValue(`form.verify textarea[name=credential]`, tampered), chromedp.Click(chromedp.CSS(`form.verify button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`form.verify textarea[aria-invalid=true]`)))
	if code := admin.attr(`form.verify .field-error`, "data-code"); code != "tampered" {
		t.Fatalf("tampered credential refused with %q", code)
	}
	anaTab.do("checked on Ana's node", setValue(`form.verify textarea[name=credential]`, vc), chromedp.Click(chromedp.CSS(`form.verify button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`.verified[data-deliveries="1"]`)))
}
