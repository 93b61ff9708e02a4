package mobile

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/internal/leaktest"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
)

// Test harness: real nodes on loopback TCP. The participants other than
// the phone under test are plain node.New nodes; the phone is driven
// through this package's exported API only (plus flush, to check that a
// callback did not happen).

func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("coopnode mobile test " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// fixture is a small coop: an admin that is also the always-on relay, a
// restaurant with a menu, and whatever else a test starts.
type fixture struct {
	t testing.TB
	// syncEvery is the plain nodes' anti-entropy period: short in tests,
	// node's default (30 s) in the benchmark, where it costs the phone.
	syncEvery time.Duration
	ctx       context.Context
	admin     *node.Node
	resto     *node.Node
	coop      crdt.ID
	nodes     map[string]*node.Node
}

var (
	restoPos = crdt.Position{LatE6: 47_218_000, LonE6: -1_553_000}
	nearPos  = crdt.Position{LatE6: 47_215_000, LonE6: -1_555_000} // ~370 m from the restaurant
	homePos  = crdt.Position{LatE6: 47_210_300, LonE6: -1_560_400}
)

// testRules is the coop's rule set (as node/market_test.go's): a service
// zone around Nantes, 3.50 per delivery plus 0.80 per km beyond 2 km, a
// platform fee, the courier's pay (3.00 + 0.60/km + the whole tip, at
// least 4.00) and two tax rates.
func testRules() crdt.RulesSet {
	city := crdt.Zone{Name: "city", Rings: [][]crdt.Position{{{LatE6: 47_150_000, LonE6: -1_700_000},
		{LatE6: 47_150_000, LonE6: -1_400_000}, {LatE6: 47_300_000, LonE6: -1_400_000}, {LatE6: 47_300_000, LonE6: -1_700_000}}}}
	return crdt.RulesSet{Version: 1, Strategy: crdt.StrategyFind, Zones: []crdt.Zone{city}, ServiceZone: "city",
		Rules: []crdt.PriceRule{{Name: "standard", Target: crdt.TargetAny, FixedCents: 350,
			Steps: []crdt.PriceStep{{Of: crdt.StepDistance, Cents: 80, Every: 1000, After: 2000}}}},
		Fees:  crdt.PlatformFees{DeliveryBps: 1500, CollectionBps: 800},
		Pay:   crdt.PayRule{BaseCents: 300, PerKmCents: 60, TipBps: 2_500, MinCents: 400}, // a 25 % tip share the node must ignore: the whole tip is the courier's (SPEC.md §20.5)
		Taxes: []crdt.TaxRate{{Category: "food_takeaway", RateBps: 1000}, {Category: "drink", RateBps: 550}},
	}
}

func testMenu() crdt.CatalogMenu {
	return crdt.CatalogMenu{Sections: []crdt.MenuSection{{Name: "Wraps", Products: []crdt.Product{
		{ID: "wrap", Name: "Falafel wrap", PriceCents: 650, TaxCategory: "food_takeaway", Enabled: true, Options: []crdt.Option{
			{ID: "extras", Name: "Extras", Max: 2, Values: []crdt.OptionValue{
				{ID: "feta", Name: "Feta", PriceCents: 100, Enabled: true},
				{ID: "harissa", Name: "Harissa", Enabled: true},
				{ID: "truffle", Name: "Truffle", PriceCents: 900},
			}},
		}},
		{ID: "soup", Name: "Soup", PriceCents: 900, TaxCategory: "food_takeaway", Enabled: true},
		{ID: "gone", Name: "Gone", PriceCents: 500, Enabled: true, SoldOut: true},
	}}}}
}

func newFixture(t testing.TB) *fixture { return newFixtureSync(t, 2*time.Second) }

// newFixtureSync is newFixture with the plain nodes' anti-entropy period
// (negative: none, so that a phone catches up only by its own syncs).
func newFixtureSync(t testing.TB, syncEvery time.Duration) *fixture {
	return newFixtureRules(t, syncEvery, true)
}

// newFixtureRules is newFixtureSync where the coop publishes its rule set
// (testRules) or, with rules false, none.
func newFixtureRules(t testing.TB, syncEvery time.Duration, rules bool) *fixture {
	t.Cleanup(leakCheck(t))
	limit := 90 * time.Second
	if _, ok := t.(*testing.B); ok {
		limit, syncEvery = 30*time.Minute, 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	f := &fixture{t: t, ctx: ctx, nodes: map[string]*node.Node{}, syncEvery: syncEvery}
	f.admin = f.plain("admin", node.RoleRelay)
	id, err := f.admin.Found(ctx, crdt.CoopGenesis{Name: "Vélo Coop", City: "Nantes", Currency: "EUR"})
	must(t, err)
	f.coop = id
	if rules {
		must(t, f.admin.SetRules(ctx, testRules()))
	}
	f.resto = f.member("resto", node.RoleRestaurant, crdt.RoleRestaurant)
	must(t, f.resto.PublishProfile(ctx, crdt.CatalogProfile{Name: "Chez Mia", Position: restoPos,
		Fulfilment: crdt.FulfilDelivery | crdt.FulfilCollection, Enabled: true, MinOrderCents: 800, PrepMinutes: 12}))
	must(t, f.resto.PublishMenu(ctx, testMenu()))
	f.eventually("catalogue at the admin", func() bool {
		rs, err := f.admin.Restaurants(ctx)
		return err == nil && len(rs) == 1 && rs[0].Menu != nil
	})
	if rules {
		f.eventually("rules at the restaurant", func() bool { _, err := f.resto.Rules(ctx, 0); return err == nil })
	}
	return f
}

// plain starts a node.New node on loopback, connected to the admin.
func (f *fixture) plain(name string, role node.Role) *node.Node {
	f.t.Helper()
	opts := []node.Option{node.WithKey(testKey(name)), node.WithRole(role),
		node.WithListen("/ip4/127.0.0.1/tcp/0"), node.WithSyncInterval(f.syncEvery)}
	if !f.coop.IsZero() {
		opts = append(opts, node.WithCoop(f.coop))
	}
	n, err := node.New(f.ctx, opts...)
	if err != nil {
		f.t.Fatalf("start %s: %v", name, err)
	}
	f.t.Cleanup(func() { _ = n.Close() })
	f.nodes[name] = n
	if f.admin != nil {
		must(f.t, n.Connect(f.ctx, peer.AddrInfo{ID: f.admin.ID(), Addrs: f.admin.Host().Addrs()}))
	}
	return n
}

// member starts a plain node and admits it with roles.
func (f *fixture) member(name string, role node.Role, roles crdt.Roles) *node.Node {
	n := f.plain(name, role)
	must(f.t, f.admin.Admit(f.ctx, n.Key(), roles, name))
	f.eventually(name+" is a member", func() bool { _, ok := n.MemberKey(f.ctx); return ok })
	return n
}

// phone starts a mobile node with the given role and extra config.
func (f *fixture) phone(dir, role string, extra map[string]any) (*Node, *recorder) {
	f.t.Helper()
	cfg := map[string]any{"role": role, "invite": f.admin.Invite().String(), "listen": []string{"/ip4/127.0.0.1/tcp/0"}}
	for k, v := range extra {
		cfg[k] = v
	}
	b, _ := json.Marshal(cfg)
	rec := newRecorder()
	m, err := Start(dir, string(b), rec)
	if err != nil {
		f.t.Fatalf("start phone: %v", err)
	}
	f.t.Cleanup(func() { _ = m.Stop() })
	return m, rec
}

// admitPhone admits a courier phone and waits until it knows.
func (f *fixture) admitPhone(m *Node, name string) crdt.PubKey {
	f.t.Helper()
	st := status(f.t, m)
	key, err := crdt.ParsePubKey(st.Key)
	must(f.t, err)
	must(f.t, f.admin.Admit(f.ctx, key, crdt.RoleCourier, name))
	f.eventually(name+" phone is a member", func() bool { return status(f.t, m).Member })
	return key
}

// eventually polls cond until it holds or the deadline passes.
func (f *fixture) eventually(what string, cond func() bool) {
	f.t.Helper()
	eventually(f.t, what, cond)
}

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached", what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval of a condition wait, not a wait for an event
	}
}

