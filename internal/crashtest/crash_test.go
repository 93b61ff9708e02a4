package crashtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Sizes of the CI run; COOPNODE_CRASH_ROUNDS and COOPNODE_CRASH_SEED
// change them (the harness ran 300 rounds).
const (
	defaultRounds     = 100
	defaultSeed       = 1
	killChance        = 0.3  // after each acknowledged write
	restartKillChance = 0.15 // of a killed node, again at once while it restarts
	stepWait          = 45 * time.Second
	settleWait        = 90 * time.Second
)

// write is one write the HTTP API acknowledged.
type write struct {
	round int
	by    *proc
	what  string // "place", "accept" or "claim"
	order string
	claim string // the claim event, for "claim"
}

type crashRun struct {
	t          *testing.T
	ctx        context.Context
	rng        *rand.Rand
	resto      *proc
	couriers   []*proc
	cust       *proc
	all        []*proc
	checkout   map[string]any
	writes     []write
	orders     []string
	kills      int
	killedAt   map[string]int // kills per "node after what"
	killRounds map[int]bool
}

// TestCrashKillNine (issue 12): a restaurant, two couriers and a customer,
// each `coopnode run` in its own process, take orders through the HTTP
// API; right after an acknowledged write (checkout, accept, claim) the test
// may kill a node with SIGKILL — often the restaurant just after a claim —
// and restarts it from its data folder without any joining flag. Then:
// every acknowledged write is present on its node and the restaurant's,
// every order has one holder on every node, the restaurant confirmed it
// (SPEC.md §7.2), and the holder can read the address (§15.4).
func TestCrashKillNine(t *testing.T) {
	rounds, seed := envInt(t, "COOPNODE_CRASH_ROUNDS", defaultRounds), envInt(t, "COOPNODE_CRASH_SEED", defaultSeed)
	t.Logf("%d rounds, seed %d (COOPNODE_CRASH_ROUNDS, COOPNODE_CRASH_SEED)", rounds, seed)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	base := t.TempDir()
	bin := buildCoopnode(t, base)
	r := &crashRun{t: t, ctx: ctx, rng: rand.New(rand.NewSource(int64(seed))), killedAt: map[string]int{}, killRounds: map[int]bool{}}
	r.resto = initNode(t, bin, base, "restaurant", "restaurant")
	r.couriers = []*proc{initNode(t, bin, base, "courier-1", "courier"), initNode(t, bin, base, "courier-2", "courier")}
	r.cust = initNode(t, bin, base, "customer", "customer")
	r.all = append([]*proc{r.resto}, append(slices.Clone(r.couriers), r.cust)...)
	t.Cleanup(func() {
		for _, p := range r.all {
			p.stop()
			if t.Failed() {
				t.Logf("%s (%d starts, %d kills), its last start's output:\n%s", p.name, p.runs, p.kills, tail(p.output(), 3000))
			}
		}
	})
	start := time.Now()
	r.setup()
	t.Logf("setup: %.1f s", time.Since(start).Seconds())

	start = time.Now()
	for round := range rounds {
		r.round(round)
	}
	t.Logf("%d rounds: %d acknowledged writes, %d kills (%v) in %d rounds, %.1f s", rounds, len(r.writes), r.kills,
		r.killedAt, len(r.killRounds), time.Since(start).Seconds())

	start = time.Now()
	if problems := r.settle(); len(problems) > 0 {
		for _, p := range problems[:min(len(problems), 40)] {
			t.Error(p)
		}
		t.Fatalf("%d problems %v after the last round", len(problems), settleWait)
	}
	t.Logf("all %d orders whole on every node %.1f s after the last round", len(r.orders), time.Since(start).Seconds())
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive whole number", name, v)
	}
	return n
}

