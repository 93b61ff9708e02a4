package mobile

import (
	"testing"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// TestOfflineDelivery: a courier loses the network after pickup,
// delivers offline, even restarts the app while offline, then comes back:
// the delivery reaches every node and nothing is lost.
func TestOfflineDelivery(t *testing.T) {
	f := newFixtureSync(t, -1) // no anti-entropy from the plain nodes: the phone must hand the delivery over itself
	ctx := f.ctx
	cust := f.plain("cust", node.RoleCustomer)
	dir := t.TempDir()
	m, rec := f.phone(dir, "courier", nil)
	f.admitPhone(m, "Zoé")
	call[shiftResult](t, "GoOnShift", m.GoOnShift, req(map[string]any{"position": nearPos}))

	id := f.place(cust, "")
	must(t, f.resto.Accept(ctx, id, 10))
	rec.wait(t, "job", rec.jobFor(id, true))
	cl := call[claimResult](t, "Claim", m.Claim, req(map[string]any{"order": id.String()}))
	call[claimResult](t, "AwaitClaim", m.AwaitClaim, req(map[string]any{"order": id.String(), "claim": cl.Claim}))
	must(t, f.resto.Ready(ctx, id))
	rec.wait(t, "ready", rec.orderIs(id, "ready"))
	call[actionResult](t, "Pickup", m.Pickup, req(map[string]any{"order": id.String()}))
	f.everywhere(id, crdt.StatusPickedUp)

	// the tunnel
	must(t, m.SetConnectivity(`{"network":"offline"}`))
	rec.wait(t, "offline state", func(r *recorder) bool {
		return len(r.conns) > 0 && r.conns[len(r.conns)-1].State == "offline" && r.conns[len(r.conns)-1].Peers == 0
	})
	// the customer's node linked to the holder (SPEC.md §10.8): the phone
	// closed that link; wait until the customer's side sees it closed
	f.eventually("the customer's link to the phone closed", func() bool {
		return cust.Host().Network().Connectedness(m.n.ID()) != network.Connected
	})
	if err := cust.Connect(ctx, peerInfo(m)); err == nil {
		t.Fatal("a peer could connect to an offline phone")
	}
	dv := call[actionResult](t, "Deliver", m.Deliver, req(map[string]any{"order": id.String(), "proof": map[string]any{"recipient": "Léa"}}))
	if dv.Order.Status != "delivered" || dv.Published || dv.Unsent != 1 {
		t.Fatalf("offline Deliver: %+v", dv)
	}
	for name, n := range f.nodes {
		if s, err := n.Order(ctx, id); err != nil || s.Status != crdt.StatusPickedUp {
			t.Fatalf("%s learnt of an offline delivery: %v %v", name, s.Status, err)
		}
	}
	callErr(t, "SyncNow offline", func(string) (string, error) { return m.SyncNow() }, "", codeTimeout)

	// the app is killed and started again, still offline
	must(t, m.Stop())
	callErr(t, "Status after Stop", func(string) (string, error) { return m.Status() }, "", codeStopped)
	m, rec = f.phone(dir, "courier", map[string]any{"invite": "", "connectivity": map[string]any{"network": "offline"}})
	st := status(t, m)
	if st.Connection.Unsent != 1 || st.Connection.State != "offline" || st.Connection.Peers != 0 {
		t.Fatalf("after restart: %+v", st.Connection)
	}
	tr := call[trackingView](t, "FollowOrder", m.FollowOrder, req(map[string]any{"order": id.String()}))
	if tr.Order.Status != "delivered" || tr.Order.Proof == nil || tr.Order.Proof.Recipient != "Léa" {
		t.Fatalf("the delivery did not survive the restart: %+v", tr.Order)
	}

	// out of the tunnel
	must(t, m.SetConnectivity(`{"network":"cellular","addrs":[]}`))
	f.everywhere(id, crdt.StatusDelivered)
	rec.wait(t, "online and nothing unsent", func(r *recorder) bool {
		c := r.conns
		return len(c) > 0 && c[len(c)-1].State == "online" && c[len(c)-1].Unsent == 0 && c[len(c)-1].Metered
	})
	want, err := f.admin.Order(ctx, id)
	must(t, err)
	for name, n := range f.nodes {
		s, err := n.Order(ctx, id)
		if err != nil || s.Hash() != want.Hash() {
			t.Fatalf("%s: order state differs after reconnecting", name)
		}
	}
	if got := status(t, m).Connection.Unsent; got != 0 {
		t.Fatalf("unsent after reconnecting: %d", got)
	}
}