// everywhere waits until every plain node holds the order in status st.
func (f *fixture) everywhere(id crdt.ID, st crdt.OrderStatus) {
	f.t.Helper()
	for name, n := range f.nodes {
		if _, err := n.WaitOrder(f.ctx, id, func(s *crdt.OrderState) bool { return s.Status == st }); err != nil {
			f.t.Fatalf("%s: order %s never %s: %v", name, id.Short(), st, err)
		}
	}
}

func (f *fixture) place(cust *node.Node, pin string) crdt.ID {
	f.t.Helper()
	p := crdt.OrderPlace{Restaurant: f.resto.Key(), Fulfilment: crdt.FulfilDelivery,
		Items:  []crdt.LineItem{{Product: "soup", Name: "Soup", Quantity: 1, UnitCents: 900, TotalCents: 900}},
		Totals: crdt.Totals{ItemsCents: 900, DeliveryCents: 400, TipCents: 150, TotalCents: 1450},
		Pickup: restoPos, DropoffArea: homePos, Note: strconv.FormatInt(time.Now().UnixNano(), 10)}
	if pin != "" {
		h := crdt.PINHash(cust.Key(), pin)
		p.PINHash = h[:]
	}
	id, err := cust.PlaceUnpriced(f.ctx, p)
	must(f.t, err)
	if _, err := f.resto.WaitOrder(f.ctx, id, func(*crdt.OrderState) bool { return true }); err != nil {
		f.t.Fatalf("order never reached the restaurant: %v", err)
	}
	return id
}