// settle checks the nodes every 200 ms until nothing is wrong, for at
// most settleWait, and returns what was still wrong at the last complete
// check.
func (r *crashRun) settle() []string {
	deadline := time.Now().Add(settleWait)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(r.ctx, stepWait)
		problems := r.check(ctx)
		cancel()
		if len(problems) == 0 || time.Now().After(deadline) {
			return problems
		}
		select {
		case <-tick.C:
		case <-r.ctx.Done():
			return append(problems, r.ctx.Err().Error())
		}
	}
}

// stop kills p's process by its PID, if it runs (cleanup).
func (p *proc) stop() {
	p.mu.Lock()
	cmd, exit := p.cmd, p.exit
	p.cmd = nil
	p.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Kill()
		<-exit
	}
}

// do runs one API call on p, retrying while p is down or starting, until it
// answers; a refusal (an HTTP error) ends it at once.
func (r *crashRun) do(p *proc, method, path string, body, out any) error {
	var refused error
	err := until(r.ctx, stepWait, func(ctx context.Context) error {
		if gone, logs := p.exited(); gone {
			r.t.Fatalf("%s exited on its own:\n%s", p.name, logs)
		}
		err := p.call(ctx, method, path, body, out)
		var ae *apiError
		if errors.As(err, &ae) {
			refused = err
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("%s %s %s: %w", p.name, method, path, err)
	}
	return refused
}

// must is do for a call that has to succeed.
func (r *crashRun) must(p *proc, method, path string, body, out any) {
	r.t.Helper()
	if err := r.do(p, method, path, body, out); err != nil {
		r.t.Fatalf("%s %s %s: %v", p.name, method, path, err)
	}
}

// waitOrder waits until p's node holds order id in a state cond accepts.
func (r *crashRun) waitOrder(p *proc, id, what string, cond func(*orderView) bool) {
	r.t.Helper()
	var last string
	err := until(r.ctx, stepWait, func(ctx context.Context) error {
		var o orderView
		err := p.call(ctx, "GET", "/v1/orders/"+id, nil, &o)
		switch {
		case err != nil:
			last = err.Error()
			return err
		case !cond(&o):
			last = fmt.Sprintf("status %s, holder %.8s", o.Status, o.Holder)
			return errors.New(last)
		}
		return nil
	})
	if err != nil {
		r.t.Fatalf("%s never saw order %.8s %s (last: %s): %v", p.name, id, what, last, err)
	}
}

func (r *crashRun) setup() {
	t, resto := r.t, r.resto
	resto.start(t)
	r.learnIdentity(resto)
	var found struct {
		Invite string `json:"invite"`
	}
	r.must(resto, "POST", "/v1/coop/found", map[string]any{"name": "Crash Coop", "city": "Nantes", "currency": "EUR", "timezone": "Europe/Paris"}, &found)
	r.must(resto, "POST", "/v1/coop/members", map[string]any{"member": resto.key, "roles": []string{"admin", "restaurant"}, "name": "Chez Mia"}, nil)
	for _, f := range []struct{ path, file string }{{"/v1/coop/rules", "rules.json"}, {"/v1/catalog/profile", "profile.json"}, {"/v1/catalog/menu", "menu.json"}} {
		r.must(resto, "PUT", f.path, readExample(t, f.file), nil)
	}
	// the others join by the invite, as the README says, the first time
	// only: every later start is a bare `coopnode run -data DIR`
	for _, p := range r.all[1:] {
		p.start(t, "-invite", found.Invite)
		r.learnIdentity(p)
	}
	for i, c := range r.couriers {
		r.must(resto, "POST", "/v1/coop/members", map[string]any{"member": c.key, "roles": []string{"courier"}, "name": fmt.Sprintf("Courier %d", i+1)}, nil)
	}
	var co map[string]any
	if err := json.Unmarshal(readExample(t, "checkout.json"), &co); err != nil {
		t.Fatal(err)
	}
	co["cart"].(map[string]any)["restaurant"] = resto.key
	r.checkout = co
	for _, p := range r.all {
		err := until(r.ctx, stepWait, func(ctx context.Context) error {
			var c struct {
				Members map[string]any `json:"members"`
			}
			if err := p.call(ctx, "GET", "/v1/coop", nil, &c); err != nil {
				return err
			}
			if len(c.Members) != 1+len(r.couriers) {
				return fmt.Errorf("%d members", len(c.Members))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s never knew every member: %v", p.name, err)
		}
	}
	err := until(r.ctx, stepWait, func(ctx context.Context) error {
		return r.cust.call(ctx, "POST", "/v1/quote", co["cart"], nil)
	})
	if err != nil {
		t.Fatalf("the customer cannot quote: %v", err)
	}
}

// learnIdentity reads p's peer ID and member key from its status.
func (r *crashRun) learnIdentity(p *proc) {
	var st struct {
		PeerID string `json:"peer_id"`
		Key    string `json:"key"`
	}
	r.must(p, "GET", "/v1/status", nil, &st)
	p.peerID, p.key = st.PeerID, st.Key
}

func readExample(t *testing.T, name string) json.RawMessage {
	b, err := os.ReadFile("../../examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// restart starts p again from its folder, knowing the others' addresses
// (as a configured bootstrap list), and nothing about its coop.
func (r *crashRun) restart(p *proc) {
	var boot []string
	for _, q := range r.all {
		if q != p {
			boot = append(boot, q.addr())
		}
	}
	p.start(r.t, "-bootstrap", strings.Join(boot, ","))
}

// acked records an acknowledged write and, by the seed, kills a node at
// once: the node that acknowledged it, the restaurant, or any other.
func (r *crashRun) acked(w write) {
	r.writes = append(r.writes, w)
	if r.rng.Float64() >= killChance {
		return
	}
	var victim *proc
	switch x := r.rng.Float64(); {
	case x < 0.45:
		victim = w.by
	case x < 0.8:
		victim = r.resto
	default:
		victim = r.all[r.rng.Intn(len(r.all))]
	}
	victim.kill(r.t)
	r.kills++
	r.killedAt[victim.name+" after "+w.what]++
	r.killRounds[w.round] = true
	r.restart(victim)
	if r.rng.Float64() < restartKillChance {
		// killed again while it opens its store and starts its host
		victim.kill(r.t)
		r.kills++
		r.killedAt[victim.name+" while restarting"]++
		r.restart(victim)
	}
}

// round places one order, has the restaurant accept it and one or two
// couriers claim it.
func (r *crashRun) round(no int) {
	t := r.t
	var placed struct {
		ID string `json:"id"`
	}
	r.must(r.cust, "POST", "/v1/checkout", r.checkout, &placed)
	id := placed.ID
	r.orders = append(r.orders, id)
	r.acked(write{round: no, by: r.cust, what: "place", order: id})

	r.waitOrder(r.resto, id, "placed", func(*orderView) bool { return true })
	if err := r.do(r.resto, "POST", "/v1/orders/"+id+"/accept", map[string]any{"prep_minutes": 10}, nil); err != nil {
		t.Fatalf("round %d: accept %.8s: %v", no, id, err)
	}
	r.acked(write{round: no, by: r.resto, what: "accept", order: id})

	claimants := slices.Clone(r.couriers)
	r.rng.Shuffle(len(claimants), func(i, j int) { claimants[i], claimants[j] = claimants[j], claimants[i] })
	claimants = claimants[:1+r.rng.Intn(len(claimants))]
	claimed := false
	for _, c := range claimants {
		r.waitOrder(c, id, "accepted", func(o *orderView) bool { return o.Status != "placed" })
		var res struct {
			Claim string `json:"claim"`
		}
		err := r.do(c, "POST", "/v1/orders/"+id+"/claim", map[string]any{}, &res)
		var ae *apiError
		switch {
		case errors.As(err, &ae) && ae.status == 409 && claimed:
			continue // a rival's claim was already confirmed on this courier's node
		case err != nil:
			t.Fatalf("round %d: %s claims %.8s: %v", no, c.name, id, err)
		}
		claimed = true
		r.acked(write{round: no, by: c, what: "claim", order: id, claim: res.Claim})
	}
}

// orderView is what the test reads of an order (crdt.OrderState's JSON).
type orderView struct {
	ID              string      `json:"id"`
	Status          string      `json:"status"`
	WasAccepted     bool        `json:"was_accepted"`
	Holder          string      `json:"holder"`
	HolderConfirmed bool        `json:"holder_confirmed"`
	Claims          []claimView `json:"claims"`
}

type claimView struct {
	Event   string `json:"event"`
	Courier string `json:"courier"`
	Outcome string `json:"outcome"`
}

func (o *orderView) hasClaim(ev string) bool {
	return slices.ContainsFunc(o.Claims, func(c claimView) bool { return c.Event == ev })
}

// check lists what is wrong now: acknowledged writes missing, orders with
// no holder or different holders, holders the restaurant has not
// confirmed or who cannot read the address.
func (r *crashRun) check(ctx context.Context) []string {
	views := map[*proc]map[string]*orderView{}
	var problems []string
	for _, p := range r.all {
		var list []*orderView
		if err := p.call(ctx, "GET", "/v1/orders", nil, &list); err != nil {
			return []string{fmt.Sprintf("%s: list orders: %v", p.name, err)}
		}
		views[p] = map[string]*orderView{}
		for _, o := range list {
			views[p][o.ID] = o
		}
	}
	// every acknowledged write is on the node that acknowledged it and on
	// the restaurant's
	for _, w := range r.writes {
		for _, p := range []*proc{w.by, r.resto} {
			o := views[p][w.order]
			switch {
			case o == nil:
				problems = append(problems, fmt.Sprintf("round %d: %s lacks order %.8s (%s acknowledged by %s)", w.round, p.name, w.order, w.what, w.by.name))
			case w.what == "accept" && !o.WasAccepted:
				problems = append(problems, fmt.Sprintf("round %d: %s: order %.8s not accepted (acknowledged by the restaurant)", w.round, p.name, w.order))
			case w.what == "claim" && !o.hasClaim(w.claim):
				problems = append(problems, fmt.Sprintf("round %d: %s lacks %s's claim %.8s on order %.8s", w.round, p.name, w.by.name, w.claim, w.order))
			}
		}
	}
	// every order: one holder everywhere, confirmed by the restaurant, who
	// reads the address
	for no, id := range r.orders {
		ro := views[r.resto][id]
		if ro == nil {
			continue // reported above
		}
		if ro.Holder == "" || !ro.HolderConfirmed {
			problems = append(problems, fmt.Sprintf("round %d: order %.8s: the restaurant has holder %.8s, confirmed %v", no, id, ro.Holder, ro.HolderConfirmed))
			continue
		}
		for _, p := range r.all {
			if o := views[p][id]; o == nil || o.Holder != ro.Holder || o.HolderConfirmed != ro.HolderConfirmed {
				problems = append(problems, fmt.Sprintf("round %d: order %.8s: %s's holder differs from the restaurant's %.8s: %+v", no, id, p.name, ro.Holder, o))
			}
		}
		holder := r.courierByKey(ro.Holder)
		if holder == nil {
			problems = append(problems, fmt.Sprintf("round %d: order %.8s: holder %.8s is no courier of the test", no, id, ro.Holder))
			continue
		}
		if err := holder.call(ctx, "GET", "/v1/orders/"+id+"/personal", nil, nil); err != nil {
			problems = append(problems, fmt.Sprintf("round %d: order %.8s: the confirmed holder %s cannot read the address: %v", no, id, holder.name, err))
		}
	}
	return problems
}

func (r *crashRun) courierByKey(k string) *proc {
	for _, c := range r.couriers {
		if c.key == k {
			return c
		}
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