// checkout places an order from a plain customer node the way the app
// does (node.Checkout: priced by the coop's rules, personal data sealed to
// the restaurant): a soup delivered to homePos, tip 1.50.
func (f *fixture) checkout(cust *node.Node, pd node.PersonalData, pin string) (crdt.ID, *market.Quote) {
	f.t.Helper()
	cart := market.Cart{Restaurant: f.resto.Key(), Fulfilment: crdt.FulfilDelivery, TipCents: 150, Dropoff: homePos,
		Items: []market.CartItem{{Product: "soup", Quantity: 1}}}
	id, q, err := cust.Checkout(f.ctx, cart, pd, pin)
	must(f.t, err)
	if _, err := f.resto.WaitOrder(f.ctx, id, func(*crdt.OrderState) bool { return true }); err != nil {
		f.t.Fatalf("order never reached the restaurant: %v", err)
	}
	return id, q
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// call runs a façade method and decodes its JSON answer into out.
func call[T any](t testing.TB, what string, f func(string) (string, error), req string) T {
	t.Helper()
	out, err := f(req)
	if err != nil {
		t.Fatalf("%s(%s): %v", what, req, err)
	}
	var v T
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: answer %s does not decode: %v", what, out, err)
	}
	return v
}

// callErr runs a façade method that must fail with code.
func callErr(t testing.TB, what string, f func(string) (string, error), req, code string) error {
	t.Helper()
	out, err := f(req)
	if err == nil {
		t.Fatalf("%s(%s) = %s, want a %s error", what, req, out, code)
	}
	if !strings.HasPrefix(err.Error(), code+":") {
		t.Fatalf("%s(%s): error %q, want code %s", what, req, err, code)
	}
	return err
}

func status(t testing.TB, m *Node) statusView {
	t.Helper()
	return call[statusView](t, "Status", func(string) (string, error) { return m.Status() }, "")
}

func req(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// recorder is a Callbacks that keeps every notification.
type recorder struct {
	mu      sync.Mutex
	jobs    []jobView
	claims  []claimResult
	orders  []trackingView
	conns   []connView
	changed chan struct{} // closed and replaced on every notification
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) add(b []byte, into func(dec *json.Decoder) error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := into(dec); err != nil {
		panic("callback JSON does not decode: " + err.Error() + ": " + string(b))
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *recorder) OnJobNearby(b []byte) {
	r.add(b, func(d *json.Decoder) error {
		var v jobView
		err := d.Decode(&v)
		r.jobs = append(r.jobs, v)
		return err
	})
}

func (r *recorder) OnClaimResult(b []byte) {
	r.add(b, func(d *json.Decoder) error {
		var v claimResult
		err := d.Decode(&v)
		r.claims = append(r.claims, v)
		return err
	})
}

func (r *recorder) OnOrderUpdate(b []byte) {
	r.add(b, func(d *json.Decoder) error {
		var v trackingView
		err := d.Decode(&v)
		r.orders = append(r.orders, v)
		return err
	})
}

func (r *recorder) OnConnectionState(b []byte) {
	r.add(b, func(d *json.Decoder) error {
		var v connView
		err := d.Decode(&v)
		r.conns = append(r.conns, v)
		return err
	})
}

// wait blocks until cond (checked under the recorder's lock) holds, woken
// by each notification, or fails the test after 30 s.
func (r *recorder) wait(t testing.TB, what string, cond func(r *recorder) bool) {
	t.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ok, ch := cond(r), r.changed
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("callback never came: %s", what)
		}
	}
}

func (r *recorder) jobFor(id crdt.ID, available bool) func(*recorder) bool {
	return func(r *recorder) bool {
		for _, j := range r.jobs {
			if j.Order.ID == id.String() && j.Available == available {
				return true
			}
		}
		return false
	}
}

func (r *recorder) orderIs(id crdt.ID, st string) func(*recorder) bool {
	return func(r *recorder) bool {
		for _, o := range r.orders {
			if o.Order.ID == id.String() && o.Order.Status == st {
				return true
			}
		}
		return false
	}
}

func (r *recorder) lastOrder(id crdt.ID) trackingView {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.orders) - 1; i >= 0; i-- {
		if r.orders[i].Order.ID == id.String() {
			return r.orders[i]
		}
	}
	return trackingView{}
}

// ---- goroutine leak check ----

// leakCheck is leaktest.Check for this package's tests.
func leakCheck(t testing.TB) func() { return leaktest.Check(t) }

// peerInfo is how a plain node dials a phone (tests only: phones on
// cellular are not reachable).
func peerInfo(m *Node) peer.AddrInfo { return peer.AddrInfo{ID: m.n.ID(), Addrs: m.h.Addrs()} }

// The codes the tests expect, from node's table (the one the HTTP API and
// the CLI use too).
var (
	codeBadJSON     = node.Code(node.ErrBadJSON)
	codeBadArgument = node.Code(node.ErrBadArgument)
	codeNotFound    = node.Code(node.ErrUnknown)
	codeNotMember   = node.Code(node.ErrNotMember)
	codeNoCoop      = node.Code(node.ErrNoCoop)
	codeWrongRole   = node.Code(node.ErrWrongRole)
	codeNotShared   = node.Code(node.ErrNotShared)
	codeOffline     = node.Code(node.ErrOffline)
	codeTimeout     = node.Code(node.ErrTimeout)
	codeStopped     = node.Code(node.ErrClosed)
	codeInternal    = node.CodeInternal
)
